"""Project settings: the ``[tool.techfile]`` table of ``pyproject.toml``, one
validated object.

:class:`Settings` declares every key once, with its type, default and
meaning; the same declaration validates the table (unknown keys and wrong
types are refused with the file, the line and the closest valid key) and
documents it (``techfile config``, the README). Each evidence kind declares
its own table (``[[tool.techfile.junit]]``) the same way, in its own
package. The Sphinx extension, ``techfile check`` and the generators all
read the project from here, so they see the same sources and declarations.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from techfile import resources, tomlfile
from techfile.errors import TechfileError
from techfile.settings import Where, from_table, reference, setting
from techfile.tomlfile import KeyLines

PYPROJECT = "pyproject.toml"
TABLE = ("tool", "techfile")
SOURCE_SUFFIXES = (".md", ".rst")


def _relative_path(value: str) -> str | None:
    return "must be a path relative to the project root, without '..'" if value.startswith("/") or ".." in Path(value).parts else None


def _folders(values: tuple[str, ...]) -> str | None:
    if not values:
        return "must name at least one folder"
    return next((f"{v!r} {problem}" for v in values if (problem := _relative_path(v))), None)


def _standards(value: tuple[str, ...]) -> str | None:
    from techfile.clauses.catalogue import SHIPPED

    unknown = [key for key in value if key not in SHIPPED and not key.endswith(".toml")]
    if unknown:
        return f"{', '.join(map(repr, unknown))} is not a catalogue techfile ships ({', '.join(SHIPPED)}) nor a .toml file"
    if len(set(value)) != len(value):
        return "names a standard twice"
    return None


@dataclass(frozen=True)
class Settings:
    """The keys of ``[tool.techfile]``."""

    need_model: str = setting(resources.DEFAULT, help='The need model: `"techfile:default"` or a TOML file of the project (which may `extends = "techfile:default"`).')
    trace_rules: str = setting(resources.DEFAULT, help='The traceability rules: `"techfile:default"` or a TOML file of the project (which may extend the default).')
    risk_matrix: str = setting(resources.DEFAULT, help='The ISO 14971 risk acceptability matrix: `"techfile:default"` or a TOML file of the project.')
    sources: tuple[str, ...] = setting(("docs", "needs"), help="Folders of the technical file's sources (`.md` and `.rst`); the Sphinx build includes exactly these.", check=_folders, fix='list folders relative to the project root: sources = ["docs", "needs"]')
    exclude: tuple[str, ...] = setting(
        ("_build", ".venv", "venv", ".git", ".tox", ".nox", "node_modules"),
        help="Folders never read as sources, wherever they are under a source folder (a name) or where they are (a path).",
    )
    root_doc: str = setting("docs/index", help="The root document (its name without suffix); project-level findings are placed in it.", check=_relative_path, fix='write its path relative to the project root, without suffix: root_doc = "docs/index"')
    release: str | None = setting(None, help="ID of the release under evaluation; without it, the only release need. Must exist.")
    catalogue_doc: str = setting("docs/rules", help="Document holding the `{techfile-rules}` catalogue, where every finding links to.", check=_relative_path, fix='write its path relative to the project root, without suffix: catalogue_doc = "docs/rules"')
    catalogue_url: str | None = setting(None, help="The catalogue page as a reader of `techfile check` output opens it.", shown_default='"_build/html/<catalogue_doc>.html"')
    standards: tuple[str, ...] = setting(
        ("iec-62304", "iso-14971"),
        help="The standards and guidance the technical file claims, whose clause coverage rule C01 checks: shipped catalogues "
        '`"iec-62304"`, `"iso-14971"`, `"iec-82304-1"`, `"fda-2023"`, `"eu-mdr"`, or a catalogue file of the project (`.toml`).',
        check=_standards,
        fix='list catalogue keys: standards = ["iec-62304", "iso-14971", "fda-2023"]',
    )
    extra: dict[str, Any] = field(default_factory=dict)
    """The evidence kinds' own tables, validated by each kind."""


