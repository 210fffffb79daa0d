"""Which pages a build writes again: those whose computed parts changed.

A page shows what its source says, and what the build computes: techfile's
views, the verdict lines under its need cards, its control block, and
sphinx-needs' own computed parts (need cards with their incoming links,
``{need}`` references with the target's title, needtables, needflows,
needpies). Plain Sphinx writes a page again only when its source changed,
so after a need's title changes a needtable elsewhere still shows the old
one (sphinx-needs issues #353, #354).

techfile reads again only the sources that changed (Sphinx's own rule) and,
once the needs are read and the rules evaluated (``env-updated``), gives
every page a **signature**: a digest of what its computed parts show in
this build, from the same blocks the views render. A page whose signature
differs from the one recorded when it was last written is written again;
any other page is left as it is. Pages showing any need (sphinx-needs'
filter directives) take the digest of every need. The signatures are kept
next to the output (``.techfile-pages.json``, written once the build has
written its pages), so each builder and output folder judges its own pages
and a build that fails writes nothing stale into the record.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

from techfile.corpus import Need
from techfile.sphinxext.state import EnvData, build_state

if TYPE_CHECKING:
    from techfile.sphinxext.state import Evaluated

SIGNATURES_FILE = ".techfile-pages.json"
_DEBUG = os.environ.get("TECHFILE_DEBUG_SIGNATURES")
"""A file each part of each page's signature is appended to, to find out why a page is written again."""
_VERSION = 1
"""Changes when what a signature covers changes: every page is then written again."""


def note_needs_parts(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``: the needs the page's ``{need}`` references name, and whether it has sphinx-needs' computed directives."""
    data = EnvData(app.env)
    docname = app.env.docname
    refs: set[str] = set()
    computed = False
    for node in doctree.findall(nodes.Element):
        kind = type(node)
        if not kind.__module__.startswith("sphinx_needs."):
            continue
        if kind.__name__ == "NeedRef":
            refs.add(str(node.get("reftarget", "")).split(".")[0])
        elif kind.__name__ not in ("Need", "NeedPart"):
            computed = True  # needtable, needlist, needflow, needpie, needbar, needextract, need_incoming, ...
    if refs:
        data.need_refs[docname] = refs
    if computed:
        data.filter_docs.add(docname)


def _digest(value: Any) -> str:
    return hashlib.sha256(repr(value).encode("utf-8")).hexdigest()[:20]


def view_blocks(app: Sphinx, state: Evaluated, docname: str, index: int, kind: str, options: dict[str, str]) -> Any:
    """The blocks of a page's view, computed once a build."""
    from techfile.sphinxext.views import VIEWS

    cache = build_state(app).views
    key = (docname, index)
    if key not in cache:
        cache[key] = VIEWS[kind].build(state, options)
    return cache[key]


def card_blocks(app: Sphinx, state: Evaluated, need_id: str) -> Any:
    from techfile.sphinxext.views.cards import card_summary

    cache = build_state(app).cards
    if need_id not in cache:
        cache[need_id] = card_summary(state, need_id)
    return cache[need_id]


def _referenced(value: Any, found: set[str]) -> set[str]:
    """The IDs of every need a view's blocks link to: the renderer shows their titles, which the blocks do not hold."""
    from techfile.sphinxext.views.data import NeedRef

    if isinstance(value, NeedRef):
        found.add(value.need_id)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _referenced(item, found)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            _referenced(getattr(value, item.name), found)
    return found


def _docname(env: BuildEnvironment, project_root: Path, need: Need) -> str | None:
    """The page a need is shown on: the document that includes or imports it, else its own file's."""
    where = need.origin[0] if need.origin else need.path
    return env.path2doc(str(project_root / where))


def _approvals(state: Evaluated) -> dict[str, Any]:
    """Document -> its approvals as its signature block shows them: each approval and whether it is current."""
    from techfile import approvals as records
    from techfile.errors import TechfileError

    grouped = records.by_document(records.approvals(state.corpus))
    if not grouped:
        return {}
    documents = records.controlled_documents(state.project)
    out: dict[str, Any] = {}
    for docname, signed in grouped.items():
        try:
            digest: str | None = records.document_content(state.project, docname, documents).sha256
        except TechfileError:
            digest = None
        out[docname] = [(a.id, sorted(a.need.fields.items()), sorted(a.need.links.items()), a.content_sha256 == digest) for a in signed]
    return out


def signatures(app: Sphinx, env: BuildEnvironment, state: Evaluated) -> dict[str, str]:
    """Document -> the digest of what its computed parts show in this build.

    ``state`` is the evaluation of the needs as techfile check reads them:
    sphinx-needs resolves its own only in the write phase, after the
    environment is saved, and must not be made to earlier (it resolves in
    place). The build warns where the two readings differ (techfile.parity).
    """
    from techfile.sphinxext.views import VIEWS
    from techfile.sphinxext.views.cards import card_summary

    corpus = state.corpus
    data = EnvData(env)
    backlinks: dict[str, list[tuple[str, str]]] = {}
    for need in corpus:
        for link, targets in need.links.items():
            for target in targets:
                backlinks.setdefault(target, []).append((link, need.id))
    shown: dict[str, str] = {}
    by_doc: dict[str, list[str]] = {}
    root = state.project.root
    for need in corpus:
        docname = _docname(env, root, need)
        if docname is not None:
            by_doc.setdefault(docname, []).append(need.id)
        linked = sorted({(t, corpus.needs[t].title if t in corpus.needs else None) for targets in need.links.values() for t in targets})
        shown[need.id] = _digest((need.id, need.type, need.title, sorted(need.fields.items()), sorted(need.links.items()), sorted(backlinks.get(need.id, [])), linked, docname, card_summary(state, need.id)))
    every = _digest(sorted(shown.items()))
    signed = _approvals(state)
    placed = {need_id: docname for docname, ids in by_doc.items() for need_id in ids}
    control = (state.release.id if state.release else None, state.evaluation.release_version)
    out: dict[str, str] = {}
    for docname in sorted(env.found_docs):
        parts: list[Any] = [_VERSION, control]
        for kind, options in data.view_specs.get(docname, []):
            blocks = VIEWS[kind].build(state, dict(options))
            titles = sorted((need_id, corpus.needs[need_id].title if need_id in corpus.needs else None, placed.get(need_id)) for need_id in _referenced(blocks, set()))
            parts.append((kind, options, blocks, titles))
        parts.extend(shown[need_id] for need_id in sorted(by_doc.get(docname, [])))
        parts.extend((ref, shown.get(ref)) for ref in sorted(data.need_refs.get(docname, ())))
        if docname in data.filter_docs:
            parts.append(every)
        parts.append(signed.get(docname))
        out[docname] = _digest(parts)
        if _DEBUG:
            with open(_DEBUG, "a", encoding="utf-8") as dump:
                dump.write(f"{docname}\t{[_digest(part) for part in parts]}\n")
    return out


def _recorded(app: Sphinx) -> dict[str, str]:
    path = Path(app.outdir) / SIGNATURES_FILE
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) and all(isinstance(v, str) for v in found.values()) else {}


