"""``techfile verify``: a release packet against its manifest, and its signature."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "verify",
        help="check a release packet: every file against MANIFEST.json, and the signature",
        description="Open a release packet (the .tar.gz techfile release wrote, or the folder it was unpacked into) "
        "without extracting it, recompute every file's SHA-256 and name each file changed, missing or added; with "
        "--allowed-signers, check MANIFEST.json.sig with ssh-keygen -Y verify. Exit status: 0 intact (and signed by "
        "IDENTITY), 1 differences or a bad signature, 2 not a packet or bad input, 3 internal error.",
    )
    parser.add_argument("packet", type=Path, metavar="PACKET", help="the .tar.gz, or the folder it was unpacked into")
    parser.add_argument("--allowed-signers", type=Path, default=None, metavar="FILE", help="ssh-keygen allowed-signers file: check the signature against it")
    parser.add_argument("--identity", "-I", default=None, metavar="NAME", help="the signer to expect, as the allowed-signers file names it")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from techfile.packet.verify import verify_packet

    report = verify_packet(args.packet, args.allowed_signers, args.identity)
    for difference in report.differences:
        print(difference.line())
    manifest = report.manifest
    if report.signature is not None:
        print(f"signature: {'good' if report.signature.good else 'BAD'}: {report.signature.message}")
    what = f"release {manifest.release} version {manifest.version}, commit {manifest.commit[:12]}"
    if report.intact:
        print(f"techfile verify: {args.packet}: intact: {len(manifest.files)} files match MANIFEST.json ({what})")
        return 0
    problems = [f"{len(report.differences)} file(s) differ"] if report.differences else []
    if report.signature is not None and not report.signature.good:
        problems.append("the signature does not verify")
    print(f"techfile verify: {args.packet}: NOT intact: {'; '.join(problems)} ({what})")
    return 1
