"""The directive record every source reader returns."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Directive:
    """One need, ``needimport`` or ``techfile-evidence`` directive as written."""

    name: str
    argument: str
    line: int
    """1-based line of the directive's first line."""
    options: dict[str, str]
    content: list[str] = field(default_factory=list)
    parser: str = ""
    """The markup it is written in ("myst" or "rst"), where the scanner knows it differs from the file's."""
