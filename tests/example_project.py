"""The example device's technical file, copied out of the repository and
built as `make techfile` builds it: its real test run becomes evidence, then
the HTML build. Shared by every slow test that reads the built example."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from miniproject import REPO
from sphinxbuild import Build, sphinx_build
from techfile import provenance

COPIED = ("conf.py", "pyproject.toml", "docs", "needs", "schemas", "examples")
IGNORED = shutil.ignore_patterns("generated", "_build", "__pycache__", ".pytest_cache", "*.egg-info", "cache")
# Where the tests that look keep what they saw (screenshots, page images), for CI to keep.
ARTEFACTS = REPO / "_build" / "test-artefacts"


def techfile(root: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "techfile", *arguments, "--project", str(root)], capture_output=True, text=True, check=False)


def make_evidence(root: Path) -> None:
    """What `make evidence` does: the device's tests per level, then `techfile junit`."""
    example = root / "examples" / "pji_risk"
    for level in ("unit", "integration", "system"):
        report = root / "_build" / "evidence" / "junit" / f"{level}.xml"
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "junit_family=xunit1", f"--junitxml={report}", f"tests/{level}"],
            cwd=example, capture_output=True, text=True, check=False,
        )
        assert done.returncode == 0, done.stdout[-3000:]
    done = techfile(root, "junit")
    assert done.returncode == 0, done.stderr
    make_data_evidence(root)
    make_mlflow_evidence(root)
    make_monitoring_evidence(root)
    assert (done := techfile(root, "soup")).returncode == 0, done.stderr
    assert (done := techfile(root, "environment", "--commit", provenance.commit(REPO))).returncode == 0, done.stderr


def make_data_evidence(root: Path) -> None:
    """What `make data` does: the example's DVC pipeline reproduced, then `techfile dvc` and `techfile annotations`."""
    bin_dir = Path(sys.executable).parent
    done = subprocess.run([str(bin_dir / "dvc"), "repro", "-q"], cwd=root / "examples" / "pji_risk", capture_output=True, text=True, check=False, env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert (done := techfile(root, "dvc")).returncode == 0, done.stderr
    assert (done := techfile(root, "annotations")).returncode == 0, done.stderr


def make_mlflow_evidence(root: Path) -> None:
    """What `make mlflow` does: the training run recorded in a fresh SQLite store, then `techfile mlflow`."""
    store = root / "_build" / "evidence" / "mlflow"
    shutil.rmtree(store, ignore_errors=True)
    store.mkdir(parents=True)
    done = subprocess.run(
        [sys.executable, "training/train.py", "--mlflow-uri", f"sqlite:///{store / 'mlflow.db'}", "--git-commit", provenance.commit(REPO)],
        cwd=root / "examples" / "pji_risk", capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (done := techfile(root, "mlflow")).returncode == 0, done.stderr


def evidently_python() -> Path:
    """The interpreter with Evidently: TECHFILE_EVIDENTLY_PYTHON, else the repository's .venv-evidently (`make monitoring`; `make test` makes it)."""
    import os

    configured = os.environ.get("TECHFILE_EVIDENTLY_PYTHON")
    python = Path(configured) if configured else REPO / ".venv-evidently" / "bin" / "python"
    assert python.exists(), f"no Evidently environment at {python}: run `make .venv-evidently/.installed` (make test does)"
    return python


def make_monitoring_evidence(root: Path) -> None:
    """What `make monitoring` does: the month of post-market batches measured with Evidently, then `techfile monitoring`."""
    reports = root / "_build" / "evidence" / "monitoring" / "reports"
    shutil.rmtree(reports.parent, ignore_errors=True)
    done = subprocess.run([str(evidently_python()), "training/postmarket.py", "--output", str(reports)], cwd=root / "examples" / "pji_risk", capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (done := techfile(root, "monitoring")).returncode == 0, done.stderr


def copy_example(root: Path) -> Path:
    root.mkdir(parents=True)
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=IGNORED)
        else:
            shutil.copy(source, root / name)
    return root


def build_example(root: Path) -> tuple[Path, Build]:
    copy_example(root)
    make_evidence(root)
    return root, sphinx_build(root)
