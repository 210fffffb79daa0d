"""``techfile release``: the release packet of one version, gated on the rules."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from techfile.project import load_project


def register(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "release",
        help="build the reproducible release packet of a version (.tar.gz with a signed manifest)",
        description="Check the release whose release need has this version (refused on any open gap), build the "
        "HTML (with the workbook) and the PDF, and write one reproducible .tar.gz: the HTML, the PDF, needs.json, "
        "the findings report, the evidence inputs and MANIFEST.json (every file's size and SHA-256, the release, "
        "commit, software version, build date and techfile version), signed with --sign-key. The same commit and "
        "inputs give the same bytes; the build date is SOURCE_DATE_EPOCH, else the commit's date. Exit status: "
        "0 written, 1 open gaps (nothing written), 2 bad input, 3 internal error.",
    )
    parser.add_argument("--version", required=True, dest="release_version", metavar="VERSION", help="the version of the release need to package (its :version:)")
    parser.add_argument("--project", type=Path, default=None, help="project directory (default: the nearest with [tool.techfile])")
    parser.add_argument("--output", "-o", type=Path, default=None, help="the .tar.gz to write, or the folder to write it into (default: _build/release in the project)")
    parser.add_argument("--sign-key", type=Path, default=None, metavar="KEY", help="SSH private key: sign MANIFEST.json with ssh-keygen -Y sign (namespace techfile-release)")
    parser.add_argument("--include", type=Path, action="append", default=[], metavar="FILE", help="a further evidence file of the project to carry (a lock or requirements file); repeatable")
    parser.add_argument("--no-pdf", dest="pdf", action="store_false", help="leave the PDF out (faster; the PDF needs techfile[pdf])")
    parser.add_argument("-W", dest="strict", action="store_true", help="turn the Sphinx builds' warnings into errors (as `make html` does)")
    parser.add_argument("--verbose", "-v", action="store_true", help="show the Sphinx builds' progress")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from techfile.checks.report import as_text
    from techfile.packet import build

    project = load_project(args.project)
    try:
        result = build.build(
            project, args.release_version, output=args.output, sign_key=args.sign_key, include=args.include,
            pdf=args.pdf, strict=args.strict, status=sys.stdout if args.verbose else None,
        )
    except build.Refused as refused:
        sys.stderr.write(as_text(refused.evaluation, project.catalogue_url))
        print(f"techfile release: refused: release {refused.release.id} (version {args.release_version}) has open gaps; no packet written", file=sys.stderr)
        return 1
    manifest = result.manifest
    seconds = " + ".join(f"{name} {value:.0f} s" for name, value in result.seconds.items())
    print(
        f"techfile release: {result.archive} ({result.size} bytes, {len(manifest.files)} files{', signed' if result.signed else ''}; "
        f"release {manifest.release} version {manifest.version}, commit {manifest.commit[:12]} ({manifest.working_tree}), built {manifest.build_date} "
        f"from {manifest.build_date_source}; {seconds})"
    )
    return 0
