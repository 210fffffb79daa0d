"""Load a TOML declaration and validate it against its JSON schema.

Errors name the file and the line of the offending key: JSON-schema errors
carry a path (``types/3/prefix``), which :class:`KeyLines` maps back to the
line where that key is written.
"""

from __future__ import annotations

import json
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from techfile.errors import TechfileError

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'. ]+?)\s*=")


def _split_key(key: str) -> list[str]:
    return [part.strip().strip("\"'") for part in key.split(".")]


class KeyLines:
    """Best-effort map from a key path to the line that writes it."""

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple[str | int, ...], int] = {}
        counters: dict[tuple[str, ...], int] = {}
        table: tuple[str | int, ...] = ()
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                parts = tuple(_split_key(header.group(2)))
                # a sub-table of an array of tables ([rules.validate] after [[rules]])
                # belongs to the array's latest element
                path: tuple[str | int, ...] = ()
                for depth, part in enumerate(parts[:-1]):
                    path = (*path, part)
                    if parts[: depth + 1] in counters:
                        path = (*path, counters[parts[: depth + 1]])
                if header.group(1) == "[[":
                    index = counters.get(parts, -1) + 1
                    counters[parts] = index
                    table = (*path, parts[-1], index)
                else:
                    table = (*path, parts[-1])
                self.lines.setdefault(table, number)
                continue
            key = _KEY.match(line)
            if key and not line.lstrip().startswith("#"):
                self.lines.setdefault((*table, *_split_key(key.group(1))), number)

    def line_of(self, path: tuple[str | int, ...] | list[str | int]) -> int | None:
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


@cache
def _validator(schema_path: Path) -> jsonschema.Draft202012Validator:
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def load(path: Path, schema_path: Path) -> tuple[dict[str, Any], KeyLines]:
    """Parse ``path`` and validate it; raise :class:`TechfileError` on the first problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TechfileError(f"cannot read: {exc.strerror}", path=path) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        raise TechfileError(
            f"not valid TOML: {exc}",
            path=path,
            line=int(match.group(1)) if match else None,
        ) from None
    lines = KeyLines(text)
    errors = sorted(_validator(schema_path).iter_errors(data), key=lambda e: list(map(str, e.path)))
    if errors:
        error = errors[0]
        key_path = list(error.path)
        if "propertyNames" in error.relative_schema_path and isinstance(error.instance, str):
            key_path.append(error.instance)  # the offending key itself, which has a line
        where = "/".join(str(p) for p in key_path) or "(top level)"
        raise TechfileError(
            f"{where}: {error.message}",
            path=path,
            line=lines.line_of(key_path),
            fix=f"see the schema {schema_path.name}",
        )
    return data, lines
