"""``[[tool.techfile.soup]]``: dependency files read into component needs."""

from __future__ import annotations

from dataclasses import dataclass

from techfile.settings import setting

DEFAULT_OUTPUT = "needs/generated/soup.json"


@dataclass(frozen=True)
class SoupJob:
    """One ``[[tool.techfile.soup]]`` entry: lock files, requirements files or SBOMs written to one needs.json."""

    output: str = setting(help="needs.json to write, relative to the project root (e.g. `needs/generated/soup.json`).")
    sources: tuple[str, ...] = setting((), help="Lock files, requirements files, SBOMs or site-packages folders, relative to the project root; the format of each is detected.")
    format: str | None = setting(None, help="Format of every source, when detection should not decide (`uv.lock`, `poetry.lock`, `pylock.toml`, `requirements`, `pip-freeze`, `installed`, `package-lock.json`, `cyclonedx`).")
    software_version: str | None = setting(None, help="Version the components are of; default: `TECHFILE_SOFTWARE_VERSION`, else `git describe`.")
