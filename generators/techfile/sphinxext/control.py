"""The document-control block at the top of every document, and the status
banner of the root document (filled in by the reviewer-views work)."""

from __future__ import annotations

from sphinx.application import Sphinx


def setup(app: Sphinx) -> None:
    """Connect this module's handlers (called from the extension's setup)."""
