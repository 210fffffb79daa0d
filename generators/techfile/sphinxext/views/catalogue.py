"""The rule catalogue: an index of the rules and of the numbers kept free
(with why, from ``[reserved]``), the roles and relations of the need model,
then every declared rule (applicable, not applicable or disabled) in prose:
what it enforces, where it applies, how it is reported and where it is
declared; its condition folded away. Findings link here."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from techfile.checks.rules import ALL_TYPES, RuleStatus, TraceRule
from techfile.model.needmodel import NeedModel
from techfile.model.roles import Relation, Role
from techfile.sphinxext.views.data import (
    Block,
    BulletList,
    Code,
    CodeBlock,
    Container,
    Emphasis,
    Inline,
    Paragraph,
    Rubric,
    RuleRef,
    Strong,
    TableBuilder,
    Text,
    cell,
    inline,
)

if TYPE_CHECKING:
    from techfile.sphinxext.state import Evaluated

NOT_MAPPED = Emphasis("not mapped")
SEVERITIES = {
    "error": "Error: an open gap fails the build and techfile check",
    "warning": "Warning: an open gap fails the build with -W and techfile check",
    "info": "Information: reported, never fails the build",
}


def _type_titles(model: NeedModel, types: tuple[str, ...]) -> str:
    return ", ".join(model.types[t].title if t in model.types else t for t in types)


def _typed(model: NeedModel, types: tuple[str, ...]) -> list[Inline]:
    """``Software requirement (swreq)``: each type's title and its directive."""
    parts: list[Inline] = []
    for index, name in enumerate(types):
        parts += [*([Text(", ")] if index else []), Text(f"{_type_titles(model, (name,))} ("), Code(name), Text(")")]
    return parts


def _roles_table(model: NeedModel) -> Block:
    table = TableBuilder(("Role", "Description", "Types of this project"), ("techfile-roles",), "Roles")
    for role in Role:
        types = model.roles.types_of(role)
        table.add(Code(role.value), role.description, tuple(_typed(model, types)) if types else NOT_MAPPED)
    return table.table()


def _relations_table(model: NeedModel) -> Block:
    table = TableBuilder(("Relation", "Description", "Link type of this project"), ("techfile-relations",), "Relations")
    for relation in Relation:
        link = model.roles.link(relation)
        table.add(Code(relation.value), relation.description, Code(link) if link else NOT_MAPPED)
    return table.table()


def _status(rule: TraceRule) -> tuple[Inline, ...]:
    text = rule.status.value[:1].upper() + rule.status.value[1:]
    if rule.status is RuleStatus.APPLICABLE:
        return inline(text)
    return inline(Strong(text), f": {rule.reason}")


def _classes(rule: TraceRule) -> str:
    """``A, B and C``."""
    classes = sorted(rule.classes)
    return classes[0] if len(classes) == 1 else ", ".join(classes[:-1]) + f" and {classes[-1]}"


def _applies_to(model: NeedModel, rule: TraceRule) -> tuple[Inline, ...]:
    if rule.project_level:
        return inline("The project as a whole")
    if ALL_TYPES in rule.types:
        return inline("Every need")
    if not rule.roles:  # selected by the project's own type names
        return tuple(_typed(model, rule.types))
    parts: list[Inline] = []
    for index, role in enumerate(rule.roles):
        types = model.roles.types_of(role)
        parts += [*([Text("; ")] if index else [])]
        parts += _typed(model, types) if types else [Text(f"{role.value.replace('_', ' ')} ("), NOT_MAPPED, Text(")")]
    return tuple(parts)


def _description(text: str) -> Paragraph:
    # `code` in a description is literal text; the rest is prose
    return Paragraph(tuple(Code(part) if index % 2 else Text(part) for index, part in enumerate(text.split("`")) if part))


def _condition(rule: TraceRule) -> list[Block]:
    """The rule's condition as JSON, folded: the prose above says what it checks."""
    condition: dict[str, Any] = (
        {"select": rule.select, "validate": rule.validate}
        if rule.validate
        else {"select": rule.select, "check": rule.check, "params": rule.params or None}
    )
    condition = {key: value for key, value in condition.items() if value}
    if not condition:
        return []
    what = "the schema condition sphinx-needs also evaluates" if rule.validate else f"the check {rule.check}" + (" and its parameters" if rule.params else "")
    summary = (Text("Condition: "), Emphasis(what), Text(" (JSON)"))
    return [Container((CodeBlock(json.dumps(condition, indent=2), "json"),), classes=("techfile-rule-condition",), summary=summary, screen_only=True)]


def facts(state: Evaluated, rule: TraceRule) -> list[tuple[str, tuple[Inline, ...]]]:
    """What a catalogue entry says of a rule besides its description, as (label, text) pairs."""
    model = state.declarations.model
    out: list[tuple[str, tuple[Inline, ...]]] = [
        ("Status", _status(rule)),
        ("Enforces", inline(rule.clause_text)),
        ("Applies to", _applies_to(model, rule)),
        ("Safety classes", inline(_classes(rule))),
        ("Severity", inline(SEVERITIES.get(rule.severity, rule.severity))),
        ("Reported as", inline(Code(rule.code), f" “{rule.message}”")),
    ]
    if rule.native:
        out.append(("In a Sphinx build", inline("reported by sphinx-needs as ", Code(rule.native))))
    if rule.coverage:
        out.append(("Coverage figure", inline(rule.coverage)))
    out.append(("Declared at", inline(Code(f"{state.project.relative(rule.path)}:{rule.line}"))))
    return out


def _entry(state: Evaluated, rule: TraceRule) -> Block:
    """One rule in prose: its description, then one paragraph of what it enforces, where and how, then its condition folded."""
    parts: list[Inline] = []
    for index, (name, text) in enumerate(facts(state, rule)):
        parts += [*([Text(" ")] if index else []), Strong(f"{name}: "), *text]
        if not (parts and isinstance(parts[-1], Text) and parts[-1].text.endswith(".")):
            parts.append(Text("."))
    classes = ("techfile-rule",) if rule.applicable else ("techfile-rule", "techfile-rule-inactive")
    blocks: list[Block] = [Rubric(f"{rule.id} — {rule.title}"), _description(rule.description), Paragraph(tuple(parts)), *_condition(rule)]
    return Container(tuple(blocks), ids=(rule.anchor,), classes=classes)


def _index(state: Evaluated) -> Block:
    table = TableBuilder(("Rule", "Title", "Enforces", "Safety classes", "Status"), ("techfile-rule-index",), "Rule index")
    for rule in state.declarations.rules.values():
        status = rule.status.value[:1].upper() + rule.status.value[1:]
        table.add(cell(RuleRef(rule.id, rule.anchor)), rule.title, rule.clause_text, ", ".join(sorted(rule.classes)), status)
    return table.table()


def _reserved(state: Evaluated) -> list[Block]:
    """The rule numbers kept free, each with the reason its declaration gives."""
    reserved = state.declarations.reserved
    if not reserved:
        return []
    items = tuple(Paragraph((Strong(rule_id), Text(f": {reason}"))) for rule_id, reason in reserved.items())
    intro = Paragraph((Text(f"Rule numbers without a rule ({', '.join(reserved)}), as the declarations reserve them:"),))
    return [intro, BulletList(items)]


def rules(state: Evaluated, options: dict[str, str]) -> list[Block]:
    model = state.declarations.model
    return [
        _index(state),
        *_reserved(state),
        _roles_table(model),
        _relations_table(model),
        *(_entry(state, rule) for rule in state.declarations.rules.values()),
    ]
