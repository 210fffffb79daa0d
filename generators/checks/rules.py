"""Load the rule declarations (``schemas/trace_rules.toml``) into
:class:`TraceRule` objects, validated against their JSON schema and against
the need model and the checks that exist."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from techfile.errors import TechfileError
from techfile.needmodel import NeedModel
from techfile.tomlfile import load

SCHEMA = Path(__file__).resolve().parent.parent.parent / "schemas" / "trace_rules.schema.json"
ALL_TYPES = "*"


@dataclass(frozen=True)
class TraceRule:
    """One declared rule: what it enforces, where it applies and its condition."""

    id: str
    name: str
    title: str
    clauses: tuple[str, ...]
    classes: frozenset[str]
    severity: str
    types: tuple[str, ...]
    message: str
    description: str
    line: int
    """Line of the declaration in the rules file."""
    select: dict[str, Any] | None = None
    validate: dict[str, Any] | None = None
    check: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    native: str | None = None

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
        return not self.types


def load_rules(path: Path, model: NeedModel) -> dict[str, TraceRule]:
    """Rules by ID, in declaration order."""
    from techfile.checks.predicates import CHECKS  # the registry imports the engine's types

    data, lines = load(path, SCHEMA)
    rules: dict[str, TraceRule] = {}
    for index, spec in enumerate(data["rules"]):
        where = lines.line_of(("rules", index)) or 1

        def fail(message: str, key: str | None = None, fix: str | None = None) -> TechfileError:
            line = lines.line_of(("rules", index, key)) if key else where
            return TechfileError(f"rule {spec['id']}: {message}", path=path, line=line or where, fix=fix)

        if spec["id"] in rules:
            raise fail("is declared twice", "id", "give each rule its own ID")
        for need_type in spec["types"]:
            if need_type != ALL_TYPES and need_type not in model.types:
                raise fail(f"selects unknown need type {need_type!r}", "types", f"use one of {sorted(model.types)}")
        check = spec.get("check")
        if check is not None and check not in CHECKS:
            raise fail(f"names unknown check {check!r}", "check", f"use one of {sorted(CHECKS)}")
        for key in ("select",):
            if key in spec:
                try:
                    jsonschema.Draft202012Validator.check_schema(spec[key])
                except jsonschema.SchemaError as exc:
                    raise fail(f"{key} is not a valid JSON schema: {exc.message}", key) from None
        for key_path, link in _network_links(spec.get("validate", {}), ("validate",)):
            if link not in model.links:
                line = lines.line_of(("rules", index, *key_path)) or where
                raise TechfileError(f"rule {spec['id']}: validate names unknown link type {link!r}", path=path, line=line, fix=f"use one of {sorted(model.links)}")
        rules[spec["id"]] = TraceRule(
            id=spec["id"],
            name=spec["name"],
            title=spec["title"],
            clauses=tuple(spec["clauses"]),
            classes=frozenset(spec["classes"]),
            severity=spec["severity"],
            types=tuple(spec["types"]),
            message=spec["message"],
            description=spec["description"],
            line=where,
            select=spec.get("select"),
            validate=spec.get("validate"),
            check=check,
            params=spec.get("params", {}),
            native=spec.get("native"),
        )
    return rules


def _network_links(validate: dict[str, Any], at: tuple[str, ...]) -> list[tuple[tuple[str, ...], str]]:
    """(key path, link type) of every network condition, nested ones included."""
    links: list[tuple[tuple[str, ...], str]] = []
    for key in ("network", "network_back"):
        for link, spec in validate.get(key, {}).items():
            links.append(((*at, key, link), link))
            for part in ("items", "contains"):
                if part in spec:
                    links.extend(_network_links(spec[part], (*at, key, link, part)))
    return links


def sphinx_needs_schemas(rules: dict[str, TraceRule]) -> dict[str, Any]:
    """The schema-condition rules as sphinx-needs ``needs_schema_definitions``.

    techfile evaluates these rules itself (with file:line, safety classes,
    waivers, and without Sphinx); this export lets sphinx-needs' own
    validator, and tools that read its schemas, check the same conditions.
    The test suite uses it to show both validators agree.
    """
    schemas = []
    for rule in rules.values():
        if rule.validate is None:
            continue
        select: dict[str, Any] = {"properties": {"type": {"enum": list(rule.types)}}, "required": ["type"]}
        if rule.select is not None:
            select = {"allOf": [select, rule.select]}
        schemas.append({"id": rule.id, "severity": "violation", "message": rule.message, "select": select, "validate": rule.validate})
    return {"schemas": schemas}
