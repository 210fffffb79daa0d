"""``techfile config``: the reference of ``[tool.techfile]``, from its declaration."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from techfile.project import settings_reference


def register(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "config",
        help="print the reference of the [tool.techfile] settings (Markdown)",
        description="Print every key of [tool.techfile] and of the evidence tables, with type, default and meaning, "
        "as declared by techfile itself.",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(settings_reference())
    return 0
