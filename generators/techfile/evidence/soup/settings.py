"""``[[tool.techfile.soup]]``: dependency files read into component needs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from techfile.settings import setting

DEFAULT_OUTPUT = "needs/generated/soup.json"


def _date(value: str | None) -> str | None:
    return None if value is None or re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value) else f"{value!r} is not a date YYYY-MM-DD"


@dataclass(frozen=True)
class VulnerabilityInput:
    """One vulnerability report of a job: a path, or ``{ path = "...", scanned_on = "YYYY-MM-DD" }``."""

    SHORTHAND: ClassVar[str] = "path"
    TABLE_NAME: ClassVar[str] = "vulnerabilities"

    path: str = setting(help="Vulnerability report (pip-audit, OSV-Scanner or Dependency-Check JSON, or CycloneDX VEX), relative to the project root.")
    scanned_on: str | None = setting(None, help="Date of the scan (YYYY-MM-DD), for a report that records none (pip-audit, OSV-Scanner).", check=_date, fix="write the date as YYYY-MM-DD")


@dataclass(frozen=True)
class SoupJob:
    """One ``[[tool.techfile.soup]]`` entry: lock files, requirements files or SBOMs written to one needs.json."""

    NESTED: ClassVar[tuple[type, ...]] = (VulnerabilityInput,)

    output: str = setting(help="needs.json to write, relative to the project root (e.g. `needs/generated/soup.json`).")
    sources: tuple[str, ...] = setting((), help="Lock files, requirements files, SBOMs or site-packages folders, relative to the project root; the format of each is detected.")
    format: str | None = setting(None, help="Format of every source, when detection should not decide (`uv.lock`, `poetry.lock`, `pylock.toml`, `requirements`, `pip-freeze`, `installed`, `package-lock.json`, `cyclonedx`).")
    vulnerabilities: tuple[VulnerabilityInput, ...] = setting((), help="Vulnerability reports read as files (no vulnerability service is asked): paths, or tables with `path` and `scanned_on`.")
    software_version: str | None = setting(None, help="Version the components are of; default: `TECHFILE_SOFTWARE_VERSION`, else `git describe`.")
