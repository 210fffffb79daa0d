"""Layered declarations: a project's TOML file ``extends`` a shipped one
(``"techfile:default"``) or another file of its own, and adds to or
overrides it.

Each file is validated against its JSON schema on its own; the merge keeps,
for every declared entity (a type, a field, a link type, a rule), the file
and key where it was last written, so an error found once the layers are
merged still names the file and line to fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from techfile import resources
from techfile.errors import TechfileError
from techfile.settings import Where
from techfile.tomlfile import KeyLines, load


@dataclass(frozen=True)
class Layer:
    path: Path
    data: dict[str, Any]
    lines: KeyLines

    def where(self, *key: str | int) -> Where:
        return Where(self.path, self.lines, key)


def resolve(reference: str | Path, kind: str, relative_to: Path, *, cited_at: Where | None = None) -> Path:
    """The file a reference names: a shipped declaration or a path relative to ``relative_to``."""
    if isinstance(reference, str) and resources.is_packaged(reference):
        return resources.packaged_declaration(
            reference, kind, path=cited_at.path if cited_at else None, line=cited_at.line if cited_at else None
        )
    path = Path(reference)
    return path if path.is_absolute() else relative_to / path


def load_layers(path: Path, kind: str, schema: str) -> list[Layer]:
    """``path`` and every file it extends, the base first."""
    layers: list[Layer] = []
    seen: list[Path] = []
    current: Path | None = path
    cited_at: Where | None = None
    while current is not None:
        real = current.resolve()
        if real in seen:
            chain = " -> ".join(str(p) for p in [*seen, real])
            raise TechfileError(f"extends forms a cycle: {chain}", path=cited_at.path if cited_at else path, line=cited_at.line if cited_at else None, fix="remove one of the extends keys")
        seen.append(real)
        if not current.is_file():
            raise TechfileError(
                f"the {kind.replace('_', ' ')} file does not exist",
                path=current,
                line=None,
                fix=f'create it, or use "{resources.DEFAULT}"',
            ) if cited_at is None else TechfileError(
                f"extends {current}: no such file", path=cited_at.path, line=cited_at.line, fix=f'use "{resources.DEFAULT}" or an existing file'
            )
        data, lines = load(current, resources.schema_path(schema))
        layer = Layer(current, data, lines)
        layers.append(layer)
        parent = data.get("extends")
        cited_at = layer.where("extends")
        current = resolve(parent, kind, current.parent, cited_at=cited_at) if parent else None
    return list(reversed(layers))
