"""Build a :class:`~techfile.corpus.Corpus` from a project's sources without
Sphinx, reading what the Sphinx build reads:

* the MyST (``.md``) and reStructuredText (``.rst``) files under the
  configured source folders, found as Sphinx finds them (symbolic links
  followed, loops refused, excluded folders pruned) and decoded as it
  decodes them (UTF-8, a BOM dropped);
* the files they ``include`` (parsed as the including markup parses them,
  cycles refused), whose needs are located in the included file;
* the needs.json files their ``needimport`` directives name (``/path`` from
  the Sphinx source folder, ``path`` from the document's folder) and the
  evidence files their ``techfile-evidence`` directives import;
* the ``needextend`` directives, applied as sphinx-needs applies them.

Whatever it cannot read as the build reads it is a problem with a location
(:attr:`Corpus.problems`), never a silent difference.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import ub_needs_exchange

from techfile.corpus import Corpus, EvidenceImport, Need, normalise_links
from techfile.errors import TechfileError
from techfile.model.needmodel import NeedModel
from techfile.model.sphinx_config import AutoIds
from techfile.project import SOURCE_SUFFIXES, Project
from techfile.readers import discover, extend, myst, rst
from techfile.readers.directive import Directive
from techfile.readers.records import RecordFile, need_from_record

# Options every need directive takes besides the model's fields and links.
CORE_OPTIONS = frozenset(
    {
        "id", "status", "tags", "collapse", "hide", "style", "layout", "template",
        "pre_template", "post_template", "delete", "jinja_content", "constraints",
    }
)
NEEDIMPORT = "needimport"
EVIDENCE = "techfile-evidence"
INCLUDE = "include"
NEEDEXTEND = "needextend"
LIST2NEED = "list2need"
_SUPPORTED_IMPORT_OPTIONS = frozenset({"version", "hide", "collapse", "tags", "style", "layout", "id_prefix"})
_INCLUDE_LITERAL = frozenset({"literal", "code"})
_INCLUDE_UNREAD = frozenset({"start-line", "end-line", "start-after", "end-before"})
Scanner = Callable[[str, Path, frozenset[str]], list[Directive]]
SCANNERS: dict[str, Scanner] = {"myst": myst.scan, "rst": rst.scan}
PARSER_OF_SUFFIX = {".md": "myst", ".rst": "rst"}


def sphinx_srcdir(project: Project) -> Path:
    """The Sphinx source folder: the nearest folder holding conf.py at or above the root document."""
    root_doc = (project.root / project.root_doc).parent
    for folder in (root_doc, *root_doc.parents):
        if (folder / "conf.py").is_file():
            return folder
        if folder == project.root:
            break
    return project.root


def docname(project: Project, path: Path) -> str:
    """A document's name as Sphinx names it: relative to the source folder, without suffix."""
    try:
        relative = path.resolve().relative_to(sphinx_srcdir(project).resolve())
    except ValueError:
        relative = Path(project.relative(path))
    return relative.with_suffix("").as_posix()


def discover_sources(project: Project) -> discover.Discovery:
    """The source files of the project (and what the build must not walk), as Sphinx finds them."""
    found = discover.Discovery()
    for source in project.sources:
        # a link is shown where it is, not where it points
        part = discover.walk(project.root / source, SOURCE_SUFFIXES, project.excluded, lambda path: Path(os.path.relpath(path, project.root)).as_posix())
        found.files += part.files
        found.problems += part.problems
        found.refused += part.refused
    root_doc = project.root / project.root_doc_path
    if root_doc.is_file() and root_doc not in found.files:
        found.files.append(root_doc)
    found.files = sorted(dict.fromkeys(found.files))
    return found


def source_files(project: Project) -> list[Path]:
    """Every ``.md`` and ``.rst`` file under the source folders, as the build includes them."""
    return discover_sources(project).files


