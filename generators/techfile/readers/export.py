"""What ``techfile check`` reads, written as sphinx-needs' ``needs.json``.

The same needs, types, fields, links, back links, document and line that
``sphinx-build -b needs`` records, in its format (``versions[""].needs``),
without running Sphinx. The keys are the ones that describe a need as
written: id, type, title, docname, lineno, status, content, the need
model's fields and links, and each link type's ``_back`` list. Keys that
only the build computes (sections, layout, constraint results, ...) are
not written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from techfile import __version__
from techfile.corpus import Corpus, Need
from techfile.project import Project
from techfile.readers.sources import docname


class _Docnames:
    """Document names by path, each computed once (it resolves paths on disk)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.known: dict[str, str] = {}

    def of(self, need: Need) -> tuple[str, int]:
        path, line = need.origin or (need.path, need.line)
        if path not in self.known:
            self.known[path] = docname(self.project, self.project.root / path)
        return self.known[path], line


def record(project: Project, corpus: Corpus, need: Need, docnames: _Docnames | None = None) -> dict[str, Any]:
    declared = corpus.model.types[need.type]
    doc, line = (docnames or _Docnames(project)).of(need)
    out: dict[str, Any] = {"id": need.id, "type": need.type, "title": need.title, "docname": doc, "lineno": line}
    out["status"] = need.fields.get("status")
    out["content"] = need.fields.get("content", "")
    for name in declared.fields:
        out[name] = need.fields.get(name)
    for link in corpus.model.links:
        if link in declared.links:
            out[link] = list(need.links.get(link, ()))
        out[f"{link}_back"] = sorted(other.id for other in corpus.linking(need, link))
    return out


def needs_json(project: Project, corpus: Corpus) -> dict[str, Any]:
    docnames = _Docnames(project)
    needs = {need.id: record(project, corpus, need, docnames) for need in sorted(corpus, key=lambda n: n.id)}
    return {
        "created": "",
        "creator": {"name": "techfile needs", "program": "techfile", "version": __version__},
        "current_version": "",
        "project": project.root.name,
        "versions": {"": {"created": "", "needs": needs, "needs_amount": len(needs)}},
    }


def write(project: Project, corpus: Corpus, path: Path) -> None:
    from techfile.fileio import write_atomic

    write_atomic(path, dumps(needs_json(project, corpus)).encode("utf-8"))


def dumps(document: dict[str, Any]) -> str:
    """The document as JSON, keys sorted, byte-identical for identical needs.

    Not indented: the indenting encoder is pure Python and takes most of the
    time at tens of thousands of needs; the compact one is C.
    """
    return json.dumps(document, ensure_ascii=False, sort_keys=True) + "\n"
