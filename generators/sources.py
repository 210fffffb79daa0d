"""Build a :class:`~techfile.corpus.Corpus` from a project's sources without
Sphinx: the MyST files under the configured source folders and the needs.json
files their ``needimport`` directives name, resolved as sphinx-needs resolves
them (``/path`` from the project root, ``path`` from the document's folder).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import ub_needs_exchange

from techfile.corpus import Corpus, Need, normalise_links
from techfile.errors import TechfileError
from techfile.mystscan import Directive, scan
from techfile.needmodel import NeedModel
from techfile.project import Project

# Options every need directive takes besides the model's fields and links.
CORE_OPTIONS = frozenset(
    {
        "id", "status", "tags", "collapse", "hide", "style", "layout", "template",
        "pre_template", "post_template", "delete", "jinja_content", "constraints",
    }
)
NEEDIMPORT = "needimport"
_SUPPORTED_IMPORT_OPTIONS = frozenset({"version", "hide", "collapse", "tags", "style", "layout", "id_prefix"})


def markdown_files(project: Project) -> list[Path]:
    files: list[Path] = []
    for source in project.sources:
        files.extend(sorted((project.root / source).rglob("*.md")))
    return files


def _need_from_options(model: NeedModel, corpus: Corpus, directive: Directive, path: str) -> Need | None:
    need_type = model.types[directive.name]
    options = directive.options
    if options.get("delete", "").lower() in {"true", "yes", "1"}:
        return None
    fields: dict[str, str] = {}
    links: dict[str, tuple[str, ...]] = {}
    need_id = options.get("id", "")
    need = Need(need_id, need_type.directive, directive.argument, path, directive.line, fields, links)
    for name, value in options.items():
        if name in CORE_OPTIONS:
            if name == "status" and value:
                fields["status"] = value
            continue
        if name in need_type.fields:
            if value:
                fields[name] = value
        elif name in need_type.links:
            targets = normalise_links(value.split(","))
            if targets:
                links[name] = targets
        else:
            corpus.undeclared.append((need, name))
    if "\n".join(directive.content).strip():
        fields["content"] = "\n".join(directive.content).strip()
    return need


def need_from_record(model: NeedModel, record: dict[str, Any], path: str, line: int) -> Need | None:
    """A need from a needs.json record (generated evidence or an exchange file)."""
    need_type = model.types.get(str(record.get("type", "")))
    if need_type is None:
        return None
    fields = {
        name: str(record[name])
        for name in need_type.fields
        if record.get(name) not in (None, "", [])
    }
    if record.get("status"):
        fields["status"] = str(record["status"])
    if record.get("content"):
        fields["content"] = str(record["content"])
    links = {}
    for name in need_type.links:
        value = record.get(name) or []
        targets = normalise_links(value.split(",") if isinstance(value, str) else value)
        if targets:
            links[name] = targets
    source_file = fields.get("source_file")
    source_line = fields.get("source_line")
    return Need(
        str(record["id"]),
        need_type.directive,
        str(record.get("title", "")),
        source_file or path,
        int(source_line) if source_file and source_line and source_line.isdigit() else line,
        fields,
        links,
    )


def _import(project: Project, model: NeedModel, corpus: Corpus, directive: Directive, doc: Path) -> None:
    unsupported = set(directive.options) - _SUPPORTED_IMPORT_OPTIONS
    where = project.relative(doc)
    if unsupported:
        raise TechfileError(
            f"needimport option(s) {sorted(unsupported)} are not supported by techfile check",
            path=where,
            line=directive.line,
            fix="import the whole file, or filter when generating it",
        )
    argument = directive.argument.strip()
    target = project.root / argument.lstrip("/") if argument.startswith("/") else doc.parent / argument
    try:
        version = ub_needs_exchange.load(target).select_version(directive.options.get("version"))
    except ub_needs_exchange.ExchangeError as exc:
        raise TechfileError(f"needimport {argument}: {exc.message}", path=where, line=directive.line) from None
    prefix = directive.options.get("id_prefix", "")
    for record in version.records():
        fields = dict(record.fields)
        if prefix:
            fields["id"] = prefix + fields["id"]
        need = need_from_record(model, fields, where, directive.line)
        if need is not None:
            corpus.add(need)


def read_corpus(project: Project, model: NeedModel, files: Iterable[Path] | None = None, *, imports: bool = True) -> Corpus:
    """All needs of the project, as ``techfile check`` sees them (``imports=False``: the authored ones only)."""
    corpus = Corpus(model)
    names = model.directives | {NEEDIMPORT}
    for doc in files if files is not None else markdown_files(project):
        try:
            text = doc.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TechfileError(f"cannot read: {exc}", path=project.relative(doc)) from None
        where = project.relative(doc)
        for directive in scan(text, Path(where), names):
            if directive.name == NEEDIMPORT:
                if imports:
                    _import(project, model, corpus, directive, doc)
                continue
            need = _need_from_options(model, corpus, directive, where)
            if need is None:
                continue
            if need.id:
                corpus.add(need)
            else:
                corpus.unidentified.append((where, directive.line, directive.name))
    return corpus
