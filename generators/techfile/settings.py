"""Declarative settings: a frozen dataclass whose fields, type hints and
``help`` metadata are at once the schema, the validator and the
documentation of a TOML table (as MyST-Parser's ``MdParserConfig`` drives
its configuration values and their docs).

:func:`from_table` builds an instance from a parsed table and refuses, with
the file, the line and the closest valid key, an unknown key or a value of
the wrong type; :func:`reference` renders the documentation.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from techfile.errors import TechfileError
from techfile.tomlfile import KeyLines

T = TypeVar("T")
KeyPath = tuple[str | int, ...]
Check = Callable[[Any], str | None]
"""Extra validation of a value: returns what is wrong, or None."""


def setting(default: Any = dataclasses.MISSING, *, help: str, check: Check | None = None, fix: str | None = None, shown_default: str | None = None) -> Any:
    """A field of a settings dataclass: its default, its documentation and an optional extra check
    (with ``fix``, how to write a value it refuses)."""
    metadata = {"help": help, "check": check, "fix": fix, "shown_default": shown_default}
    if isinstance(default, (list, dict, set)):
        raise TypeError("use a tuple for a sequence default")
    return dataclasses.field(default=default, metadata=metadata)


@dataclasses.dataclass(frozen=True)
class Where:
    """Where a table is written, for error messages."""

    path: Path
    lines: KeyLines
    prefix: KeyPath

    def at(self, *key: str | int) -> Where:
        return Where(self.path, self.lines, (*self.prefix, *key))

    @property
    def dotted(self) -> str:
        parts: list[str] = []
        for part in self.prefix:
            if isinstance(part, int):
                parts[-1] += f"[{part}]"
            else:
                parts.append(part)
        return ".".join(parts)

    @property
    def line(self) -> int | None:
        return self.lines.line_of(self.prefix)

    def error(self, message: str, fix: str | None = None, *, keyed: bool = True) -> TechfileError:
        """An error at this key; ``keyed`` puts the dotted key before the message."""
        text = f"{self.dotted}: {message}" if keyed and self.prefix else message
        return TechfileError(text, path=self.path, line=self.line, fix=fix)


def _type_text(hint: Any) -> str:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return " or ".join(_type_text(a) for a in get_args(hint) if a is not type(None))
    if origin is tuple:
        item = _type_text(get_args(hint)[0])
        return f"a list of {item}s" if " " not in item else f"a list of ({item})"
    if origin is Literal:
        names = [f'"{a}"' for a in get_args(hint)]
        return "one of " + ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
    if dataclasses.is_dataclass(hint):
        return "table"
    return {str: "string", bool: "boolean", int: "integer"}.get(hint, str(hint))


def _value_text(value: Any) -> str:
    kind = {str: "a string", bool: "a boolean", int: "an integer", float: "a number", list: "a list", dict: "a table"}.get(type(value), type(value).__name__)
    shown = repr(value) if not isinstance(value, (dict, list)) or len(repr(value)) < 40 else ""
    return f"{kind} {shown}".strip()


def _fix(hint: Any, value: Any, where: Where) -> str:
    """How to write a value of the wrong type or not among the allowed ones."""
    key = next((part for part in reversed(where.prefix) if isinstance(part, str)), "it")
    element = bool(where.prefix) and isinstance(where.prefix[-1], int)
    if get_origin(hint) is Literal:
        close = difflib.get_close_matches(str(value), [str(a) for a in get_args(hint)], n=1)
        return (f"did you mean {close[0]!r}? " if close else "") + f"use {_type_text(hint)}"
    if hint is str and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"quote it: {json.dumps(str(value))}" if element else f"quote it: {key} = {json.dumps(str(value))}"
    kind = _type_text(hint)
    kind = f"{'' if kind.startswith(('a ', 'one of')) else 'an ' if kind[0] in 'aeiou' else 'a '}{kind}"
    return f"make each element of {key} {kind}" if element else f"set {key} to {kind}"


def _coerce(hint: Any, value: Any, where: Where) -> Any:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
        problems = []
        for option in options:
            try:
                return _coerce(option, value, where)
            except TechfileError as error:
                problems.append(error)
        raise where.error(f"expected {_type_text(hint)}, got {_value_text(value)}", fix=_fix(hint, value, where)) if len(options) > 1 else problems[0]
    if origin is tuple:
        if not isinstance(value, list):
            raise where.error(f"expected {_type_text(hint)}, got {_value_text(value)}", fix=f"write a TOML array: {where.prefix[-1]} = {json.dumps([value])}" if isinstance(value, str) else _fix(hint, value, where))
        (item,) = get_args(hint)[:1]
        return tuple(_coerce(item, element, where.at(index)) for index, element in enumerate(value))
    if origin is Literal:
        if value not in get_args(hint):
            raise where.error(f"{value!r} is not {_type_text(hint)}", fix=_fix(hint, value, where))
        return value
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        shorthand = getattr(hint, "SHORTHAND", None)
        if isinstance(value, str) and shorthand:
            value = {shorthand: value}
        if not isinstance(value, dict):
            raise where.error(f"expected a table, got {_value_text(value)}", fix=_fix(hint, value, where))
        return from_table(hint, value, where)
    expected = {str: str, bool: bool, int: int}.get(hint)
    if expected is None:
        raise TypeError(f"unsupported setting type {hint!r}")
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise where.error(f"expected {_type_text(hint)}, got {_value_text(value)}", fix=_fix(hint, value, where))
    return value


def from_table(
    cls: type[T],
    table: dict[str, Any],
    where: Where,
    *,
    extra: Callable[[str, Any, Where], Any] | None = None,
    extra_keys: tuple[str, ...] = (),
) -> T:
    """An instance of the settings dataclass ``cls`` from a parsed TOML table.

    ``extra`` takes keys the dataclass does not declare (it returns None for
    a key it does not know either; ``extra_keys`` are the ones it knows, for
    the message); its results are passed as the field ``extra`` of ``cls``.
    """
    assert dataclasses.is_dataclass(cls)
    hints = get_type_hints(cls)
    declared = {f.name: f for f in dataclasses.fields(cls) if f.init and f.name != "extra"}
    values: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    for key, value in table.items():
        spot = where.at(key)
        if key in declared:
            values[key] = _coerce(hints[key], value, spot)
            check: Check | None = declared[key].metadata.get("check")
            problem = check(values[key]) if check else None
            if problem:
                raise spot.error(problem, fix=declared[key].metadata.get("fix") or f"see `techfile config` for {key}")
            continue
        handled = extra(key, value, spot) if extra else None
        if handled is not None:
            extras[key] = handled
            continue
        known = sorted([*declared, *extra_keys])
        close = difflib.get_close_matches(key, known, n=1)
        raise spot.error(
            "unknown key",
            fix=(f"did you mean {close[0]!r}? " if close else "") + f"valid keys: {', '.join(known)}",
        )
    missing = [name for name, f in declared.items() if name not in values and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise where.error(f"missing required key {missing[0]!r}", fix=f"add {missing[0]} = ...")
    if extras or "extra" in hints:
        values["extra"] = extras
    return cls(**values)


def documented_fields(cls: type) -> Iterator[tuple[str, str, str, str]]:
    """(key, type, default, description) of each documented field."""
    hints = get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if "help" not in f.metadata:
            continue
        if f.metadata.get("shown_default"):
            default = f.metadata["shown_default"]
        elif f.default is dataclasses.MISSING:
            default = "(required)"
        elif f.default is None:
            default = "(none)"
        elif isinstance(f.default, tuple):
            default = "[" + ", ".join(f'"{v}"' for v in f.default) + "]"
        else:
            default = f'"{f.default}"' if isinstance(f.default, str) else str(f.default).lower()
        yield f.name, _type_text(hints[f.name]), default, f.metadata["help"]


def reference(cls: type, table: str) -> str:
    """Markdown reference of one settings table."""
    lines = [f"`{table}`", "", "| Key | Type | Default | Meaning |", "|---|---|---|---|"]
    for key, kind, default, text in documented_fields(cls):
        lines.append(f"| `{key}` | {kind} | `{default}` | {' '.join(text.split())} |".replace("`(required)`", "required").replace("`(none)`", "none"))
    return "\n".join(lines) + "\n"
