"""Document control: a block at the top of every document of the technical
file, and a status banner on the root document.

The block, placed right after the document's title, says which controlled
document this is and which build of which software it describes:

* **Document** and **Document ID**: the title, and an ID derived from the
  document's name: the project's prefix, then every part of the docname
  (``docs/srs``) in capitals, ``_`` and ``/`` becoming ``-``:
  ``PJI-DOCS-SRS``. The prefix is ``techfile_document_prefix`` of conf.py,
  else the words of conf.py's ``project`` written in capitals (``PJI`` of
  ``"PJI-Risk technical file"``), else its first word in capitals. The ID
  is stable as long as the file keeps its name.
* **Release under evaluation**: the release need the rules were evaluated
  for, with its version (see :mod:`techfile.checks.engine`).
* **Software version** and **Commit**: :mod:`techfile.provenance`, as the
  evidence records them (``TECHFILE_SOFTWARE_VERSION`` / CI variables, else
  git).
* **Build date**: ``SOURCE_DATE_EPOCH`` if set, else the date of the commit
  (git), else today; in UTC. A build of the same commit gives the same page.

The root document also gets the status of the build: needs checked, open
and accepted gaps, and a link to the page listing them (the page holding
``{techfile-gaps}``, else the rule catalogue).

Only documents under the project's source folders get a block. The block is
made of plain docutils nodes, so every builder (HTML, LaTeX, text) renders
it; the placeholder is put in at ``doctree-read`` and filled in at
``doctree-resolved``, so LaTeX, which resolves the whole PDF as its root
document, still gets each document's own block.

For HTML builds this module also wraps every table that has no scroll
container of its own in one (``div.table-wrapper.techfile-scroll``): the
tables of the computed views and sphinx-needs' are made after the theme's
own wrapping has run, and a wide table must scroll inside the page, never
the page itself.
"""

from __future__ import annotations

import datetime
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.errors import NoUri

from techfile import provenance
from techfile.sphinxext.directives import techfile_view
from techfile.sphinxext.preview import root_doc
from techfile.sphinxext.state import EnvData, build_state, evaluated

#: Containers that already scroll a table inside themselves: the theme's (Furo's), sphinx-needs', ours.
SCROLLING = frozenset({"table-wrapper", "needstable_wrapper", "techfile-scroll"})
CONTROL_CLASS = "techfile-control"
STATUS_CLASS = "techfile-status"
_SUFFIX = re.compile(r"\s+technical\s+file\s*$", re.IGNORECASE)


class techfile_control(nodes.General, nodes.Element):
    """Placeholder for a document's control block, filled in at ``doctree-resolved``."""


# ------------------------------------------------------------------ the values


def document_prefix(project: str, configured: str | None = None) -> str:
    """The first part of every document ID (``"PJI-Risk technical file"`` -> ``PJI``)."""
    if configured:
        return configured.strip().upper()
    words = [w for w in re.split(r"[^0-9A-Za-z]+", _SUFFIX.sub("", project)) if w]
    capitals = [w for w in words if w.isupper() and len(w) > 1]
    return "-".join(capitals) if capitals else (words[0].upper() if words else "DOC")


def document_id(prefix: str, docname: str) -> str:
    """``PJI`` and ``docs/srs`` -> ``PJI-DOCS-SRS``."""
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", docname) if p]
    return "-".join([prefix, *(p.upper() for p in parts)])


