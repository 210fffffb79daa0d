"""The installed environment: the distributions of a ``site-packages``
folder (``*.dist-info``), with their licence, author and ``Requires-Dist``
for the tree. A package no other requires is taken as direct runtime."""

from __future__ import annotations

from email.parser import HeaderParser
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement

from techfile.evidence.soup.graph import key, locked
from techfile.evidence.soup.interface import DependencySource, Lock, Locked, SoupInputError


class InstalledError(SoupInputError):
    """An installed environment that cannot be read."""


def _requires(lines: list[str], environment: dict[str, str]) -> list[str]:
    names = []
    for line in lines:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if requirement.marker is None or requirement.marker.evaluate({**environment, "extra": ""}):
            names.append(requirement.name)
    return names


class Installed(DependencySource):
    format = "installed"
    description = "an installed environment (a site-packages folder with *.dist-info)"

    def detects(self, path: Path, head: str) -> bool:
        return path.is_dir() and any(path.glob("*.dist-info/METADATA"))

    def read(self, path: Path, shown: str, text: str) -> Lock:
        environment: dict[str, str] = {name: str(value) for name, value in default_environment().items()}
        packages: list[Locked] = []
        required: set[str] = set()
        for metadata in sorted(path.glob("*.dist-info/METADATA")):
            headers = HeaderParser().parsestr(metadata.read_text(encoding="utf-8", errors="replace"))
            name, version = headers.get("Name"), headers.get("Version")
            if not name or not version:
                raise InstalledError("has no Name or Version", path=f"{shown}/{metadata.parent.name}/METADATA", line=1, fix="reinstall the distribution")
            deps = _requires(headers.get_all("Requires-Dist") or [], environment)
            required.update(key(d) for d in deps)
            licence = headers.get("License-Expression") or ""
            supplier = headers.get("Author") or headers.get("Maintainer") or ""
            if not supplier:
                supplier = (headers.get("Author-email") or headers.get("Maintainer-email") or "").split("<")[0].strip().strip('"')
            packages.append(locked(name, version, 1, dependencies=deps, license=licence, supplier=supplier))
        roots = tuple(sorted({key(p.name) for p in packages} - required - {"pip", "setuptools", "wheel"}))
        return Lock(self.format, tuple(packages), roots)
