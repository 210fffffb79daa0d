"""The one error type every techfile failure on bad input is raised as.

Each error names the file, the line where known, what is wrong and how to fix
it, so the command line and the Sphinx build can print it without a traceback.

Raise sites give the path they have: often absolute (a declaration resolved
from ``[tool.techfile]``), sometimes already relative to the project (a
source). Whoever prints the error decides what the reader's paths are
relative to (the command line: the current directory; the Sphinx build: the
project root), so the choice is made once, in :meth:`TechfileError.render`,
and not at every raise site.
"""

from __future__ import annotations

import os
from pathlib import Path


def shown_path(path: str | Path, relative_to: Path | None) -> str:
    """``path`` relative to ``relative_to`` when it lies under it, else as given.

    A relative ``path`` is kept as it is: the raise site already made it
    relative (to the project), and re-basing it would only guess. Symbolic
    links are tried both ways, since the current directory is reported
    resolved (``/private/tmp`` on macOS) while a path may come unresolved.
    """
    text = str(path)
    if relative_to is None or not os.path.isabs(text):
        return text
    given, base = Path(text), Path(relative_to)
    for candidate, under in ((given, base), (_resolved(given), _resolved(base))):
        if candidate.is_relative_to(under):
            return candidate.relative_to(under).as_posix()
    return text


def current_folder() -> Path | None:
    """The current folder; None when it was removed (paths are then shown as given)."""
    try:
        return Path.cwd()
    except OSError:
        return None


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop, an unreadable folder: compare as given
        return path


class TechfileError(Exception):
    """Bad input: a file the user can fix. Printed as ``file:line: message (fix: ...)``."""

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

    def shown_path(self, relative_to: Path | None = None) -> str | None:
        """The file of the error as its reader should see it (see :func:`shown_path`)."""
        return shown_path(self.path, relative_to) if self.path else None

    def render(self, relative_to: Path | None = None) -> str:
        """``file:line: message (fix: ...)``, the file relative to ``relative_to`` when under it."""
        where = ""
        shown = self.shown_path(relative_to)
        if shown:
            where = f"{shown}:{self.line}: " if self.line else f"{shown}: "
        text = f"{where}{self.message}"
        if self.fix:
            text += f" (fix: {self.fix})"
        return text

    def command_line(self) -> str:
        """The line the ``techfile`` command prints: ``techfile: error: ...``, paths relative to the current folder."""
        return f"techfile: error: {self.render(relative_to=current_folder())}"
