"""The ``techfile`` command: one subcommand per job."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path

from techfile import __version__
from techfile.errors import TechfileError


def _check(args: argparse.Namespace) -> int:
    from techfile.checks.report import RENDERERS
    from techfile.checks.run import check_corpus, load_declarations
    from techfile.fileio import write_atomic
    from techfile.project import load_project
    from techfile.sources import read_corpus

    project = load_project(args.project)
    if args.release:
        project = dataclasses.replace(project, release=args.release)
    declarations = load_declarations(project)
    corpus = read_corpus(project, declarations.model)
    findings = check_corpus(project, declarations, corpus)
    text = RENDERERS[args.format](findings, declarations.rules, len(corpus), project.catalogue_url)
    if args.output:
        write_atomic(Path(args.output), text.encode("utf-8"))
    else:
        sys.stdout.write(text)
    return 1 if any(finding.fails for finding in findings) else 0


def _junit(args: argparse.Namespace) -> int:
    from techfile.junit import run_junit_command

    return run_junit_command(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="techfile",
        description="Documentation-as-code for the technical file of medical-device software.",
    )
    parser.add_argument("--version", action="version", version=f"techfile {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser(
        "check",
        help="evaluate the traceability rules without running Sphinx",
        description="Read the MyST needs and the imported evidence, evaluate every rule of the catalogue "
        "and report the gaps. Exit status: 0 no open gap, 1 open gaps, 2 bad input.",
    )
    check.add_argument("--project", type=Path, default=None, help="project directory (default: the nearest with [tool.techfile])")
    check.add_argument("--format", choices=("text", "json", "junit", "github"), default="text")
    check.add_argument("--output", "-o", help="write the report to FILE instead of standard output")
    check.add_argument("--release", help="ID of the release under evaluation (default: [tool.techfile] release)")
    check.set_defaults(handler=_check)

    junit = commands.add_parser(
        "junit",
        help="turn JUnit XML reports into result needs (needs.json)",
        description="Read JUnit XML reports from any runner and write their test cases as sphinx-needs "
        "result needs, linked to the requirements and test specifications they verify. Without FILE "
        "arguments, runs the [[tool.techfile.junit]] jobs of the project.",
    )
    junit.add_argument("files", nargs="*", metavar="[LEVEL=]FILE", help="JUnit XML report; prefix with unit=, integration= or system= to give its test level")
    junit.add_argument("--output", "-o", help="needs.json to write (required with FILE arguments)")
    junit.add_argument("--level", choices=("unit", "integration", "system"), help="test level of every FILE without its own")
    junit.add_argument("--software-version", help="version under test (default: TECHFILE_SOFTWARE_VERSION, else git describe)")
    junit.add_argument("--commit", help="commit under test (default: the CI environment, else git rev-parse HEAD)")
    junit.add_argument("--project", type=Path, default=None, help="project directory (default: the nearest with [tool.techfile])")
    junit.set_defaults(handler=_junit)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 0
    try:
        return int(args.handler(args))
    except TechfileError as error:
        print(f"techfile: error: {error.render()}", file=sys.stderr)
        return 2
