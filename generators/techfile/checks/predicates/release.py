"""Release (R25, R30): every open anomaly disclosed with its evaluation; the
development plan and documentation level stated."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from techfile.checks.findings import Gap
from techfile.checks.predicates.registry import check, subject
from techfile.checks.rules import TraceRule
from techfile.corpus import Need
from techfile.model.roles import Relation, Role

if TYPE_CHECKING:
    from techfile.checks.engine import Context


@check(
    "anomaly_disclosed",
    roles=(Role.RELEASE,),
    relations=(Relation.DISCLOSES,),
    params={
        "evaluation_classes": {
            "type": "array",
            "items": {"enum": ["A", "B", "C"]},
            "uniqueItems": True,
            "description": "Safety classes whose residual anomalies must give the evaluation fields.",
        },
        "evaluation_fields": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "uniqueItems": True,
            "description": "Fields (canonical names; content for the description) a residual anomaly of those classes must give.",
        },
    },
)
def anomaly_disclosed(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = subject(need)
    release = ctx.release
    if release is None:
        yield Gap("is open and there is no release under evaluation to disclose it")
    elif need.id not in ctx.corpus.link_targets(release, Relation.DISCLOSES):
        yield Gap(f"{rule.message} {release.id}")
    if ctx.corpus.safety_class(need) in rule.params.get("evaluation_classes", ()):
        missing = [name for name in rule.params.get("evaluation_fields", ()) if not (need.get("content") if name == "content" else ctx.value(need, name))]
        if missing:
            yield Gap("residual anomaly evaluation lacks " + ", ".join("description" if m == "content" else ctx.corpus.field_name(need, m) for m in missing))


@check(
    "statements_present",
    scope="corpus",
    roles=(Role.STATEMENT,),
    params={"kinds": {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True, "description": "Kinds of statement the technical file must contain."}},
)
def statements_present(_: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    kinds = {ctx.value(statement, "kind") for statement in ctx.corpus.by_role(Role.STATEMENT)}
    for kind in rule.params.get("kinds", ()):
        if kind not in kinds:
            yield Gap(f"no statement of kind {kind}")
