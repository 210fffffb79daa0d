"""The ``techfile`` command. Each subcommand registers itself: the modules
of :mod:`techfile.commands` and every evidence kind (``techfile junit``).

Exit status: 0 clean, 1 open gaps, 2 bad input (a message naming the file,
the line and the fix), 3 internal error (a traceback to report).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import traceback
from collections.abc import Sequence

import techfile.commands
from techfile import __version__
from techfile.errors import TechfileError

CLEAN, GAPS, BAD_INPUT, INTERNAL_ERROR = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    from techfile.evidence.registry import kinds

    parser = argparse.ArgumentParser(
        prog="techfile",
        description="Documentation-as-code for the technical file of medical-device software. "
        "Exit status: 0 clean, 1 open gaps, 2 bad input, 3 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"techfile {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in sorted(pkgutil.iter_modules(techfile.commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"techfile.commands.{module.name}").register(commands)
    for kind in kinds().values():
        kind.add_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if getattr(args, "handler", None) is None:
            parser.print_help()
            return CLEAN
        return int(args.handler(args))
    except TechfileError as error:
        print(f"techfile: error: {error.render()}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except Exception:  # anything else is techfile's bug, never "open gaps"
        print(f"techfile {__version__}: internal error, please report it with this traceback:", file=sys.stderr)
        traceback.print_exc()
        return INTERNAL_ERROR
