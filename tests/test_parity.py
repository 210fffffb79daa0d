"""Parity by construction, proved differentially: hypothesis writes trees of
need documents mixing the constructs where a reader could go wrong
(fences of every kind, needs nested in admonitions, blockquotes and list
items, needs that are only examples in code blocks, indented code and HTML
comments, ``{eval-rst}``, ``{include}``, ``needextend``, reStructuredText
files with nested and literal blocks, CRLF line endings, a BOM), and the
needs ``techfile needs`` reads must be exactly those sphinx-needs records in
its own needs.json for the same tree: IDs, types, titles, fields, links,
back links, document and line.

The number of trees is ``TECHFILE_PARITY_EXAMPLES`` (default 40; CI runs
``make test``, which sets 200).
"""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sphinx.application import Sphinx
from sphinx.util.docutils import docutils_namespace, patch_docutils

from techfile.model.needmodel import load_need_model
from techfile.project import load_project
from techfile.readers import export
from techfile.readers.sources import read_corpus

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("TECHFILE_PARITY_EXAMPLES", "40"))
PYPROJECT = '[tool.techfile]\nsources = ["docs"]\nroot_doc = "docs/index"\ncatalogue_doc = "docs/index"\n'
CONF = 'project = "Parity"\nextensions = ["myst_parser", "sphinx_needs", "techfile.sphinxext"]\nexclude_patterns = ["_build"]\n'
TYPES = {"swreq": "category: functional", "sysreq": "allocation: software", "user_need": "user: Nurse"}

words = st.sampled_from(["Alarm", "Pump", "Dose", "Über", "rate ≤ 5", "Limit", "Check"])
titles = st.lists(words, min_size=1, max_size=3).map(" ".join)


class Ids:
    """Unique need IDs across one tree."""

    def __init__(self) -> None:
        self.count = 0
        self.made: list[str] = []

    def new(self, need_type: str) -> str:
        self.count += 1
        need_id = {"swreq": "SWR", "sysreq": "SYS", "user_need": "UN"}[need_type] + f"_{self.count:03d}"
        self.made.append(need_id)
        return need_id


@st.composite
def myst_need(draw: st.DrawFn, ids: Ids, fence: str = "```", nested: bool = True) -> list[str]:
    need_type = draw(st.sampled_from(sorted(TYPES)))
    need_id = ids.new(need_type)
    lines = [f"{fence}{{{need_type}}} {draw(titles)}", f":id: {need_id}", f":{TYPES[need_type]}"]
    if draw(st.booleans()):
        status = draw(st.sampled_from(["open", "approved", '"in review"']))
        lines.append(f":status: {status}")
    earlier = [i for i in ids.made[:-1] if i.startswith(("SYS", "UN"))]
    if need_type != "user_need" and earlier and draw(st.booleans()):
        lines.append(":derives_from: " + ", ".join(draw(st.lists(st.sampled_from(earlier), min_size=1, max_size=2, unique=True))))
    if draw(st.booleans()):
        lines += ["", draw(st.sampled_from(["The pump shall stop.", "Text with `code` and *emphasis*.", "Two\nlines."]))]
    if nested and draw(st.integers(0, 4)) == 0:
        inner = draw(myst_need(ids, "```", nested=False))
        lines = [lines[0].replace(fence, fence + fence[0], 1), *lines[1:], "", *inner]
        fence += fence[0]
    return [*lines, fence]


