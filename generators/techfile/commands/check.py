"""``techfile check``: the rules without Sphinx."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from techfile.checks.report import FORMATS, RENDERERS
from techfile.checks.run import check_corpus, load_declarations
from techfile.commands import refuse_unreadable
from techfile.fileio import write_atomic
from techfile.project import load_project
from techfile.readers.sources import read_corpus


def register(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "check",
        help="evaluate the traceability rules without running Sphinx",
        description="Read the needs (MyST and reStructuredText) and the imported evidence, evaluate every rule "
        "of the catalogue and report the gaps. Exit status: 0 no open gap, 1 open gaps, 2 bad input, 3 internal error.",
    )
    parser.add_argument("--project", type=Path, default=None, help="project directory (default: the nearest with [tool.techfile])")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--output", "-o", help="write the report to FILE instead of standard output (- for standard output)")
    parser.add_argument("--release", help="ID of the release under evaluation (default: [tool.techfile] release)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    if args.release:
        project = project.with_release(args.release)
    declarations = load_declarations(project)
    corpus = read_corpus(project, declarations.model, collect=True)
    refuse_unreadable(corpus)
    evaluation = check_corpus(project, declarations, corpus)
    text = RENDERERS[args.format](evaluation, project.catalogue_url)
    if args.output and args.output != "-":
        write_atomic(Path(args.output), text.encode("utf-8"))
    else:
        sys.stdout.write(text)
    return 1 if any(finding.fails for finding in evaluation.findings) else 0
