"""The rule catalogue: the roles and relations of the need model, then
every declared rule (applicable, not applicable or disabled) with what it
enforces, where it applies and where it is declared. Findings link here."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from techfile.checks.rules import ALL_TYPES, RuleStatus, TraceRule
from techfile.model.needmodel import NeedModel
from techfile.model.roles import Relation, Role
from techfile.sphinxext.views.data import (
    Block,
    Code,
    CodeBlock,
    Container,
    Emphasis,
    FieldList,
    Inline,
    Paragraph,
    Rubric,
    TableBuilder,
    Text,
    inline,
)

if TYPE_CHECKING:
    from techfile.sphinxext.state import Evaluated

NOT_MAPPED = Emphasis("not mapped")


def _type_titles(model: NeedModel, types: tuple[str, ...]) -> str:
    return ", ".join(model.types[t].title if t in model.types else t for t in types)


def _roles_table(model: NeedModel) -> Block:
    table = TableBuilder(("Role", "Description", "Types of this project"), ("techfile-roles",), "Roles")
    for role in Role:
        types = model.roles.types_of(role)
        played: list[Inline] = []
        for index, name in enumerate(types):
            played += [*([Text(", ")] if index else []), Text(f"{_type_titles(model, (name,))} ("), Code(name), Text(")")]
        table.add(Code(role.value), role.description, tuple(played) if played else NOT_MAPPED)
    return table.table()


def _relations_table(model: NeedModel) -> Block:
    table = TableBuilder(("Relation", "Description", "Link type of this project"), ("techfile-relations",), "Relations")
    for relation in Relation:
        link = model.roles.link(relation)
        table.add(Code(relation.value), relation.description, Code(link) if link else NOT_MAPPED)
    return table.table()


def _status(rule: TraceRule) -> tuple[Inline, ...]:
    if rule.status is RuleStatus.APPLICABLE:
        return inline(rule.status.value)
    return inline(f"{rule.status.value}: {rule.reason}")


def _applies_to(model: NeedModel, rule: TraceRule) -> tuple[Inline, ...]:
    if rule.project_level:
        return inline("the project as a whole")
    if ALL_TYPES in rule.types:
        return inline("every need")
    if not rule.roles:  # selected by the project's own type names
        return inline(_type_titles(model, rule.types))
    parts: list[Inline] = []
    for index, role in enumerate(rule.roles):
        types = model.roles.types_of(role)
        parts += [*([Text("; ")] if index else []), Code(role.value), Text(": "), Text(_type_titles(model, types)) if types else NOT_MAPPED]
    return tuple(parts)


def _description(text: str) -> Paragraph:
    # `code` in a description is literal text; the rest is prose
    return Paragraph(tuple(Code(part) if index % 2 else Text(part) for index, part in enumerate(text.split("`")) if part))


def _condition(rule: TraceRule) -> list[Block]:
    condition: dict[str, Any] = (
        {"select": rule.select, "validate": rule.validate}
        if rule.validate
        else {"select": rule.select, "check": rule.check, "params": rule.params or None}
    )
    condition = {key: value for key, value in condition.items() if value}
    return [CodeBlock(json.dumps(condition, indent=2), "json")] if condition else []


def _entry(state: Evaluated, rule: TraceRule) -> Block:
    model = state.declarations.model
    fields: list[tuple[str, tuple[Inline, ...]]] = [
        ("Status", _status(rule)),
        ("Clauses", inline(rule.clause_text)),
        ("Safety classes", inline(", ".join(sorted(rule.classes)))),
        ("Severity", inline(rule.severity)),
        ("Applies to", _applies_to(model, rule)),
        ("Reported as", inline(Code(rule.code), f" — “{rule.message}”")),
    ]
    if rule.native:
        fields.append(("In a Sphinx build", inline("reported by sphinx-needs as ", Code(rule.native))))
    if rule.coverage:
        fields.append(("Coverage figure", inline(rule.coverage)))
    fields.append(("Declared at", inline(Code(f"{state.project.relative(rule.path)}:{rule.line}"))))
    classes = ("techfile-rule",) if rule.applicable else ("techfile-rule", "techfile-rule-inactive")
    blocks: list[Block] = [Rubric(f"{rule.id} {rule.name}: {rule.title}"), FieldList(tuple(fields)), _description(rule.description), *_condition(rule)]
    return Container(tuple(blocks), ids=(rule.anchor,), classes=classes)


def rules(state: Evaluated, options: dict[str, str]) -> list[Block]:
    model = state.declarations.model
    return [_roles_table(model), _relations_table(model), *(_entry(state, rule) for rule in state.declarations.rules.values())]

