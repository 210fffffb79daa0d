"""Accepted gaps on record (N08, N09): a waiver names a rule that exists
and accepts a gap that is open."""

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


@check("waiver_rule", roles=(Role.WAIVER,))
def waiver_rule(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = subject(need)
    named = ctx.value(need, "rule")
    if named and named not in ctx.rules:
        yield Gap(f"rule {named} is not in the rule catalogue")
    elif named and not ctx.rules[named].applicable:
        yield Gap(f"rule {named} is {ctx.rules[named].status.value}; the waiver accepts nothing")


@check("stale_waiver", after_findings=True, roles=(Role.WAIVER,))
def stale_waiver(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = subject(need)
    named = ctx.value(need, "rule")
    if not named or named not in ctx.rules or not ctx.rules[named].applicable:
        return
    open_for = {f.need_id for f in ctx.findings if f.rule.id == named and f.accepted_by == need.id}
    for target in ctx.corpus.link_targets(need, Relation.WAIVES) or (None,):
        if target not in open_for:
            yield Gap(f"accepts {named} on {target or 'the project'}, which has no such gap")
