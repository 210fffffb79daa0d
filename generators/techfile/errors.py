"""The one error type every techfile failure on bad input is raised as.

Each error names the file, the line where known, what is wrong and how to fix
it, so the command line and the Sphinx build can print it without a traceback.
"""

from __future__ import annotations

from pathlib import Path


class TechfileError(Exception):
    """Bad input: a file the user can fix. Printed as ``file:line: message``."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        fix: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        text = f"{where}{self.message}"
        if self.fix:
            text += f" (fix: {self.fix})"
        return text
