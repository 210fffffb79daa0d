"""``techfile new TYPE "Title"``: add a need with the next free ID of its
type, in the file where that type lives (or ``--file``), with the fields its
type requires as placeholders a writer then fills in.

Nothing is changed unless every source reads cleanly before, and the new
need reads back at the line it was written to after; the file is written
atomically, its line endings and byte-order mark kept.
"""

from __future__ import annotations

import argparse
import difflib
import re
from collections import Counter
from pathlib import Path
from typing import Any

from techfile.commands import refuse_unreadable
from techfile.corpus import Corpus
from techfile.errors import TechfileError
from techfile.fileio import write_atomic
from techfile.model.needmodel import NeedModel, NeedType
from techfile.project import SOURCE_SUFFIXES, Project, load_project
from techfile.readers.sources import read_corpus

TODO = "TO DO"


def register(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "new",
        help="add a need with the next free ID of its type",
        description="Add a need of TYPE with the next free ID of its type, in the file holding most needs of that type (or --file), "
        "with the fields its type requires as placeholders, and print where it went. Exit status: 0 added, 2 bad input.",
    )
    parser.add_argument("type", help="need type, as the need model names it (swreq) or titles it (Software requirement)")
    parser.add_argument("title", help="the need's title")
    parser.add_argument("--file", help="source file to add it to, relative to the project root")
    parser.add_argument("--id", dest="need_id", help="the ID to give it (default: the next free one of its type)")
    parser.add_argument("--project", type=Path, default=None, help="project directory (default: the nearest with [tool.techfile])")
    parser.set_defaults(handler=run)


def need_type(model: NeedModel, name: str) -> NeedType:
    """The authored type ``name`` (its name, directive or title, any case)."""
    wanted = name.strip().lower()
    for type_name, spec in model.types.items():
        if wanted in (type_name.lower(), spec.directive.lower(), spec.title.lower()):
            if spec.generated:
                raise TechfileError(f"{type_name} needs are generated from evidence, not written", fix="run the evidence command that writes them")
            return spec
    authored = [n for n, spec in model.types.items() if not spec.generated]
    close = difflib.get_close_matches(name, authored, n=1, cutoff=0.5)
    raise TechfileError(
        f"{name!r} is not a need type of the need model",
        fix=(f"did you mean {close[0]!r}? " if close else "") + f"types: {', '.join(authored)}",
    )


def next_id(spec: NeedType, corpus: Corpus, title: str) -> str:
    """One more than the highest number of the type's IDs; a slug of the title where the type's IDs are words."""
    taken = set(corpus.needs) | {need.id for pair in corpus.duplicates for need in pair}
    numbered = re.compile(rf"^{re.escape(spec.prefix)}(\d+)$")
    mine = [need.id for need in corpus.by_type.get(spec.directive, [])]
    numbers = [m for need_id in mine if (m := numbered.match(need_id))]
    if mine and not numbers:
        slug = re.sub(r"[^A-Z0-9]+", "_", title.upper()).strip("_")[:40].rstrip("_") or "NEW"
        candidate, suffix = f"{spec.prefix}{slug}", 2
        while candidate in taken:
            candidate, suffix = f"{spec.prefix}{slug}_{suffix}", suffix + 1
        if spec.id_pattern.fullmatch(candidate):
            return candidate
    width = max((len(m[1]) for m in numbers), default=3)
    number = max((int(m[1]) for m in numbers), default=0) + 1
    while (candidate := f"{spec.prefix}{number:0{width}d}") in taken:
        number += 1
    return candidate


def _home(project: Project, spec: NeedType, corpus: Corpus, given: str | None) -> Path:
    if given:
        path = (project.root / given).resolve()
        if path.suffix not in SOURCE_SUFFIXES or not path.is_file():
            raise TechfileError(f"--file {given}: not an existing .md or .rst file", fix="name a source file of the technical file, relative to the project root")
        if not any(path.is_relative_to((project.root / source).resolve()) for source in project.sources) or project.excluded(path):
            raise TechfileError(f"--file {given}: not under the source folders {', '.join(project.sources)}", fix="name a file the build reads")
        return path
    files = Counter(need.path for need in corpus.by_type.get(spec.directive, []) if Path(need.path).suffix in SOURCE_SUFFIXES)
    if not files:
        raise TechfileError(f"no source file holds a {spec.directive} need yet", fix=f"give the file: techfile new {spec.directive} TITLE --file needs/....md")
    return project.root / files.most_common(1)[0][0]


