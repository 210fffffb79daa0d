"""The registry of named checks that rules call (``check = "..."``).

A check takes the need being checked (None for ``scope = "corpus"``
checks), its rule and the :class:`~techfile.checks.engine.Context`, and
yields one :class:`~techfile.checks.findings.Gap` per missing thing. It
declares the roles and relations it follows, so that a rule calling it is
"not applicable" to a need model that lacks them rather than silently
finding nothing, and the ``params`` it reads (each a JSON schema of its
value), so that a rule's ``params`` of the wrong shape, or a misspelt key,
is an error where the rule is written rather than a check that quietly
iterates over the letters of a string.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import jsonschema
from jsonschema.exceptions import best_match

from techfile.checks.findings import Gap
from techfile.checks.rules import TraceRule
from techfile.corpus import Need
from techfile.model.roles import Relation, Role

if TYPE_CHECKING:
    from techfile.checks.engine import Context

CheckFunction = Callable[[Need | None, TraceRule, "Context"], Iterator[Gap]]
Scope = Literal["need", "corpus"]
ParamSchemas = Mapping[str, Mapping[str, Any]]
"""Per param a check reads: the JSON schema of its value, with a ``description``."""


@dataclass(frozen=True)
class ParamProblem:
    """What is wrong with one of a rule's params, and how to fix it."""

    key: str
    message: str
    fix: str


_KINDS = {"string": ("a string", "strings"), "integer": ("an integer", "integers"), "number": ("a number", "numbers"), "boolean": ("true or false", "booleans"), "object": ("a table", "tables")}


def describe(schema: Mapping[str, Any], plural: bool = False) -> str:
    """A param's schema in words (``a list of strings``), for messages and the catalogue."""
    if "enum" in schema:
        values = ", ".join(json.dumps(v) for v in schema["enum"])
        return f"values among {values}" if plural else f"one of {values}"
    kind = schema.get("type")
    if kind == "array":
        return "lists" if plural else f"a list of {describe(schema.get('items', {}), plural=True)}"
    words = _KINDS.get(kind) if isinstance(kind, str) else None
    return words[plural] if words else ("values" if plural else "a value")


def _param_fix(key: str, schema: Mapping[str, Any], value: Any) -> str:
    if schema.get("type") == "array" and isinstance(value, str):
        return f"write a TOML array: {key} = {json.dumps([value], ensure_ascii=False)}"
    return f"make {key} {describe(schema)}"


@dataclass(frozen=True)
class Check:
    function: CheckFunction
    scope: Scope
    after_findings: bool
    """Runs once every other rule has reported (it reads their findings)."""
    roles: tuple[tuple[Role, ...], ...]
    """Each group needs at least one of its roles mapped."""
    relations: tuple[Relation, ...]
    """Every relation must be mapped."""
    params: ParamSchemas = field(default_factory=dict)
    """The params it reads from ``rule.params``; a rule may give no other."""

    def param_problem(self, params: Mapping[str, Any]) -> ParamProblem | None:
        """The first of ``params`` this check does not read, or whose value its schema refuses."""
        for key, value in params.items():
            schema = self.params.get(key)
            if schema is None:
                close = difflib.get_close_matches(key, list(self.params), n=1)
                known = f"it reads {', '.join(self.params)}" if self.params else "it reads none"
                return ParamProblem(key, f"is not a param of this check ({known})", f"did you mean {close[0]!r}?" if close else "remove it")
            error = best_match(jsonschema.Draft202012Validator(schema).iter_errors(value))
            if error is not None:
                inside = "".join(f"[{p}]" for p in error.path)
                return ParamProblem(f"{key}{inside}", f"{error.message}; expected {describe(schema)}", _param_fix(key, schema, value))
        return None


CHECKS: dict[str, Check] = {}


def check(
    name: str,
    *,
    scope: Scope = "need",
    after_findings: bool = False,
    roles: tuple[Role | tuple[Role, ...], ...] = (),
    relations: tuple[Relation, ...] = (),
    params: ParamSchemas | None = None,
) -> Callable[[CheckFunction], CheckFunction]:
    """Register ``function`` as the check ``name``, which reads ``params`` (none when not given)."""
    declared = dict(params or {})
    for key, schema in declared.items():
        jsonschema.Draft202012Validator.check_schema(schema)  # a broken declaration is techfile's own bug
        if not schema.get("description"):
            raise TypeError(f"check {name}: param {key} has no description")

    def register(function: CheckFunction) -> CheckFunction:
        groups = tuple(group if isinstance(group, tuple) else (group,) for group in roles)
        CHECKS[name] = Check(function, scope, after_findings, groups, relations, declared)
        return function

    return register


def subject(need: Need | None) -> Need:
    """The need a need-scoped check was called with."""
    assert need is not None, "need-scoped check called without a need"
    return need
