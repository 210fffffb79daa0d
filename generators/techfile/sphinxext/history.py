"""Revision history: a block at the end of every controlled document.

Every document the control block is on (:func:`~techfile.sphinxext.control.controlled`)
ends with a block ``div.techfile-history-block`` headed **Revision history**
(a rubric, as the approvals block is headed: document control, not a part of
the document's contents, so no table of contents lists it), a table (``table.techfile-history``)
of the commits that changed the files behind the page, newest first, each
with its short hash, date (the committer date, UTC), author and subject
(:mod:`techfile.gitlog`). The files behind a page are its own source and the
files it depends on (``{include}``, ``{literalinclude}``, evidence, as
Sphinx's ``env.dependencies`` records them) that git tracks; the document's
own source is followed through renames.

Need record pages (``needs/*.md``) are documents like any other, so every
need shows the history of the file it is written in; where a need has a page
(a file) of its own, that page's history is the need's own history. Needs
are not given a history apart from their file's: git records files, not
needs, and the file is what was reviewed and released.

What the block says instead of a table, never an empty or a wrong one:

* not a git checkout (a build from a tarball): "No revision history: this
  build is not of a git checkout.", and no warning: that build is legitimate;
* a shallow clone (CI's default checkout), git missing, git failing: why
  and how to fix it; the build warns once, ``techfile.history`` at the root
  document (silenced by ``suppress_warnings = ["techfile.history"]``);
* files that differ from HEAD (changed, added, untracked): a first row
  "uncommitted changes", so the page never passes for the committed text;
* more revisions than ``techfile_history_limit`` (conf.py, default 20, 0 for
  all): the newest ones, and "N older revisions not shown".

Git is asked once per build about the checkout (``rev-parse``, ``status``,
``ls-files``) and once or twice per document (``git log``), never per row;
the same commit gives the same pages. As for the control block, a
placeholder is put in at ``doctree-read`` (at the end of the document's last
section) and filled in at ``doctree-resolved`` with plain
docutils nodes, which every builder (HTML, singlehtml and the PDF, LaTeX)
renders, and which LaTeX, resolving the whole PDF as its root document,
still fills per document.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from techfile import gitlog
from techfile.gitlog import HistoryUnavailable, Revision
from techfile.sphinxext.control import controlled
from techfile.sphinxext.state import build_state

logger = logging.getLogger(__name__)

BLOCK_CLASS = "techfile-history-block"
TABLE_CLASS = "techfile-history"
TITLE = "Revision history"
NOT_A_CHECKOUT = "No revision history: this build is not of a git checkout."
UNCOMMITTED = "uncommitted changes"
COLUMNS = (("Commit", 14), ("Date", 12), ("Author", 20), ("Subject", 54))


class techfile_history(nodes.General, nodes.Element):
    """Placeholder for a document's revision history, filled in at ``doctree-resolved``."""


@dataclass(frozen=True)
class Repository:
    """What one build knows of the checkout: asked once, at the first document that needs it."""

    root: Path
    unavailable: HistoryUnavailable | None
    head: str | None
    tracked: frozenset[Path]
    changed: frozenset[Path]

    @property
    def stamp(self) -> tuple[str, str]:
        """What, when it changes, changes every page's history."""
        return (self.head or "", self.unavailable.kind if self.unavailable else "")


def repository(app: Sphinx) -> Repository | None:
    """The checkout around the project (None without a project), once per build."""
    found: Repository | None = getattr(app, "_techfile_history", None)
    if found is not None:
        return found
    project = build_state(app).project
    if project is None:
        return None
    root = project.root
    try:
        checkout = gitlog.complete(root)
        found = Repository(root, None, checkout.head, gitlog.tracked(root), gitlog.changes(root))
    except HistoryUnavailable as error:
        found = Repository(root, error, None, frozenset(), frozenset())
    app._techfile_history = found  # type: ignore[attr-defined]
    return found


def limit(app: Sphinx) -> int:
    """``techfile_history_limit``: rows per document, 0 (or less) for all."""
    value = app.config.techfile_history_limit
    return value if isinstance(value, int) and value > 0 else 0


# ------------------------------------------------------------------ handlers


def insert_placeholder(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``: a placeholder at the end of the document (of its last section, however deep)."""
    docname = app.env.docname
    if not controlled(app, docname):
        return
    target: nodes.Element = doctree
    while target.children and isinstance(target.children[-1], nodes.section):
        target = target.children[-1]
    target.append(techfile_history(docname=docname))


def warn_unavailable(app: Sphinx, builder: object = None) -> None:
    """``write-started``: one warning ``techfile.history`` when the history could be shown and is not."""
    found = repository(app)
    if found is None or found.unavailable is None or found.unavailable.legitimate:
        return
    error = found.unavailable
    logger.warning(f"no revision history: {error.reason} (fix: {error.fix})", type="techfile", subtype="history", location=app.config.root_doc)


def fill_history(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: each placeholder becomes its document's history."""
    for placeholder in list(doctree.findall(techfile_history)):
        placeholder.replace_self(_history(app, placeholder["docname"]))


def outdated(app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]) -> list[str]:
    """``env-get-outdated``: every document when the commit checked out (or why there is no history) changed."""
    found = repository(app)
    if found is None:
        return []
    previous = getattr(env, "techfile_history_stamp", None)
    env.techfile_history_stamp = found.stamp  # type: ignore[attr-defined]
    if previous is not None and previous != found.stamp:
        return sorted(doc for doc in env.found_docs if doc not in removed)
    return []


