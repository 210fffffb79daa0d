"""Need-model conformance (N01-N07): what sphinx-needs checks in a Sphinx
build, checked by ``techfile check`` with the same file and line."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from techfile.checks.findings import Gap
from techfile.checks.predicates.registry import check, subject
from techfile.checks.rules import TraceRule
from techfile.checks.schema_eval import matches
from techfile.corpus import Need

if TYPE_CHECKING:
    from techfile.checks.engine import Context


@check("id_pattern", scope="corpus")
def id_pattern(_: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    for path, line, need_type in ctx.corpus.unidentified:
        yield Gap(f"a {need_type} need has no :id:", location=(path, line))
    for need in ctx.corpus:
        pattern = ctx.model.types[need.type].id_pattern
        if not pattern.fullmatch(need.id):
            yield Gap(f"ID does not match {pattern.pattern} for type {need.type}", need)


@check("required_fields")
def required_fields(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = subject(need)
    for name in ctx.model.types[need.type].required:
        if not need.get(name):
            yield Gap(f"required field {name} is empty")


def _describe(schema: dict[str, object]) -> str:
    if "enum" in schema:
        return "one of " + ", ".join(map(str, schema["enum"]))  # type: ignore[call-overload]
    if "pattern" in schema:
        return f"matching {schema['pattern']}"
    return "allowed by its schema"


@check("field_values")
def field_values(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = subject(need)
    for name, value in need.fields.items():
        if name not in ctx.model.fields:
            continue
        schema = ctx.model.field_schema(need.type, name)
        if len(schema) > 1 and not matches(schema, value):
            yield Gap(f"{name} is {value!r}, expected {_describe(schema)}")


@check("dangling_links")
def dangling_links(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = subject(need)
    for link, targets in need.links.items():
        for target in targets:
            if ctx.corpus.get(target) is None:
                yield Gap(f"{link} {target}: no need has this ID")


@check("link_target_types")
def link_target_types(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = subject(need)
    for link, targets in need.links.items():
        declared = ctx.model.links.get(link)
        allowed = declared.targets if declared is not None else None
        if allowed is None:
            continue
        for target_id in targets:
            target = ctx.corpus.get(target_id)
            if target is not None and target.type not in allowed:
                yield Gap(f"{link} {target.id}, a {target.type}; {link} may point at {', '.join(allowed)}")


@check("duplicate_ids", scope="corpus")
def duplicate_ids(_: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    for first, second in ctx.corpus.duplicates:
        yield Gap(f"ID is already used at {first.location}", second)


@check("undeclared_fields", scope="corpus")
def undeclared_fields(_: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    for need, name in ctx.corpus.undeclared:
        kind = "link" if name in ctx.model.links else "field" if name in ctx.model.fields else "option"
        yield Gap(f"{kind} {name} is not declared for type {need.type}; the value is ignored", need)


@check("evidence_present", scope="corpus")
def evidence_present(_: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    for place in ctx.corpus.evidence:
        if not place.found:
            yield Gap(f"evidence file {place.file} does not exist yet; {rule.message}", location=(place.path, place.line))
