"""``techfile impact --base REF``: what the change since REF does to the
technical file, as Markdown for a pull-request comment or as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from techfile.fileio import write_atomic
from techfile.impact import Impact, impact
from techfile.project import load_project


def register(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "impact",
        help="the needs a change adds, changes and removes, its suspect links, tests and documents",
        description="Compare the authored needs with those at --base REF (a branch, tag or commit): added, changed and removed needs, "
        "the links now suspect (rule L01), the test specifications to run again and the documents touched. Exit status: 0 reported, 2 bad input.",
    )
    parser.add_argument("--base", required=True, help="the revision to compare with (the pull request's target branch, HEAD~1)")
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    parser.add_argument("--output", "-o", help="write the report to FILE instead of standard output")
    parser.add_argument("--project", type=Path, default=None, help="project directory (default: the nearest with [tool.techfile])")
    parser.set_defaults(handler=run)


def as_json(found: Impact) -> dict[str, Any]:
    def need(n: Any) -> dict[str, Any]:
        return {"id": n.id, "type": n.type, "title": n.title, "path": n.path, "line": n.line}

    return {
        "base": found.base,
        "base_commit": found.base_commit,
        "added": [need(n) for n in found.added],
        "changed": [{**need(c.need), "changed": list(c.what)} for c in found.changed],
        "removed": [need(n) for n in found.removed],
        "suspect_links": [{"from": s.source.id, "to": s.target.id, "reviewed_at": s.stamped, "now": s.now, "path": s.source.path, "line": s.source.line} for s in found.suspect],
        "tests": [{**need(spec), "because": list(because)} for spec, because in found.tests],
        "documents": [{"path": path, "needs": list(ids)} for path, ids in found.documents],
    }


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def as_markdown(found: Impact) -> str:
    short = found.base_commit[:12]
    lines = [
        f"## Technical file impact since `{found.base}` ({short})",
        "",
        f"**{len(found.added)} added, {len(found.changed)} changed, {len(found.removed)} removed; "
        f"{len(found.suspect)} suspect link(s); {len(found.tests)} test(s) to run again; {len(found.documents)} document(s) touched.**",
        "",
    ]

    def table(title: str, headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
        if not rows:
            return
        lines.extend([f"### {title}", "", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)])
        lines.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)
        lines.append("")

    table("Changed", ("Need", "Title", "What changed", "Where"), [(f"`{c.need.id}`", c.need.title, ", ".join(c.what), f"`{c.need.location}`") for c in found.changed])
    table("Added", ("Need", "Title", "Where"), [(f"`{n.id}`", n.title, f"`{n.location}`") for n in found.added])
    table("Removed", ("Need", "Title", "Was at"), [(f"`{n.id}`", n.title, f"`{n.location}`") for n in found.removed])
    table(
        "Suspect links (L01: review, then `techfile review TARGET`)",
        ("From", "To", "Reviewed at", "Now", "Where"),
        [(f"`{s.source.id}`", f"`{s.target.id}`", f"`{s.stamped}`" if s.stamped else "never", f"`{s.now}`", f"`{s.source.location}`") for s in found.suspect],
    )
    table("Tests to run again", ("Test", "Title", "Because of"), [(f"`{spec.id}`", spec.title, ", ".join(f"`{i}`" for i in because)) for spec, because in found.tests])
    table("Documents touched", ("File", "Needs"), [(f"`{path}`", ", ".join(f"`{i}`" for i in ids)) for path, ids in found.documents])
    if not (found.added or found.changed or found.removed or found.suspect):
        lines.append("No need was added, changed or removed, and no link is suspect.")
        lines.append("")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    found = impact(project, args.base)
    text = json.dumps(as_json(found), indent=2, ensure_ascii=False) + "\n" if args.format == "json" else as_markdown(found)
    if args.output and args.output != "-":
        write_atomic(Path(args.output), text.encode("utf-8"))
    else:
        sys.stdout.write(text)
    return 0
