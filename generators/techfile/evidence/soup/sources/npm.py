"""npm ``package-lock.json`` (lockfileVersion 2 and 3): the ``packages``
map, keyed by install path (``node_modules/a/node_modules/b``); ``dev``
marks development-only packages; the root entry ``""`` lists the direct
dependencies. Version 1 files (no ``packages``) are refused."""

from __future__ import annotations

import re
from pathlib import Path

from techfile.evidence.soup.graph import locked
from techfile.evidence.soup.interface import DependencySource, Lock, Locked, SoupInputError
from techfile.evidence.soup.sources import json_line, load_json, require


class NpmLockError(SoupInputError):
    """A package-lock.json that cannot be read."""


class NpmLock(DependencySource):
    format = "package-lock.json"
    description = "npm package-lock.json (lockfileVersion 2, 3)"

    def detects(self, path: Path, head: str) -> bool:
        return path.name in ("package-lock.json", "npm-shrinkwrap.json") or '"lockfileVersion"' in head

    def read(self, path: Path, shown: str, text: str) -> Lock:
        data = require(load_json(text, shown, NpmLockError), dict, "the document", shown, NpmLockError, 1)
        version = data.get("lockfileVersion")
        if version not in (2, 3):
            raise NpmLockError(f"has lockfileVersion {version!r}; techfile reads versions 2 and 3", path=shown, line=json_line(text, '"lockfileVersion"'), fix="regenerate it with npm 7 or later (`npm install --package-lock-only`)")
        entries = require(data.get("packages"), dict, "packages", shown, NpmLockError, json_line(text, '"packages"'))
        root = entries.get("", {})
        packages: list[Locked] = []
        cursor = 0
        for install_path, entry in entries.items():
            if not install_path:
                continue
            at = text.find(f'"{install_path}"', cursor)
            line = text.count("\n", 0, at) + 1 if at >= 0 else 1
            cursor = max(cursor, at)
            require(entry, dict, install_path, shown, NpmLockError, line)
            if entry.get("link"):
                continue  # a workspace link: its target is listed under its own path
            name = entry.get("name") or re.sub(r"^.*node_modules/", "", install_path)
            if not isinstance(entry.get("version"), str):
                raise NpmLockError(f"{install_path} has no version", path=shown, line=line, fix="regenerate it with `npm install --package-lock-only`")
            deps = sorted({*(entry.get("dependencies") or {}), *(entry.get("optionalDependencies") or {})})
            integrity = entry.get("integrity")
            packages.append(
                locked(str(name), entry["version"], line, direct=False if install_path.count("node_modules/") > 1 else None, ecosystem="npm", dependencies=deps, hashes=(integrity,) if isinstance(integrity, str) else (), license=str(entry.get("license") or ""), dev=bool(entry.get("dev") or entry.get("devOptional")))
            )
        runtime = tuple(sorted(n.lower() for n in {*(root.get("dependencies") or {}), *(root.get("optionalDependencies") or {})}))
        dev = tuple(sorted(n.lower() for n in root.get("devDependencies") or {}))
        return Lock(self.format, tuple(packages), runtime, dev, str(root.get("name") or ""))
