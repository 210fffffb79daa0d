"""Draft pages for ``techfile serve`` (:mod:`techfile.preview`).

A draft build is a Sphinx build of one page alone: ``techfile_preview_page``
names it, ``include_patterns`` keeps every other source out, and the needs
it links to, or that link to it, are sphinx-needs external needs pointing at
their own pages. What the page computes (the verdicts under its cards, its
views, its control block) comes from techfile's own reading of the whole
project, the one ``techfile check`` makes, evaluated once for the draft:
sphinx-needs' resolution of all the needs, which the full build waits for,
is what a draft leaves out. So a draft writes its page and nothing else: no
needs.json, workbook, findings report or page signatures, and it reports no
gap (the full build that follows does).
"""

from __future__ import annotations

import os
from pathlib import Path

from sphinx.application import Sphinx
from sphinx_needs.need_item import NeedItem

from techfile.corpus import Corpus
from techfile.sphinxext.state import build_state

PREVIEW_PAGE = "techfile_preview_page"


def draft_page(app: Sphinx) -> str:
    """The page a draft build is of; empty in any other build."""
    return str(getattr(getattr(app, "config", None), PREVIEW_PAGE, "") or "")  # a view rendered outside a build has none


def root_doc(app: Sphinx) -> str:
    """The technical file's root document: in a draft, the project's, not the page built alone."""
    state = build_state(app)
    if draft_page(app) and state.project is not None:
        return Path(os.path.relpath(state.project.root / state.project.root_doc, app.srcdir)).as_posix()
    return str(app.config.root_doc)


DRAFT_BASE_URL = "."
"""Where a draft's external needs live: the other pages of the same output, ``./<docname>.html#<id>``."""


def draft_home(app: Sphinx, item: NeedItem) -> str | None:
    """In a draft, the page an external need (a need of another page) is on; None in any other build."""
    url = str(item.get("external_url") or "")
    prefix = f"{DRAFT_BASE_URL}/"
    if not draft_page(app) or not url.startswith(prefix) or ".html#" not in url:
        return None
    return url[len(prefix) :].rsplit(".html#", 1)[0]


def begin(app: Sphinx, reader: Corpus) -> None:
    """Before each draft build of a kept application: forget the last one's evaluation, take this reading."""
    state = build_state(app)
    state.reader = reader
    state.corpus = None
    state.evaluation = None
    state.views.clear()
    state.cards.clear()
    state.signatures = None


def setup(app: Sphinx) -> None:
    app.add_config_value(PREVIEW_PAGE, "", "env", types=frozenset({str}))
