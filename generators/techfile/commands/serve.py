"""``techfile serve``: the technical file in the browser, rebuilt as it is edited.

The page being edited shows the edit first as a draft, built alone (about
a second at 5,000 needs), then as the full incremental build writes it and
every other page the edit changed. See :mod:`techfile.preview`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from techfile.errors import TechfileError
from techfile.project import load_project


def register(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "serve",
        help="live preview: each edited page at once as a draft, then the full build",
        description="Build the HTML technical file into BUILDDIR/html, serve it on HOST:PORT, and on every save show the edited "
        "page at once as a draft built alone, then the full incremental build (only the pages the edit changed are written). "
        "Open pages reload by themselves. Stop with Ctrl-C (exit 130).",
    )
    parser.add_argument("--project", type=Path, default=None, help="project directory (default: the nearest with [tool.techfile])")
    parser.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0: any free port, printed)")
    parser.add_argument("--builddir", type=Path, default=None, help="where the preview builds (default: _build/serve in the project)")
    parser.add_argument("--no-drafts", action="store_true", help="only the full build (as sphinx-autobuild would)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        import watchfiles  # noqa: F401
    except ImportError as error:
        raise TechfileError("techfile serve needs watchfiles", fix="pip install 'techfile[serve]'") from error
    from techfile.preview.session import Session

    project = load_project(args.project)
    builddir = (args.builddir or project.root / "_build" / "serve").resolve()
    if not 0 <= args.port <= 65535:
        raise TechfileError(f"--port {args.port} is not a port", fix="a number from 1 to 65535, or 0 for any free port")
    project.conf_dir("techfile serve")
    session = Session(project, builddir, host=args.host, port=args.port, drafts_enabled=not args.no_drafts, say=lambda text: print(text, flush=True))
    try:
        session.run(ready=lambda url: print(f"ready: {url}", flush=True))
    except OSError as error:
        raise TechfileError(f"cannot serve on {args.host}:{args.port}: {error.strerror or error}", fix="another --port, or --port 0 for any free one") from error
    return 0