@st.composite
def myst_block(draw: st.DrawFn, ids: Ids, includes: list[tuple[str, list[str]]]) -> list[str]:
    kind = draw(st.sampled_from(["need", "tilde", "colon", "note", "quote", "list", "code", "indented", "comment", "eval-rst", "include", "extend"]))
    if kind == "need":
        return draw(myst_need(ids))
    if kind == "tilde":
        return draw(myst_need(ids, "~~~"))
    if kind == "colon":
        return draw(myst_need(ids, ":::", nested=False))
    if kind == "note":
        return ["`````{note}", "A note holding a need:", "", *draw(myst_need(ids)), "`````"]
    if kind == "quote":
        return ["> " + line if line else ">" for line in draw(myst_need(ids, nested=False))]
    if kind == "list":
        return ["- an item", "", *("  " + line if line else "" for line in draw(myst_need(ids, nested=False)))]
    if kind == "code":
        return ["````text", "```{swreq} Only an example", ":id: SWR_999", "```", "````"]
    if kind == "indented":
        return ["Paragraph.", "", "    ```{swreq} Indented code", "    :id: SWR_998", "    ```"]
    if kind == "comment":
        return ["<!--", "```{swreq} Commented out", ":id: SWR_997", "```", "-->"]
    if kind == "eval-rst":
        need_id = ids.new("swreq")
        return ["```{eval-rst}", "Some reStructuredText.", "", f".. swreq:: {draw(titles)}", f"   :id: {need_id}", "   :category: functional", "", "```"]
    if kind == "include":
        name = f"part{len(includes)}.txt"
        includes.append((name, draw(myst_need(ids, nested=False))))
        return [f"```{{include}} _parts/{name}", "```"]
    # extend an earlier need of this tree by ID
    earlier = [i for i in ids.made if i.startswith("SWR")]
    if not earlier:
        return ["A paragraph."]
    option = draw(st.sampled_from([":status: extended", ":+category: (extended)", ":-status:"] + ([f":+derives_from: {draw(st.sampled_from(systems))}"] if (systems := [i for i in ids.made if i.startswith("SYS")]) else [])))
    return [f"```{{needextend}} <{draw(st.sampled_from(earlier))}>", option, "```"]


@st.composite
def rst_document(draw: st.DrawFn, ids: Ids) -> list[str]:
    lines = ["Requirements", "============", ""]
    for _ in range(draw(st.integers(1, 4))):
        need_id = ids.new("swreq")
        need = [f".. swreq:: {draw(titles)}", f"   :id: {need_id}", "   :category: functional"]
        if draw(st.booleans()):
            need += ["   :verification_rationale: first line", "      and its continuation"]
        kind = draw(st.sampled_from(["plain", "note", "literal", "comment"]))
        if kind == "note":
            lines += [".. note::", "", *("   " + line for line in need), ""]
        elif kind == "comment":
            lines += ["..", "   .. swreq:: Commented out", "      :id: SWR_995", "", *need, ""]
        elif kind == "literal":
            lines += ["An example only::", "", "   .. swreq:: Not a need", "      :id: SWR_996", "", *need, ""]
        else:
            lines += [*need, ""]
    return lines


@st.composite
def trees(draw: st.DrawFn) -> dict[str, str]:
    """Relative path -> text of one tree's documents."""
    ids = Ids()
    includes: list[tuple[str, list[str]]] = []
    files: dict[str, str] = {}
    for number in range(draw(st.integers(1, 3))):
        if draw(st.integers(0, 3)) == 0:
            lines = draw(rst_document(ids))
            suffix = "rst"
        else:
            lines = [f"# Document {number}", ""]
            for _ in range(draw(st.integers(1, 6))):
                lines += [*draw(myst_block(ids, includes)), ""]
            suffix = "md"
        newline = draw(st.sampled_from(["\n", "\r\n"]))
        text = newline.join(lines) + newline
        if draw(st.integers(0, 5)) == 0:
            text = "\ufeff" + text
        files[f"docs/doc{number}.{suffix}"] = text
    for name, lines in includes:
        files[f"docs/_parts/{name}"] = "Included text.\n\n" + "\n".join(lines) + "\n"
    return files


