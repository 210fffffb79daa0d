"""Requirements are verified, and their verification passed for the
release (R04, R05)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from techfile.checks import verification
from techfile.checks.findings import Gap
from techfile.checks.predicates.registry import check, subject
from techfile.checks.rules import TraceRule
from techfile.corpus import Need
from techfile.model.roles import Relation, Role

if TYPE_CHECKING:
    from techfile.checks.engine import Context

TESTS = (Role.TEST_SPECIFICATION, Role.TEST_RESULT)


def verified_by_test(ctx: Context, need: Need) -> bool:
    """Whether ``need`` is to be verified by test (the default) rather than inspection, analysis or demonstration."""
    return (ctx.value(need, "verification_method") or "test") == "test"


@check("verified", roles=(TESTS,), relations=(Relation.VERIFIES,))
def verified(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = subject(need)
    if not verified_by_test(ctx, need):
        if not ctx.value(need, "verification_rationale"):
            method = ctx.value(need, "verification_method")
            yield Gap(f"is verified by {method} but gives no {ctx.corpus.field_name(need, 'verification_rationale')}")
        return
    if not verification.test_specs(ctx.corpus, need) + verification.direct_results(ctx.corpus, need):
        yield Gap(rule.message)


@check("passing_results", roles=(Role.TEST_RESULT,), relations=(Relation.VERIFIES,))
def passing_results(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = subject(need)
    if not verified_by_test(ctx, need):
        return
    for verdict in verification.verification_verdicts(ctx.corpus, need, ctx.release):
        for problem in verdict.problems:
            yield Gap(f"{rule.message}: {problem}")
