"""How fast techfile reads and checks a technical file, against plain
sphinx-needs on the same tree, in one run.

    .venv/bin/python benchmarks/run.py [--groups 1600] [--repeat 3]

A tree of generated needs (``tests/generated_corpus.py``: 12 authored needs
per group, with test results and SOUP components as evidence) is built in a
temporary folder and measured with:

* ``techfile check`` and ``techfile needs`` (no Sphinx);
* ``sphinx-build -b needs`` with techfile's extension (the technical file's
  build: sphinx-needs, plus techfile's second reading and its rules);
* ``sphinx-build -b needs`` with plain sphinx-needs and the same need types
  (what any sphinx-needs project pays).

It prints the best of ``--repeat`` wall-clock runs of each, and the ratio
of each to plain sphinx-needs. Timings vary with the machine; the ratios
are what to compare across changes. Nothing here is asserted: this is a
measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))

PLAIN_CONF = """\
import json
project = "plain sphinx-needs"
extensions = ["myst_parser", "sphinx_needs"]
exclude_patterns = ["_build"]
root_doc = "docs/index"
myst_enable_extensions = ["colon_fence", "deflist"]
_config = json.loads(open("needs_config.json").read())
needs_types = _config["needs_types"]
needs_id_required = True
needs_id_regex = _config["needs_id_regex"]
"""


def best(command: list[str], cwd: Path, repeat: int, *, fresh: Path | None = None) -> float:
    times = []
    for _ in range(repeat):
        if fresh is not None and fresh.exists():
            shutil.rmtree(fresh)
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    from generated_corpus import generate
    from miniproject import MODEL, Mini
    from sphinxbuild import add_sphinx_files

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=1600, help="groups of 12 authored needs (1600: about 25,000 needs with the evidence)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    python = Path(sys.executable)
    techfile = [str(python), "-m", "techfile"]
    sphinx = [str(python), "-m", "sphinx", "-b", "needs", "-q"]
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "tree"
        mini = Mini(root)
        count = generate(mini, groups=args.groups)
        mini.write_evidence()
        add_sphinx_files(root)
        (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text() + 'catalogue_doc = "docs/index"\n')
        plain = Path(scratch) / "plain"
        shutil.copytree(root, plain)
        (plain / "conf.py").write_text(PLAIN_CONF)
        (plain / "needs_config.json").write_text(json.dumps(MODEL.sphinx_needs_config()))
        (plain / "pyproject.toml").unlink()
        measured = {
            "techfile check": best([*techfile, "check", "--project", str(root)], root, args.repeat),
            "techfile needs": best([*techfile, "needs", "--project", str(root), "-o", str(Path(scratch) / "needs.json")], root, args.repeat),
            "sphinx-build -b needs, techfile": best([*sphinx, ".", "_build/needs"], root, args.repeat, fresh=root / "_build"),
            "sphinx-build -b needs, plain sphinx-needs": best([*sphinx, ".", "_build/needs"], plain, args.repeat, fresh=plain / "_build"),
        }
    baseline = measured["sphinx-build -b needs, plain sphinx-needs"]
    print(f"{count} needs ({args.groups} groups), best of {args.repeat}\n")
    print("| run | seconds | ratio to plain sphinx-needs |\n|---|---|---|")
    for name, seconds in measured.items():
        print(f"| {name} | {seconds:.2f} | {seconds / baseline:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
