"""techfile serve: drafts of the edited page, spliced into the built page,
and the live preview in a real browser (how fast: benchmarks/preview.py)."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from browser import chromium
from miniproject import Mini
from sphinxbuild import add_sphinx_files, sphinx_build
from techfile.checks.run import load_declarations
from techfile.preview.drafts import DraftError, Drafts, neighbours
from techfile.preview.server import Events, Overlay
from techfile.preview.splice import main_body, splice
from techfile.project import load_project
from techfile.readers.sources import read_corpus

BUILT = """<html><head><title>Built</title></head><body>
<nav>the whole table of contents</nav>
<div class="body" role="main"><div><p>old text</p></div></div>
<footer>built footer</footer></body></html>"""
DRAFT = """<html><head><title>Draft</title></head><body><nav>itself only</nav>
<div class="body" role="main"><div><div><p>new text</p></div></div></div></body></html>"""


def test_a_draft_body_goes_into_the_built_page_with_its_navigation() -> None:
    spliced = splice(BUILT, DRAFT)
    assert "new text" in spliced and "old text" not in spliced
    assert "the whole table of contents" in spliced and "built footer" in spliced and "itself only" not in spliced
    assert spliced.count('role="main"') == 1 and spliced.endswith("</footer></body></html>")


def test_a_page_without_a_main_body_is_served_as_drafted() -> None:
    assert main_body("<html><body><div>no role</div></body></html>") is None
    assert splice("<html><body>built</body></html>", DRAFT) == DRAFT


def test_a_draft_is_dropped_once_a_full_build_started_after_its_edit_is_done() -> None:
    overlay = Overlay()
    overlay.put("/needs/a.html", Path("a.html"), edited_at=10.0)
    overlay.put("/needs/b.html", Path("b.html"), edited_at=20.0)
    assert overlay.settle(build_started=15.0) == ["/needs/a.html"]
    assert overlay.get("/needs/a.html") is None and overlay.get("/needs/b.html") == Path("b.html")


def test_each_stream_gets_the_events_after_the_last_it_saw() -> None:
    events = Events()
    events.publish("reload", ["/a.html"])
    seen = events.last
    events.publish("state", {"building": True, "failed": False})
    last, found = events.after(seen, timeout=1)
    assert last == seen + 1 and found == [("state", '{"building": true, "failed": false}')]
    assert events.state == {"building": True, "failed": False}
    assert events.after(last, timeout=0.05) == (last, [])


def test_a_draft_takes_the_needs_linked_both_ways_from_other_pages(tmp_path: Path) -> None:
    mini = Mini(tmp_path / "project")
    mini.write_evidence()
    project = load_project(mini.root)
    corpus = read_corpus(project, load_declarations(project).model)
    near = neighbours(corpus, "needs/requirements")
    # SWR_001 links to ITEM_UNIT and RC_001; TEST_001 links to it; its own needs are not external
    assert {"ITEM_UNIT", "RC_001", "TEST_001"} <= near
    assert not near & {"UN_001", "SYS_001", "SWR_001"}


def _built_mini(root: Path) -> Mini:
    mini = Mini(root)
    mini.write_evidence()
    add_sphinx_files(root)
    build = sphinx_build(root)
    assert build.status in (0, 1), build.output
    return mini


@pytest.mark.slow
def test_a_draft_builds_the_edited_page_alone_and_writes_nothing_else(tmp_path: Path) -> None:
    mini = _built_mini(tmp_path / "project")
    html = mini.root / "_build" / "html"
    before = {p: p.stat().st_mtime_ns for p in html.rglob("*") if p.is_file()}
    mini.replace("requirements.md", "```{swreq} Software requirement\n", "```{swreq} Software requirement, drafted\n")
    project = load_project(mini.root)
    drafts = Drafts(project, load_declarations(project).model, html, mini.root / "_build" / "drafts")
    draft = drafts.build("needs/requirements")
    page = draft.html.read_text()
    assert "Software requirement, drafted" in page
    # links to the other pages' needs, where the full build put them
    assert 'href=".././needs/architecture.html#ITEM_UNIT"' in page
    # the verdict under the card, from techfile's reading of every source
    assert "techfile-card-summary" in page and '<a class="reference internal" href="tests.html#TEST_001" title="Test">' in page
    outputs = {p.name for p in draft.html.parents[1].iterdir()}
    assert not outputs & {"needs.json", "techfile-findings.json", ".techfile-pages.json"} and not any(n.endswith(".xlsx") for n in outputs)
    assert {p: p.stat().st_mtime_ns for p in html.rglob("*") if p.is_file()} == before  # the full build's output is untouched
    again = drafts.build("needs/requirements")  # the kept application, built again
    assert again.html == draft.html and "Software requirement, drafted" in again.html.read_text()


@pytest.mark.slow
def test_a_page_with_a_needtable_is_not_drafted_as_if_its_needs_were_all(tmp_path: Path) -> None:
    mini = _built_mini(tmp_path / "project")
    mini.append("tables.md", "```{needtable}\n:types: swreq\n```\n")
    project = load_project(mini.root)
    drafts = Drafts(project, load_declarations(project).model, mini.root / "_build" / "html", mini.root / "_build" / "drafts")
    with pytest.raises(DraftError, match="needs/tables shows sphinx-needs' tables or diagrams of every need"):
        drafts.build("needs/tables")


def _serve(root: Path) -> tuple[subprocess.Popen[str], str, queue.Queue[str]]:
    process = subprocess.Popen([sys.executable, "-m", "techfile", "serve", "--project", str(root), "--port", "0"], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        line = lines.get(timeout=600)
        if line.startswith("ready: "):
            return process, line.split()[1], lines
    raise AssertionError("techfile serve never got ready")


def _eventually(test: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if test():  # type: ignore[operator]
                return
        except Exception:
            pass
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s")


@pytest.mark.slow
def test_an_edit_shows_in_the_browser_as_a_draft_then_from_the_full_build(tmp_path: Path) -> None:
    mini = _built_mini(tmp_path / "project")
    process, url, lines = _serve(mini.root)
    try:
        with chromium() as browser:
            page = browser.new_page()
            page.goto(url + "needs/requirements.html")
            assert page.locator("nav, .sphinxsidebar").count() > 0
            time.sleep(1)
            mini.replace("requirements.md", "```{swreq} Software requirement\n", "```{swreq} Software requirement, edited live\n")
            _eventually(lambda: "Software requirement, edited live" in page.inner_text("body") and page.evaluate("!!document.documentElement.dataset.techfileDraft"), 60)
            assert page.locator(".techfile-draft-bar").is_visible()
            _eventually(lambda: not page.evaluate("!!document.documentElement.dataset.techfileDraft") and "Software requirement, edited live" in page.inner_text("body"), 300)
            assert page.locator(".techfile-draft-bar").count() == 0
    finally:
        process.send_signal(signal.SIGTERM)
        status = process.wait(timeout=60)
    said = []
    while not lines.empty():
        said.append(lines.get())
    text = "".join(said)
    assert "needs/requirements: draft in" in text and "full build done" in text, text
    assert status == 143, text  # SIGTERM: the full build stopped, nothing left running


def test_serve_refuses_a_port_that_is_not_one(tmp_path: Path) -> None:
    mini = Mini(tmp_path / "project")
    done = subprocess.run([sys.executable, "-m", "techfile", "serve", "--project", str(mini.root), "--port", "70000"], capture_output=True, text=True, check=False, env={**os.environ})
    assert done.returncode == 2 and "--port 70000 is not a port" in done.stderr


def test_serve_refuses_a_project_without_conf_py(tmp_path: Path) -> None:
    mini = Mini(tmp_path / "project")
    done = subprocess.run([sys.executable, "-m", "techfile", "serve", "--project", str(mini.root), "--port", "0"], capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "no conf.py in the project folder" in done.stderr and "techfile init" in done.stderr
