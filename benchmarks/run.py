"""How fast techfile checks and builds a technical file, against plain
sphinx-needs on the same tree and the same Sphinx, in one run.

    .venv/bin/python benchmarks/run.py                       # 1,000, 5,000 and 20,000 needs
    .venv/bin/python benchmarks/run.py --sizes 1000 --repeat 1 --check-sizes ""   # the smoke run

For each size N a deterministic tree is generated (``tests/generated_corpus.py``:
every need type, about 48 authored needs a file, links from each requirement
to its system requirement, item, control and test, test results and SOUP
components as evidence, gaps sprinkled in), with a page of needtables and a
page of techfile's views (for plain sphinx-needs: the same needtables, and
needtables where techfile has views). Both builds write needs.json, as
techfile's does; techfile's also writes the Excel workbook. It is measured
with:

* ``techfile check`` against ``sphinx-build -b needs`` (plain sphinx-needs);
* the HTML build, full (fresh output), incremental (one need's title edited)
  and no-op (nothing changed), techfile against plain sphinx-needs;
* after the incremental build, whether every page that shows the edited
  title shows the new one: the needtables, techfile's views, the need's card;
* the peak memory (maximum resident set size) of each full build;
* the live preview (``--preview-sizes``, default 5,000): seconds from saving
  one need's title to the open page in a real browser showing it, with
  ``techfile serve`` (a draft of the page, then the full build) against
  sphinx-autobuild on plain sphinx-needs (``benchmarks/preview.py``);
* with ``--generators``, ``techfile junit`` on 50,000 cases and 1,000 test
  specifications, ``techfile soup`` on a lock file of 2,000 packages and
  ``techfile mlflow`` on a real SQLite tracking store of 200 runs.

It prints, per size, the min and median of ``--repeat`` runs of each and the
ratio of techfile's to plain's. ``--check-sizes`` (default 100,000) times
``techfile check`` alone at larger sizes. Timings vary with the machine; the
ratios, measured in the same run, are what to compare. Nothing here is
asserted: this is a measurement, not a test (tests/test_benchmark.py runs the
smallest size so that it cannot rot).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(HERE))

PLAIN_CONF = """\
import json
project = "plain sphinx-needs"
extensions = ["myst_parser", "sphinx_needs"]
exclude_patterns = ["_build"]
root_doc = "docs/index"
myst_enable_extensions = ["colon_fence", "deflist"]
_config = json.loads(open("needs_config.json").read())
needs_types = _config["needs_types"]
needs_fields = _config.get("needs_fields", {})
needs_links = _config.get("needs_links", {})
needs_id_required = True
needs_id_regex = _config["needs_id_regex"]
needs_build_json = True  # as techfile's build does: the same outputs but the workbook
suppress_warnings = ["needs"]
"""

TABLES = """\
# Tables

```{needtable}
:types: swreq
:columns: id, title, status
```

```{needtable}
:types: testspec
:columns: id, title
```
"""
VIEWS = """\
# Views

```{techfile-trace-matrix}
:kind: requirements
```

```{techfile-verification}
```

```{techfile-coverage}
```
"""
PLAIN_VIEWS = """\
# Views

```{needtable}
:types: sysreq
:columns: id, title
```

```{needtable}
:types: hazard
:columns: id, title
```
"""
INDEX = """\
# Benchmark technical file

