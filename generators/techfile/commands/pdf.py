"""``techfile pdf``: the technical file as one PDF."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from techfile.project import load_project


def register(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "pdf",
        help="build the PDF of the technical file (Sphinx singlehtml + WeasyPrint)",
        description="Build the project's technical file as one PDF: a title page (device, version, commit, date), "
        "a table of contents, every document with its diagrams and tables, page numbers. Runs Sphinx's singlehtml "
        "build with the project's conf.py (basic theme, print stylesheet) and prints it with WeasyPrint, the "
        "optional dependency techfile[pdf]. Exit status: 0 written, 2 bad input, WeasyPrint or Pango missing, or a "
        "failed build, 3 internal error.",
    )
    parser.add_argument("--project", type=Path, default=None, help="project directory (default: the nearest with [tool.techfile])")
    parser.add_argument("--output", "-o", type=Path, default=None, help="the PDF to write (default: _build/pdf/<project>.pdf in the project)")
    parser.add_argument("--html-dir", type=Path, default=None, help="folder of the singlehtml build (default: _build/pdf-html in the project)")
    parser.add_argument("-W", dest="strict", action="store_true", help="turn the Sphinx build's warnings into errors (as `make html` does)")
    parser.add_argument("--verbose", "-v", action="store_true", help="show the Sphinx build's progress")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from techfile.pdf import build, engine

    engine.load_weasyprint()  # before the project and the build: the fix, at once
    project = load_project(args.project)
    result = build.build(project, args.output, args.html_dir, strict=args.strict, status=sys.stdout if args.verbose else None)
    fits = ", ".join(f"{count} {fit}" for fit, count in sorted(result.report.fits.items()))
    seconds = " + ".join(f"{name} {value:.0f} s" for name, value in result.seconds.items())
    print(f"techfile pdf: {result.pdf} ({result.pages} pages; version {result.title.version}, commit {result.title.short_commit}, "
          f"dated {result.title.date} from {result.title.date_source}; tables: {fits or 'none'}; {seconds})")
    if result.warnings and args.verbose:
        for warning, count in Counter(result.warnings).most_common():
            print(f"techfile pdf: WeasyPrint: {warning}" + (f" ({count} times)" if count > 1 else ""), file=sys.stderr)
    elif result.warnings:
        print(f"techfile pdf: WeasyPrint reported {len(result.warnings)} message(s) (CSS it ignores, duplicate anchors of sphinx-needs); --verbose lists them", file=sys.stderr)
    return 0
