"""Build a :class:`~techfile.corpus.Corpus` from sphinx-needs' resolved needs,
the Sphinx build's side of ``techfile check``'s MyST reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx_needs.api import get_needs_view

from techfile.corpus import Corpus, Need, normalise_links
from techfile.needmodel import NeedModel


def _text(value: Any) -> str | None:
    if value is None or value == "" or value == []:
        return None
    return str(value)


def need_path(app: Sphinx, docname: str | None) -> str:
    if not docname:
        return "(unknown)"
    path = Path(app.env.doc2path(docname))
    try:
        return path.relative_to(Path(app.confdir)).as_posix()
    except ValueError:
        return path.as_posix()


def corpus_from_sphinx(app: Sphinx, model: NeedModel) -> Corpus:
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
        source_file, source_line = fields.get("source_file"), fields.get("source_line")
        if source_file and source_line and source_line.isdigit():
            path, line = source_file, int(source_line)
        else:
            path, line = need_path(app, item.get("docname")), int(item.get("lineno") or 1)
        corpus.add(Need(item["id"], need_type.directive, item.get("title") or "", path, line, fields, links))
    return corpus