def pages_to_write(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """``env-updated``: the pages whose computed parts changed since they were written."""
    from techfile.checks.run import check_corpus
    from techfile.errors import TechfileError
    from techfile.sphinxext.preview import draft_page
    from techfile.sphinxext.state import Evaluated

    state = build_state(app)
    state.signatures = None
    if draft_page(app):
        return []  # a draft writes its one page, and records nothing
    if state.project is None or state.declarations is None or state.reader is None or state.reader.problems:
        return sorted(EnvData(env).view_docs & env.found_docs)  # nothing to judge by: every page with a view
    try:
        evaluation = check_corpus(state.project, state.declarations, state.reader)
    except TechfileError:
        return sorted(EnvData(env).view_docs & env.found_docs)  # the build reports it when it evaluates
    found = Evaluated(state.project, state.declarations, state.reader, evaluation)
    current = signatures(app, env, found)
    # the root document's banner counts the gaps
    root = app.config.root_doc
    if root in current:
        from techfile.checks.report import summary

        current[root] = _digest((current[root], sorted(summary(evaluation).items())))
    current["@needs"] = _digest(sorted((need.id, need.type, need.title, sorted(need.fields.items()), sorted(need.links.items()), need.path, need.line) for need in found.corpus))
    state.signatures = current
    recorded = _recorded(app)
    state.recorded = recorded
    return [docname for docname, signature in current.items() if not docname.startswith("@") and recorded.get(docname) != signature]


def unchanged(app: Sphinx, name: str, *inputs: Any) -> bool:
    """Whether an output other than a page (``name``: the workbook) would be written as it was last time.

    Its signature is every page's and ``inputs``; recorded with the pages'."""
    state = build_state(app)
    if state.signatures is None:
        return False
    key = f"@{name}"
    signature = _digest((sorted((k, v) for k, v in state.signatures.items() if not k.startswith("@")), inputs))
    state.signatures[key] = signature
    return state.recorded.get(key) == signature


def skip_unchanged_needs_json(app: Sphinx, builder: object = None) -> None:
    """``write-started`` (the environment is saved by now): sphinx-needs writes ``needs.json`` again
    only when a need changed and the file is there (writing it is a third of a no-op build at 5,000 needs)."""
    state = build_state(app)
    if not getattr(app.config, "needs_build_json", False) or state.signatures is None:
        return
    unchanged = state.recorded.get("@needs") == state.signatures.get("@needs")
    if unchanged and (Path(app.outdir) / "needs.json").is_file():
        app.config.needs_build_json = False
        app.__dict__["_techfile_needs_json_skipped"] = True


def restore_needs_json(app: Sphinx, exception: Exception | None) -> None:
    if app.__dict__.pop("_techfile_needs_json_skipped", False):
        app.config.needs_build_json = True


def record(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: the signatures of the pages written, for the next build."""
    state = build_state(app)
    if exception is not None or state.signatures is None or not Path(app.outdir).is_dir():
        return
    text = json.dumps(state.signatures, indent=0, sort_keys=True)
    (Path(app.outdir) / SIGNATURES_FILE).write_text(text + "\n", encoding="utf-8")


def setup(app: Sphinx) -> None:
    app.connect("doctree-read", note_needs_parts)
    # after sphinx-needs' own handlers: the needs are all read
    app.connect("env-updated", pages_to_write, priority=900)
    app.connect("write-started", skip_unchanged_needs_json)
    app.connect("build-finished", record, priority=900)  # after the workbook has noted its signature
    app.connect("build-finished", restore_needs_json, priority=950)