# ------------------------------------------------------------------ the nodes


def sources(app: Sphinx, docname: str, found: Repository) -> list[Path]:
    """The document's own source, then the files it depends on that git tracks or that differ from HEAD."""
    own = Path(app.env.doc2path(docname)).resolve()
    others = set()
    for dependency in app.env.dependencies.get(docname, ()):
        path = Path(dependency).resolve()
        if path != own and (path in found.tracked or path in found.changed):
            others.add(path)
    return [own, *sorted(others)]


def _history(app: Sphinx, docname: str) -> list[nodes.Node]:
    found = repository(app)
    if found is None:
        return []
    block = nodes.container(ids=[nodes.make_id(f"techfile-history-{docname}")], classes=[BLOCK_CLASS])
    block += nodes.rubric(text=TITLE)
    block.extend(_contents(app, docname, found))
    return [block]


def _contents(app: Sphinx, docname: str, found: Repository) -> list[nodes.Node]:
    if found.unavailable is not None:
        return [_unavailable(found.unavailable)]
    files = sources(app, docname, found)
    try:
        revisions = gitlog.history(found.root, files)
    except HistoryUnavailable as error:  # git failed on this document alone
        logger.warning(f"no revision history: {error.reason} (fix: {error.fix})", type="techfile", subtype="history", location=docname)
        return [_unavailable(error)]
    dirty = any(path in found.changed for path in files)
    out: list[nodes.Node] = [_files(found.root, files)]
    if not revisions and not dirty:
        out.append(nodes.paragraph(text="No revision history: no commit has changed these files yet.", classes=["techfile-history-note"]))
        return out
    rows = limit(app)
    shown = revisions[:rows] if rows else revisions
    out.append(_table(shown, dirty))
    older = len(revisions) - len(shown)
    if older:
        noun = "revision" if older == 1 else "revisions"
        out.append(nodes.paragraph(text=f"{older} older {noun} not shown.", classes=["techfile-history-note"]))
    return out


def _unavailable(error: HistoryUnavailable) -> nodes.Node:
    if error.legitimate:
        return nodes.paragraph(text=NOT_A_CHECKOUT, classes=["techfile-history-note"])
    para = nodes.paragraph(classes=["techfile-history-note", "techfile-history-unavailable"])
    para += nodes.Text(f"No revision history: {error.reason}. To show it, {error.fix}.")
    return para


def _files(root: Path, files: list[Path]) -> nodes.Node:
    para = nodes.paragraph(classes=["techfile-history-files"])
    para += nodes.Text("Changes to " if len(files) == 1 else "Changes to any of ")
    for index, path in enumerate(files):
        if index:
            para += nodes.Text(", ")
        para += nodes.literal(text=path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix())
    para += nodes.Text(", newest first.")
    return para


def _table(revisions: list[Revision], dirty: bool) -> nodes.table:
    table = nodes.table(classes=[TABLE_CLASS, "colwidths-given"])
    group = nodes.tgroup(cols=len(COLUMNS))
    table += group
    for _, width in COLUMNS:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    head += _row([[nodes.Text(name)] for name, _ in COLUMNS])
    group += head
    body = nodes.tbody()
    if dirty:
        row = _row([[nodes.emphasis(text=UNCOMMITTED)], [], [], [nodes.Text("the working tree differs from the last commit for these files")]])
        row["classes"].append("techfile-history-uncommitted")
        body += row
    for revision in revisions:
        body += _row([[nodes.literal(text=revision.short)], [nodes.Text(revision.date)], [nodes.Text(revision.author)], [nodes.Text(revision.subject)]])
    group += body
    return table


def _row(cells: list[list[nodes.Node]]) -> nodes.row:
    row = nodes.row()
    for content in cells:
        para = nodes.paragraph()
        para.extend(content)
        row += nodes.entry("", para)
    return row


def setup(app: Sphinx) -> None:
    """Connect this module's handlers (called from the extension's setup)."""
    app.add_config_value("techfile_history_limit", 20, "env", types=(int,))
    app.add_node(techfile_history)
    app.connect("doctree-read", insert_placeholder, priority=900)
    app.connect("env-get-outdated", outdated)
    app.connect("write-started", warn_unavailable)
    # before the control module wraps the page's tables for scrolling (priority 900)
    app.connect("doctree-resolved", fill_history, priority=890)
