"""Document control: the block at the top of every document (document ID,
release and its version, software version, commit, build date), the status
banner of the root document, the same in a LaTeX build, and tables that
scroll inside the page rather than the page sideways."""

from __future__ import annotations

import datetime
import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docutils import nodes
from docutils.frontend import get_default_settings
from docutils.parsers.rst import Parser
from docutils.utils import new_document

from browser import chromium, scrolls_sideways
from miniproject import Mini, pyproject, waiver
from sphinxbuild import add_sphinx_files, sphinx_build
from techfile.provenance import CI_COMMIT_VARIABLES
from techfile.sphinxext.control import build_date, document_id, document_prefix, wrap_tables

# What a CI run pins; the block shows exactly these.
PINNED = {
    "SOURCE_DATE_EPOCH": "1767225600",  # 2026-01-01T00:00:00Z
    "TECHFILE_COMMIT": "0123456789abcdef0123456789abcdef01234567",
    "TECHFILE_SOFTWARE_VERSION": "1.0.0-rc.2",
}
DATE = "2026-01-01"


def documents(root: Path) -> list[str]:
    """Every document of the mini project's sources (docs/, needs/)."""
    found = sorted(p.relative_to(root).with_suffix("").as_posix() for folder in ("docs", "needs") for p in (root / folder).glob("*.md"))
    assert "docs/index" in found and "needs/soup" in found
    return found


# ------------------------------------------------------------------ the values


@pytest.mark.parametrize(
    ("project", "configured", "prefix"),
    [
        ("PJI-Risk technical file", None, "PJI"),
        ("Mini", None, "MINI"),
        ("ACME Infusion Pump technical file", None, "ACME"),
        ("Infusion pump", None, "INFUSION"),
        ("FDA XR-7 monitor", None, "FDA-XR"),
        ("PJI-Risk technical file", "pji-risk", "PJI-RISK"),
        ("", None, "DOC"),
    ],
)
def test_document_prefix(project: str, configured: str | None, prefix: str) -> None:
    assert document_prefix(project, configured) == prefix


def test_document_id_is_the_prefix_and_every_part_of_the_docname() -> None:
    assert document_id("PJI", "docs/srs") == "PJI-DOCS-SRS"
    assert document_id("PJI", "needs/software_requirements") == "PJI-NEEDS-SOFTWARE-REQUIREMENTS"
    assert document_id("PJI", "docs/architecture") != document_id("PJI", "needs/architecture")


