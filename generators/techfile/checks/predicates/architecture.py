"""Architecture (R21, R23): items classified as IEC 62304 4.3 says; units
verified against acceptance criteria, class C units designed in detail."""

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


@check("item_classified", relations=(Relation.PART_OF,))
def item_classified(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = subject(need)
    corpus = ctx.corpus
    own = ctx.value(need, "safety_class")
    parents = corpus.outgoing(need, Relation.PART_OF, Role.SOFTWARE_ITEM)
    if not parents:
        if ctx.value(need, "level") != "system":
            yield Gap("is part of no item (part_of) and so inherits no class; link it into the architecture")
        elif own is None:
            yield Gap(f"is the software system and states no {corpus.field_name(need, 'safety_class')}")
        return
    if own is None:
        return  # inherits its parent's class
    for parent in parents:
        parent_class = corpus.safety_class(parent)
        if own > parent_class:
            yield Gap(f"class {own} is higher than class {parent_class} of {parent.id}, which must be the highest of its parts")
        elif own != parent_class and not ctx.value(need, "class_rationale"):
            yield Gap(f"class {own} differs from class {parent_class} of {parent.id} and no {corpus.field_name(need, 'class_rationale')} is given")


@check("unit_verified", roles=(Role.TEST_SPECIFICATION,), relations=(Relation.VERIFIES,))
def unit_verified(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = subject(need)
    specs = verification.test_specs(ctx.corpus, need, level="unit")
    if not specs:
        yield Gap("no unit-level test specification verifies it")
    for spec in specs:
        if not ctx.value(spec, "acceptance"):
            yield Gap(f"{spec.id} states no acceptance criteria")
        verdict = verification.judge(ctx.corpus, verification.spec_results(ctx.corpus, spec), ctx.release, spec.id)
        for problem in verdict.problems:
            yield Gap(problem)
    if ctx.corpus.safety_class(need) == "C" and not ctx.value(need, "detailed_design"):
        yield Gap(f"is a class C unit without {ctx.corpus.field_name(need, 'detailed_design')}")