@dataclass(frozen=True)
class Project:
    root: Path
    settings: Settings
    pyproject: Path
    lines: KeyLines
    release_override: str | None = None

    # ---------------------------------------------------------- settings

    @property
    def sources(self) -> tuple[str, ...]:
        return self.settings.sources

    def excluded(self, path: Path) -> bool:
        """Whether a file under the root lies in an excluded folder."""
        parts = path.relative_to(self.root).parts[:-1]
        return any(
            (name in parts) if "/" not in name else "/".join(parts).startswith(name.rstrip("/"))
            for name in self.settings.exclude
        )

    @property
    def root_doc(self) -> str:
        return self.settings.root_doc

    @property
    def catalogue_doc(self) -> str:
        return self.settings.catalogue_doc

    @property
    def catalogue_url(self) -> str:
        return self.settings.catalogue_url or f"_build/html/{self.settings.catalogue_doc}.html"

    @property
    def release(self) -> str | None:
        return self.release_override or self.settings.release

    def with_release(self, release: str) -> Project:
        return replace(self, release_override=release)

    def where(self, *key: str | int) -> Where:
        """Where a key of ``[tool.techfile]`` is written."""
        return Where(self.pyproject, self.lines, (*TABLE, *key))

    def declaration(self, kind: str) -> Path:
        """The file of a declaration (``need_model``, ``trace_rules``, ``risk_matrix``)."""
        reference_: str = getattr(self.settings, kind)
        spot = self.where(kind)
        if resources.is_packaged(reference_):
            try:
                return resources.packaged_declaration(reference_, kind)
            except TechfileError as error:
                raise spot.error(error.message, fix=error.fix) from None
        path = self.root / reference_
        if not path.is_file():
            raise spot.error(f"{reference_!r}: no such file", fix=f'create it, or use "{resources.DEFAULT}"')
        return path

    def evidence_jobs(self, kind: str) -> tuple[Any, ...]:
        """The validated jobs of one evidence kind (``[[tool.techfile.<kind>]]``)."""
        jobs: tuple[Any, ...] = self.settings.extra.get(kind, ())
        return jobs

    # ------------------------------------------------------------- paths

    def relative(self, path: str | Path) -> str:
        """``path`` relative to the project root, as findings print it (a shipped file as ``techfile:...``)."""
        path = Path(path)
        packaged = resources.shown(path)
        if packaged is not None:
            return packaged
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()

    def absolute(self, path: str) -> Path:
        return Path(path) if Path(path).is_absolute() else self.root / path

    @property
    def root_doc_path(self) -> str:
        """The root document's file, relative to the root (the first suffix that exists)."""
        for suffix in SOURCE_SUFFIXES:
            if (self.root / f"{self.root_doc}{suffix}").is_file():
                return f"{self.root_doc}{suffix}"
        return f"{self.root_doc}{SOURCE_SUFFIXES[0]}"

    def conf_dir(self, command: str) -> Path:
        """The folder of conf.py: ``command`` (techfile pdf, techfile serve) runs the Sphinx build of the project root."""
        if not (self.root / "conf.py").is_file():
            raise TechfileError(
                f"no conf.py in the project folder: {command} runs the Sphinx build of the project root",
                path=self.root,
                fix=f"run `techfile init` there, or run {command} --project on the folder that holds conf.py and [tool.techfile]",
            )
        return self.root


def _has_table(pyproject: Path) -> bool:
    """Whether ``pyproject`` has a [tool.techfile] table, or was meant to (it does not parse, but names one)."""
    try:
        data = tomllib.loads(pyproject.read_bytes().decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return b"[tool.techfile" in pyproject.read_bytes()  # its own error, at its line, follows
    tool = data.get("tool")
    return isinstance(tool, dict) and "techfile" in tool


def find_root(start: Path | None = None) -> Path:
    """The nearest directory at or above ``start`` whose pyproject.toml has [tool.techfile]."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        pyproject = candidate / PYPROJECT
        try:
            if pyproject.is_file() and _has_table(pyproject):
                return candidate
        except OSError:
            continue  # unreadable: not the project's
    raise TechfileError(
        "no pyproject.toml with a [tool.techfile] table here or above",
        path=here,
        fix="run `techfile init` here, run inside a techfile project, or pass --project DIR",
    )


def _evidence_table(key: str, value: Any, where: Where) -> Any:
    """An evidence kind's table, validated by the kind that declares it (None: no such kind)."""
    from techfile.evidence.registry import kinds

    kind = kinds().get(key)
    if kind is None:
        return None
    entries = value if isinstance(value, list) else [value]
    if not all(isinstance(entry, dict) for entry in entries):
        raise where.error(f"expected [[tool.techfile.{key}]] tables", fix=f"write each job as a [[tool.techfile.{key}]] table")
    return tuple(from_table(kind.job_type, entry, where.at(index) if isinstance(value, list) else where) for index, entry in enumerate(entries))


def load_project(root: Path | None = None) -> Project:
    root = find_root(root)
    path = root / PYPROJECT
    data, text = tomlfile.read(path)
    lines = KeyLines(text)
    table = data["tool"]["techfile"]
    if not isinstance(table, dict):
        raise TechfileError("tool.techfile is not a table", path=path, line=lines.line_of(TABLE) or 1, fix="write it as a table: [tool.techfile]")
    from techfile.evidence.registry import kinds

    settings = from_table(Settings, table, Where(path, lines, TABLE), extra=_evidence_table, extra_keys=tuple(kinds()))
    return Project(root=root, settings=settings, pyproject=path, lines=lines)


def settings_reference() -> str:
    """The Markdown reference of ``[tool.techfile]`` and of every evidence kind's table."""
    from techfile.evidence.registry import kinds

    parts = [reference(Settings, "[tool.techfile]")]
    for name, kind in kinds().items():
        parts.append(reference(kind.job_type, f"[[tool.techfile.{name}]]"))
        for nested in getattr(kind.job_type, "NESTED", ()):
            parts.append(reference(nested, f"[[tool.techfile.{name}]] {nested.TABLE_NAME}"))
    return "\n".join(parts)
