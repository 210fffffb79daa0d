"""A real browser for the tests that look: Debian's chromium, driven by
Playwright (no browser is downloaded; ``make setup`` installs chromium).

Without chromium or Playwright the tests skip, unless
``TECHFILE_REQUIRE_BROWSER`` is set, as ``make test`` (and so CI) sets it:
there a missing browser is a failure, never a silent pass."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]


def _unavailable(why: str) -> None:
    if os.environ.get("TECHFILE_REQUIRE_BROWSER"):
        pytest.fail(f"{why}; TECHFILE_REQUIRE_BROWSER is set (make test): run `make setup`")
    pytest.skip(why)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (Playwright's Browser), closed afterwards."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[test]')")
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        _unavailable("no chromium (Debian package chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def scrolls_sideways(page: Any) -> bool:
    """Whether the page itself is wider than the window (a table scrolling inside itself does not count)."""
    return bool(page.evaluate("document.documentElement.scrollWidth > window.innerWidth"))
