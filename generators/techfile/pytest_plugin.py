"""pytest plugin: ``@pytest.mark.verifies("SWR_012", ...)`` records which
requirements (or test specifications) a test verifies as a ``verifies``
property of its JUnit ``<testcase>``, which ``techfile junit`` turns into
links. Loaded automatically (entry point ``pytest11``) wherever techfile is
installed.
"""

from __future__ import annotations

import pytest

MARKER = "verifies"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*ids): requirement or test-specification IDs this test verifies (recorded in JUnit XML by techfile)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    ids: list[str] = []
    for mark in item.iter_markers(MARKER):
        for value in mark.args:
            if not isinstance(value, str) or not value.strip():
                raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.{MARKER} takes need IDs as strings, got {value!r}")
            ids.extend(part.strip() for part in value.split(",") if part.strip())
    if ids:
        # One property per test, comma-separated: xunit1 and xunit2 both keep properties written this way.
        item.user_properties.append((MARKER, ",".join(sorted(dict.fromkeys(ids)))))
