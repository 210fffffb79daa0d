"""``[[tool.techfile.junit]]``: JUnit XML reports merged into one needs.json."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from techfile.settings import setting

Level = Literal["unit", "integration", "system"]
LEVELS: tuple[Level, ...] = ("unit", "integration", "system")


@dataclass(frozen=True)
class JUnitInput:
    """One report of a job: a path, or ``{ path = "...", level = "unit" }``."""

    SHORTHAND: ClassVar[str] = "path"
    TABLE_NAME: ClassVar[str] = "inputs"

    path: str = setting(help="JUnit XML report, relative to the project root.")
    level: Level | None = setting(None, help="Test level of its cases (IEC 62304 5.5-5.7).")


@dataclass(frozen=True)
class JUnitJob:
    """One ``[[tool.techfile.junit]]`` entry: JUnit files merged into one needs.json."""

    NESTED: ClassVar[tuple[type, ...]] = (JUnitInput,)

    output: str = setting(help="needs.json to write, relative to the project root (e.g. `needs/generated/junit.json`).")
    inputs: tuple[JUnitInput, ...] = setting((), help="Reports to read: paths, or tables with `path` and `level`.")
    software_version: str | None = setting(None, help="Version under test; default: `TECHFILE_SOFTWARE_VERSION`, else `git describe`.")
