"""Build a :class:`~techfile.corpus.Corpus` from sphinx-needs' resolved needs,
the Sphinx build's side of ``techfile check``'s source readers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx_needs.api import get_needs_view

from techfile.corpus import Corpus, EvidenceImport, Need, normalise_links
from techfile.model.needmodel import NeedModel
from techfile.project import Project
from techfile.readers.records import line_number
from techfile.sphinxext.state import EnvData


def _text(value: Any) -> str | None:
    if value is None or value == "" or value == []:
        return None
    return str(value)


def doc_path(app: Sphinx, project: Project, docname: str | None) -> str:
    """A document's file relative to the project root, as findings print it (once per document a build)."""
    if not docname:
        return "(unknown)"
    cache: dict[str, str] = app.__dict__.setdefault("_techfile_doc_paths", {})
    if docname not in cache:
        cache[docname] = project.relative(Path(app.env.doc2path(docname)))
    return cache[docname]


def corpus_from_sphinx(app: Sphinx, project: Project, model: NeedModel) -> Corpus:
    corpus = Corpus(model)
    for item in get_needs_view(app).values():
        need_type = model.types.get(item["type"])
        if need_type is None or item.get("is_external"):
            continue
        fields: dict[str, str] = {}
        for name in need_type.fields:
            value = _text(item.get(name))
            if value is not None:
                fields[name] = value
        for name in ("status", "content"):
            value = _text(item.get(name))
            if value is not None:
                fields[name] = value.strip() if name == "content" else value
        links = {}
        for name in need_type.links:
            targets = normalise_links(item.get(name) or [])
            if targets:
                links[name] = targets
        source_file, source_line = fields.get("source_file"), line_number(fields.get("source_line"))
        if source_file and source_line is not None:
            path, line = source_file, source_line
        else:
            path, line = doc_path(app, project, item.get("docname")), int(item.get("lineno") or 1)
        corpus.add(Need(item["id"], need_type.directive, item.get("title") or "", path, line, fields, links))
    for docname, places in sorted(EnvData(app.env).evidence.items()):
        for place in places:
            corpus.evidence.append(EvidenceImport(doc_path(app, project, docname), place.lineno, place.file, place.found))
    return corpus
