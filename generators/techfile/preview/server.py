"""The preview's HTTP side: the built pages, each draft in its page's place,
and a stream of server-sent events that tells each open page to reload.

Every HTML page served gets a small script (``live.js``) that listens to
``/_techfile/events``; a draft page says so in a bar at its top, and a badge
shows while the full build runs. Pages are served with ``no-store`` so that
a reload always shows what was last built.
"""

from __future__ import annotations

import json
import threading
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from techfile.preview.splice import splice

EVENTS = "/_techfile/events"
SCRIPT = "/_techfile/live.js"
HEARTBEAT = 15.0

LIVE_JS = """\
(() => {
  const page = decodeURIComponent(location.pathname);
  const style = "position:fixed;z-index:9999;font:14px/1.4 system-ui,sans-serif;padding:.4em .8em;";
  if (document.documentElement.dataset.techfileDraft) {
    const bar = document.createElement("div");
    bar.className = "techfile-draft-bar";
    bar.setAttribute("style", style + "top:0;left:0;right:0;background:#fff3cd;color:#533f03;border-bottom:1px solid #e0c36a;");
    bar.textContent = "Draft: this page built alone, its verdicts and views as techfile check reads the sources. The full build follows and replaces it.";
    document.body.prepend(bar);
  }
  const badge = document.createElement("div");
  badge.className = "techfile-build-badge";
  badge.setAttribute("style", style + "bottom:.8em;right:.8em;background:#1f2937;color:#fff;border-radius:.4em;display:none;");
  document.body.append(badge);
  const source = new EventSource("@EVENTS@");
  source.addEventListener("reload", (event) => {
    const pages = JSON.parse(event.data);
    if (pages.includes("*") || pages.includes(page)) location.reload();
  });
  source.addEventListener("state", (event) => {
    const state = JSON.parse(event.data);
    badge.textContent = state.building ? "Building the technical file\\u2026" : (state.failed ? "The full build failed: see the terminal" : "");
    badge.style.display = badge.textContent ? "block" : "none";
  });
})();
""".replace("@EVENTS@", EVENTS)


class Events:
    """What the open pages are told: numbered events, kept for a while, waited on by each stream."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._events: list[tuple[int, str, str]] = []
        self._last = 0
        self.state: dict[str, Any] = {"building": False, "failed": False}

    def publish(self, name: str, data: Any) -> None:
        with self._condition:
            if name == "state":
                self.state = dict(data)
            self._last += 1
            self._events.append((self._last, name, json.dumps(data)))
            del self._events[:-200]
            self._condition.notify_all()

    def after(self, seen: int, timeout: float) -> tuple[int, list[tuple[str, str]]]:
        with self._condition:
            self._condition.wait_for(lambda: self._last > seen, timeout=timeout)
            return self._last, [(name, data) for number, name, data in self._events if number > seen]

    @property
    def last(self) -> int:
        with self._condition:
            return self._last


class Overlay:
    """URL path -> the draft served there until the full build has read its edit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._drafts: dict[str, tuple[Path, float]] = {}

    def put(self, url: str, html: Path, edited_at: float) -> None:
        with self._lock:
            self._drafts[url] = (html, edited_at)

    def get(self, url: str) -> Path | None:
        with self._lock:
            found = self._drafts.get(url)
        return found[0] if found else None

    def settle(self, build_started: float) -> list[str]:
        """Drop the drafts of edits made before a full build that has now finished; their URLs."""
        with self._lock:
            done = [url for url, (_, edited_at) in self._drafts.items() if edited_at <= build_started]
            for url in done:
                del self._drafts[url]
        return done


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


class _Handler(SimpleHTTPRequestHandler):
    events: Events
    overlay: Overlay
    on_view: Any

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the terminal shows builds, not requests

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self) -> None:
        path = unquote(urlsplit(self.path).path)
        if path == EVENTS:
            self._stream()
        elif path == SCRIPT:
            self._send(LIVE_JS.encode("utf-8"), "text/javascript; charset=utf-8")
        elif path.endswith(".html") or path.endswith("/"):
            self._page(path if path.endswith(".html") else path + "index.html")
        else:
            super().do_GET()

    def _send(self, body: bytes, kind: str) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _page(self, url: str) -> None:
        draft = self.overlay.get(url)
        built = _read(Path(self.translate_path(url)))
        text = _read(draft) if draft is not None else built
        if text is None:
            self.send_error(HTTPStatus.NOT_FOUND, "not built (yet)")
            return
        if draft is not None and built is not None:
            text = splice(built, text)
        tag = f'<script src="{SCRIPT}" defer></script>'
        text = text.replace("</head>", f"{tag}</head>", 1) if "</head>" in text else text + tag
        if draft is not None:
            text = text.replace("<html", '<html data-techfile-draft="1"', 1)
        self._send(text.encode("utf-8"), "text/html; charset=utf-8")
        self.on_view(url)

    def _stream(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        seen = self.events.last
        try:
            self.wfile.write(b"retry: 1000\n\n")
            self.wfile.write(f"event: state\ndata: {json.dumps(self.events.state)}\n\n".encode())
            self.wfile.flush()
            while True:
                seen, found = self.events.after(seen, HEARTBEAT)
                payload = "".join(f"event: {name}\ndata: {data}\n\n" for name, data in found) or ": ping\n\n"
                self.wfile.write(payload.encode("utf-8"))
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return


def serve(html: Path, host: str, port: int, events: Events, overlay: Overlay, on_view: Any) -> ThreadingHTTPServer:
    """An HTTP server of ``html`` on a thread of its own (``port`` 0: any free port)."""
    handler = type("PreviewHandler", (_Handler,), {"events": events, "overlay": overlay, "on_view": staticmethod(on_view)})
    server = ThreadingHTTPServer((host, port), partial(handler, directory=str(html)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="techfile-preview-http", daemon=True).start()
    return server


def url_of(docname: str) -> str:
    return f"/{docname}.html"

