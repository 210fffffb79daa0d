"""The Excel workbook of the technical file (filled in by the workbook work)."""

from __future__ import annotations

from sphinx.application import Sphinx


def setup(app: Sphinx) -> None:
    """Connect this module's handlers (called from the extension's setup)."""
