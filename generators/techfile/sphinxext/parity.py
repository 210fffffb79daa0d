"""The build and ``techfile check`` never disagree silently.

The build reads its sources twice: as Sphinx and sphinx-needs read them,
and as ``techfile check`` reads them (its own readers, before Sphinx reads
a document). Then

* every source ``techfile check`` refuses is the error ``techfile.source``
  at its location in the build too, and a source that would crash or hang
  Sphinx (a symbolic link loop, a file that is not UTF-8, an include cycle)
  is left out of the build instead of ending it in a crash report;
* every need the two read differently (one has it and the other does not,
  or they differ in type, title, fields, links or location) is the warning
  ``techfile.parity`` at the need, naming the difference.

A need in an included file is where its file says: sphinx-needs records
the including document with the included file's line, techfile the
included file; the build takes the included file from techfile's reading
when the two agree on the document and the line.
"""

from __future__ import annotations

import os
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

from techfile.corpus import Corpus, Need
from techfile.errors import TechfileError
from techfile.model.needmodel import NeedModel
from techfile.project import Project
from techfile.readers import discover
from techfile.sphinxext.state import Message, build_state

logger = logging.getLogger(__name__)


def _location(error: TechfileError) -> str:
    return f"{error.path}:{error.line or 1}" if error.path else ""


def _exclude(config: Config, srcdir: Path, path: Path) -> None:
    relative = Path(os.path.relpath(path, srcdir)).as_posix()
    config.exclude_patterns = [*config.exclude_patterns, relative, f"{relative}/**"]


def _message(problem: TechfileError) -> Message:
    text = problem.message + (f" (fix: {problem.fix})" if problem.fix else "")
    return Message(True, text, "source", _location(problem))


def _report(app: Sphinx, problem: TechfileError) -> None:
    pending = build_state(app).pending
    message = _message(problem)
    if message not in pending:
        pending.append(message)


def read_as_check_reads(app: Sphinx, config: Config, project: Project, model: NeedModel) -> None:
    """``config-inited``: read the sources as techfile check does, and keep Sphinx out of what it cannot read.

    Sphinx walks the whole source folder, following links, before it reads
    a document, and a link back up makes it walk forever: each loop is
    excluded (Sphinx prunes excluded folders before walking into them).
    A document Sphinx could not read without crashing (not UTF-8, an
    include cycle) is excluded too. Every problem is reported, once the
    environment exists, as the error ``techfile.source`` at its location.
    """
    from techfile.readers.sources import read_corpus

    srcdir = Path(app.srcdir)
    walked = discover.walk(srcdir, (), project.excluded, lambda path: Path(os.path.relpath(path, project.root)).as_posix())
    for problem, path in zip(walked.problems, walked.refused, strict=True):
        _exclude(config, srcdir, path)
        _report(app, problem)
    reader = read_corpus(project, model, collect=True)
    for problem in reader.problems:
        document = getattr(problem, "document", None)
        if isinstance(problem, discover.UnreadableSource) and document is not None:
            _exclude(config, srcdir, document)
        _report(app, problem)
    build_state(app).reader = reader


def refine_locations(built: Corpus, reader: Corpus | None) -> None:
    """Needs of included files at the included file, where techfile's reading agrees."""
    if reader is None:
        return
    for need in list(built):
        theirs = reader.get(need.id)
        if theirs is not None and theirs.origin is not None and theirs.origin == (need.path, need.line) and theirs.path != need.path:
            built.needs[need.id] = Need(need.id, need.type, need.title, theirs.path, theirs.line, need.fields, need.links, theirs.origin)


def _differences(built: Need, read: Need) -> list[str]:
    differences = []
    for what, ours, theirs in (("type", read.type, built.type), ("title", read.title, built.title), ("location", read.location, built.location)):
        if ours != theirs:
            differences.append(f"{what} {ours!r} where this build has {theirs!r}")
    for name in sorted(set(built.fields) | set(read.fields)):
        if (read.fields.get(name) or "").strip() != (built.fields.get(name) or "").strip():
            differences.append(f"{name} {read.fields.get(name)!r} where this build has {built.fields.get(name)!r}")
    for name in sorted(set(built.links) | set(read.links)):
        if read.links.get(name, ()) != built.links.get(name, ()):
            differences.append(f"{name} {list(read.links.get(name, ()))} where this build has {list(built.links.get(name, ()))}")
    return differences


def compare(built: Corpus, reader: Corpus | None) -> None:
    """``write-started``: one ``techfile.parity`` warning per need the two read differently."""
    if reader is None:
        return
    refused = {problem.path for problem in reader.problems}
    for need in built:
        read = reader.get(need.id)
        if need.path in refused:
            continue  # its file is refused, and said so
        if read is None:
            logger.warning(
                f"{need.id}: this build has this need, but techfile check does not read it; "
                "it is written in a construct techfile does not read (name it in a bug report)",
                type="techfile", subtype="parity", location=need.location,
            )
            continue
        differences = _differences(need, read)
        if differences:
            logger.warning(f"{need.id}: techfile check reads " + "; ".join(differences), type="techfile", subtype="parity", location=need.location)
    for read in reader:
        if built.get(read.id) is None and read.path not in refused:
            logger.warning(
                f"{read.id}: techfile check reads this need, but this build has none with this ID",
                type="techfile", subtype="parity", location=read.location,
            )