```{{toctree}}
:glob:

tables
views
../needs/*
```
{imports}"""
EDITED = "Software requirement 3"
"""The need whose title the incremental build changes (SWR_003, in the first part file)."""


@dataclass
class Timing:
    runs: list[float] = field(default_factory=list)

    @property
    def low(self) -> float:
        return min(self.runs)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)


def timed(command: list[str], cwd: Path) -> tuple[float, int, str]:
    """Seconds, peak resident memory of the command (MiB) and its output."""
    probe = (
        "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "sys.stdout.write(done.stdout + done.stderr); print('\\n@@', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.returncode)"
    )
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", probe, *command], cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    output, _, tail = done.stdout.rpartition("\n@@ ")
    peak, _, status = tail.strip().partition(" ")
    if status not in ("0", "1"):  # 1: open gaps, as a generated tree has
        raise SystemExit(f"{' '.join(command)} failed (exit {status or '?'}):\n{output[-3000:]}")
    return seconds, int(peak or 0) // 1024, output


def tree(scratch: Path, needs: int) -> tuple[Path, Path, int]:
    """The techfile tree and the plain sphinx-needs tree of about ``needs`` needs."""
    from generated_corpus import generate
    from miniproject import MODEL, Mini
    from sphinxbuild import add_sphinx_files

    root = scratch / "techfile"
    mini = Mini(root)
    count = generate(mini, groups=max(1, needs // 16), per_file=4)
    mini.write_evidence()
    add_sphinx_files(root)
    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text().replace('standards = ["clauses.toml"]', "standards = []") + 'catalogue_doc = "docs/index"\n')
    imports = (root / "docs" / "index.md").read_text().split("\n", 1)[1]
    (root / "docs" / "index.md").write_text(INDEX.format(imports=imports))
    (root / "docs" / "tables.md").write_text(TABLES)
    (root / "docs" / "views.md").write_text(VIEWS)
    plain = scratch / "plain"
    shutil.copytree(root, plain)
    (plain / "conf.py").write_text(PLAIN_CONF)
    (plain / "needs_config.json").write_text(json.dumps(MODEL.sphinx_needs_config()))
    (plain / "docs" / "views.md").write_text(PLAIN_VIEWS)
    (plain / "pyproject.toml").unlink()
    return root, plain, count


def edit_title(root: Path, version: int) -> str:
    part = sorted((root / "needs").glob("part_*.md"))[0]
    text = part.read_text()
    old = next(line for line in text.splitlines() if line.startswith(f"```{{swreq}} {EDITED}") and (line == f"```{{swreq}} {EDITED}" or " v" in line))
    new_title = f"{EDITED} v{version}"
    part.write_text(text.replace(old, f"```{{swreq}} {new_title}", 1))
    return new_title


def stale_pages(outdir: Path, title: str, pages: tuple[str, ...]) -> list[str]:
    return [page for page in pages if title not in (outdir / page).read_text(encoding="utf-8")]


def measure(needs: int, repeat: int) -> dict[str, object]:
    sphinx = [sys.executable, "-m", "sphinx", "-q"]
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        root, plain, count = tree(scratch, needs)
        out["needs"] = count
        timings: dict[str, Timing] = {name: Timing() for name in ("check", "needs plain", "full techfile", "full plain", "edit techfile", "edit plain", "noop techfile", "noop plain")}
        peaks: dict[str, int] = {}
        stale: dict[str, list[str]] = {}
        for attempt in range(repeat):
            timings["check"].runs.append(timed([sys.executable, "-m", "techfile", "check", "--project", str(root)], root)[0])
            shutil.rmtree(plain / "_build", ignore_errors=True)
            timings["needs plain"].runs.append(timed([*sphinx, "-b", "needs", ".", "_build/needs"], plain)[0])
            for name, where in (("techfile", root), ("plain", plain)):
                shutil.rmtree(where / "_build" / "html", ignore_errors=True)
                shutil.rmtree(where / "_build" / "doctrees", ignore_errors=True)
                seconds, peak, _ = timed([*sphinx, "-b", "html", "-d", "_build/doctrees", ".", "_build/html"], where)
                timings[f"full {name}"].runs.append(seconds)
                peaks[name] = max(peaks.get(name, 0), peak)
            for name, where in (("techfile", root), ("plain", plain)):
                title = edit_title(where, attempt + 1)
                timings[f"edit {name}"].runs.append(timed([*sphinx, "-b", "html", "-d", "_build/doctrees", ".", "_build/html"], where)[0])
                pages = ("docs/tables.html", "needs/part_0000.html") + (("docs/views.html",) if name == "techfile" else ())
                stale[name] = stale_pages(where / "_build" / "html", title, pages)
                timings[f"noop {name}"].runs.append(timed([*sphinx, "-b", "html", "-d", "_build/doctrees", ".", "_build/html"], where)[0])
        out["timings"] = timings
        out["peaks"] = peaks
        out["stale"] = stale
    return out


def check_only(needs: int, repeat: int) -> tuple[int, Timing]:
    with tempfile.TemporaryDirectory() as folder:
        root, _, count = tree(Path(folder), needs)
        timing = Timing([timed([sys.executable, "-m", "techfile", "check", "--project", str(root)], root)[0] for _ in range(repeat)])
    return count, timing


def preview(needs: int, repeat: int) -> tuple[int, dict[str, Timing]] | str:
    """The live preview at ``needs`` needs; why not, when no browser is here."""
    import preview as live

    with tempfile.TemporaryDirectory() as folder:
        root, plain, count = tree(Path(folder), needs)
        try:
            found = live.measure(root, plain, repeat, edit_title)
        except live.PreviewUnavailable as why:
            return str(why)
    return count, {name: Timing(runs) for name, runs in found.items()}


def generators(repeat: int) -> dict[str, Timing]:
    """techfile junit on 50,000 cases and 1,000 specifications; techfile soup on 2,000 locked packages;
    techfile mlflow on a real SQLite tracking store with 200 runs (when mlflow is installed)."""
    from miniproject import Mini

    out: dict[str, Timing] = {"junit": Timing(), "soup": Timing(), "mlflow": Timing()}
    with tempfile.TemporaryDirectory() as folder:
        mini = Mini(Path(folder) / "project")
        mini.write_evidence()
        specs = "".join(f"\n```{{testspec}} Spec {i}\n:id: TEST_{i + 100:04d}\n:level: unit\n:junit: *test_module_{i}::test_case_{i}_*\n```\n" for i in range(1000))
        mini.append("tests.md", specs)
        cases = "".join(f'<testcase classname="test_module_{n % 1000}" name="test_case_{n % 1000}_{n}" time="0.001"/>' for n in range(50000))
        report = mini.root / "junit.xml"
        report.write_text(f'<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="50000">{cases}</testsuite></testsuites>')
        lock = mini.root / "requirements.txt"
        lock.write_text("".join(f"package-{n}==1.0.{n}\n" for n in range(2000)))
        pyproject = mini.root / "pyproject.toml"
        pyproject.write_text(
            pyproject.read_text()
            + '\n[[tool.techfile.junit]]\noutput = "needs/generated/bench_junit.json"\nsoftware_version = "1.0.0"\ninputs = [{ path = "junit.xml", level = "unit" }]\n'
            + '\n[[tool.techfile.soup]]\noutput = "needs/generated/bench_soup.json"\nsources = ["requirements.txt"]\n'
        )
        try:
            import mlflow  # noqa: F401
        except ImportError:
            mlflow_job = ""
        else:
            from mlflow_store import MODEL, write_store

            (mini.root / "mlartifacts").mkdir()
            store = write_store(f"sqlite:///{mini.root / 'mlflow.db'}", mini.root / "mlartifacts", runs=200)
            mlflow_job = f'\n[[tool.techfile.mlflow]]\noutput = "needs/generated/bench_mlflow.json"\ntracking_uri = "{store.uri}"\nmodel = "{MODEL}"\nalias = "released"\nsoftware_version = "1.0.0"\n'
            pyproject.write_text(pyproject.read_text() + mlflow_job)
        for _ in range(repeat):
            out["junit"].runs.append(timed([sys.executable, "-m", "techfile", "junit", "--project", str(mini.root)], mini.root)[0])
            out["soup"].runs.append(timed([sys.executable, "-m", "techfile", "soup", "--project", str(mini.root)], mini.root)[0])
            if mlflow_job:
                out["mlflow"].runs.append(timed([sys.executable, "-m", "techfile", "mlflow", "--project", str(mini.root)], mini.root)[0])
    return out


def row(name: str, ours: Timing, theirs: Timing | None) -> str:
    ratio = f"{ours.low / theirs.low:.2f} / {ours.median / theirs.median:.2f}" if theirs else ""
    against = f"{theirs.low:.2f} / {theirs.median:.2f}" if theirs else ""
    return f"| {name} | {ours.low:.2f} / {ours.median:.2f} | {against} | {ratio} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000,20000", help="comma-separated need counts for the full measurement")
    parser.add_argument("--check-sizes", default="100000", help="comma-separated need counts for techfile check alone (empty: none)")
    parser.add_argument("--preview-sizes", default="5000", help="comma-separated need counts for the live preview in a browser (empty: none)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--generators", action="store_true", help="also measure techfile junit (50,000 cases) and techfile soup (2,000 packages)")
    args = parser.parse_args()
    print(f"techfile benchmark, {time.strftime('%Y-%m-%d')}, Python {sys.version.split()[0]}; seconds as min / median of {args.repeat}\n")
    for size in (int(s) for s in args.sizes.split(",") if s):
        found = measure(size, args.repeat)
        t: dict[str, Timing] = found["timings"]  # type: ignore[assignment]
        print(f"### {found['needs']} needs\n")
        print("| run | techfile | plain sphinx-needs | ratio (min / median) |\n|---|---|---|---|")
        print(row("`techfile check` vs `sphinx-build -b needs`", t["check"], t["needs plain"]))
        print(row("HTML, full", t["full techfile"], t["full plain"]))
        print(row("HTML, one title edited", t["edit techfile"], t["edit plain"]))
        print(row("HTML, nothing changed", t["noop techfile"], t["noop plain"]))
        peaks: dict[str, int] = found["peaks"]  # type: ignore[assignment]
        stale: dict[str, list[str]] = found["stale"]  # type: ignore[assignment]
        print(f"\nPeak memory of the full build: techfile {peaks['techfile']} MiB, plain {peaks['plain']} MiB.")
        print(f"Pages still showing the old title after the edit: techfile {', '.join(stale['techfile']) or 'none'}; plain {', '.join(stale['plain']) or 'none'}.\n")
    for size in (int(s) for s in args.check_sizes.split(",") if s):
        count, timing = check_only(size, args.repeat)
        print(f"`techfile check` at {count} needs: {timing.low:.2f} / {timing.median:.2f} s\n")
    for size in (int(s) for s in args.preview_sizes.split(",") if s):
        measured = preview(size, args.repeat)
        if isinstance(measured, str):
            print(f"Live preview not measured: {measured}\n")
            continue
        count, p = measured
        print(f"### Live preview, {count} needs: from saving one need's title to the browser showing it\n")
        print("| shown | techfile serve | sphinx-autobuild, plain sphinx-needs | ratio (min / median) |\n|---|---|---|---|")
        print(row("the edited page (techfile: its draft)", p["visible techfile"], p["visible plain"]))
        print(row("the edited page, from the full build", p["final techfile"], p["visible plain"]))
        print(row("the needtables page", p["tables techfile"], p["visible plain"]))
        print()
    if args.generators:
        found_generators = generators(args.repeat)
        print(f"`techfile junit`, 50,000 cases and 1,000 specifications: {found_generators['junit'].low:.2f} / {found_generators['junit'].median:.2f} s")
        print(f"`techfile soup`, 2,000 locked packages: {found_generators['soup'].low:.2f} / {found_generators['soup'].median:.2f} s")
        if found_generators["mlflow"].runs:
            print(f"`techfile mlflow`, a SQLite tracking store of 200 runs: {found_generators['mlflow'].low:.2f} / {found_generators['mlflow'].median:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
