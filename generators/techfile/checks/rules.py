"""Load the rule declarations (``techfile:default`` or a project's
``trace_rules.toml``, which may extend it) into :class:`TraceRule` objects,
validated against their JSON schema, the need model and the checks that
exist, and resolved from roles to the project's own names.

A rule whose roles or relations the need model does not map is kept, as
"not applicable" with the reason; a rule a project turns off (``[disable]``)
is kept as "disabled" with its stated reason. Both are listed on the rule
catalogue page and in the findings report; neither is evaluated.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from techfile.checks.conditions import Needs, resolve_select, resolve_validate
from techfile.errors import TechfileError
from techfile.model.jsonschemas import condition_problem
from techfile.model.layers import Layer, load_layers
from techfile.model.needmodel import NeedModel
from techfile.model.roles import Relation, Role
from techfile.settings import Where

if TYPE_CHECKING:
    from techfile.checks.predicates.registry import Check

SCHEMA = "trace_rules.schema.json"
ALL_TYPES = "*"
REQUIRED_KEYS = ("name", "title", "clauses", "classes", "severity", "message", "description")


class RuleStatus(Enum):
    APPLICABLE = "applicable"
    NOT_APPLICABLE = "not applicable"
    DISABLED = "disabled"


@dataclass(frozen=True)
class TraceRule:
    """One declared rule: what it enforces, where it applies and its condition."""

    id: str
    name: str
    title: str
    clauses: tuple[str, ...]
    classes: frozenset[str]
    severity: str
    roles: tuple[Role, ...]
    """Roles it selects (empty: by type, every need, or the project as a whole)."""
    types: tuple[str, ...]
    """The project's need types it selects (``*``: every need; empty: the project)."""
    message: str
    description: str
    path: Path
    line: int
    """File and line of the declaration."""
    select: dict[str, Any] | None = None
    validate: dict[str, Any] | None = None
    check: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    native: str | None = None
    coverage: str | None = None
    """Label of the coverage figure this rule gives (met: selected needs without its gap)."""
    builds_on: tuple[str, ...] = ()
    """Rules whose gaps this one presupposes absent: a need with their gap does not count as covered."""
    status: RuleStatus = RuleStatus.APPLICABLE
    reason: str = ""
    """Why the rule is not applicable or disabled."""

    @property
    def code(self) -> str:
        """The warning type and subtype, ``techfile.R04``."""
        return f"techfile.{self.id}"

    @property
    def anchor(self) -> str:
        """Anchor of the rule's entry on the rule catalogue page."""
        return f"rule-{self.id.lower()}"

    @property
    def clause_text(self) -> str:
        return "; ".join(self.clauses)

    @property
    def project_level(self) -> bool:
        return not self.types and not self.roles

    @property
    def applicable(self) -> bool:
        return self.status is RuleStatus.APPLICABLE


@dataclass(frozen=True)
class Written:
    """A rule as its layers wrote it: the merged keys, and where each key was last written.

    An error about a key names the layer that wrote it, not the last layer
    that touched the rule (which may only have changed its severity).
    """

    spec: dict[str, Any]
    where: Where
    """The rule's table in the last layer that wrote any of its keys."""
    keys: dict[str, Where] = field(default_factory=dict)
    """Per key, the rule's table in the layer that wrote it last."""

    def at(self, key: str | None = None) -> Where:
        """Where ``key`` is written (the rule's table when it is not written)."""
        if key is None:
            return self.where
        return self.keys.get(key, self.where).at(key)


def merge(layers: list[Layer]) -> tuple[list[Written], dict[str, tuple[str, Where]]]:
    """Rules in declaration order (a later layer's rule of the same ID overrides key by key),
    with where each key was written, and the disabled rules with their reasons.

    Each layer's own schemas (``select``, ``validate``) are checked where it writes them.
    """
    rules: dict[str, Written] = {}
    disabled: dict[str, tuple[str, Where]] = {}
    for depth, layer in enumerate(layers):
        for index, spec in enumerate(layer.data.get("rules", ())):
            where = layer.where("rules", index)
            rule_id = spec["id"]
            if rule_id in rules and layer.path == rules[rule_id].where.path:
                raise where.at("id").error(f"rule {rule_id}: is declared twice", fix="give each rule its own ID", keyed=False)
            if rule_id not in rules and depth > 0 and any(key not in spec for key in REQUIRED_KEYS):
                raise where.at("id").error(
                    f"rule {rule_id}: the files this one extends declare no rule {rule_id} to override, and a new rule declares {', '.join(REQUIRED_KEYS)}",
                    fix=_either(_closest(rule_id, list(rules)), "declare the whole rule"),
                    keyed=False,
                )
            _check_conditions(spec, where)
            written = rules.get(rule_id) or Written({}, where)
            rules[rule_id] = Written({**written.spec, **spec}, where, {**written.keys, **dict.fromkeys(spec, where)})
        for rule_id, reason in layer.data.get("disable", {}).items():
            disabled[rule_id] = (reason, layer.where("disable", rule_id))
    return list(rules.values()), disabled