def _need_from_options(model: NeedModel, corpus: Corpus, directive: Directive, path: str, via: str | None) -> Need | None:
    """The need a directive writes; ``via`` is the document including the file, if any."""
    need_type = model.types[directive.name]
    options = directive.options
    # sphinx-needs drops the need for a bare `:delete:` too (a flag), and for any true value
    if "delete" in options and options["delete"].strip().lower() in {"", "true", "yes", "1"}:
        return None
    fields: dict[str, str] = {}
    links: dict[str, tuple[str, ...]] = {}
    need = Need(options.get("id", ""), need_type.directive, directive.argument, path, directive.line, fields, links, (via, directive.line) if via else None)
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


def evidence_files(project: Project) -> list[str]:
    """Every evidence file the project's generators write, relative to the root, in kind order."""
    from techfile.evidence.registry import kinds

    return list(dict.fromkeys(output for kind in kinds().values() for output in kind.outputs(project)))


@dataclass
class _Reader:
    """One pass over the sources: the corpus, the extends, the files being included."""

    project: Project
    model: NeedModel
    imports: bool
    corpus: Corpus
    names: frozenset[str]
    auto_ids: AutoIds | None = None
    """How sphinx-needs derives the ID of a need written without one (None: it requires IDs)."""
    extends: list[extend.Extend] = field(default_factory=list)
    skip: frozenset[str] = frozenset()
    """Evidence files (relative to the root) not imported: a generator's own outputs, which it rewrites."""

    def document(self, doc: Path) -> None:
        parser = PARSER_OF_SUFFIX.get(doc.suffix)
        shown = self.project.relative(doc)
        if parser is None:
            raise TechfileError(
                f"techfile check reads {', '.join(PARSER_OF_SUFFIX)} sources, not {doc.suffix}",
                path=shown,
                line=1,
                fix="rename it to .md or .rst, or exclude it in [tool.techfile] exclude",
            )
        self.text(doc, parser, doc_name=docname(self.project, doc), stack=(doc.resolve(),), via=None)

    def text(self, path: Path, parser: str, *, doc_name: str, stack: tuple[Path, ...], via: str | None) -> None:
        """Read one file of the document ``doc_name``; ``stack`` is the chain of files including it, the document first."""
        shown = self.project.relative(path)
        text = discover.read(path, shown)
        for directive in SCANNERS[parser](text, Path(shown), self.names):
            written_in = directive.parser or parser
            if directive.name == INCLUDE:
                self.include(directive, path, written_in, doc_name=doc_name, stack=stack, via=via or self.project.relative(stack[0]))
            elif directive.name == NEEDIMPORT:
                if self.imports:
                    self.needimport(directive, path)
            elif directive.name == EVIDENCE:
                if self.imports:
                    self.evidence(directive, path)
            elif directive.name == NEEDEXTEND:
                self.extends.append(extend.parse(directive, doc_name, shown))
            elif directive.name == LIST2NEED:
                raise TechfileError(
                    "list2need is not read by techfile check",
                    path=shown,
                    line=directive.line,
                    fix="write these needs as need directives",
                )
            else:
                need = _need_from_options(self.model, self.corpus, directive, shown, via)
                if need is None:
                    continue
                if not need.id and self.auto_ids is not None:
                    prefix = self.model.types[need.type].prefix
                    need = replace(need, id=self.auto_ids.make(prefix, need.title, "\n".join(directive.content).strip("\n")))
                if need.id:
                    self.corpus.add(need)
                else:
                    self.corpus.unidentified.append((shown, directive.line, directive.name))

    def include(self, directive: Directive, including: Path, parser: str, *, doc_name: str, stack: tuple[Path, ...], via: str) -> None:
        shown = self.project.relative(including)
        if set(directive.options) & _INCLUDE_LITERAL:
            return  # shown as a literal block: no needs
        unread = sorted(set(directive.options) & _INCLUDE_UNREAD)
        if unread:
            raise TechfileError(
                f"include with {', '.join(':' + o + ':' for o in unread)} is not read by techfile check",
                path=shown,
                line=directive.line,
                fix="include the whole file, or move the needs into a file of their own",
            )
        target = self._resolve(directive.argument.strip(), including)
        if not target.is_file():
            raise TechfileError(f"include {directive.argument.strip()}: no such file", path=shown, line=directive.line, fix="give a path relative to this file, or /path from the Sphinx source folder")
        if target.resolve() in stack:
            cycle = " -> ".join(self.project.relative(p) for p in (*stack, target.resolve()))
            raise discover.UnreadableSource(f"include cycle: {cycle}", path=shown, line=directive.line, fix="remove one of the includes")
        wanted = directive.options.get("parser", "").lower()
        included_as = "rst" if "rst" in wanted or "restructuredtext" in wanted else "myst" if "myst" in wanted else parser
        self.text(target, included_as, doc_name=doc_name, stack=(*stack, target.resolve()), via=via)

    def _resolve(self, argument: str, doc: Path) -> Path:
        return sphinx_srcdir(self.project) / argument.lstrip("/") if argument.startswith("/") else doc.parent / argument

    def needimport(self, directive: Directive, doc: Path) -> None:
        where = self.project.relative(doc)
        unsupported = set(directive.options) - _SUPPORTED_IMPORT_OPTIONS
        if unsupported:
            raise TechfileError(
                f"needimport option(s) {sorted(unsupported)} are not supported by techfile check",
                path=where,
                line=directive.line,
                fix="import the whole file, or filter when generating it",
            )
        self.import_file(self._resolve(directive.argument.strip(), doc), where, directive.line, directive.options)

    def evidence(self, directive: Directive, doc: Path) -> None:
        where = self.project.relative(doc)
        for file in evidence_files(self.project):
            target = self.project.absolute(file)
            found = target.is_file()
            self.corpus.evidence.append(EvidenceImport(where, directive.line, self.project.relative(target), found))
            if found:
                self.import_file(target, where, directive.line, {})

    def import_file(self, target: Path, where: str, line: int, options: dict[str, str]) -> None:
        if self.skip and self.project.relative(target) in self.skip:
            return
        try:
            version = ub_needs_exchange.load(target).select_version(options.get("version"))
        except ub_needs_exchange.ExchangeError as exc:
            raise TechfileError(f"needimport {self.project.relative(target)}: {exc.message}", path=where, line=line, fix=getattr(exc, "fix", None) or "regenerate it with its generator") from None
        prefix = options.get("id_prefix", "")
        source = RecordFile(target, self.project.relative(target), prefix)
        for record in version.records():
            fields = dict(record.fields)
            if prefix:
                fields["id"] = prefix + fields["id"]
            need = need_from_record(self.model, fields, where, line, source)
            self.corpus.add(replace(need, origin=(where, line)))


