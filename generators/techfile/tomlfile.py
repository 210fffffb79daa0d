"""Read a TOML file and validate it against its JSON schema.

Every way a file can be bad is a :class:`TechfileError` at the file and line
to fix, never a traceback: a byte that is not UTF-8 (the line of that byte),
TOML syntax (the line and column tomllib gives; "end of document" is the
last line), and a value the JSON schema refuses. JSON-schema errors carry a
path (``types/3/prefix``), which :class:`KeyLines` maps back to the line
where that key is written.
"""

from __future__ import annotations

import datetime
import difflib
import json
import math
import re
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from techfile.errors import TechfileError

KeyPath = tuple[str | int, ...]
TOML_SPEC = "https://toml.io/en/v1.0.0"

# A key: bare (letters, digits, _ and -), "basic" or 'literal', dotted.
_KEY_PART = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_DOTTED = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_HEADER = re.compile(rf"^\s*(\[\[?)\s*({_DOTTED})\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(rf"^\s*({_DOTTED})\s*=(.*)$")
_PART = re.compile(_KEY_PART)
_MULTILINE = ('"""', "'''")


def _split_key(key: str) -> list[str]:
    """The parts of a dotted key, unquoted."""
    parts = []
    for match in _PART.finditer(key):
        part = match.group(0)
        if part.startswith('"'):
            try:
                part = json.loads(part)
            except ValueError:
                part = part[1:-1]
        elif part.startswith("'"):
            part = part[1:-1]
        parts.append(part)
    return parts


def _scan(value: str) -> tuple[int, str | None]:
    """Brackets ``value`` opens and leaves open, and the delimiter of a
    multi-line string it opens and does not close (strings and comments skipped)."""
    depth, index = 0, 0
    while index < len(value):
        char = value[index]
        if char == "#":
            break
        delimiter = next((d for d in _MULTILINE if value.startswith(d, index)), None)
        if delimiter is not None:
            end = value.find(delimiter, index + 3)
            if end < 0:
                return depth, delimiter
            index = end + 3
            continue
        if char in "\"'":
            index = _string_end(value, index)
            continue
        depth += {"[": 1, "{": 1, "]": -1, "}": -1}.get(char, 0)
        index += 1
    return depth, None


def _string_end(value: str, start: int) -> int:
    """The index after the one-line string that starts at ``start``."""
    quote, index = value[start], start + 1
    while index < len(value) and value[index] != quote:
        index += 2 if quote == '"' and value[index] == "\\" else 1
    return index + 1


class KeyLines:
    """Best-effort map from a key path to the line that writes it.

    Lines inside a multi-line string are text, not keys or headers.
    """

    def __init__(self, text: str) -> None:
        self.lines: dict[KeyPath, int] = {}
        self._counters: dict[tuple[str, ...], int] = {}
        table: KeyPath = ()
        inside: str | None = None  # the delimiter of the multi-line string a line is in
        depth = 0  # brackets a multi-line array or table leaves open
        for number, line in enumerate(text.splitlines(), start=1):
            if inside is not None:
                if line.count(inside) % 2 == 1:
                    inside = None
                continue
            if depth > 0:
                depth += _scan(line)[0]
                continue
            header = _HEADER.match(line)
            if header:
                table = self._table(header.group(1) == "[[", _split_key(header.group(2)))
                self._written(table, number)
                continue
            key = _KEY.match(line)
            if key and not line.lstrip().startswith("#"):
                self._written((*table, *_split_key(key.group(1))), number)
                depth, inside = _scan(key.group(2))

    def _written(self, path: KeyPath, number: int) -> None:
        """``path`` is written at line ``number``; so is each table it implies (``[a.b.c]`` implies ``a.b``) that has no line yet."""
        for end in range(1, len(path) + 1):
            self.lines.setdefault(path[:end], number)

    def _table(self, array: bool, parts: list[str]) -> KeyPath:
        """The key path of a table header; a sub-table of an array of tables
        (``[rules.validate]`` after ``[[rules]]``) belongs to its latest element."""
        path: KeyPath = ()
        for depth, part in enumerate(parts[:-1]):
            path = (*path, part)
            if tuple(parts[: depth + 1]) in self._counters:
                path = (*path, self._counters[tuple(parts[: depth + 1])])
        if not array:
            return (*path, parts[-1])
        index = self._counters.get(tuple(parts), -1) + 1
        self._counters[tuple(parts)] = index
        return (*path, parts[-1], index)

    def line_of(self, path: KeyPath | list[str | int]) -> int | None:
        """The line of ``path``, else of its nearest written ancestor."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


# ------------------------------------------------------------ reading


def decode(raw: bytes, path: Path) -> str:
    """``raw`` as UTF-8 text, or an error at the line of the first byte that is not."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raise TechfileError("starts with a byte order mark (BOM), which TOML readers such as pip refuse", path=path, line=1, fix="save the file as UTF-8 without BOM")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise TechfileError(
            f"byte 0x{raw[exc.start]:02x} at column {column} is not UTF-8 ({exc.reason})",
            path=path,
            line=line,
            fix="save the file as UTF-8",
        ) from None


