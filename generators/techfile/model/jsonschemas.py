"""The JSON schemas that declarations write inside themselves -- a field's
``schema`` and a type's ``narrow`` in the need model, a rule's ``select``
and ``validate`` blocks -- checked when the declaration loads.

Without this, a schema that is not one would only fail when it is first
evaluated (``techfile check``, or sphinx-needs in the middle of a build),
as a traceback without the file or the line. Each check finds the same
problems the evaluator would, because it compiles the schema the way the
evaluators do: :func:`compile_schema` is how sphinx-needs 9 compiles field
schemas and schema definitions (formats checked, patterns in the Rust
``regex`` dialect), and :mod:`techfile.checks.schema_eval` evaluates rule
conditions and field values with it, so both agree on every value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema
import jsonschema_rs
from jsonschema.exceptions import best_match

SchemaPath = tuple[str | int, ...]
DRAFT = "https://json-schema.org/draft/2020-12/schema"
REFERENCE = "https://json-schema.org/understanding-json-schema/"
TYPES = ("string", "array", "object", "integer", "number", "boolean", "null")
# Keywords that make a schema refer elsewhere or be a document of its own:
# techfile rewrites rule schemas into the project's names and wraps them
# (``allOf``), so a reference would resolve against another root, or the network.
_DOCUMENT_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef", "$id", "$anchor", "$dynamicAnchor", "$recursiveAnchor", "$schema")
_META = jsonschema.Draft202012Validator(jsonschema.Draft202012Validator.META_SCHEMA)


@dataclass(frozen=True)
class Problem:
    """What is wrong with a schema, at ``path`` inside it, and how to fix it."""

    path: SchemaPath
    message: str
    fix: str


def compile_schema(schema: dict[str, Any]) -> Any:
    """``schema`` compiled as sphinx-needs compiles its schemas (``sphinx_needs.schema.core``)."""
    return jsonschema_rs.validator_for(schema, validate_formats=True, pattern_options=jsonschema_rs.RegexOptions())


def _walk(schema: Any, path: SchemaPath = ()) -> Iterator[tuple[SchemaPath, str, Any]]:
    """(path, key, value) of every key of every table in ``schema``."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            yield path, key, value
            yield from _walk(value, (*path, key))
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            yield from _walk(value, (*path, index))


def _self_contained(schema: dict[str, Any]) -> Problem | None:
    for path, key, value in _walk(schema):
        if key in _DOCUMENT_KEYWORDS and isinstance(value, str):
            return Problem((*path, key), f"{key} {value!r}: a schema in a declaration cannot refer to another schema or be a document of its own", "write the schema out in place")
    return None


def _regex_problem(path: SchemaPath, pattern: str) -> Problem:
    """A pattern the Rust regex engine refuses, with Python's reason where Python refuses it too."""
    try:
        re.compile(pattern)
        why = "the Rust regex engine of sphinx-needs and techfile refuses it (it has no look-around or backreferences, and limits the size of a pattern)"
    except re.error as exc:
        why = str(exc)
    return Problem(path, f"pattern {pattern!r} is not a regular expression: {why}", "write a regular expression without look-around and backreferences, and without large repetitions (https://docs.rs/regex/latest/regex/#syntax)")


_TYPE_WORDS = {"array": "a list: [...]", "object": "a table: { ... }", "string": 'a string: "..."', "integer": "an integer", "number": "a number", "boolean": "true or false"}


def _fix(path: SchemaPath, keyword: str | None = None, value: Any = None) -> str:
    """How to write the schema keyword at ``path``, from the meta-schema keyword that refused it."""
    if path and path[-1] == "type":
        return "use " + ", ".join(f'"{t}"' for t in TYPES[:-1]) + f' or "{TYPES[-1]}"'
    if keyword == "type" and isinstance(value, str) and value in _TYPE_WORDS:
        return f"write {_TYPE_WORDS[value]}"
    if keyword in ("minimum", "exclusiveMinimum"):
        return f"use a number {'of at least' if keyword == 'minimum' else 'greater than'} {value}"
    if keyword == "minItems":
        return f"give at least {value} entries"
    return f"write a JSON schema (draft 2020-12, {REFERENCE})"


def _compile_problem(exc: jsonschema_rs.ValidationError, schema: dict[str, Any], prefix: SchemaPath = ()) -> Problem:
    path = tuple(exc.instance_path)[len(prefix) :]
    value: Any = schema
    for part in path:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            value = None
    if path and path[-1] == "pattern" and isinstance(value, str):
        return _regex_problem(path, value)
    return Problem(path, str(exc.message), _fix(path))


def condition_problem(schema: Any) -> Problem | None:
    """Why ``schema`` (a rule's ``select`` or ``validate.local``) cannot be evaluated, or None."""
    if not isinstance(schema, dict):
        return Problem((), f"expected a table (a JSON schema), got {type(schema).__name__}", "write a JSON schema as a TOML table")
    error = best_match(_META.iter_errors(schema))
    if error is not None:
        path = tuple(error.path)
        return Problem(path, error.message, _fix(path, str(error.validator), error.validator_value))
    problem = _self_contained(schema)
    if problem is not None:
        return problem
    try:
        compile_schema(schema)
    except jsonschema_rs.ValidationError as exc:
        return _compile_problem(exc, schema)
    return None


def field_problem(name: str, schema: dict[str, Any]) -> Problem | None:
    """Why sphinx-needs would refuse ``schema`` as the schema of the field ``name``, or None.

    The shape (which keys, of which types) is the need model's JSON schema's
    business; this compiles it, which finds patterns and values the shape allows.
    """
    try:
        compile_schema({"$schema": DRAFT, "type": "object", "properties": {name: schema}})  # as validate_object_schema_compiles
    except jsonschema_rs.ValidationError as exc:
        return _compile_problem(exc, schema, ("properties", name))
    return None