def _conditions(spec: dict[str, Any]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(key path under the rule, schema) of every JSON schema a rule writes."""
    if "select" in spec:
        yield ("select",), spec["select"]
    if "validate" in spec:
        yield from _locals(spec["validate"], ("validate",))


def _locals(validate: dict[str, Any], at: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    if "local" in validate:
        yield (*at, "local"), validate["local"]
    for direction in ("network", "network_back"):
        for relation, spec in validate.get(direction, {}).items():
            for part in ("items", "contains"):
                if part in spec:
                    yield from _locals(spec[part], (*at, direction, relation, part))


def _check_conditions(spec: dict[str, Any], where: Where) -> None:
    """Every schema of a rule is one techfile and sphinx-needs can evaluate, or an error at its line."""
    for path, schema in _conditions(spec):
        problem = condition_problem(schema)
        if problem is not None:
            inside = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in problem.path).lstrip(".")
            raise where.at(*path, *problem.path).error(
                f"rule {spec['id']}: {'.'.join(path)} is not a valid JSON schema: {inside + ': ' if inside else ''}{problem.message}", fix=problem.fix, keyed=False
            )


def load_rules(path: Path, model: NeedModel) -> dict[str, TraceRule]:
    """Rules by ID, in declaration order, resolved against ``model``."""
    from techfile.checks.predicates import CHECKS  # the registry imports the engine's types

    written, disabled = merge(load_layers(path, "trace_rules", SCHEMA))
    rules: dict[str, TraceRule] = {}
    origins: dict[str, Where] = {}
    for entry in written:
        rule = _rule(entry, model, CHECKS)
        if rule.id in disabled:
            reason, _ = disabled[rule.id]
            rule = TraceRule(**{**rule.__dict__, "status": RuleStatus.DISABLED, "reason": reason})
        rules[rule.id] = rule
        origins[rule.id] = entry.at("builds_on")
    for rule in rules.values():
        for other in rule.builds_on:
            if other not in rules:
                raise origins[rule.id].error(f"rule {rule.id}: builds on rule {other}, which is not declared", fix=_closest(other, list(rules)) or "name a declared rule", keyed=False)
    for rule_id, (_, where) in disabled.items():
        if rule_id not in rules:
            raise where.error(f"disables rule {rule_id}, which is not declared", fix=_closest(rule_id, list(rules)) or "name a declared rule", keyed=False)
    return rules


def load_reserved(path: Path, rules: dict[str, TraceRule] | None = None) -> dict[str, str]:
    """Rule numbers kept free, by ID, with why (``[reserved]`` of every layer, a later layer winning).

    A number that is declared as a rule (in ``rules``) is not reserved any more.
    """
    reserved: dict[str, str] = {}
    for layer in load_layers(path, "trace_rules", SCHEMA):
        reserved.update(layer.data.get("reserved", {}))
    return {rule_id: reason for rule_id, reason in sorted(reserved.items()) if rule_id not in (rules or {})}


def _either(close: str | None, otherwise: str) -> str:
    """The closest name, if any, then what else to do."""
    return f"{close} Otherwise, {otherwise}" if close else otherwise


def _closest(name: str, known: list[str]) -> str | None:
    close = difflib.get_close_matches(name, known, n=1)
    return f"did you mean {close[0]!r}?" if close else None


def _rule(written: Written, model: NeedModel, checks: dict[str, Check]) -> TraceRule:
    spec, where = written.spec, written.where
    rule_id = spec["id"]

    def fail(message: str, key: str | None = None, fix: str | None = None) -> TechfileError:
        return written.at(key).error(f"rule {rule_id}: {message}", fix=fix, keyed=False)

    for key in REQUIRED_KEYS:
        if key not in spec:
            raise fail(f"declares no {key}", fix=f"add {key} = ...")
    if "check" in spec and "validate" in spec:
        later = max(("check", "validate"), key=lambda k: written.keys[k] is where)
        raise fail("has both check and validate", later, "a rule has one condition: to change the condition of a rule you extend, disable it and declare a new rule")
    if "check" not in spec and "validate" not in spec:
        raise fail("has neither check nor validate", fix="give the rule a condition: check = ... or [rules.validate]")
    roles_map = model.roles
    roles: list[Role] = []
    for name in spec.get("roles", ()):
        role = Role.named(name)
        if role is None:
            raise fail(f"selects unknown role {name!r}", "roles", _closest(name, [r.value for r in Role]) or f"use one of {', '.join(r.value for r in Role)}")
        roles.append(role)
    types: list[str] = []
    for need_type in spec.get("types", ()):
        if need_type != ALL_TYPES and need_type not in model.types:
            raise fail(f"selects unknown need type {need_type!r}", "types", f"use one of {sorted(model.types)}")
        types.append(need_type)
    if roles and types:
        raise fail("selects both roles and types", "types", "select by roles, or by the project's own types")
    check = spec.get("check")
    if check is not None and check not in checks:
        raise fail(f"names unknown check {check!r}", "check", _either(_closest(check, list(checks)), f"use one of {sorted(checks)}"))
    params = _params(spec, checks[check] if check is not None else None, fail)
    per_need = "validate" in spec or (check is not None and checks[check].scope == "need")
    if not roles and not types and per_need:
        what = "validates each need it selects" if "validate" in spec else f"calls {check}, which checks each need it selects,"
        raise fail(f"{what} but selects none", "roles" if "roles" in spec else "types", "select needs: roles = [...] (or types = [...], \"*\" for every need)")

    needs = Needs()
    context = tuple(roles)
    validate = resolve_validate(spec["validate"], roles_map, context, needs) if "validate" in spec else None
    if needs.unknown:
        name, key_path = needs.unknown[0]
        spot = written.at(key_path[0]).at(*key_path[1:])
        raise spot.error(
            f"rule {rule_id}: validate names {name!r}, which is neither a role nor a relation",
            fix=_either(_closest(name, [r.value for r in (*Role, *Relation)]), "name a role (roles = [...]) or a relation (network keys) that the README lists"),
            keyed=False,
        )
    if check is not None:
        needs.relations |= set(checks[check].relations)
        needs.any_of += [group for group in checks[check].roles]
    if roles:
        needs.any_of.append(tuple(roles))
    status, reason = _applicability(needs, model)
    if roles:
        types = [t for role in roles for t in roles_map.types_of(role)]
    return TraceRule(
        id=rule_id,
        name=spec["name"],
        title=spec["title"],
        clauses=tuple(spec["clauses"]),
        classes=frozenset(spec["classes"]),
        severity=spec["severity"],
        roles=tuple(roles),
        types=tuple(types),
        message=spec["message"],
        description=spec["description"],
        path=where.path,
        line=where.line or 1,
        select=resolve_select(spec["select"], roles_map, context) if "select" in spec else None,
        validate=validate,
        check=check,
        params=params,
        native=spec.get("native"),
        coverage=spec.get("coverage"),
        builds_on=tuple(spec.get("builds_on", ())),
        status=status,
        reason=reason,
    )


def _params(spec: dict[str, Any], check: Check | None, fail: Callable[[str, str | None, str | None], TechfileError]) -> dict[str, Any]:
    """The rule's ``params``, as its check declares them."""
    params: dict[str, Any] = spec.get("params", {})
    if not params:
        return params
    if check is None:
        raise fail("gives params, which only a check reads", "params", "remove params, or call a check")
    problem = check.param_problem(params)
    if problem is not None:
        raise fail(f"params.{problem.key}: {problem.message}", "params", problem.fix)
    return params


def _applicability(needs: Needs, model: NeedModel) -> tuple[RuleStatus, str]:
    missing: list[str] = []
    for group in needs.any_of:
        if group and not any(model.roles.has(role) for role in group):
            missing.append("role " + " or ".join(role.value for role in group))
    for relation in sorted(needs.relations, key=lambda r: r.value):
        if model.roles.link(relation) is None:
            missing.append(f"relation {relation.value}")
    if missing:
        return RuleStatus.NOT_APPLICABLE, "the need model maps no " + ", no ".join(dict.fromkeys(missing))
    return RuleStatus.APPLICABLE, ""


def sphinx_needs_schemas(rules: dict[str, TraceRule]) -> dict[str, Any]:
    """The schema-condition rules as sphinx-needs ``needs_schema_definitions``.

    techfile evaluates these rules itself (with file:line, safety classes,
    waivers, and without Sphinx); this export lets sphinx-needs' own
    validator, and tools that read its schemas, check the same conditions.
    The test suite uses it to show both validators agree.
    """
    schemas = []
    for rule in rules.values():
        if rule.validate is None or not rule.applicable:
            continue
        select: dict[str, Any] = {"properties": {"type": {"enum": list(rule.types)}}, "required": ["type"]}
        if rule.select is not None:
            select = {"allOf": [select, rule.select]}
        schemas.append({"id": rule.id, "severity": "violation", "message": rule.message, "select": select, "validate": rule.validate})
    return {"schemas": schemas}
