"""Post-market surveillance (PM01-PM05): the monitoring plan of a released
model, the results ``techfile monitoring`` maps from monitoring reports, the
field events they and the field raise, and the CAPAs that close them.

The checks start from authored needs where one exists (the model, the
monitoring rule, the field event, the CAPA, the hazard), so a finding points
at a file and line a writer can fix; the generated results are judged
against the authored threshold of their rule, not against the outcome the
generator wrote, so a result edited to "within" is still beyond.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from techfile.checks.findings import Gap
from techfile.checks.predicates.ml import versions
from techfile.checks.predicates.registry import check, subject
from techfile.checks.rules import TraceRule
from techfile.corpus import Need
from techfile.evidence.monitoring.thresholds import beyond
from techfile.model.roles import Relation, Role

if TYPE_CHECKING:
    from techfile.checks.engine import Context

RELEASED_ALIAS = "released"
SPLITS = ("test_", "validation_", "training_")


def metric_name(criterion_metric: str) -> str:
    """The name a monitoring rule uses for a criterion's metric: ``test_auc`` and ``auc`` are ``auc``."""
    name = criterion_metric.rsplit("/", 1)[-1]
    for split in SPLITS:
        if name.startswith(split):
            return name[len(split) :]
    return name


def _released(ctx: Context, version: Need) -> bool:
    return RELEASED_ALIAS in [a.strip() for a in (ctx.value(version, "aliases") or "").split(",")]


def _named(ctx: Context, version: Need) -> str:
    return f"{ctx.value(version, 'registered_model') or version.id} version {ctx.value(version, 'model_version') or '?'} ({version.id})"


def _criteria(ctx: Context, version: Need) -> dict[tuple[str, str], list[str]]:
    """What the acceptance criteria evaluated on ``version`` name: (metric, subgroup dimension or "") -> requirement IDs."""
    from techfile.evidence.mlflow.criteria import CriterionError, parse_criteria

    named: dict[tuple[str, str], list[str]] = {}
    requirements = {r.id: r for result in ctx.corpus.incoming(version, Relation.EVALUATES, Role.TEST_RESULT) for r in ctx.corpus.outgoing(result, Relation.VERIFIES, Role.SOFTWARE_REQUIREMENT)}
    for requirement_id, requirement in sorted(requirements.items()):
        try:
            criteria = parse_criteria(ctx.value(requirement, "acceptance_criteria") or "")
        except CriterionError:
            continue  # M04 reports the criterion that does not parse
        for criterion in criteria:
            for dimension in criterion.dimensions or ("",):
                named.setdefault((metric_name(criterion.metric), dimension), []).append(requirement_id)
    return named


