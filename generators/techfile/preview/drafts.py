"""A page built alone, at once, while the full build catches up.

Each page being edited keeps its own Sphinx application (the three most
recent), built with ``techfile_preview_page`` (:mod:`techfile.sphinxext.preview`):
only that page's source is read, and the needs its needs link to or are
linked from come from the last full build's ``needs.json`` as external
needs, so their links lead to their own pages. The verdicts and views come
from techfile's reading of every source, made again before each draft.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ub_needs_exchange

from techfile.corpus import Corpus, Need
from techfile.errors import TechfileError
from techfile.fileio import write_atomic
from techfile.model.needmodel import NeedModel
from techfile.project import SOURCE_SUFFIXES, Project

KEPT = 3
"""Applications kept, one per page: a writer edits a few pages at a time."""


class DraftError(TechfileError):
    """A draft that could not be built (the full build still runs and reports why)."""


@dataclass(frozen=True)
class Draft:
    docname: str
    html: Path
    """The draft page, served in place of the full build's until that build has read this edit."""
    seconds: float


class _Discarded(io.StringIO):
    """A draft's warnings: the full build that follows reports them, once."""

    def write(self, text: str) -> int:
        return len(text)


def _slug(docname: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", docname)


class _NeedsFile:
    """The full build's needs.json, read again only when it changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self.needs: dict[str, dict[str, Any]] = {}

    def current(self) -> dict[str, dict[str, Any]]:
        try:
            stat = self.path.stat()
        except OSError:
            return {}
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            try:
                self.needs = {record.key: dict(record.fields) for record in ub_needs_exchange.load(self.path).select_version(None).records()}
            except (OSError, ub_needs_exchange.ExchangeError):
                self.needs = {}  # no links to other pages in the draft; the full build has them
            self._stamp = stamp
        return self.needs


def page_of(need: Need) -> str:
    """The docname of the page a need is shown on (the project root is the source folder)."""
    where = need.origin[0] if need.origin else need.path
    return Path(where).with_suffix("").as_posix()


def neighbours(corpus: Corpus, docname: str) -> set[str]:
    """The needs of other pages that the page's needs link to or are linked from."""
    own = {need.id for need in corpus if page_of(need) == docname}
    near: set[str] = set()
    for need in corpus:
        targets = {t for values in need.links.values() for t in values}
        if need.id in own:
            near |= targets
        elif targets & own:
            near.add(need.id)
    return near - own


class Drafts:
    def __init__(self, project: Project, model: NeedModel, built_html: Path, workdir: Path) -> None:
        self.project = project
        self.model = model
        self.built_needs = _NeedsFile(built_html / "needs.json")
        self.workdir = workdir
        self._apps: OrderedDict[str, Any] = OrderedDict()

    def source(self, docname: str) -> Path | None:
        for suffix in SOURCE_SUFFIXES:
            path = self.project.root / f"{docname}{suffix}"
            if path.is_file():
                return path
        return None

    def docname(self, path: Path) -> str | None:
        """The page a changed file is the source of, if it is one."""
        if path.suffix not in SOURCE_SUFFIXES:
            return None
        try:
            relative = path.resolve().relative_to(self.project.root.resolve())
        except ValueError:
            return None
        return relative.with_suffix("").as_posix()

    def _external(self, docname: str, corpus: Corpus) -> Path:
        built = self.built_needs.current()
        chosen = {need_id: built[need_id] for need_id in sorted(neighbours(corpus, docname)) if need_id in built}
        path = self.workdir / _slug(docname) / "external-needs.json"
        text = json.dumps({"current_version": "", "project": "draft", "versions": {"": {"needs": chosen}}}, sort_keys=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            write_atomic(path, text.encode("utf-8"))
        return path

    def _app(self, docname: str, external: Path) -> Any:
        from sphinx.application import Sphinx

        from techfile.sphinxext.preview import DRAFT_BASE_URL, PREVIEW_PAGE

        app = self._apps.pop(docname, None)
        if app is None:
            source = self.source(docname)
            if source is None:
                raise DraftError(f"{docname} has no source to draft")
            home = self.workdir / _slug(docname)
            overrides: dict[str, Any] = {
                PREVIEW_PAGE: docname,
                "root_doc": docname,
                "include_patterns": [source.relative_to(self.project.root).as_posix()],
                "needs_build_json": False,
                # the other pages' needs, linked where the full build puts them
                "needs_external_needs": [{"json_path": str(external), "base_url": DRAFT_BASE_URL, "css_class": ""}],
            }
            root = str(self.project.root)
            app = Sphinx(root, root, str(home / "html"), str(home / "doctrees"), "html", confoverrides=overrides, status=None, warning=_Discarded(), freshenv=True)
        self._apps[docname] = app
        while len(self._apps) > KEPT:
            self._apps.popitem(last=False)
        return app

    def build(self, docname: str) -> Draft:
        from techfile.readers.sources import read_corpus
        from techfile.sphinxext.preview import begin
        from techfile.sphinxext.state import EnvData

        start = time.perf_counter()
        corpus = read_corpus(self.project, self.model, collect=True)
        try:
            app = self._app(docname, self._external(docname, corpus))
            begin(app, corpus)
            app.build()
        except DraftError:
            raise
        except Exception as error:  # Sphinx and its extensions raise anything; the full build reports it properly
            self._apps.pop(docname, None)
            raise DraftError(f"the draft of {docname} failed: {type(error).__name__}: {error}") from error
        if docname in EnvData(app.env).filter_docs:
            # its needtables, needflows or needpies would show this page's needs alone
            raise DraftError(f"{docname} shows sphinx-needs' tables or diagrams of every need: the full build shows it")
        html = Path(app.outdir) / f"{docname}.html"
        if not html.is_file():
            raise DraftError(f"the draft of {docname} wrote no page")
        return Draft(docname, html, time.perf_counter() - start)

    def warm(self, docname: str) -> None:
        """Make the page's application before its first edit (its first build costs a second more)."""
        if docname not in self._apps and self.source(docname) is not None:
            with contextlib.suppress(TechfileError):  # the edit's own draft says why
                self.build(docname)

