"""The named checks rules can call (``check = "..."`` in trace_rules.toml),
for what a sphinx-needs schema cannot express: evidence outcomes, versions,
the risk matrix, class inheritance, and the need-model checks that
``techfile check`` runs where sphinx-needs would in a Sphinx build.

A check takes the need being checked (None for ``scope = "corpus"`` checks),
its rule and the :class:`~techfile.checks.engine.Context`, and yields one
:class:`~techfile.checks.engine.Gap` per missing thing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from techfile.checks import verification
from techfile.checks.engine import Context, Gap
from techfile.checks.rules import TraceRule
from techfile.checks.schema_eval import matches
from techfile.corpus import Need

CheckFunction = Callable[[Need | None, TraceRule, Context], Iterator[Gap]]


@dataclass(frozen=True)
class Check:
    function: CheckFunction
    scope: Literal["need", "corpus"]
    after_findings: bool


CHECKS: dict[str, Check] = {}


def check(name: str, *, scope: Literal["need", "corpus"] = "need", after_findings: bool = False) -> Callable[[CheckFunction], CheckFunction]:
    def register(function: CheckFunction) -> CheckFunction:
        CHECKS[name] = Check(function, scope, after_findings)
        return function

    return register


def _need(need: Need | None) -> Need:
    assert need is not None, "need-scoped check called without a need"
    return need


# ------------------------------------------------------ need model (N..)


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
    need = _need(need)
    for name in ctx.model.types[need.type].required:
        if not need.get(name):
            yield Gap(f"required field {name} is empty")


def _describe(schema: dict[str, object]) -> str:
    if "enum" in schema:
        return "one of " + ", ".join(map(str, schema["enum"]))  # type: ignore[arg-type]
    if "pattern" in schema:
        return f"matching {schema['pattern']}"
    return "allowed by its schema"


@check("field_values")
def field_values(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = _need(need)
    for name, value in need.fields.items():
        if name not in ctx.model.fields:
            continue
        schema = ctx.model.field_schema(need.type, name)
        if len(schema) > 1 and not matches(schema, value):
            yield Gap(f"{name} is {value!r}, expected {_describe(schema)}")


@check("dangling_links")
def dangling_links(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = _need(need)
    for link, targets in need.links.items():
        for target in targets:
            if ctx.corpus.get(target) is None:
                yield Gap(f"{link} {target}: no need has this ID")


@check("link_target_types")
def link_target_types(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = _need(need)
    for link, targets in need.links.items():
        allowed = ctx.model.links[link].targets
        if allowed is None:
            continue
        for target in ctx.corpus.outgoing(need, link):
            if target.type not in allowed:
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


@check("waiver_rule")
def waiver_rule(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = _need(need)
    named = need.get("rule")
    if named and named not in ctx.rules:
        yield Gap(f"rule {named} is not in the rule catalogue")


@check("stale_waiver", after_findings=True)
def stale_waiver(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = _need(need)
    named = need.get("rule")
    if not named or named not in ctx.rules:
        return
    open_for = {f.need_id for f in ctx.findings if f.rule.id == named and f.accepted_by == need.id}
    for target in need.links.get("waives", ()) or (None,):
        if target not in open_for:
            yield Gap(f"accepts {named} on {target or 'the project'}, which has no such gap")


# ------------------------------------------------------ requirements


@check("verified")
def verified(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = _need(need)
    method = need.get("verification_method") or "test"
    if method != "test":
        if not need.get("verification_rationale"):
            yield Gap(f"is verified by {method} but gives no verification_rationale")
        return
    tests = verification.test_specs(ctx.corpus, need) + verification.direct_results(ctx.corpus, need)
    if not tests:
        yield Gap(rule.message)


@check("passing_results")
def passing_results(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = _need(need)
    if (need.get("verification_method") or "test") != "test":
        return
    for verdict in verification.verification_verdicts(ctx.corpus, need, ctx.release):
        for problem in verdict.problems:
            yield Gap(f"{rule.message}: {problem}")


# ---------------------------------------------------------- risk


@check("hazard_controlled")
def hazard_controlled(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = _need(need)
    if any(c.type == "risk_control" for c in ctx.corpus.incoming(need, "mitigates")):
        return
    initial = ctx.matrix.classify(need.get("severity"), need.get("probability"))
    if initial is not None and initial.acceptable:
        if not need.get("risk_acceptance"):
            yield Gap(f"initial risk is {initial.title} but no risk control mitigates it and no risk_acceptance decision is recorded")
        return
    yield Gap(rule.message)


@check("risk_evaluated")
def risk_evaluated(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = _need(need)
    matrix = ctx.matrix
    for prefix, label in (("", "initial"), ("residual_", "residual")):
        severity, probability = need.get(prefix + "severity"), need.get(prefix + "probability")
        if prefix and severity is None and probability is None and not ctx.corpus.incoming(need, "mitigates"):
            continue  # no control: the residual risk is the initial risk
        if not matrix.is_severity(severity):
            yield Gap(f"{label} severity {severity!r} is not a severity level of the risk matrix")
        if not matrix.is_probability(probability):
            yield Gap(f"{label} probability {probability!r} is not a probability level of the risk matrix")
    initial, residual = matrix.assess(need.get)
    if residual is not None and not residual.acceptable and not need.get("benefit_risk"):
        yield Gap(f"residual risk is {residual.title} and no benefit_risk analysis is recorded")
    if initial is not None and residual is not None:
        order = list(matrix.classes)
        if order.index(residual.key) > order.index(initial.key):
            yield Gap(f"residual risk ({residual.title}) is worse than the initial risk ({initial.title})")


@check("software_control_implemented")
def software_control_implemented(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = _need(need)
    requirements = [r for r in ctx.corpus.incoming(need, "implements") if r.type == "swreq"]
    if not requirements:
        yield Gap(rule.message)
        return
    required_class = ctx.corpus.safety_class(need)
    for requirement in requirements:
        for item in ctx.corpus.outgoing(requirement, "allocated_to"):
            item_class = ctx.corpus.safety_class(item)
            if item_class < required_class:
                yield Gap(
                    f"{requirement.id} is allocated to {item.id} of class {item_class}, below class {required_class} of the risk it controls"
                )


def _implementation_verified(ctx: Context, control: Need) -> tuple[bool, str]:
    """Whether a passing test verifies the control, directly or through its requirements."""
    subjects = [control] + [r for r in ctx.corpus.incoming(control, "implements") if r.type == "swreq"]
    verdicts = [v for subject in subjects for v in verification.verification_verdicts(ctx.corpus, subject, ctx.release)]
    if not verdicts:
        return False, "no test verifies its implementation"
    failing = list(dict.fromkeys(problem for v in verdicts for problem in v.problems))
    if failing:
        return False, "its implementation tests did not pass: " + "; ".join(failing)
    return True, ""


@check("control_verified")
def control_verified(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = _need(need)
    ok, problem = _implementation_verified(ctx, need)
    if not ok:
        yield Gap(problem)
    effectiveness = verification.verification_verdicts(ctx.corpus, need, ctx.release, aspect="effectiveness")
    if need.get("effectiveness") or (effectiveness and all(v.ok for v in effectiveness)):
        return
    yield Gap("no evidence of effectiveness (a passing test with aspect effectiveness, or the effectiveness field)")


@check("risk_chain")
def risk_chain(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = _need(need)
    corpus = ctx.corpus
    if not any(item.type == "item" for item in corpus.outgoing(need, "arises_from")):
        yield Gap("chain broken at hazard -> software item: arises from no item")
    if not need.get("cause"):
        yield Gap("chain broken at software item -> cause: no cause is named")
    controls = [c for c in corpus.incoming(need, "mitigates") if c.type == "risk_control"]
    if not controls:
        if not need.get("risk_acceptance"):
            yield Gap("chain broken at cause -> risk control: no control mitigates it")
        return
    for control in controls:
        if control.get("realization") == "software":
            requirements = [r for r in corpus.incoming(control, "implements") if r.type == "swreq"]
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
            if not ok and not control.get("effectiveness"):
                yield Gap(f"chain broken at {control.id} -> verification: {problem}")


# ---------------------------------------------------------- SOUP

_EXACT_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+!-]*$")


def _versions_by_name(components: list[Need]) -> dict[str, set[str | None]]:
    index: dict[str, set[str | None]] = {}
    for component in components:
        index.setdefault(component.title.strip().lower(), set()).add(component.get("version"))
    return index


@check("soup_identified")
def soup_identified(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = _need(need)
    if not need.title.strip():
        yield Gap("has no title (the SOUP's name)")
    if not need.get("manufacturer"):
        yield Gap("has no manufacturer")
    version = need.get("version")
    if not version:
        yield Gap("has no version")
        return
    if not _EXACT_VERSION.fullmatch(version):
        yield Gap(f"version {version!r} is not one exact version (no ranges, wildcards or lists)")
        return
    evidence_type = rule.params.get("evidence_type", "component")
    versions_by_name = ctx.memo(f"versions of {evidence_type}", lambda: _versions_by_name(ctx.corpus.by_type.get(evidence_type, [])))
    if not versions_by_name:
        yield Gap(f"no lock-file or SBOM evidence in the tree confirms version {version}")
        return
    versions = versions_by_name.get(need.title.strip().lower(), set())
    if version not in versions:
        found = ", ".join(sorted(v for v in versions if v)) or "absent"
        yield Gap(f"version {version} does not match the lock file or SBOM ({found})")


@check("soup_anomalies_evaluated")
def soup_anomalies_evaluated(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = _need(need)
    if not need.get("anomaly_evaluation"):
        yield Gap("has no anomaly_evaluation of its published anomaly list")
    if not need.get("anomaly_evaluation_date"):
        yield Gap("has no anomaly_evaluation_date")
    evaluated, version = need.get("anomaly_evaluation_version"), need.get("version")
    if evaluated != version:
        yield Gap(f"anomaly evaluation is for version {evaluated or '(none)'}, the SOUP version is {version or '(none)'}")


# ---------------------------------------------------- architecture


@check("item_classified")
def item_classified(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = _need(need)
    corpus = ctx.corpus
    own = need.get("safety_class")
    parents = [p for p in corpus.outgoing(need, "part_of") if p.type == "item"]
    if not parents:
        if need.get("level") != "system":
            yield Gap("is part of no item (part_of) and so inherits no class; link it into the architecture")
        elif own is None:
            yield Gap("is the software system and states no safety_class")
        return
    if own is None:
        return  # inherits its parent's class
    for parent in parents:
        parent_class = corpus.safety_class(parent)
        if own > parent_class:
            yield Gap(f"class {own} is higher than class {parent_class} of {parent.id}, which must be the highest of its parts")
        elif own != parent_class and not need.get("class_rationale"):
            yield Gap(f"class {own} differs from class {parent_class} of {parent.id} and no class_rationale is given")


@check("unit_verified")
def unit_verified(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = _need(need)
    specs = verification.test_specs(ctx.corpus, need, level="unit")
    if not specs:
        yield Gap("no unit-level test specification verifies it")
    for spec in specs:
        if not spec.get("acceptance"):
            yield Gap(f"{spec.id} states no acceptance criteria")
        verdict = verification.judge(ctx.corpus, verification.spec_results(ctx.corpus, spec), ctx.release, spec.id)
        for problem in verdict.problems:
            yield Gap(problem)
    if ctx.corpus.safety_class(need) == "C" and not need.get("detailed_design"):
        yield Gap("is a class C unit without detailed_design")


# --------------------------------------------------------- release


@check("anomaly_disclosed")
def anomaly_disclosed(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = _need(need)
    release = ctx.release
    if release is None:
        yield Gap("is open and there is no release under evaluation to disclose it")
    elif need.id not in release.links.get("discloses", ()):
        yield Gap(f"{rule.message} {release.id}")
    if ctx.corpus.safety_class(need) in rule.params.get("evaluation_classes", ()):
        missing = [name for name in rule.params.get("evaluation_fields", ()) if not need.get(name)]
        if missing:
            yield Gap("residual anomaly evaluation lacks " + ", ".join("description" if m == "content" else m for m in missing))


@check("statements_present", scope="corpus")
def statements_present(_: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    kinds = {statement.get("kind") for statement in ctx.corpus.by_type.get("statement", ())}
    for kind in rule.params.get("kinds", ()):
        if kind not in kinds:
            yield Gap(f"no statement of kind {kind}")
