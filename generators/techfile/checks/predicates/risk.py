"""Risk management (R09, R11-R13, R15): hazards controlled or accepted,
controls implemented and verified, the chain to a passing test unbroken,
risk estimated on the matrix."""

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


def controls_of(ctx: Context, hazard: Need) -> list[Need]:
    return ctx.corpus.incoming(hazard, Relation.MITIGATES, Role.RISK_CONTROL)


def requirements_of(ctx: Context, control: Need) -> list[Need]:
    return ctx.corpus.incoming(control, Relation.IMPLEMENTS, Role.SOFTWARE_REQUIREMENT)


@check("hazard_controlled", roles=(Role.RISK_CONTROL,), relations=(Relation.MITIGATES,))
def hazard_controlled(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = subject(need)
    if controls_of(ctx, need):
        return
    initial = ctx.matrix.classify(ctx.value(need, "severity"), ctx.value(need, "probability"))
    if initial is not None and initial.acceptable:
        if not ctx.value(need, "risk_acceptance"):
            yield Gap(f"initial risk is {initial.title} but no risk control mitigates it and no {ctx.corpus.field_name(need, 'risk_acceptance')} decision is recorded")
        return
    yield Gap(rule.message)


@check("risk_evaluated")
def risk_evaluated(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = subject(need)
    matrix = ctx.matrix
    controlled = bool(controls_of(ctx, need))
    for prefix, label in (("", "initial"), ("residual_", "residual")):
        severity, probability = ctx.value(need, prefix + "severity"), ctx.value(need, prefix + "probability")
        if prefix and severity is None and probability is None and not controlled:
            continue  # no control: the residual risk is the initial risk
        if not matrix.is_severity(severity):
            yield Gap(f"{label} severity {severity!r} is not a severity level of the risk matrix")
        if not matrix.is_probability(probability):
            yield Gap(f"{label} probability {probability!r} is not a probability level of the risk matrix")
    initial, residual = matrix.assess(lambda name: ctx.value(need, name))
    if residual is not None and not residual.acceptable and not ctx.value(need, "benefit_risk"):
        yield Gap(f"residual risk is {residual.title} and no {ctx.corpus.field_name(need, 'benefit_risk')} analysis is recorded")
    if initial is not None and residual is not None:
        order = list(matrix.classes)
        if order.index(residual.key) > order.index(initial.key):
            yield Gap(f"residual risk ({residual.title}) is worse than the initial risk ({initial.title})")


@check("software_control_implemented", roles=(Role.SOFTWARE_REQUIREMENT,), relations=(Relation.IMPLEMENTS,))
def software_control_implemented(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = subject(need)
    requirements = requirements_of(ctx, need)
    if not requirements:
        yield Gap(rule.message)
        return
    required_class = ctx.corpus.safety_class(need)
    for requirement in requirements:
        for item in ctx.corpus.outgoing(requirement, Relation.ALLOCATED_TO):
            item_class = ctx.corpus.safety_class(item)
            if item_class < required_class:
                yield Gap(f"{requirement.id} is allocated to {item.id} of class {item_class}, below class {required_class} of the risk it controls")


def _implementation_verified(ctx: Context, control: Need) -> tuple[bool, str]:
    """Whether a passing test verifies the control, directly or through its requirements."""
    subjects = [control, *requirements_of(ctx, control)]
    verdicts = [v for s in subjects for v in verification.verification_verdicts(ctx.corpus, s, ctx.release)]
    if not verdicts:
        return False, "no test verifies its implementation"
    failing = list(dict.fromkeys(problem for v in verdicts for problem in v.problems))
    if failing:
        return False, "its implementation tests did not pass: " + "; ".join(failing)
    return True, ""


@check("control_verified", roles=((Role.TEST_SPECIFICATION, Role.TEST_RESULT),), relations=(Relation.VERIFIES,))
def control_verified(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = subject(need)
    ok, problem = _implementation_verified(ctx, need)
    if not ok:
        yield Gap(problem)
    effectiveness = verification.verification_verdicts(ctx.corpus, need, ctx.release, aspect="effectiveness")
    if ctx.value(need, "effectiveness") or (effectiveness and all(v.ok for v in effectiveness)):
        return
    yield Gap(f"no evidence of effectiveness (a passing test with aspect effectiveness, or the {ctx.corpus.field_name(need, 'effectiveness')} field)")


@check(
    "risk_chain",
    roles=(Role.SOFTWARE_ITEM, Role.RISK_CONTROL, Role.SOFTWARE_REQUIREMENT, (Role.TEST_SPECIFICATION, Role.TEST_RESULT)),
    relations=(Relation.ARISES_FROM, Relation.MITIGATES, Relation.IMPLEMENTS, Relation.VERIFIES),
)
def risk_chain(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = subject(need)
    corpus = ctx.corpus
    if not corpus.outgoing(need, Relation.ARISES_FROM, Role.SOFTWARE_ITEM):
        yield Gap("chain broken at hazard -> software item: arises from no item")
    if not ctx.value(need, "cause"):
        yield Gap("chain broken at software item -> cause: no cause is named")
    controls = controls_of(ctx, need)
    if not controls:
        if not ctx.value(need, "risk_acceptance"):
            yield Gap("chain broken at cause -> risk control: no control mitigates it")
        return
    for control in controls:
        if ctx.value(control, "realization") == "software":
            requirements = requirements_of(ctx, control)
            if not requirements:
                yield Gap(f"chain broken at {control.id} -> software requirement: no requirement implements it")
                continue
            for requirement in requirements:
                verdicts = verification.verification_verdicts(corpus, requirement, ctx.release)
                if not verdicts:
                    yield Gap(f"chain broken at {control.id} -> {requirement.id} -> test: no test verifies it")
                for problem in (p for v in verdicts for p in v.problems):
                    yield Gap(f"chain broken at {control.id} -> {requirement.id} -> result: {problem}")
        else:
            ok, problem = _implementation_verified(ctx, control)
            if not ok and not ctx.value(control, "effectiveness"):
                yield Gap(f"chain broken at {control.id} -> verification: {problem}")
