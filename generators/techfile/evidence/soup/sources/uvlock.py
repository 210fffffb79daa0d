"""``uv.lock``: uv's universal lock file (version 1). The project's own
package (``source = { editable | virtual = ... }``) gives the roots: its
``dependencies`` are runtime, its ``optional-dependencies`` and
``dev-dependencies`` are not."""

from __future__ import annotations

from pathlib import Path

from techfile.evidence.soup.graph import key, locked
from techfile.evidence.soup.interface import DependencySource, Lock, Locked, SoupInputError
from techfile.evidence.soup.sources import load_toml, require, table_lines


class UvLockError(SoupInputError):
    """A uv.lock that cannot be read."""


def _names(entries: object) -> list[str]:
    return [str(entry["name"]) for entry in entries if isinstance(entry, dict) and "name" in entry] if isinstance(entries, list) else []


class UvLock(DependencySource):
    format = "uv.lock"
    description = "uv.lock (uv, lock version 1)"

    def detects(self, path: Path, head: str) -> bool:
        return path.name == "uv.lock" or (path.suffix == ".lock" and "revision =" in head and "[[package]]" in head and "source = {" in head)

    def read(self, path: Path, shown: str, text: str) -> Lock:
        data = load_toml(text, shown, UvLockError)
        if data.get("version") != 1:
            raise UvLockError(f"has lock version {data.get('version')!r}; techfile reads uv.lock version 1", path=shown, line=1, fix="regenerate it with uv 0.4 or later (`uv lock`)")
        lines = table_lines(text, "[[package]]")
        tables = require(data.get("package", []), list, "package", shown, UvLockError)
        packages: list[Locked] = []
        runtime: list[str] = []
        dev: list[str] = []
        root = ""
        # (package, extra) pairs some package depends on: `{ name = "foo", extra = ["bar"] }`
        requested = {
            (key(str(entry.get("name", ""))), str(extra))
            for table in tables if isinstance(table, dict)
            for group in (table.get("dependencies") or [], *(table.get("optional-dependencies") or {}).values(), *(table.get("dev-dependencies") or {}).values())
            for entry in group if isinstance(entry, dict)
            for extra in entry.get("extra") or []
        }
        for index, table in enumerate(tables):
            line = lines[index] if index < len(lines) else 1
            require(table, dict, f"package {index + 1}", shown, UvLockError, line)
            name, version = table.get("name"), table.get("version")
            if not isinstance(name, str):
                raise UvLockError("package without a name", path=shown, line=line, fix="regenerate it with `uv lock`")
            source = table.get("source", {})
            # the project itself: its own folder, editable or virtual
            is_project = isinstance(source, dict) and source.get("editable", source.get("virtual")) == "."
            if is_project:
                root = name
                runtime += _names(table.get("dependencies"))
                for group in ("optional-dependencies", "dev-dependencies"):
                    for entries in (table.get(group) or {}).values():
                        dev += _names(entries)
            deps = set(_names(table.get("dependencies")))
            # an extra of this package that some package asks for pulls in its optional dependencies (through this package)
            for extra, entries in (table.get("optional-dependencies") or {}).items():
                if (key(name), str(extra)) in requested and not is_project:
                    deps.update(_names(entries))
            hashes = [str(f["hash"]) for f in [table.get("sdist") or {}, *(table.get("wheels") or [])] if isinstance(f, dict) and "hash" in f]
            if not isinstance(version, str):
                version = str(version or "")
            packages.append(locked(name, version, line, dependencies=sorted(deps), hashes=tuple(hashes), exact=bool(version)))
        return Lock(self.format, tuple(packages), tuple(sorted({key(n) for n in runtime})) if root else None, tuple(sorted({key(n) for n in dev} - {key(n) for n in runtime})), root)
