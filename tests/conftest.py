from __future__ import annotations

import os
from pathlib import Path

import pytest

from example_project import build_example
from miniproject import Mini
from sphinxbuild import Build

# The runners' own example projects under fixtures/ are inputs, not tests of techfile.
collect_ignore_glob = ["fixtures/*"]

# Sphinx colours its messages when CI=true or FORCE_COLOR is set, and the
# tests match messages as text: NO_COLOR wins over both, in this process and
# in every build the tests start.
os.environ["NO_COLOR"] = "1"


@pytest.fixture
def mini(tmp_path: Path) -> Mini:
    return Mini(tmp_path / "project")


@pytest.fixture(scope="session")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Build]:
    """The example's technical file, evidence and HTML build, made once for every slow test that reads it."""
    return build_example(tmp_path_factory.mktemp("techfile") / "repo")
