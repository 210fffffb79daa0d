"""Incremental builds write every page whose computed parts changed, and no
other: after an edit, each page of the incremental build is the page a
fresh build gives (sphinx-needs' random container IDs aside); a build with
nothing changed writes only the root document (its status banner)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from miniproject import Mini

pytestmark = pytest.mark.slow

RANDOM = re.compile(r"[0-9a-f]{32}|SNCB-[0-9a-zA-Z-]+|needs-[0-9a-f-]{10,}")
WRITTEN = re.compile(r"^writing output\.\.\. \[\s*\d+%\] (\S+)", re.M)


def build(root: Path, outdir: Path, doctrees: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-d", str(doctrees), str(root), str(outdir)],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return WRITTEN.findall(done.stdout)


def pages(outdir: Path) -> dict[str, str]:
    return {path.relative_to(outdir).as_posix(): RANDOM.sub("", path.read_text()) for path in outdir.rglob("*.html")}


def same_as_fresh(mini: Mini, tmp_path: Path, name: str) -> None:
    fresh = tmp_path / f"fresh-{name}"
    build(mini.root, fresh / "html", fresh / "doctrees")
    ours, theirs = pages(mini.root / "_build" / "html"), pages(fresh / "html")
    assert ours.keys() == theirs.keys()
    stale = [page for page in ours if ours[page] != theirs[page]]
    assert stale == [], f"pages the incremental build left stale: {stale}"


@pytest.fixture
def built(mini: Mini) -> Mini:
    (mini.root / "conf.py").write_text('extensions = ["myst_parser", "sphinx_needs", "techfile.sphinxext"]\nproject = "Mini"\n')
    (mini.root / "docs" / "table.md").write_text("# Table\n\n```{needtable}\n:types: swreq\n:columns: id, title\n```\n\n```{techfile-trace-matrix}\n:kind: requirements\n```\n")
    index = mini.root / "docs" / "index.md"
    index.write_text(index.read_text() + "\n```{toctree}\ntable\n../needs/requirements\n../needs/tests\n../needs/architecture\n../needs/risk\n../needs/soup\n../needs/statements\n../needs/release\n```\n")
    mini.write_evidence()
    build(mini.root, mini.root / "_build" / "html", mini.root / "_build" / "doctrees")
    return mini


def again(mini: Mini) -> list[str]:
    mini.write_evidence()
    return build(mini.root, mini.root / "_build" / "html", mini.root / "_build" / "doctrees")


def test_nothing_changed_writes_only_the_root_document(built: Mini) -> None:
    assert again(built) == ["docs/index"]


def test_a_title_edit_reaches_every_page_that_shows_it(built: Mini, tmp_path: Path) -> None:
    built.replace("requirements.md", "```{swreq} Software requirement", "```{swreq} Software requirement, renamed")
    written = again(built)
    assert {"docs/table", "needs/requirements", "needs/tests"} <= set(written)  # the needtable, the card, the card that links to it
    assert "needs/soup" not in written  # shows nothing of the requirement
    assert "Software requirement, renamed" in (built.root / "_build" / "html" / "docs" / "table.html").read_text()  # plain sphinx-needs leaves it stale
    same_as_fresh(built, tmp_path, "title")


def test_a_new_test_result_reaches_the_verdicts(built: Mini, tmp_path: Path) -> None:
    from miniproject import result

    built.results = [result(outcome="failed")]
    written = again(built)
    assert "needs/tests" in written and "needs/requirements" in written  # the verdict lines under the cards
    same_as_fresh(built, tmp_path, "result")


def test_a_failed_build_records_nothing(built: Mini) -> None:
    record = built.root / "_build" / "html" / ".techfile-pages.json"
    before = record.read_text()
    (built.root / "conf.py").write_text((built.root / "conf.py").read_text() + "raise SystemExit(2)\n")
    done = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", str(built.root), str(built.root / "_build" / "html")], capture_output=True, text=True, check=False)
    assert done.returncode != 0 and record.read_text() == before