def read_corpus(
    project: Project,
    model: NeedModel,
    files: Iterable[Path] | None = None,
    *,
    imports: bool = True,
    collect: bool = False,
    auto_ids: AutoIds | None = None,
    skip_imports: Iterable[str] = (),
) -> Corpus:
    """All needs of the project, as ``techfile check`` sees them (``imports=False``: the authored ones only;
    ``skip_imports``: evidence files, relative to the root, left out, as a generator reads the project it rewrites one of).

    A source the reader refuses raises its :class:`TechfileError`; with
    ``collect``, every such problem is kept in :attr:`Corpus.problems`
    instead, and the other sources are read.
    """
    corpus = Corpus(model)
    names = model.directives | {NEEDIMPORT, EVIDENCE, INCLUDE, NEEDEXTEND, LIST2NEED}
    reader = _Reader(project, model, imports, corpus, names, auto_ids, skip=frozenset(skip_imports))
    if files is None:
        found = discover_sources(project)
        corpus.problems += found.problems
        files = found.files
    for doc in files:
        try:
            reader.document(doc)
        except discover.UnreadableSource as problem:
            problem.document = doc
            corpus.problems.append(problem)
        except TechfileError as problem:
            corpus.problems.append(problem)
    extend.apply(corpus, reader.extends)
    if corpus.problems and not collect:
        raise corpus.problems[0]
    return corpus
