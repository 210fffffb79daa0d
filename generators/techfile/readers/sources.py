"""Build a :class:`~techfile.corpus.Corpus` from a project's sources without
Sphinx: the MyST (``.md``) and reStructuredText (``.rst``) files under the
configured source folders, the needs.json files their ``needimport``
directives name (resolved as sphinx-needs resolves them: ``/path`` from the
project root, ``path`` from the document's folder), and the evidence files
their ``techfile-evidence`` directives import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import ub_needs_exchange

from techfile.corpus import Corpus, EvidenceImport, Need, normalise_links
from techfile.errors import TechfileError
from techfile.model.needmodel import NeedModel
from techfile.project import SOURCE_SUFFIXES, Project
from techfile.readers import myst, rst
from techfile.readers.directive import Directive
from techfile.readers.records import need_from_record

# Options every need directive takes besides the model's fields and links.
CORE_OPTIONS = frozenset(
    {
        "id", "status", "tags", "collapse", "hide", "style", "layout", "template",
        "pre_template", "post_template", "delete", "jinja_content", "constraints",
    }
)
NEEDIMPORT = "needimport"
EVIDENCE = "techfile-evidence"
_SUPPORTED_IMPORT_OPTIONS = frozenset({"version", "hide", "collapse", "tags", "style", "layout", "id_prefix"})
Scanner = Callable[[str, Path, frozenset[str]], list[Directive]]
SCANNERS: dict[str, Scanner] = {".md": myst.scan, ".rst": rst.scan}


def source_files(project: Project) -> list[Path]:
    """Every ``.md`` and ``.rst`` file under the source folders, as the build includes them."""
    files: set[Path] = set()
    for source in project.sources:
        for suffix in SOURCE_SUFFIXES:
            files.update(path for path in (project.root / source).rglob(f"*{suffix}") if not project.excluded(path))
    root_doc = project.root / project.root_doc_path
    if root_doc.is_file():
        files.add(root_doc)
    return sorted(files)


def _need_from_options(model: NeedModel, corpus: Corpus, directive: Directive, path: str) -> Need | None:
    need_type = model.types[directive.name]
    options = directive.options
    # sphinx-needs drops the need for a bare `:delete:` too (a flag), and for any true value
    if "delete" in options and options["delete"].strip().lower() in {"", "true", "yes", "1"}:
        return None
    fields: dict[str, str] = {}
    links: dict[str, tuple[str, ...]] = {}
    need = Need(options.get("id", ""), need_type.directive, directive.argument, path, directive.line, fields, links)
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
    content = "\n".join(directive.content).strip()
    if content:
        fields["content"] = content
    return need


def _import_file(project: Project, model: NeedModel, corpus: Corpus, target: Path, where: str, line: int, options: dict[str, str]) -> None:
    try:
        version = ub_needs_exchange.load(target).select_version(options.get("version"))
    except ub_needs_exchange.ExchangeError as exc:
        raise TechfileError(f"needimport {project.relative(target)}: {exc.message}", path=where, line=line) from None
    prefix = options.get("id_prefix", "")
    for record in version.records():
        fields = dict(record.fields)
        if prefix:
            fields["id"] = prefix + fields["id"]
        need = need_from_record(model, fields, where, line)
        if need is not None:
            corpus.add(need)


def _needimport(project: Project, model: NeedModel, corpus: Corpus, directive: Directive, doc: Path) -> None:
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
    _import_file(project, model, corpus, target, where, directive.line, directive.options)


def evidence_files(project: Project) -> list[str]:
    """Every evidence file the project's generators write, relative to the root, in kind order."""
    from techfile.evidence.registry import kinds

    return list(dict.fromkeys(output for kind in kinds().values() for output in kind.outputs(project)))


def _evidence(project: Project, model: NeedModel, corpus: Corpus, directive: Directive, doc: Path) -> None:
    where = project.relative(doc)
    for file in evidence_files(project):
        target = project.absolute(file)
        found = target.is_file()
        corpus.evidence.append(EvidenceImport(where, directive.line, project.relative(target), found))
        if found:
            _import_file(project, model, corpus, target, where, directive.line, {})


def read_corpus(project: Project, model: NeedModel, files: Iterable[Path] | None = None, *, imports: bool = True) -> Corpus:
    """All needs of the project, as ``techfile check`` sees them (``imports=False``: the authored ones only)."""
    corpus = Corpus(model)
    names = model.directives | {NEEDIMPORT, EVIDENCE}
    for doc in files if files is not None else source_files(project):
        where = project.relative(doc)
        scanner = SCANNERS.get(doc.suffix)
        if scanner is None:
            raise TechfileError(f"techfile check reads {', '.join(SCANNERS)} sources, not {doc.suffix}", path=where)
        try:
            text = doc.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise TechfileError(f"cannot read: {exc}", path=where) from None
        for directive in scanner(text, Path(where), names):
            if directive.name in (NEEDIMPORT, EVIDENCE):
                if imports:
                    (_needimport if directive.name == NEEDIMPORT else _evidence)(project, model, corpus, directive, doc)
                continue
            need = _need_from_options(model, corpus, directive, where)
            if need is None:
                continue
            if need.id:
                corpus.add(need)
            else:
                corpus.unidentified.append((where, directive.line, directive.name))
    return corpus
