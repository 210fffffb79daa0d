"""``pylock.toml`` (PEP 751, lock-version 1.0), as ``pip lock`` writes it.
It records no roots; ``dependencies`` where the tool writes them."""

from __future__ import annotations

from pathlib import Path

from techfile.evidence.soup.graph import locked
from techfile.evidence.soup.interface import DependencySource, Lock, Locked, SoupInputError
from techfile.evidence.soup.sources import load_toml, require, table_lines


class PyLockError(SoupInputError):
    """A pylock.toml that cannot be read."""


class PyLock(DependencySource):
    format = "pylock.toml"
    description = "pylock.toml (PEP 751, lock-version 1.0; pip lock)"

    def detects(self, path: Path, head: str) -> bool:
        return path.name == "pylock.toml" or (path.name.startswith("pylock.") and path.suffix == ".toml") or "lock-version" in head

    def read(self, path: Path, shown: str, text: str) -> Lock:
        data = load_toml(text, shown, PyLockError)
        if str(data.get("lock-version", "")).split(".")[0] != "1":
            raise PyLockError(f"has lock-version {data.get('lock-version')!r}; techfile reads PEP 751 lock-version 1.x", path=shown, line=1, fix="regenerate it with `pip lock` (pip 25.1 or later)")
        lines = table_lines(text, "[[packages]]")
        packages: list[Locked] = []
        for index, table in enumerate(require(data.get("packages", []), list, "packages", shown, PyLockError)):
            line = lines[index] if index < len(lines) else 1
            require(table, dict, f"package {index + 1}", shown, PyLockError, line)
            name, version = table.get("name"), table.get("version")
            if not isinstance(name, str):
                raise PyLockError("package without a name", path=shown, line=line, fix="regenerate it with `pip lock`")
            if not isinstance(version, str):
                raise PyLockError(f"package {name} has no version (a VCS or directory package)", path=shown, line=line, fix="lock it from an index, or record it as a SOUP item by hand")
            files = [*(table.get("wheels") or []), *([table["sdist"]] if isinstance(table.get("sdist"), dict) else [])]
            hashes = [f"{algo}:{value}" for f in files if isinstance(f, dict) for algo, value in sorted((f.get("hashes") or {}).items())]
            deps = [str(d["name"]) for d in table.get("dependencies", []) if isinstance(d, dict) and "name" in d]
            packages.append(locked(name, version, line, dependencies=deps, hashes=tuple(hashes)))
        return Lock(self.format, tuple(packages), None)
