"""The pre-commit hook (``.pre-commit-hooks.yaml``), run by the real
pre-commit as a team runs it: pre-commit installs techfile from this
repository at its HEAD commit into its own environment, and the hook passes
on a clean technical file and fails a commit that opens a gap, naming it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from miniproject import REPO, Mini

pytestmark = pytest.mark.slow


def git(root: Path, *arguments: str) -> None:
    subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.org", *arguments], cwd=root, check=True, capture_output=True)


def test_hook_passes_a_clean_file_and_fails_a_gap(tmp_path: Path) -> None:
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    shown = subprocess.run(["git", "show", f"{head}:.pre-commit-hooks.yaml"], cwd=REPO, capture_output=True, text=True, check=False)
    if shown.returncode != 0:
        pytest.skip("HEAD has no .pre-commit-hooks.yaml yet (commit it first)")
    mini = Mini(tmp_path / "device")
    mini.write_evidence()
    (mini.root / ".pre-commit-config.yaml").write_text(f"repos:\n  - repo: {REPO}\n    rev: {head}\n    hooks:\n      - id: techfile-check\n")
    git(mini.root, "init", "-q")
    git(mini.root, "add", "-A")
    git(mini.root, "commit", "-q", "-m", "technical file")
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or "pre-commit"
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run([pre_commit, "run", "--all-files"], cwd=mini.root, capture_output=True, text=True, check=False, env=env)

    passed = run()  # the first run installs techfile into pre-commit's environment
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "techfile check" in passed.stdout and "Passed" in passed.stdout
    mini.replace("requirements.md", ":derives_from: SYS_001\n", "")
    start = time.perf_counter()
    failed = run()
    elapsed = time.perf_counter() - start
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Failed" in failed.stdout and "techfile.R01: SWR_001: derives from no system requirement or user need" in failed.stdout
    print(f"pre-commit techfile-check on a changed file: {elapsed:.2f} s")  # measured, not asserted (see benchmarks/)
