"""How soon an edit shows in the browser: ``techfile serve`` against
sphinx-autobuild on plain sphinx-needs, on the trees of ``run.py``.

Each preview is started on a free port of 127.0.0.1 and builds the tree;
Debian's chromium (driven by Playwright) opens the page of the edited need.
Then, per repeat, one need's title is edited in its source and the clock
runs until the open page shows the new title (the page reloads itself);
for techfile, also until the full build has replaced the draft and until
the needtables page shows the new title. The next edit waits for the full
build to finish.
"""

from __future__ import annotations

import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

PAGE = "needs/part_0000.html"
TABLES = "docs/tables.html"
WARM = 10.0
"""Seconds the open page is read before the first edit: techfile makes the page's draft application
while it is viewed (about 4 s at 5,000 needs); an edit sooner waits for it."""


class PreviewUnavailable(Exception):
    pass


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _lines(process: subprocess.Popen[str]) -> queue.Queue[str]:
    found: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            found.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return found


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode("utf-8"))
    except OSError:
        return None


def _until(test: Any, timeout: float, step: float = 0.02) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            if test():
                return time.perf_counter() - start
        except Exception:  # the page is reloading: its context is gone for a moment
            pass
        time.sleep(step)
    raise TimeoutError(f"not within {timeout:.0f} s")


def _browser() -> tuple[Any, Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        raise PreviewUnavailable("Playwright is not installed (pip install -e '.[test]')") from error
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        raise PreviewUnavailable("no chromium (make setup installs it)")
    playwright = sync_playwright().start()
    return playwright, playwright.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu"])


EDITED_ID = "SWR_003"
"""The edited need's card (``run.EDITED``): only it is looked at, so that watching costs the builds no CPU."""


def _shows(page: Any, title: str) -> bool:
    return bool(page.evaluate("([id, t]) => (document.getElementById(id)?.textContent || '').includes(t)", [EDITED_ID, title]))


def measure(root: Path, plain: Path, repeat: int, edit_title: Any) -> dict[str, list[float]]:
    """Seconds from each save to: the page showing it (both), the page final and the tables page showing it (techfile)."""
    out: dict[str, list[float]] = {"visible techfile": [], "final techfile": [], "tables techfile": [], "visible plain": []}
    playwright, browser = _browser()
    try:
        port = _free_port()
        ours = subprocess.Popen([sys.executable, "-m", "techfile", "serve", "--project", str(root), "--port", str(port)], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            lines = _lines(ours)
            while not (line := lines.get(timeout=1800)).startswith("ready: "):
                pass
            url = line.split()[1]
            page = browser.new_page()
            page.goto(url + PAGE)
            time.sleep(WARM)
            for attempt in range(repeat):
                title = edit_title(root, 100 + attempt)
                out["visible techfile"].append(_until(lambda title=title: _shows(page, title), 600))
                start = time.perf_counter() - out["visible techfile"][-1]
                _until(lambda title=title: not page.evaluate("!!document.documentElement.dataset.techfileDraft") and _shows(page, title), 900, 0.25)
                out["final techfile"].append(time.perf_counter() - start)
                _until(lambda title=title: title in (_get(url + TABLES) or ""), 900, 0.5)
                out["tables techfile"].append(time.perf_counter() - start)
                _until(lambda: not page.evaluate("document.querySelector('.techfile-build-badge')?.style.display === 'block'"), 900, 0.25)
            page.close()
        finally:
            ours.terminate()
            ours.wait(timeout=60)
        port = _free_port()
        theirs = subprocess.Popen(
            [sys.executable, "-m", "sphinx_autobuild", "-q", "-b", "html", ".", "_build/serve", "--host", "127.0.0.1", "--port", str(port), "--ignore", "*/_build/*"],
            cwd=plain,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}/"
            _until(lambda: _get(url + PAGE) is not None, 1800, 0.5)
            page = browser.new_page()
            page.goto(url + PAGE)
            time.sleep(WARM)
            for attempt in range(repeat):
                title = edit_title(plain, 100 + attempt)
                out["visible plain"].append(_until(lambda title=title: _shows(page, title), 900))
                time.sleep(1)  # sphinx-autobuild has finished: it reloads once the build is done
            page.close()
        finally:
            theirs.terminate()
            theirs.wait(timeout=60)
    finally:
        browser.close()
        playwright.stop()
    return out
