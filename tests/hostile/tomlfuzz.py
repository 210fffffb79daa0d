"""Hostile TOML declarations for the fuzz tests: a TOML writer (the venv has
none), the key paths of a document, and hypothesis strategies for values
of the wrong type or shape."""

from __future__ import annotations

import copy
import datetime
import json
import math
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

KeyPath = tuple[str | int, ...]


# ------------------------------------------------------------ writing TOML


def _key(key: str) -> str:
    return key if key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key) else _string(key)


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def inline(value: Any) -> str:
    """``value`` as a TOML inline value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(inline(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {inline(v)}" for k, v in value.items()) + " }" if value else "{}"
    raise TypeError(type(value))


def _array_of_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def dumps(document: dict[str, Any]) -> str:
    """``document`` as TOML: tables as [headers], arrays of tables as [[headers]]."""
    out: list[str] = []
    _table(out, (), document)
    return "\n".join(out) + "\n"


def _table(out: list[str], path: tuple[str, ...], table: dict[str, Any]) -> None:
    for key, value in table.items():
        if not isinstance(value, dict) and not _array_of_tables(value):
            out.append(f"{_key(key)} = {inline(value)}")
    for key, value in table.items():
        header = ".".join(_key(part) for part in (*path, key))
        if isinstance(value, dict):
            out += ["", f"[{header}]"]
            _table(out, (*path, key), value)
        elif _array_of_tables(value):
            for item in value:
                out += ["", f"[[{header}]]"]
                _table(out, (*path, key), item)


# --------------------------------------------------------------- key paths


def key_paths(value: Any, path: KeyPath = ()) -> Iterator[KeyPath]:
    """Every key path into ``value`` (table keys and array indexes)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from key_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index)
            yield from key_paths(item, (*path, index))


def tables(value: Any, path: KeyPath = ()) -> Iterator[KeyPath]:
    """The key path of every table in ``value`` (the document itself included)."""
    if isinstance(value, dict):
        yield path
        for key, item in value.items():
            yield from tables(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from tables(item, (*path, index))


def get(document: Any, path: KeyPath) -> Any:
    for part in path:
        document = document[part]
    return document


def replaced(document: dict[str, Any], path: KeyPath, value: Any) -> dict[str, Any]:
    """A copy of ``document`` with the value at ``path`` replaced."""
    result = copy.deepcopy(document)
    get(result, path[:-1])[path[-1]] = value
    return result


def added(document: dict[str, Any], table: KeyPath, key: str, value: Any) -> dict[str, Any]:
    """A copy of ``document`` with ``key = value`` added to the table at ``table``."""
    result = copy.deepcopy(document)
    get(result, table)[key] = value
    return result


# -------------------------------------------------------------- strategies

NAMES = [
    "extends", "types", "fields", "links", "roles", "relations", "schema", "narrow", "id_pattern", "id_regex", "prefix",
    "title", "color", "required", "add_fields", "add_required", "from", "to", "add_from", "add_to", "remove_types",
    "remove_links", "rules", "id", "check", "params", "validate", "local", "select", "network", "network_back", "items",
    "contains", "minContains", "kinds", "severity", "probability", "classes", "matrix", "key", "acceptable", "disable",
    "pattern", "enum", "type", "properties", "$ref", "sources", "need_model", "junit", "inputs", "output", "level",
]
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
KEYS = st.sampled_from(NAMES) | st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True) | TEXT
SCALARS = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.floats(),
    st.booleans(),
    TEXT,
    st.dates(),
    st.datetimes(),
    st.times(),
    st.sampled_from(["", "*", "(", "[", "(?<=a)b", "techfile:default", "techfile:nope", "../nowhere.toml", "A", "string", "nonsense",
                     "R04", "swreq", "hazard", "verifies", "#FFF", "#FFFFFF", "docs", "needs", "unit", "acceptable"]),
)
VALUES = st.recursive(SCALARS, lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=3), max_leaves=6)
