"""Files techfile ships inside its package: JSON schemas, the default need
model, trace rules and risk matrix, the CSS and the ``techfile init``
templates.

They are read with :mod:`importlib.resources`, never through the source
tree, so an installed wheel finds them wherever it is installed. A project
names a shipped declaration as ``techfile:default`` (in ``[tool.techfile]``
or in an ``extends`` key); anything else is a path of its own.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from importlib.resources.abc import Traversable
from pathlib import Path

from techfile.errors import TechfileError

PACKAGE_PREFIX = "techfile:"
DEFAULT = "techfile:default"
_DATA = files("techfile") / "data"


def data(*parts: str) -> Traversable:
    """A file or folder under the package's ``data/``."""
    item = _DATA
    for part in parts:
        item = item / part
    return item


def schema_path(name: str) -> Path:
    """The shipped JSON schema ``name`` (e.g. ``need_model.schema.json``) as a real path.

    A wheel installs as plain files, so the path stays valid; a zipped
    install would not, and is not supported (pip never installs one).
    """
    with as_file(data("schemas", name)) as path:
        return Path(path)


def static_dir() -> Path:
    with as_file(data("static")) as path:
        return Path(path)


def shown(path: Path) -> str | None:
    """``techfile:defaults/trace_rules.toml`` for a file techfile ships, else None."""
    with as_file(_DATA) as root:
        try:
            return PACKAGE_PREFIX + path.resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            return None


def is_packaged(reference: str) -> bool:
    return reference.startswith(PACKAGE_PREFIX)


def packaged_declaration(reference: str, kind: str, *, path: str | Path | None = None, line: int | None = None) -> Path:
    """The shipped declaration ``techfile:<name>`` of ``kind`` (``need_model``, ``trace_rules``, ``risk_matrix``)."""
    name = reference[len(PACKAGE_PREFIX) :]
    candidate = data("defaults", f"{kind}.toml") if name == "default" else data("defaults", f"{kind}.{name}.toml")
    if not candidate.is_file():
        raise TechfileError(
            f"{reference!r} is not a declaration techfile ships",
            path=path,
            line=line,
            fix=f'use "{DEFAULT}" or a path to a TOML file of your project',
        )
    with as_file(candidate) as real:
        return Path(real)