@check("monitoring_plan", roles=(Role.ML_MODEL, Role.ML_MODEL_VERSION, Role.MONITORING_RULE), relations=(Relation.VERSION_OF, Relation.MONITORS))
def monitoring_plan(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    """PM01: each released version of the model is monitored for every metric and subgroup its acceptance criteria name."""
    model = subject(need)
    released = [v for v in versions(ctx, model) if _released(ctx, v)]
    if not released:
        return
    monitors = ctx.corpus.incoming(model, Relation.MONITORS, Role.MONITORING_RULE)
    if not monitors:
        yield Gap(f"{_named(ctx, released[0])} is released and no monitoring rule monitors the model (a monitoring plan: `monitor` needs linked `monitors: {model.id}`)")
        return
    covered = {(ctx.value(m, "monitored_metric") or "", ctx.value(m, "subgroup") or "") for m in monitors}
    for version in released:
        for (metric, dimension), requirements in sorted(_criteria(ctx, version).items()):
            if (metric, dimension) not in covered:
                what = f"{metric} per {dimension}" if dimension else metric
                yield Gap(f"the monitoring plan of released {_named(ctx, version)} does not measure {what}, which the acceptance criteria of {', '.join(sorted(set(requirements)))} name")


def results_of(ctx: Context, monitor: Need) -> list[Need]:
    return sorted(ctx.corpus.incoming(monitor, Relation.MEASURES, Role.MONITORING_RESULT), key=lambda n: n.id)


def shown(ctx: Context, result: Need) -> str:
    """``auc for sex=female = 0.61 (2026-02-15..2026-02-21, MONRES_...)``."""
    subgroup = ctx.value(result, "subgroup")
    where = f" for {subgroup}" if subgroup else ""
    window = f"{ctx.value(result, 'window_start') or '?'}..{ctx.value(result, 'window_end') or '?'}"
    return f"{ctx.value(result, 'monitored_metric')}{where} = {ctx.value(result, 'metric_value')} ({window}, {result.id})"


@check("beyond_threshold_has_event", roles=(Role.MONITORING_RULE, Role.MONITORING_RESULT, Role.FIELD_EVENT), relations=(Relation.MEASURES, Relation.RAISED_BY))
def beyond_threshold_has_event(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    """PM02: a result beyond the rule's threshold has a field event raised by it."""
    monitor = subject(need)
    threshold = ctx.value(monitor, "threshold")
    for result in results_of(ctx, monitor):
        if beyond(threshold, ctx.value(result, "metric_value")) and not ctx.corpus.incoming(result, Relation.RAISED_BY, Role.FIELD_EVENT):
            yield Gap(f"{shown(ctx, result)} is beyond its threshold {threshold} and no field event was raised by it (a `field_event` with `raised_by: {result.id}`)")


@check("field_event_traced", roles=(Role.FIELD_EVENT, Role.RELEASE, Role.HAZARD, Role.CORRECTIVE_ACTION), relations=(Relation.CONCERNS_RELEASE, Relation.CONCERNS_VERSION, Relation.RISK_OF, Relation.CORRECTS))
def field_event_traced(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    """PM03: a field event names a release and a model version that exist, has a risk evaluation and, if safety-relevant, a CAPA."""
    event = subject(need)
    for relation, role, what in ((Relation.CONCERNS_RELEASE, Role.RELEASE, "release"), (Relation.CONCERNS_VERSION, Role.ML_MODEL_VERSION, "model version")):
        named = ctx.corpus.link_targets(event, relation)
        if not named:
            yield Gap(f"names no {what} it concerns ({ctx.corpus.model.roles.link(relation)})")
        for target in named:
            found = ctx.corpus.get(target)
            if found is None or not ctx.corpus.plays(found, role):
                yield Gap(f"concerns the {what} {target}, which is no {what} of the technical file")
    if not ctx.corpus.outgoing(event, Relation.RISK_OF, Role.HAZARD):
        yield Gap("has no risk evaluation: it links no hazard (risk_of)")
    elif not (ctx.value(event, "updated_probability") or ctx.value(event, "risk_rationale")):
        yield Gap("has no risk evaluation: neither an updated probability of its hazard nor a rationale that none is needed")
    if ctx.value(event, "safety_relevant") == "yes" and not ctx.corpus.incoming(event, Relation.CORRECTS, Role.CORRECTIVE_ACTION):
        yield Gap("is safety-relevant and no corrective action (CAPA) corrects it")


@check("capa_closed_verified", roles=(Role.CORRECTIVE_ACTION,))
def capa_closed_verified(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    """PM04: a closed CAPA has its investigation, root cause, action, verification of effectiveness and closing date."""
    capa = subject(need)
    if ctx.value(capa, "capa_status") != "closed":
        return
    missing = [name for name in ("investigation", "root_cause", "action", "effectiveness_verification", "closed_on") if not ctx.value(capa, name)]
    if missing:
        yield Gap(f"is closed without {', '.join(ctx.corpus.field_name(capa, name) for name in missing)}")


@check("hazard_probability_updated", roles=(Role.HAZARD, Role.FIELD_EVENT), relations=(Relation.RISK_OF,))
def hazard_probability_updated(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    """PM05: a hazard whose probability a field event changed shows the new probability and the change."""
    hazard = subject(need)
    changes = [e for e in ctx.corpus.incoming(hazard, Relation.RISK_OF, Role.FIELD_EVENT) if ctx.value(e, "updated_probability") and ctx.value(e, "updated_probability") != ctx.value(e, "previous_probability")]
    if not changes:
        return
    latest = max(changes, key=lambda e: (ctx.value(e, "event_date") or "", e.id))
    updated = ctx.value(latest, "updated_probability")
    if ctx.value(hazard, "probability") != updated:
        yield Gap(f"has the probability {ctx.value(hazard, 'probability')!r}, and the field event {latest.id} updated it to {updated!r}")
    history = ctx.value(hazard, "probability_change") or ""
    for event in sorted(changes, key=lambda e: e.id):
        if event.id not in history:
            yield Gap(f"does not show the change of its probability by the field event {event.id} ({ctx.value(event, 'previous_probability') or '?'} -> {ctx.value(event, 'updated_probability')}) in {ctx.corpus.field_name(hazard, 'probability_change')}")