def _placeholder(model: NeedModel, spec: NeedType, name: str, corpus: Corpus) -> tuple[str, str | None]:
    """The value written for a required field, and the TO DO line it needs in the body.

    A field with allowed values takes the value of the last need of the type
    written (else the first allowed), so the need is valid as written; the body
    says to choose."""
    schema = model.field_schema(spec.directive, name)
    choices = [str(c) for c in schema.get("enum", ())]
    if choices:
        written = sorted(corpus.by_type.get(spec.directive, []), key=lambda need: (need.path, need.line))
        used = [value for need in written if (value := need.fields.get(name)) in choices]
        value = used[-1] if used else choices[0]
        return value, f"{TODO}: {name} is {value} for now; choose among {', '.join(choices)}."
    description = model.fields[name].description if name in model.fields else name
    return f"{TODO}: {description.rstrip('.')}", None


def directive_text(model: NeedModel, spec: NeedType, need_id: str, title: str, rst: bool, corpus: Corpus) -> tuple[str, list[str]]:
    """The need as MyST or reStructuredText, and the fields to fill in."""
    options = [("id", need_id)]
    notes: list[str] = []
    for name in spec.required:
        value, note = _placeholder(model, spec, name, corpus)
        options.append((name, value))
        if note:
            notes.append(note)
    body = [f"{TODO}: what the {spec.title.lower()} says.", *notes]
    if rst:
        lines = [f".. {spec.directive}:: {title}", *(f"   :{k}: {v}" for k, v in options), "", *(f"   {line}" for line in body)]
    else:
        lines = [f"```{{{spec.directive}}} {title}", *(f":{k}: {v}" for k, v in options), "", *body, "```"]
    return "\n".join(lines) + "\n", list(spec.required)


def run(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    from techfile.checks.run import load_declarations

    model = load_declarations(project).model
    title = " ".join(args.title.split())
    if not title:
        raise TechfileError("the title is empty", fix='give the need a title: techfile new swreq "Title"')
    spec = need_type(model, args.type)
    # the authored sources only: generated evidence (which may not exist yet) holds no need of an authored type
    corpus = read_corpus(project, model, imports=False, collect=True)
    refuse_unreadable(corpus)  # a source the reader cannot parse: nothing is changed
    need_id = args.need_id or next_id(spec, corpus, title)
    if not spec.id_pattern.fullmatch(need_id) or not re.fullmatch(model.id_regex, need_id):
        raise TechfileError(f"{need_id!r} does not match the ID pattern of {spec.directive} ({spec.id_pattern.pattern})", fix="give an ID of that pattern, or leave --id out")
    if need_id in corpus.needs:
        raise TechfileError(f"{need_id} is already used at {corpus.needs[need_id].location}", fix="leave --id out for the next free ID")
    path = _home(project, spec, corpus, args.file)
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw[3:].decode("utf-8") if bom else raw.decode("utf-8")
    newline = "\r\n" if "\r\n" in text else "\n"
    block, fields = directive_text(model, spec, need_id, title, path.suffix == ".rst", corpus)
    body = text.replace("\r\n", "\n")
    prefix = body if body.endswith("\n") or not body else body + "\n"
    prefix += "\n" if prefix and not prefix.endswith("\n\n") else ""
    line = prefix.count("\n") + 1
    new_text = (prefix + block).replace("\n", newline)
    relative = project.relative(path)
    write_atomic(path, (b"\xef\xbb\xbf" if bom else b"") + new_text.encode("utf-8"))
    after = read_corpus(project, model, imports=False, collect=True)
    written = after.needs.get(need_id)
    if written is None or written.path != relative or written.line != line or after.problems:
        write_atomic(path, raw)  # put it back as it was
        why = after.problems[0].message if after.problems else "it did not read back where it was written"
        raise TechfileError(f"{relative}: the new need could not be added ({why}); the file is unchanged", path=path)
    todo = f"; fill in {', '.join(fields)} and its text" if fields else "; fill in its text"
    print(f"{relative}:{line}: {need_id} ({spec.title}) added{todo}")
    return 0
