"""``techfile review ID...``: record that the links of and to these needs
were reviewed, as the targets' fingerprints, in the sources (the
``reviewed`` option of each linking need), where a reviewer reads them in
the diff. ``--all`` stamps every authored link.

Nothing is written unless every ID is an authored need, every source reads
cleanly, and every stamp reads back as written.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from techfile import fingerprints
from techfile.commands import refuse_unreadable
from techfile.corpus import Corpus, Need
from techfile.errors import TechfileError
from techfile.fileio import write_atomic
from techfile.model.needmodel import REVIEWED
from techfile.project import Project, load_project
from techfile.readers.sources import read_corpus

_MYST_OPTION = re.compile(r"^:[A-Za-z_][\w-]*:(\s|$)")
_RST_OPTION = re.compile(r"^(?P<indent>\s+):[A-Za-z_][\w-]*:(\s|$)")


def register(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "review",
        help="stamp the links of and to needs as reviewed (suspect links, rule L01)",
        description="For each ID: stamp the need's own links, and the links of the needs that point to it, with the targets' "
        "fingerprints now (the reviewed option in the source). Exit status: 0 stamped, 2 bad input.",
    )
    parser.add_argument("ids", nargs="*", metavar="ID", help="needs whose links (outgoing and incoming) were reviewed")
    parser.add_argument("--all", action="store_true", help="stamp every link of every authored need")
    parser.add_argument("--project", type=Path, default=None, help="project directory (default: the nearest with [tool.techfile])")
    parser.set_defaults(handler=run)


@dataclass
class Edit:
    need: Need
    value: str
    before: str


def planned(corpus: Corpus, ids: list[str], everything: bool) -> dict[str, Edit]:
    """Need ID -> its new ``reviewed`` value."""
    edits: dict[str, Edit] = {}

    def current(need: Need) -> dict[str, str]:
        if need.id in edits:
            return fingerprints.stamps(_with(need, edits[need.id].value)).stamps
        return fingerprints.stamps(need).stamps

    def put(need: Need, stamps: dict[str, str]) -> None:
        linked = {t.id for t in fingerprints.link_targets(corpus, need)}
        value = ", ".join(f"{target}@{stamps[target]}" for target in sorted(stamps) if target in linked)
        edits[need.id] = Edit(need, value, need.fields.get(REVIEWED) or "")

    chosen = [n for n in corpus if fingerprints.reviewable(corpus, n) and n.links] if everything else [corpus.needs[i] for i in ids]
    for need in chosen:
        put(need, {t.id: fingerprints.fingerprint(t) for t in fingerprints.link_targets(corpus, need)})
        if everything:
            continue
        for other in corpus:
            if other.id != need.id and fingerprints.reviewable(corpus, other) and need in fingerprints.link_targets(corpus, other):
                put(other, {**current(other), need.id: fingerprints.fingerprint(need)})
    return {key: edit for key, edit in edits.items() if edit.value != edit.before}


def _with(need: Need, value: str) -> Need:
    return Need(need.id, need.type, need.title, need.path, need.line, {**need.fields, REVIEWED: value}, need.links, need.origin)


def _edit_lines(lines: list[str], edit: Edit, rst: bool) -> None:
    """Set the need's ``reviewed`` option in the option block after its directive line."""
    start = edit.need.line  # index of the first line after the directive (lines are 0-based, need.line 1-based)
    pattern = _RST_OPTION if rst else _MYST_OPTION
    end = start
    while end < len(lines) and pattern.match(lines[end]):
        end += 1
    if end == start and not rst and start < len(lines) and lines[start].strip() == "---":
        raise TechfileError(f"{edit.need.id}: its options are a YAML block, where techfile review does not write", path=edit.need.path, line=edit.need.line, fix=f"write its options as :name: value lines, or add :{REVIEWED}: {edit.value} by hand")
    indent = ""
    if rst:
        found = _RST_OPTION.match(lines[start]) if start < end else None
        indent = found["indent"] if found else "   "
    written = f"{indent}:{REVIEWED}: {edit.value}" if edit.value else None
    for index in range(start, end):
        if lines[index].strip().startswith(f":{REVIEWED}:"):
            if written is None:
                del lines[index]
            else:
                lines[index] = written
            return
    if written is not None:
        lines.insert(end, written)


def _apply(project: Project, edits: dict[str, Edit]) -> dict[Path, bytes]:
    """Write the edits file by file (bottom up, so lines stay valid); the files as they were."""
    by_file: dict[str, list[Edit]] = {}
    for edit in edits.values():
        by_file.setdefault(edit.need.path, []).append(edit)
    originals: dict[Path, bytes] = {}
    for relative, file_edits in sorted(by_file.items()):
        path = project.root / relative
        raw = path.read_bytes()
        bom = raw.startswith(b"\xef\xbb\xbf")
        text = (raw[3:] if bom else raw).decode("utf-8")
        newline = "\r\n" if "\r\n" in text else "\n"
        lines = text.replace("\r\n", "\n").split("\n")
        for edit in sorted(file_edits, key=lambda e: -e.need.line):
            _edit_lines(lines, edit, rst=path.suffix == ".rst")
        originals[path] = raw
        write_atomic(path, (b"\xef\xbb\xbf" if bom else b"") + "\n".join(lines).replace("\n", newline).encode("utf-8"))
    return originals


def run(args: argparse.Namespace) -> int:
    if not args.ids and not args.all:
        raise TechfileError("name the needs whose links were reviewed, or --all", fix="techfile review SWR_001 TEST_004")
    project = load_project(args.project)
    from techfile.checks.run import load_declarations

    model = load_declarations(project).model
    if REVIEWED not in model.fields:
        raise TechfileError(f"the need model declares no field {REVIEWED!r}, where review stamps are written", fix=f'extend "techfile:default", or declare [fields.{REVIEWED}]')
    corpus = read_corpus(project, model, collect=True)
    refuse_unreadable(corpus)
    for need_id in args.ids:
        need = corpus.needs.get(need_id)
        if need is None:
            import difflib

            close = difflib.get_close_matches(need_id, list(corpus.needs), n=1)
            raise TechfileError(f"{need_id} is not the ID of any need", fix=f"did you mean {close[0]}?" if close else "give the ID of an authored need")
        if not fingerprints.reviewable(corpus, need):
            raise TechfileError(f"{need_id} is generated evidence ({need.type}), which is regenerated, not reviewed", fix="review the authored needs it links to")
    edits = planned(corpus, args.ids, args.all)
    originals = _apply(project, edits)
    after = read_corpus(project, model, collect=True)
    wrong = [e.need.id for e in edits.values() if (after.needs.get(e.need.id) or e.need).fields.get(REVIEWED, "") != e.value]
    if wrong or after.problems:
        for path, raw in originals.items():
            write_atomic(path, raw)
        why = after.problems[0].message if after.problems else f"{', '.join(wrong)} did not read back as stamped"
        raise TechfileError(f"the stamps could not be written ({why}); every file is as it was")
    for edit in sorted(edits.values(), key=lambda e: (e.need.path, e.need.line)):
        print(f"{edit.need.location}: {edit.need.id}: {REVIEWED} {edit.value or '(none)'}")
    print(f"techfile review: {len(edits)} need(s) stamped" if edits else "techfile review: every link was already stamped as it is now")
    return 0