_TOML_FIXES = (
    ("Cannot overwrite", "write each key once"),
    ("Cannot declare", "write each table once (an array of tables is [[name]])"),
    ("Cannot redefine", "write each table once (an array of tables is [[name]])"),
    ("Cannot mutate", "an inline table cannot be extended later: write it as a [table]"),
    ("Duplicate inline table key", "write each key once"),
    ("Expected '=' after a key", 'write key = value, and quote a key with other characters than letters, digits, _ and -: "my key" = ...'),
    ("Expected ']' at the end of a table", "close the table header: [name]"),
    ("Expected ']]' at the end of an array", "close the array-of-tables header: [[name]]"),
    ("Invalid date or datetime", 'quote it as a string: "..."'),
    ("Invalid hex value", r"write \uXXXX with four hex digits, or a literal string '...'"),
    ("Escaped character", r"write \uXXXX with a Unicode scalar value, or a literal string '...'"),
    ("Unescaped '\\'", r"write a backslash as \\, or use a literal string '...'"),
    ("Invalid initial character for a key", 'a bare key is letters, digits, _ and -: quote other keys, "my key" = ...'),
    ("Invalid statement", "each line is key = value, a [table] or an [[array]] header, or a # comment"),
    ("Invalid value", 'quote text: key = "text"; a list is [ ... ], a table { ... }'),
    ("Unclosed array", "close the array with ]"),
    ("Unclosed inline table", "close the inline table with } on the same line, or write it as a [table]"),
    ("Unterminated string", 'close the string with its quote on the same line ("""...""" for text over several lines)'),
    ("Illegal character", r"escape it in a string (\n, \t, \uXXXX), or remove it"),
    ("Found invalid character", "remove it, or quote the value"),
)


def _toml_error(exc: tomllib.TOMLDecodeError, text: str, path: Path) -> TechfileError:
    """A TOML syntax error at the line tomllib gives (at the end of the document: the last line)."""
    reason, _, where = str(exc).rpartition(" (at ")
    position = re.fullmatch(r"line (\d+), column (\d+)\)", where)
    if position:
        line, column = int(position.group(1)), int(position.group(2))
    else:  # "end of document"
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
        reason += " at the end of the file"
    fix = next((fix for start, fix in _TOML_FIXES if reason.startswith(start)), f"see {TOML_SPEC}")
    return TechfileError(f"not valid TOML (column {column}): {reason or exc}", path=path, line=line, fix=fix)


def read(path: Path) -> tuple[dict[str, Any], str]:
    """The parsed TOML of ``path`` and its text."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TechfileError(f"cannot read: {exc.strerror}", path=path, fix="check that the file exists and is readable") from None
    text = decode(raw, path)
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(exc, text, path) from None


# --------------------------------------------------------- validating


@cache
def _validator(schema_path: Path) -> jsonschema.Draft202012Validator:
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _unexpected(error: ValidationError) -> str | None:
    """The first key ``additionalProperties`` refused."""
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict) or not isinstance(error.schema, dict):
        return None
    known = error.schema.get("properties", {})
    patterns = list(error.schema.get("patternProperties", {}))
    return next((key for key in error.instance if key not in known and not any(re.search(p, key) for p in patterns)), None)


def _words(values: list[Any]) -> str:
    shown = [json.dumps(v, default=str) for v in values]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + f" or {shown[-1]}"


_BOUNDS = {"minimum": "of at least", "exclusiveMinimum": "greater than", "maximum": "of at most", "exclusiveMaximum": "less than"}
_AT_LEAST = {"minItems": "entries", "minLength": "characters", "minProperties": "keys"}
_TYPE_WORDS = {"string": 'a string: "..."', "array": "a list: [...]", "object": "a table: { ... }", "boolean": "true or false", "integer": "an integer", "number": "a number"}


def _schema_fix(error: ValidationError, schema_name: str) -> str:
    """How to write a value the schema refused, from the keyword that refused it."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    value = error.validator_value
    unexpected = _unexpected(error)
    if unexpected is not None:
        known = sorted(schema.get("properties", {}))
        close = difflib.get_close_matches(unexpected, known, n=1)
        return (f"did you mean {close[0]!r}? " if close else "") + (f"valid keys: {', '.join(known)}" if known else "remove it")
    if error.validator == "enum" and isinstance(value, list):
        close = difflib.get_close_matches(str(error.instance), [str(v) for v in value], n=1)
        return (f"did you mean {close[0]!r}? " if close else "") + f"use {_words(value)}"
    if error.validator == "const":
        return f"use {json.dumps(value, default=str)}" + (f": {schema['description']}" if schema.get("description") else "")
    if error.validator == "type" and isinstance(value, str):
        return f"write {_TYPE_WORDS.get(value, value)}"
    if error.validator == "pattern":
        return str(schema["description"]) if schema.get("description") else f"write a value matching {value}"
    if error.validator == "format" and value == "regex":
        return "write a Python regular expression (https://docs.python.org/3/library/re.html)"
    if error.validator == "required" and isinstance(value, list):
        missing = next((key for key in value if isinstance(error.instance, dict) and key not in error.instance), value[0])
        return f"add {missing} = ..."
    if error.validator in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        return f"use a number {_BOUNDS[error.validator]} {value}"
    if error.validator in _AT_LEAST:
        return f"give at least {value} {_AT_LEAST[error.validator]}"
    if error.validator == "uniqueItems":
        return "list each value once"
    return f"see the schema {schema_name}"