def test_build_date_source_date_epoch_then_commit_then_today(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # never the repository around tmp_path
    monkeypatch.setenv("SOURCE_DATE_EPOCH", PINNED["SOURCE_DATE_EPOCH"])
    assert build_date(tmp_path) == DATE
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert build_date(tmp_path) == datetime.datetime.now(datetime.UTC).date().isoformat()  # no git here
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    _commit(tmp_path, "2025-03-04T23:30:00-02:00")  # 2025-03-05 in UTC
    assert build_date(tmp_path) == "2025-03-05"


def _commit(root: Path, date: str) -> str:
    env = {**os.environ, "GIT_COMMITTER_DATE": date, "GIT_AUTHOR_DATE": date, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "--allow-empty", "-m", "x"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True).stdout.strip()


def _doctree(text: str) -> nodes.document:
    document = new_document("test", get_default_settings(Parser))
    Parser().parse(text, document)
    return document


def test_tables_get_one_scroll_container_and_need_layouts_none() -> None:
    table = "+---+---+\n| a | b |\n+---+---+\n"
    doctree = _doctree(f"{table}\n.. container:: table-wrapper\n\n{''.join('   ' + line + chr(10) for line in table.splitlines())}")
    need = nodes.table(classes=["need"])
    doctree += need
    wrap_tables(doctree)
    wrap_tables(doctree)  # twice: still one container each
    tables = list(doctree.findall(nodes.table))
    assert len(tables) == 3
    first, second, layout = tables
    assert first.parent["classes"] == ["table-wrapper", "techfile-scroll"]
    assert second.parent["classes"] == ["table-wrapper"]
    assert layout.parent is doctree
    assert sum(1 for c in doctree.findall(nodes.container) if "techfile-scroll" in c["classes"]) == 1


# ------------------------------------------------------------------ slow: sphinx-build


@pytest.fixture
def site(mini: Mini) -> Mini:
    add_sphinx_files(mini.root)
    (mini.root / "pyproject.toml").write_text(pyproject('catalogue_doc = "docs/gaps"\n'))
    index = mini.root / "docs" / "index.md"
    index.write_text(index.read_text() + "\n```{toctree}\n:glob:\n\n../needs/*\ngaps\n```\n")
    (mini.root / "docs" / "gaps.md").write_text("# Gaps\n\n```{techfile-gaps}\n```\n\n```{techfile-trace-matrix}\n```\n\n```{techfile-rules}\n```\n")
    mini.write_evidence()
    return mini


def _page(build_outdir: Path, docname: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", (build_outdir / f"{docname}.html").read_text()))


def _control(text: str) -> str:
    """The text of the control block (and banner) of one HTML page."""
    match = re.search(r'<div class="techfile-control.*?</dl>\s*</div>', text, re.S)
    assert match, "no control block"
    return match.group(0)


@pytest.mark.slow
def test_every_document_has_its_control_block(site: Mini) -> None:
    build = sphinx_build(site.root, env=PINNED)
    assert build.status == 0, build.output
    docs = documents(site.root)
    for docname in docs:
        raw = (build.outdir / f"{docname}.html").read_text()
        block = html.unescape(re.sub(r"<[^>]+>", " ", _control(raw)))
        assert document_id("MINI", docname) in block, docname
        assert re.search(r"Release under evaluation\W+REL_1\s+\(version 1\.0\.0\)", block), block
        for value in (PINNED["TECHFILE_SOFTWARE_VERSION"], PINNED["TECHFILE_COMMIT"], DATE):
            assert value in block, (docname, value)
        # right under the title, before anything the page says
        assert raw.index("techfile-control") < raw.index("</h1>") + 400
    index = (build.outdir / "docs" / "index.html").read_text()
    assert 'href="../needs/release.html#REL_1"' in _control(index)
    # only the root document has the banner
    assert all("techfile-status" not in (build.outdir / f"{doc}.html").read_text() for doc in docs if doc != "docs/index")


@pytest.mark.slow
def test_same_commit_same_block(site: Mini) -> None:
    first = _control((sphinx_build(site.root, env=PINNED).outdir / "needs" / "risk.html").read_text())
    shutil.rmtree(site.root / "_build")
    assert _control((sphinx_build(site.root, env=PINNED).outdir / "needs" / "risk.html").read_text()) == first


@pytest.mark.slow
def test_commit_and_its_date_from_git(site: Mini, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    sha = _commit(site.root, "2025-06-30T12:00:00+00:00")
    for name in ("SOURCE_DATE_EPOCH", "TECHFILE_SOFTWARE_VERSION", *CI_COMMIT_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    build = sphinx_build(site.root)
    assert build.status == 0, build.output
    block = _control((build.outdir / "needs" / "tests.html").read_text())
    assert sha in block and "2025-06-30" in block
    assert sha[:7] in block.replace(sha, "")  # git describe --always: the short commit, as the version


@pytest.mark.slow
def test_root_banner_counts_the_gaps_and_links_to_the_gaps_page(site: Mini) -> None:
    build = sphinx_build(site.root, env=PINNED)
    banner = _page(build.outdir, "docs/index")
    assert re.search(r"Status of this build: \d+ needs checked against \d+ rules; 0 open gap\(s\) \(0 error, 0 warning\), 0 accepted gap\(s\)\. Every gap is listed in Gaps\.", banner), banner
    raw = (build.outdir / "docs" / "index.html").read_text()
    assert "techfile-status-closed" in raw and 'href="gaps.html"' in raw

    site.replace("risk.md", ":new_hazards: None.\n", "")  # R14 on RC_001
    site.append("release.md", waiver("R14", "RC_001"))
    site.replace("risk.md", ":residual_probability: remote\n", "")  # an open gap
    build = sphinx_build(site.root, env=PINNED)
    assert build.status == 1  # -W: the open gap fails the build, the pages are written all the same
    findings = build.findings()
    opened = sum(1 for f in findings if f["accepted_by"] is None)
    assert [f["accepted_by"] for f in findings if f["rule"] == "R14"] == ["WAIVER_001"] and opened >= 1
    banner = _page(build.outdir, "docs/index")
    assert f"; {opened} open gap(s)" in banner and ", 1 accepted gap(s)." in banner, banner
    assert "techfile-status-open" in (build.outdir / "docs" / "index.html").read_text()


@pytest.mark.slow
def test_latex_build_has_every_block(site: Mini) -> None:
    build = sphinx_build(site.root, "latex", env=PINNED)
    assert build.status == 0, build.output
    tex = next(build.outdir.glob("*.tex")).read_text()
    plain = tex.replace(r"\sphinxhyphen{}", "-").replace(r"\_", "_")
    docs = documents(site.root)
    for docname in docs:
        assert document_id("MINI", docname) in plain, docname
    assert plain.count(r"\sphinxlineitem{Document ID}") == len(docs)
    for value in (PINNED["TECHFILE_SOFTWARE_VERSION"], PINNED["TECHFILE_COMMIT"], DATE, "(version 1.0.0)"):
        assert value in plain
    assert "Status of this build:" in plain and r"\hyperref[\detokenize{docs/gaps::doc}]" in tex
    assert "techfile-control" in tex  # the class, for the PDF's styles


@pytest.mark.slow
def test_no_page_scrolls_sideways_at_1024_or_1400_px(site: Mini) -> None:
    """Every page, laid out by a real browser: wide tables scroll inside themselves."""
    # tables far wider than any screen: a computed view's (the risk register) and a sphinx-needs table
    site.replace("risk.md", ":harm: Harm", ":harm: " + "Harm" * 100)
    site.append("requirements.md", "```{user_need} Wide\n:id: UN_WIDE\n:user: " + "User" * 100 + "\n```\n")
    (site.root / "docs" / "gaps.md").write_text(
        (site.root / "docs" / "gaps.md").read_text()
        + "\n```{techfile-risk-register}\n```\n\n```{needtable}\n:types: user_need\n:columns: id, title, user\n:style: table\n```\n"
    )
    conf = site.root / "conf.py"
    conf.write_text(conf.read_text() + 'html_theme = "furo"\n')
    build = sphinx_build(site.root, env=PINNED)
    pages = sorted(build.outdir.glob("docs/*.html")) + sorted(build.outdir.glob("needs/*.html"))
    assert len(pages) == len(documents(site.root))
    wide: list[str] = []
    with chromium() as browser:
        for width in (1024, 1400):
            page = browser.new_page(viewport={"width": width, "height": 900})
            for path in pages:
                page.goto(path.as_uri())
                if scrolls_sideways(page):
                    wide.append(f"{path.relative_to(build.outdir)} at {width} px")
            page.close()
    assert wide == []
