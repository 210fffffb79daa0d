"""``techfile needs``: the needs techfile reads, as sphinx-needs' needs.json.

In a techfile project (``[tool.techfile]``), its need model and sources. In
any other sphinx-needs project, what its conf.py (and ubproject.toml) tell
sphinx-needs: the need types, fields, links and ID settings, and the files
Sphinx reads.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sphinx.util.matching import Matcher

from techfile.commands import refuse_unreadable
from techfile.corpus import Corpus
from techfile.errors import TechfileError
from techfile.model import sphinx_config
from techfile.model.needmodel import load_need_model
from techfile.project import Project, Settings, find_root, load_project
from techfile.readers import discover, export
from techfile.readers.sources import read_corpus
from techfile.tomlfile import KeyLines


def register(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "needs",
        help="write the needs techfile reads as a sphinx-needs needs.json, without Sphinx",
        description="Read the project's needs as techfile check does (MyST, reStructuredText, includes, imports, "
        "needextend) and write them in sphinx-needs' needs.json format: what `sphinx-build -b needs` records, "
        "in a fraction of the time. Works in any sphinx-needs project: without [tool.techfile], the need types, "
        "fields, links and ID settings come from its conf.py (and ubproject.toml). Exit status: 0 written, 2 bad input.",
    )
    parser.add_argument("--project", type=Path, default=None, help="project directory: a techfile project, or a Sphinx source folder with conf.py (default: here)")
    parser.add_argument("--output", "-o", type=Path, help="needs.json to write (default: standard output)")
    parser.set_defaults(handler=run)


def _sphinx_project(folder: Path) -> tuple[Project, Corpus]:
    """A sphinx-needs project without [tool.techfile]: read as its conf.py configures Sphinx."""
    model, sources, auto_ids = sphinx_config.load(folder)
    srcdir = sources.srcdir.resolve()
    project = Project(root=srcdir, settings=Settings(sources=(".",), root_doc=sources.root_doc, exclude=()), pyproject=srcdir / "conf.py", lines=KeyLines(""))
    excluded, included = Matcher(list(sources.exclude_patterns)), Matcher(list(sources.include_patterns))

    def relative(path: Path) -> str:
        return path.relative_to(srcdir).as_posix()

    walked = discover.walk(srcdir, sources.suffixes, lambda path: excluded(relative(path)), relative)
    files = [path for path in walked.files if included(relative(path))]
    corpus = read_corpus(project, model, files, collect=True, auto_ids=auto_ids)
    corpus.problems[:0] = walked.problems
    return project, corpus


def run(args: argparse.Namespace) -> int:
    folder = (args.project or Path.cwd()).resolve()
    try:
        find_root(folder)
    except TechfileError:
        project, corpus = _sphinx_project(folder)
    else:
        project = load_project(folder)
        corpus = read_corpus(project, load_need_model(project.declaration("need_model")), collect=True)
    refuse_unreadable(corpus)
    if args.output:
        export.write(project, corpus, args.output)
    else:
        sys.stdout.write(export.dumps(export.needs_json(project, corpus)))
    return 0
