"""The benchmark command runs (at its smallest size), so it cannot rot. What
it measures is not asserted: timings are a measurement (benchmarks/run.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from miniproject import REPO

pytestmark = pytest.mark.slow


def test_benchmark_prints_its_table() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--sizes", "200", "--repeat", "1", "--check-sizes", "", "--preview-sizes", "200", "--generators"],
        capture_output=True, text=True, check=False, timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for row in ("`techfile check` vs `sphinx-build -b needs`", "HTML, full", "HTML, one title edited", "HTML, nothing changed"):
        assert f"| {row} |" in out
    assert "Pages still showing the old title after the edit: techfile none;" in out  # techfile's incremental build is never stale
    assert "`techfile junit`, 50,000 cases and 1,000 specifications:" in out and "`techfile soup`, 2,000 locked packages:" in out
    assert "`techfile mlflow`, a SQLite tracking store of 200 runs:" in out
    assert "| the edited page (techfile: its draft) |" in out and "| the needtables page |" in out, out
