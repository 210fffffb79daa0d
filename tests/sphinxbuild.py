"""Run sphinx-build on a project directory, the way CI does (``-W``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Build:
    status: int
    output: str
    outdir: Path

    def findings(self) -> list[dict[str, object]]:
        return json.loads((self.outdir / "techfile-findings.json").read_text())["findings"]


def sphinx_build(root: Path, builder: str = "html", *options: str, env: dict[str, str] | None = None) -> Build:
    outdir = root / "_build" / builder
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", builder, "-W", "--keep-going", "-q", *options, str(root), str(outdir)],
        capture_output=True, text=True, check=False, env={**os.environ, **(env or {})},
    )
    return Build(done.returncode, done.stdout + done.stderr, outdir)


MINIMAL_CONF = 'project = "Mini"\nextensions = ["myst_parser", "sphinx_needs", "techfile.sphinxext"]\nexclude_patterns = ["_build"]\n'


def add_sphinx_files(root: Path) -> None:
    """The smallest conf.py of a techfile project: the three extensions, techfile configures the rest."""
    (root / "conf.py").write_text(MINIMAL_CONF)