def build_date(root: Path) -> str:
    """``SOURCE_DATE_EPOCH``, else the commit's date, else today: ``YYYY-MM-DD`` in UTC."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), datetime.UTC).date().isoformat()
    try:
        done = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=root, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        done = None
    if done is not None and done.returncode == 0 and done.stdout.strip().isdigit():
        return datetime.datetime.fromtimestamp(int(done.stdout.strip()), datetime.UTC).date().isoformat()
    return datetime.datetime.now(datetime.UTC).date().isoformat()


@dataclass(frozen=True)
class Provenance:
    """What every control block of one build shows alike."""

    software_version: str
    commit: str
    date: str

    @property
    def stamp(self) -> tuple[str, str, str]:
        return (self.software_version, self.commit, self.date)


def build_provenance(app: Sphinx) -> Provenance:
    """Computed once per build (git is asked once, not once per page)."""
    found: Provenance | None = getattr(app, "_techfile_provenance", None)
    if found is None:
        project = build_state(app).project
        root = project.root if project is not None else Path(app.confdir)
        found = Provenance(provenance.software_version(root), provenance.commit(root), build_date(root))
        app._techfile_provenance = found  # type: ignore[attr-defined]
    return found


def controlled(app: Sphinx, docname: str) -> bool:
    """Whether a document lies under one of the project's source folders."""
    project = build_state(app).project
    if project is None:
        return False
    try:
        path = Path(app.env.doc2path(docname)).resolve()
    except Exception:  # a document Sphinx cannot place (none of ours)
        return False
    for source in project.sources:
        folder = (project.root / source).resolve()
        if path.is_relative_to(folder):
            return True
    return False


# ------------------------------------------------------------------ handlers


