"""One preview session: watch the sources, draft each edited page at once,
and keep one full build running behind the drafts.

On a save:

1. each page whose source changed is built alone (:mod:`~techfile.preview.drafts`)
   and served in place of its built page; the pages open on it reload;
2. the full incremental build (``sphinx-build -b html``, in a process of its
   own, as ``make html`` runs it) starts, or is queued behind the one
   running. It writes again only the pages whose computed parts changed
   (:mod:`techfile.sphinxext.freshness`); when it finishes, the drafts of
   the edits it has read are dropped and every page it wrote reloads.

A change to the configuration (``conf.py``, ``pyproject.toml``, the need
model, templates) starts the drafts' applications afresh.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from techfile.errors import TechfileError
from techfile.preview.drafts import Drafts
from techfile.preview.server import Events, Overlay, serve, url_of
from techfile.project import Project

IGNORED_PARTS = ("_build", ".git", "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis")
CONFIGURATION = (".py", ".toml", ".json", ".html", ".css", ".js", ".txt", ".cfg")
"""Files whose change can change how every page is built (conf.py, pyproject.toml, schemas, templates)."""


@dataclass
class _FullBuild:
    process: subprocess.Popen[bytes]
    started: float


@dataclass
class Session:
    project: Project
    builddir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    sphinx_options: tuple[str, ...] = ("--keep-going",)
    drafts_enabled: bool = True
    say: Callable[[str], None] = field(default=print)
    _changes: queue.Queue[set[Path]] = field(default_factory=queue.Queue)
    _viewed: queue.Queue[str] = field(default_factory=queue.Queue)
    _stop: threading.Event = field(default_factory=threading.Event)
    events: Events = field(default_factory=Events)
    overlay: Overlay = field(default_factory=Overlay)

    @property
    def html(self) -> Path:
        return self.builddir / "html"

    def ignored(self, path: Path) -> bool:
        try:
            parts = path.resolve().relative_to(self.project.root.resolve()).parts
        except ValueError:
            return True
        if path.resolve().is_relative_to(self.builddir.resolve()):
            return True
        name = parts[-1] if parts else ""
        return any(p in IGNORED_PARTS or p.startswith(".venv") for p in parts) or name.endswith(("~", ".swp", ".swx", ".tmp")) or name.startswith((".#", ".techfile-"))

    def _watch(self) -> None:
        import logging

        import watchfiles

        logging.getLogger("watchfiles").setLevel(logging.WARNING)  # the terminal says what changed, once
        for changes in watchfiles.watch(self.project.root, watch_filter=lambda _change, path: not self.ignored(Path(path)), debounce=1600, step=20, stop_event=self._stop, yield_on_timeout=False):
            self._changes.put({Path(path) for _change, path in changes})

    def _drafts(self) -> Drafts | None:
        if not self.drafts_enabled:
            return None
        from techfile.checks.run import load_declarations

        try:
            model = load_declarations(self.project).model
        except TechfileError as error:  # the full build reports a broken declaration properly
            self.say(f"drafts are off until the declarations read: {error}")
            return None
        return Drafts(self.project, model, self.html, self.builddir / "drafts")

    def _start_full(self) -> _FullBuild:
        self.builddir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", *self.sphinx_options, "-d", str(self.builddir / "doctrees"), str(self.project.root), str(self.html)]
        self.events.publish("state", {"building": True, "failed": False})
        return _FullBuild(subprocess.Popen(command, cwd=self.project.root), time.time())

    def _finish_full(self, build: _FullBuild) -> None:
        status = build.process.returncode
        written = sorted(url_of(p.relative_to(self.html).with_suffix("").as_posix()) for p in self.html.rglob("*.html") if p.stat().st_mtime >= build.started - 1)
        settled = self.overlay.settle(build.started)
        self.events.publish("state", {"building": False, "failed": status not in (0, 1)})
        pages = sorted(set(written) | set(settled))
        if pages:
            self.events.publish("reload", pages)
        outcome = "done" if status == 0 else f"done with warnings or errors (exit {status})"
        self.say(f"full build {outcome} in {time.time() - build.started:.1f} s: {len(written)} page(s) written")

    def run(self, ready: Callable[[str], None] | None = None) -> None:
        server = serve(self.html, self.host, self.port, self.events, self.overlay, self._viewed.put)
        url = f"http://{self.host}:{server.server_address[1]}/"
        self.say(f"techfile preview at {url} (Ctrl-C stops it)")
        watcher = threading.Thread(target=self._watch, name="techfile-preview-watch", daemon=True)
        watcher.start()
        drafts = self._drafts()
        full: _FullBuild | None = self._start_full()
        pending = False
        announced = False
        warmed: set[str] = set()
        to_warm: list[str] = []
        try:
            while True:
                try:
                    changed = self._changes.get(timeout=0.05)
                except queue.Empty:
                    changed = set()
                while not self._changes.empty():
                    changed |= self._changes.get_nowait()
                if changed:
                    edited_at = time.time()
                    pending = True
                    names = sorted(Path(os.path.relpath(p, self.project.root)).as_posix() for p in changed)
                    self.say(f"changed: {', '.join(names[:3])}{f' and {len(names) - 3} more' if len(names) > 3 else ''}")
                    if any(p.suffix in CONFIGURATION for p in changed):
                        drafts = self._drafts()
                        warmed.clear()
                    for path in sorted(changed):
                        docname = drafts.docname(path) if drafts else None
                        if drafts is None or docname is None or drafts.source(docname) is None:
                            continue
                        try:
                            draft = drafts.build(docname)
                        except TechfileError as error:  # a DraftError, or a source techfile cannot read
                            self.say(f"{docname}: no draft ({error}); the full build follows")
                            continue
                        self.overlay.put(url_of(docname), draft.html, edited_at)
                        self.events.publish("reload", [url_of(docname)])
                        self.say(f"{docname}: draft in {draft.seconds:.1f} s")
                if full is not None and full.process.poll() is not None:
                    self._finish_full(full)
                    full = None
                    if drafts is not None:
                        drafts.built_needs.current()  # read the new needs.json now, not in the next edit's draft
                    if not announced:
                        announced = True
                        if ready:
                            ready(url)
                if full is None and pending:
                    pending = False
                    full = self._start_full()
                while not self._viewed.empty():
                    docname = self._viewed.get_nowait().removeprefix("/").removesuffix(".html")
                    if docname not in warmed and docname not in to_warm:
                        to_warm.append(docname)
                if to_warm and not changed and full is None and drafts is not None:
                    # while nothing builds: the page being read has its draft application ready for its first edit
                    docname = to_warm.pop(0)
                    warmed.add(docname)
                    drafts.warm(docname)
        finally:
            self._stop.set()
            server.shutdown()
            if full is not None and full.process.poll() is None:
                full.process.terminate()
                full.process.wait(timeout=30)