def _regex_message(error: ValidationError) -> str | None:
    """Python's reason why a ``format: regex`` value is not a regular expression."""
    if error.validator != "format" or error.validator_value != "regex" or not isinstance(error.instance, str):
        return None
    try:
        re.compile(error.instance)
    except re.error as exc:
        return f"{error.instance!r} is not a regular expression: {exc}"
    return None


def _const_message(error: ValidationError) -> str | None:
    if error.validator != "const":
        return None
    return f"{json.dumps(error.instance, ensure_ascii=False, default=str)} where only {json.dumps(error.validator_value, default=str)} is allowed"


def _ordered(errors: Iterator[ValidationError]) -> list[ValidationError]:
    """The errors by key path, so the message is the same on every run."""
    return sorted(errors, key=lambda e: list(map(str, e.path)))


def schema_error(error: ValidationError, path: Path, lines: KeyLines, schema_name: str, prefix: KeyPath = ()) -> TechfileError:
    """``error`` of the data of ``path`` (under the key path ``prefix``) at the line of its key."""
    key_path: list[str | int] = [*prefix, *error.path]
    if "propertyNames" in error.relative_schema_path and isinstance(error.instance, str):
        key_path.append(error.instance)  # the offending key itself, which has a line
    unexpected = _unexpected(error)
    if unexpected is not None:
        key_path.append(unexpected)
    where = "/".join(str(p) for p in key_path) or "(top level)"
    message = f"{unexpected!r} is not a key here" if unexpected is not None else _regex_message(error) or _const_message(error) or error.message
    return TechfileError(f"{where}: {message}", path=path, line=lines.line_of(key_path) or 1, fix=_schema_fix(error, schema_name))


def _not_json(value: Any, path: KeyPath = ()) -> tuple[KeyPath, str] | None:
    """The first value that JSON (and so a JSON schema) has no counterpart for: a TOML date or time, nan or inf."""
    if isinstance(value, dict):
        return next((found for key, item in value.items() if (found := _not_json(item, (*path, key)))), None)
    if isinstance(value, list):
        return next((found for index, item in enumerate(value) if (found := _not_json(item, (*path, index)))), None)
    if isinstance(value, (datetime.date, datetime.time)):
        return path, f"a TOML {'time' if isinstance(value, datetime.time) else 'date'} ({value.isoformat()})"
    if isinstance(value, float) and not math.isfinite(value):
        return path, f"the number {value}"
    return None


def load(path: Path, schema_path: Path) -> tuple[dict[str, Any], KeyLines]:
    """Parse ``path`` and validate it; raise :class:`TechfileError` on the first problem.

    A declaration is JSON data written in TOML (it is validated by, and
    holds, JSON schemas), so a value JSON cannot hold is refused first.
    """
    data, text = read(path)
    lines = KeyLines(text)
    found = _not_json(data)
    if found is not None:
        key_path, what = found
        where = "/".join(map(str, key_path))
        raise TechfileError(f"{where}: {what} is not a value a declaration can hold", path=path, line=lines.line_of(key_path) or 1, fix='quote it as a string: "..."')
    errors = _ordered(_validator(schema_path).iter_errors(data))
    if errors:
        raise schema_error(errors[0], path, lines, schema_path.name)
    return data, lines
