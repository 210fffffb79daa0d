"""Shared fixtures: a valid record, the released model, paths and a CLI runner.

Tests run from the example root (``pythonpath = ["."]`` in pyproject.toml), so
``pji_risk`` and ``training`` import without installation; subprocesses get
the same root on PYTHONPATH.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pji_risk.model import LogisticModel, load_model

EXAMPLE_ROOT = Path(__file__).resolve().parents[1]

VALID_RECORD: dict[str, object] = {
    "age_years": 68,
    "sex": "female",
    "bmi": 29.4,
    "asa_class": 2,
    "diabetes": False,
    "smoking": "never",
    "rheumatoid_arthritis": False,
    "joint": "hip",
    "procedure": "primary",
}

CliRunner = Callable[..., subprocess.CompletedProcess[bytes]]


@pytest.fixture
def valid_record() -> dict[str, object]:
    """A fresh copy of a valid record (tests may mutate it)."""
    return dict(VALID_RECORD)


@pytest.fixture(scope="session")
def example_root() -> Path:
    return EXAMPLE_ROOT


@pytest.fixture(scope="session")
def model_path() -> Path:
    return EXAMPLE_ROOT / "pji_risk" / "model.json"


@pytest.fixture(scope="session")
def model() -> LogisticModel:
    """The released model, loaded through the integrity check."""
    return load_model()


def run_cli_process(stdin: bytes, *args: str, pythonpath: Path = EXAMPLE_ROOT) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m pji_risk`` (default arguments: ``estimate``) as a separate process, as a user would.

    ``pythonpath`` selects which copy of the package runs (tests of a
    tampered installation use a copy in a temporary directory).
    """
    env = {**os.environ, "PYTHONPATH": str(pythonpath), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pji_risk", *(args or ("estimate",))],
        input=stdin,
        capture_output=True,
        cwd=pythonpath,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="session")
def run_cli() -> CliRunner:
    return run_cli_process
