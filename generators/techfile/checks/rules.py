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
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import jsonschema

from techfile.checks.conditions import Needs, resolve_select, resolve_validate
from techfile.errors import TechfileError
from techfile.model.layers import Layer, load_layers
from techfile.model.needmodel import NeedModel
from techfile.model.roles import Relation, Role
from techfile.settings import Where

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


def merge(layers: list[Layer]) -> tuple[list[dict[str, Any]], dict[str, Where], dict[str, tuple[str, Where]]]:
    """Rules in declaration order (a later layer's rule of the same ID overrides key by key),
    where each was last written, and the disabled rules with their reasons."""
    rules: dict[str, dict[str, Any]] = {}
    origins: dict[str, Where] = {}
    disabled: dict[str, tuple[str, Where]] = {}
    for layer in layers:
        for index, spec in enumerate(layer.data.get("rules", ())):
            where = layer.where("rules", index)
            if spec["id"] in rules and layer.path == origins[spec["id"]].path:
                raise where.at("id").error(f"rule {spec['id']}: is declared twice", fix="give each rule its own ID", keyed=False)
            rules.setdefault(spec["id"], {}).update(spec)
            origins[spec["id"]] = where
        for rule_id, reason in layer.data.get("disable", {}).items():
            disabled[rule_id] = (reason, layer.where("disable", rule_id))
    return list(rules.values()), origins, disabled


def load_rules(path: Path, model: NeedModel) -> dict[str, TraceRule]:
    """Rules by ID, in declaration order, resolved against ``model``."""
    from techfile.checks.predicates import CHECKS  # the registry imports the engine's types

    specs, origins, disabled = merge(load_layers(path, "trace_rules", SCHEMA))
    rules: dict[str, TraceRule] = {}
    for spec in specs:
        rule = _rule(spec, origins[spec["id"]], model, CHECKS)
        if rule.id in disabled:
            reason, _ = disabled[rule.id]
            rule = TraceRule(**{**rule.__dict__, "status": RuleStatus.DISABLED, "reason": reason})
        rules[rule.id] = rule
    for rule in rules.values():
        for other in rule.builds_on:
            if other not in rules:
                raise origins[rule.id].error(f"rule {rule.id}: builds on rule {other}, which is not declared", fix=_closest(other, list(rules)), keyed=False)
    for rule_id, (_, where) in disabled.items():
        if rule_id not in rules:
            raise where.error(f"disables rule {rule_id}, which is not declared", fix=_closest(rule_id, list(rules)), keyed=False)
    return rules


def _closest(name: str, known: list[str]) -> str | None:
    close = difflib.get_close_matches(name, known, n=1)
    return f"did you mean {close[0]!r}?" if close else None


def _rule(spec: dict[str, Any], where: Where, model: NeedModel, checks: dict[str, Any]) -> TraceRule:
    rule_id = spec["id"]

    def fail(message: str, key: str | None = None, fix: str | None = None) -> TechfileError:
        spot = where.at(key) if key and where.lines.line_of((*where.prefix, key)) else where
        return spot.error(f"rule {rule_id}: {message}", fix=fix, keyed=False)

    for key in REQUIRED_KEYS:
        if key not in spec:
            raise fail(f"declares no {key}", fix=f"add {key} = ...")
    if "check" in spec and "validate" in spec:
        raise fail("has both check and validate", "check", "a rule has one condition")
    if "check" not in spec and "validate" not in spec:
        raise fail("has neither check nor validate", fix="give the rule a condition")
    roles_map = model.roles
    roles: list[Role] = []
    for name in spec.get("roles", ()):
        role = Role.named(name)
        if role is None:
            raise fail(f"selects unknown role {name!r}", "roles", _closest(name, [r.value for r in Role]))
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
        raise fail(f"names unknown check {check!r}", "check", f"use one of {sorted(checks)}")
    if "select" in spec:
        try:
            jsonschema.Draft202012Validator.check_schema(spec["select"])
        except jsonschema.SchemaError as exc:
            raise fail(f"select is not a valid JSON schema: {exc.message}", "select") from None

    needs = Needs()
    context = tuple(roles)
    validate = resolve_validate(spec["validate"], roles_map, context, needs) if "validate" in spec else None
    if needs.unknown:
        name, key_path = needs.unknown[0]
        spot = where.at(*key_path)
        raise spot.error(
            f"rule {rule_id}: validate names {name!r}, which is neither a role nor a relation",
            fix=_closest(name, [r.value for r in (*Role, *Relation)]),
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
        params=spec.get("params", {}),
        native=spec.get("native"),
        coverage=spec.get("coverage"),
        builds_on=tuple(spec.get("builds_on", ())),
        status=status,
        reason=reason,
    )


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
