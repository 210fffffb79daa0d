"""Project settings: the ``[tool.techfile]`` table of ``pyproject.toml``.

One place that ``conf.py``, ``techfile check`` and the generators read, so the
Sphinx build and the standalone check see the same sources and declarations.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from techfile.errors import TechfileError

PYPROJECT = "pyproject.toml"


@dataclass(frozen=True)
class JUnitInput:
    path: str
    level: str | None = None


@dataclass(frozen=True)
class JUnitJob:
    """One ``[[tool.techfile.junit]]`` entry: JUnit files merged into one needs.json."""

    inputs: tuple[JUnitInput, ...]
    output: str
    software_version: str | None = None


@dataclass(frozen=True)
class Project:
    root: Path
    need_model: Path
    trace_rules: Path
    risk_matrix: Path
    sources: tuple[str, ...]
    root_doc: str
    release: str | None
    catalogue_doc: str
    """Docname of the rule catalogue page, where findings link to."""
    catalogue_url: str
    """The catalogue page as a reader opens it; findings printed by the command link there."""
    junit: tuple[JUnitJob, ...] = field(default=())

    def relative(self, path: str | Path) -> str:
        """``path`` relative to the project root, as findings print it."""
        path = Path(path)
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()


def find_root(start: Path | None = None) -> Path:
    """The nearest directory at or above ``start`` whose pyproject.toml has [tool.techfile]."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        pyproject = candidate / PYPROJECT
        if pyproject.is_file() and "[tool.techfile" in pyproject.read_text(encoding="utf-8"):
            return candidate
    raise TechfileError(
        "no pyproject.toml with a [tool.techfile] table here or above",
        path=here,
        fix="run inside a techfile project or pass --project DIR",
    )


def load_project(root: Path | None = None) -> Project:
    root = find_root(root)
    path = root / PYPROJECT
    try:
        settings: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))["tool"]["techfile"]
    except (tomllib.TOMLDecodeError, KeyError) as exc:
        raise TechfileError(f"cannot read [tool.techfile]: {exc}", path=path) from None

    def get(key: str, default: Any = None) -> Any:
        return settings.get(key, default)

    jobs = []
    for entry in get("junit", []):
        inputs = tuple(
            JUnitInput(item) if isinstance(item, str) else JUnitInput(item["path"], item.get("level"))
            for item in entry.get("inputs", [])
        )
        if "output" not in entry:
            raise TechfileError("[[tool.techfile.junit]] entry has no output", path=path, fix='add output = "needs/generated/junit.json"')
        jobs.append(JUnitJob(inputs, entry["output"], entry.get("software_version")))
    return Project(
        root=root,
        need_model=root / get("need_model", "schemas/need_model.toml"),
        trace_rules=root / get("trace_rules", "schemas/trace_rules.toml"),
        risk_matrix=root / get("risk_matrix", "schemas/risk_matrix.toml"),
        sources=tuple(get("sources", ["docs", "needs"])),
        root_doc=get("root_doc", "docs/index"),
        release=get("release"),
        catalogue_doc=get("catalogue_doc", "docs/rules"),
        catalogue_url=get("catalogue_url", f"_build/html/{get('catalogue_doc', 'docs/rules')}.html"),
        junit=tuple(jobs),
    )
