"""The packet's HTML build, in this process, and what makes Sphinx's output reproducible.

See :mod:`techfile.packet.build` for what differed between two builds and
what is done about each.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from sphinx.application import Sphinx

from techfile.project import Project

#: Sphinx outputs left out of the packet, and why (:mod:`techfile.packet.build`).
EXCLUDED_OUTPUTS = {
    ".buildinfo": "Sphinx's incremental-build stamp",
    ".techfile-pages.json": "techfile's record of what each page showed when it was written, an incremental-build cache",
    ".doctrees": "Sphinx's pickled doctrees, a build cache",
    "schema_violations.json": "sphinx-needs' schema report, which records the seconds the validation took",
}


class _CountedUUIDs:
    """Stands in for the ``uuid`` module in ``sphinx_needs.layout``: ``uuid4()`` from a counter, not from the system's randomness."""

    def __init__(self) -> None:
        self.count = 0

    def uuid4(self) -> uuid.UUID:
        self.count += 1
        return uuid.UUID(bytes=hashlib.sha256(f"techfile-release:{self.count}".encode()).digest()[:16], version=4)


@contextlib.contextmanager
def stable_need_container_ids() -> Iterator[None]:
    """While it lasts, sphinx-needs' need containers get reproducible IDs (module docstring)."""
    from sphinx_needs import layout

    previous = getattr(layout, "uuid", None)
    if previous is not uuid:  # sphinx-needs no longer draws them from uuid: nothing to do (the test of identical bytes tells)
        yield
        return
    setattr(layout, "uuid", _CountedUUIDs())  # noqa: B010 - not a name sphinx-needs exports
    try:
        yield
    finally:
        setattr(layout, "uuid", previous)  # noqa: B010


def build_html(project: Project, outdir: Path, doctreedir: Path, *, strict: bool, status: TextIO | None) -> Sphinx:
    """The project's HTML build (its conf.py, its theme), in this process."""
    from techfile.pdf.build import run_sphinx

    return run_sphinx(
        project, outdir, doctreedir, "html", strict=strict, status=status,
        purpose="the Sphinx HTML build", nothing_written="no packet written",
    )


def remove_excluded(outdir: Path) -> None:
    for name in EXCLUDED_OUTPUTS:
        path = outdir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
