from __future__ import annotations

from pathlib import Path

import pytest

from miniproject import Mini

# The runners' own example projects under fixtures/ are inputs, not tests of techfile.
collect_ignore_glob = ["fixtures/*"]


@pytest.fixture
def mini(tmp_path: Path) -> Mini:
    return Mini(tmp_path / "project")