def insert_placeholder(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``: a placeholder right after the document's title."""
    docname = app.env.docname
    if not controlled(app, docname):
        return
    placeholder = techfile_control(docname=docname)
    section = next((child for child in doctree.children if isinstance(child, nodes.section)), None)
    if section is None:
        doctree.insert(0, placeholder)
        return
    index = next((i + 1 for i, child in enumerate(section.children) if isinstance(child, nodes.title)), 0)
    section.insert(index, placeholder)


def fill_control(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: the control blocks (and the root's banner); tables wrapped for scrolling."""
    for placeholder in list(doctree.findall(techfile_control)):
        placeholder.replace_self(_control(app, docname, placeholder["docname"]))
    if app.builder.format == "html":
        wrap_tables(doctree)


def wrap_tables(doctree: nodes.document) -> None:
    """Every table without a scroll container of its own gets one.

    Not sphinx-needs' need layouts (``table.need``): one column, whose long
    words the stylesheet breaks instead.
    """
    for table in list(doctree.findall(nodes.table)):
        parent = table.parent
        if "need" in table["classes"]:
            continue
        if isinstance(parent, nodes.container) and SCROLLING & set(parent["classes"]):
            continue
        wrapper = nodes.container(classes=["table-wrapper", "techfile-scroll"])
        parent.replace(table, wrapper)
        wrapper += table


def outdated(app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]) -> list[str]:
    """``env-get-outdated``: every document when the provenance changed (the root's banner is
    written again when its counts change: :mod:`~techfile.sphinxext.freshness`)."""
    stamp = build_provenance(app).stamp
    previous = getattr(env, "techfile_control_stamp", None)
    env.techfile_control_stamp = stamp  # type: ignore[attr-defined]
    if previous is not None and previous != stamp:
        return sorted(doc for doc in env.found_docs if doc not in removed)
    return []


# ------------------------------------------------------------------ the nodes


def _control(app: Sphinx, fromdoc: str, docname: str) -> list[nodes.Node]:
    state = evaluated(app)
    facts = build_provenance(app)
    title = app.env.titles.get(docname)
    prefix = document_prefix(app.config.project, app.config.techfile_document_prefix)
    if state is None:
        release: list[nodes.Node] = [nodes.Text("not evaluated (see the errors of the build)")]
    elif state.release is None:
        release = [nodes.Text("none")]
    else:
        version = state.evaluation.release_version
        release = [_need_link(app, fromdoc, state.release.id), nodes.Text(f" (version {version})" if version else "")]
    rows: list[tuple[str, list[nodes.Node]]] = [
        ("Document", [nodes.Text(title.astext() if title is not None else docname)]),
        ("Document ID", [nodes.literal(text=document_id(prefix, docname))]),
        ("Release under evaluation", release),
        ("Software version", [nodes.literal(text=facts.software_version)]),
        ("Commit", [nodes.literal(text=facts.commit)]),
        ("Build date", [nodes.Text(facts.date)]),
    ]
    fields = nodes.field_list(classes=["techfile-control-fields"])
    for name, value in rows:
        body = nodes.paragraph()
        body.extend(value)
        fields += nodes.field("", nodes.field_name(text=name), nodes.field_body("", body))
    block = nodes.container(classes=[CONTROL_CLASS])
    block += fields
    out: list[nodes.Node] = [block]
    if docname == root_doc(app):
        out.append(_status(app, fromdoc))
    return out


def _status(app: Sphinx, fromdoc: str) -> nodes.Node:
    from techfile.checks.report import summary

    state = evaluated(app)
    banner = nodes.container(classes=[STATUS_CLASS])
    if state is None:
        banner["classes"].append("techfile-status-open")
        banner += nodes.paragraph(text="Status of this build: the traceability rules were not evaluated; see the errors of the build.")
        return banner
    counts = summary(state.evaluation)
    banner["classes"].append("techfile-status-open" if counts["open"] else "techfile-status-closed")
    para = nodes.paragraph()
    para += nodes.strong(text="Status of this build: ")
    para += nodes.Text(f"{counts['needs']} needs checked against {counts['rules']} rules; ")
    para += nodes.strong(text=f"{counts['open']} open gap(s)")
    para += nodes.Text(f" ({counts['errors']} error, {counts['warnings']} warning), {counts['accepted']} accepted gap(s). ")
    target = gaps_docname(app)
    if target is not None:
        label = nodes.inline(text=app.env.titles[target].astext() if target in app.env.titles else target)
        para += nodes.Text("Every gap is listed in ")
        para += _doc_link(app, fromdoc, target, label)
        para += nodes.Text(".")
    banner += para
    return banner


def gaps_docname(app: Sphinx) -> str | None:
    """The document listing the gaps: the one holding ``{techfile-gaps}``, else the rule catalogue."""
    from techfile.sphinxext.configure import catalogue_docname

    env = app.env
    for docname in sorted(EnvData(env).view_docs):
        if docname not in env.all_docs:
            continue
        try:
            doctree = env.get_doctree(docname)
        except (OSError, EOFError):
            continue
        if any(node["kind"] == "gaps" for node in doctree.findall(techfile_view)):
            return docname
    project = build_state(app).project
    catalogue = catalogue_docname(app, project) if project is not None else None
    return catalogue if catalogue in env.all_docs else None


def _doc_link(app: Sphinx, fromdoc: str, target: str, label: nodes.Node, anchor: str = "") -> nodes.Node:
    """A link to a document (and anchor), or the label alone where the builder cannot address it (NoUri)."""
    try:
        uri = app.builder.get_relative_uri(fromdoc, target)
    except NoUri:
        return label
    page = uri.split("#", 1)[0] if anchor else uri
    reference = nodes.reference("", "", internal=True, refuri=f"{page}#{anchor}" if anchor else uri)
    reference += label
    return reference


def _need_link(app: Sphinx, fromdoc: str, need_id: str) -> nodes.Node:
    from sphinx_needs.api import get_needs_view

    label = nodes.literal(text=need_id)
    item = get_needs_view(app).get(need_id)
    if item is None or item["is_external"] or not item["docname"]:
        return label
    return _doc_link(app, fromdoc, item["docname"], label, need_id)


def setup(app: Sphinx) -> None:
    """Connect this module's handlers (called from the extension's setup)."""
    app.add_config_value("techfile_document_prefix", None, "env", types=(str, type(None)))
    app.add_node(techfile_control)
    app.connect("doctree-read", insert_placeholder)
    app.connect("env-get-outdated", outdated)
    # after the views are filled in (fill_views, priority 500) and sphinx-needs' tables are made
    app.connect("doctree-resolved", fill_control, priority=900)