def build_needs(root: Path) -> dict[str, Any]:
    """sphinx-needs' needs.json for the tree, from a real (in-process) Sphinx build."""
    warnings = io.StringIO()
    with patch_docutils(root), docutils_namespace():
        app = Sphinx(str(root), str(root), str(root / "_build" / "needs"), str(root / "_build" / "doctrees"), "needs", status=None, warning=warnings, freshenv=True)
        app.build()
    needs: dict[str, Any] = json.loads((root / "_build" / "needs" / "needs.json").read_text())["versions"][""]["needs"]
    return needs


def ours(root: Path) -> dict[str, Any]:
    project = load_project(root)
    corpus = read_corpus(project, load_need_model(project.declaration("need_model")), collect=True)
    assert corpus.problems == [], [p.render() for p in corpus.problems]
    needs: dict[str, Any] = export.needs_json(project, corpus)["versions"][""]["needs"]
    return needs


def _normal(value: Any) -> Any:
    if value in ("", [], None):
        return None
    if isinstance(value, list):
        return sorted(value)
    return value.strip() if isinstance(value, str) else value


def differences(read: dict[str, Any], built: dict[str, Any]) -> list[str]:
    found = [f"only techfile reads {i}" for i in sorted(set(read) - set(built))]
    found += [f"only the build has {i}" for i in sorted(set(built) - set(read))]
    for need_id in sorted(set(read) & set(built)):
        for key, value in read[need_id].items():
            if _normal(value) != _normal(built[need_id].get(key)):
                found.append(f"{need_id}.{key}: techfile {value!r}, build {built[need_id].get(key)!r}")
    return found


def write_tree(root: Path, files: dict[str, str]) -> None:
    if root.exists():
        shutil.rmtree(root)
    (root / "docs").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "conf.py").write_text(CONF)
    index = "# Parity\n\n```{toctree}\n:glob:\n\n*\n```\n"
    (root / "docs" / "index.md").write_text(index)
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(files=trees())
def test_techfile_reads_the_needs_sphinx_needs_records(tmp_path: Path, files: dict[str, str]) -> None:
    root = tmp_path / "tree"
    write_tree(root, files)
    assert differences(ours(root), build_needs(root)) == [], files


FOREIGN_CONF = {
    "extra options, conf.py": 'project = "Foreign"\nextensions = ["sphinx_needs"]\nexclude_patterns = ["_build"]\n'
    'needs_extra_options = ["priority"]\nneeds_extra_links = [{"option": "tests", "incoming": "is tested by", "outgoing": "tests"}]\n',
    "fields and links, ubproject.toml": 'project = "Foreign"\nextensions = ["sphinx_needs"]\nexclude_patterns = ["_build"]\nneeds_from_toml = "ubproject.toml"\n',
}
UBPROJECT = '[needs]\nid_required = false\n[needs.fields.priority]\ndescription = "Priority"\n[needs.links.tests]\nincoming = "is tested by"\noutgoing = "tests"\n'
FOREIGN_INDEX = """\
Foreign
=======

.. req:: Deliver the rate
   :id: R_001
   :priority: high

.. spec:: Without an ID, which sphinx-needs derives
   :links: R_001

   The controller shall hold the rate.

.. test:: Rate test
   :id: T_001
   :tests: R_001

.. note::

   .. impl:: Nested in a note
      :id: I_001
      :links: R_001
"""


@pytest.mark.parametrize("case", sorted(FOREIGN_CONF))
def test_any_sphinx_needs_project_without_techfile(tmp_path: Path, case: str) -> None:
    """No [tool.techfile]: the types, fields, links and ID settings come from the project's own configuration."""
    from techfile.cli import main

    root = tmp_path / "foreign"
    root.mkdir()
    (root / "conf.py").write_text(FOREIGN_CONF[case])
    (root / "ubproject.toml").write_text(UBPROJECT)
    (root / "index.rst").write_text(FOREIGN_INDEX)
    assert main(["needs", "--project", str(root), "-o", str(tmp_path / "ours.json")]) == 0
    read = json.loads((tmp_path / "ours.json").read_text())["versions"][""]["needs"]
    built = build_needs(root)
    assert len(read) == 4 and differences(read, built) == []
