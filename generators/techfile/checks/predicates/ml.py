"""Machine-learning evidence (M1-M7): an authored ML model, its registered
version as MLflow records it (``techfile mlflow``), the run behind it, the
datasets and the acceptance criteria of the ML requirements.

The checks start from the authored needs (the ML model, the requirement),
so a finding points at the file and line a writer can fix; they follow the
generated evidence from there: model -> version (``version_of``) -> run
(``evaluated_in``) -> digests and metrics; requirement -> its criterion
results (test results of the ``mlflow`` runner that verify it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

from techfile.checks.findings import Gap
from techfile.checks.predicates.registry import check, subject
from techfile.checks.rules import TraceRule
from techfile.corpus import Need
from techfile.errors import TechfileError
from techfile.model.roles import Relation, Role

if TYPE_CHECKING:
    from techfile.checks.engine import Context

RUNNER = "mlflow"
CONTEXTS = ("training", "validation", "testing")


def _digest(value: str | None) -> str:
    return (value or "").strip().lower().removeprefix("sha256:")


def versions(ctx: Context, model: Need) -> list[Need]:
    return sorted(ctx.corpus.incoming(model, Relation.VERSION_OF, Role.ML_MODEL_VERSION), key=lambda n: n.id)


def run_of(ctx: Context, version: Need) -> Need | None:
    found = ctx.corpus.outgoing(version, Relation.EVALUATED_IN, Role.ML_RUN)
    return found[0] if found else None


def _named(ctx: Context, version: Need) -> str:
    return f"{ctx.value(version, 'registered_model') or version.id} version {ctx.value(version, 'model_version') or '?'} ({version.id})"


def _authored_datasets(ctx: Context, model: Need) -> dict[str, list[Need]]:
    by_split: dict[str, list[Need]] = {}
    for relation in (Relation.TRAINED_ON, Relation.EVALUATED_ON):
        for dataset in ctx.corpus.outgoing(model, relation, Role.DATASET):
            by_split.setdefault(ctx.value(dataset, "split") or "", []).append(dataset)
    return by_split


@check("ml_lineage", roles=(Role.ML_MODEL, Role.ML_MODEL_VERSION, Role.ML_RUN), relations=(Relation.VERSION_OF, Relation.EVALUATED_IN))
def ml_lineage(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    """M1: the model has a registered version; it resolves to a finished run with a git commit and the three dataset digests."""
    model = subject(need)
    found = versions(ctx, model)
    if not found:
        yield Gap("has no registered model version in the evidence (run `techfile mlflow` with `describes` naming it)")
        return
    for version in found:
        run = run_of(ctx, version)
        if run is None:
            yield Gap(f"{_named(ctx, version)} resolves to no run in the evidence")
            continue
        status = ctx.value(run, "run_status")
        if status != "FINISHED":
            yield Gap(f"{_named(ctx, version)} comes from the run {ctx.value(run, 'run_id')}, which is {status}, not FINISHED")
        if not ctx.value(run, "git_commit"):
            yield Gap(f"the run {ctx.value(run, 'run_id')} of {_named(ctx, version)} has no git commit (tag mlflow.source.git.commit)")
        missing = [context for context in CONTEXTS if not ctx.value(run, f"{context}_digest")]
        if missing:
            yield Gap(f"the run {ctx.value(run, 'run_id')} of {_named(ctx, version)} logs no {', '.join(missing)} dataset with a digest (mlflow.log_input with context)")


@check("ml_test_independent", roles=(Role.ML_MODEL, Role.ML_MODEL_VERSION, Role.ML_RUN), relations=(Relation.VERSION_OF, Relation.EVALUATED_IN))
def ml_test_independent(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    """M2: the test digest differs from the training and validation digests (in the run, and as authored)."""
    model = subject(need)
    for version in versions(ctx, model):
        run = run_of(ctx, version)
        if run is None:
            continue
        testing = {_digest(d) for d in (ctx.value(run, "testing_digest") or "").split(";") if d.strip()}
        for context in ("training", "validation"):
            other = {_digest(d) for d in (ctx.value(run, f"{context}_digest") or "").split(";") if d.strip()}
            if testing & other:
                yield Gap(f"the run {ctx.value(run, 'run_id')} of {_named(ctx, version)} tests on its {context} data (the same digest {sorted(testing & other)[0][:12]}…)")
    authored = _authored_datasets(ctx, model)
    tests = {_digest(ctx.value(d, "digest")) for d in authored.get("testing", ()) if ctx.value(d, "digest")}
    for split in ("training", "validation"):
        for dataset in authored.get(split, ()):
            if _digest(ctx.value(dataset, "digest")) in tests:
                yield Gap(f"its test dataset has the digest of its {split} dataset {dataset.id}")


@check("ml_test_locked", roles=(Role.ML_MODEL, Role.ML_MODEL_VERSION, Role.ML_RUN, Role.DATASET), relations=(Relation.VERSION_OF, Relation.EVALUATED_IN, Relation.EVALUATED_ON))
def ml_test_locked(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    """M3: the run tested on the locked test set the technical file declares (same SHA-256), and trained on the declared training set."""
    model = subject(need)
    authored = _authored_datasets(ctx, model)
    for version in versions(ctx, model):
        run = run_of(ctx, version)
        if run is None:
            continue
        for split in ("testing", "training"):
            declared = {_digest(ctx.value(d, "digest")): d for d in authored.get(split, ()) if ctx.value(d, "digest")}
            if split == "testing" and not declared:
                yield Gap("declares no test dataset with a digest (a dataset with split testing, linked evaluated_on)")
                continue
            logged = {_digest(d) for d in (ctx.value(run, f"{split}_digest") or "").split(";") if d.strip()}
            if declared and logged and not logged & set(declared):
                shown = ", ".join(sorted(d[:12] + "…" for d in logged))
                ids = ", ".join(sorted(d.id for d in declared.values()))
                yield Gap(f"the run {ctx.value(run, 'run_id')} of {_named(ctx, version)} used {split} data {shown}, not the locked {ids} the technical file declares")


def criterion_results(ctx: Context, requirement: Need) -> list[Need]:
    return [r for r in ctx.corpus.incoming(requirement, Relation.VERIFIES, Role.TEST_RESULT) if ctx.value(r, "runner") == RUNNER]


def _parsed(ctx: Context, requirement: Need) -> list[object] | TechfileError:
    from techfile.evidence.mlflow.criteria import CriterionError, parse_criteria

    try:
        return list(parse_criteria(ctx.value(requirement, "acceptance_criteria") or ""))
    except CriterionError as error:
        return error


def _properties(ctx: Context, result: Need) -> dict[str, str]:
    return {key: value for key, _, value in (part.partition("=") for part in (ctx.value(result, "properties") or "").split("; ") if "=" in part)}


@check("ml_criteria_met", roles=(Role.SOFTWARE_REQUIREMENT, Role.TEST_RESULT))
def ml_criteria_met(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    """M4: every acceptance criterion parses, was evaluated on the model version, and is met; an overall metric has its confidence interval."""
    requirement = subject(need)
    from techfile.evidence.mlflow.criteria import Criterion

    parsed = _parsed(ctx, requirement)
    if isinstance(parsed, TechfileError):
        yield Gap(f"{ctx.corpus.field_name(requirement, 'acceptance_criteria')}: {parsed.message} (fix: {parsed.fix})")
        return
    results = criterion_results(ctx, requirement)
    by_criterion: dict[str, list[Need]] = {}
    for result in results:
        by_criterion.setdefault(_properties(ctx, result).get("criterion", ""), []).append(result)
    for criterion in parsed:
        assert isinstance(criterion, Criterion)
        mine = by_criterion.get(criterion.text, [])
        if not mine:
            yield Gap(f"criterion {criterion.text!r} has no result from the model's evaluation (run `techfile mlflow`)")
            continue
        for result in sorted(mine, key=lambda n: n.id):
            outcome = ctx.value(result, "result")
            if outcome in ("failed", "error"):
                yield Gap(f"criterion {criterion.text!r} {'is not met' if outcome == 'failed' else 'cannot be evaluated'}: {ctx.value(result, 'message')} ({result.id})")
        yield from _recomputed(ctx, criterion, mine)
        if not criterion.dimensions and not criterion.bound:
            yield from _interval(ctx, criterion, mine)


def _recomputed(ctx: Context, criterion: object, results: list[Need]) -> Iterator[Gap]:
    """The criterion evaluated again on the run's metrics, as the evidence carries them: a result that says
    otherwise was edited after it was generated (the store itself cannot be re-read by the checks)."""
    from techfile.evidence.mlflow.criteria import Criterion, evaluate

    assert isinstance(criterion, Criterion)
    for result in results:
        metrics = _run_metrics(ctx, result)
        if metrics is None:
            continue
        values = {key: float(entry["value"]) for key, entry in metrics.items() if isinstance(entry, dict) and isinstance(entry.get("value"), (int, float))}
        subgroup = _properties(ctx, result).get("subgroup", "")
        for evaluation in evaluate(criterion, values):
            shown = f"{evaluation.subgroup[0]}={evaluation.subgroup[1]}" if evaluation.subgroup else ""
            if shown == subgroup and evaluation.outcome != ctx.value(result, "result"):
                yield Gap(f"{result.id} says {ctx.value(result, 'result')}, and the run's metrics give {evaluation.outcome} ({evaluation.message}): the result was edited after `techfile mlflow` wrote it")


def _interval(ctx: Context, criterion: object, results: list[Need]) -> Iterator[Gap]:
    from techfile.evidence.mlflow.criteria import Criterion

    assert isinstance(criterion, Criterion)
    for result in results:
        metrics = _run_metrics(ctx, result)
        if metrics is None:
            continue
        key = criterion.key()
        present = [b for b in ("ci_low", "ci_high") if f"{key}/{b}" in metrics or f"{key}_{b}" in metrics]
        if key in metrics and len(present) < 2:
            yield Gap(f"criterion {criterion.text!r}: {key} has no confidence interval logged ({key}/ci_low and {key}/ci_high)")


def _run_metrics(ctx: Context, result: Need) -> dict[str, object] | None:
    for version in ctx.corpus.outgoing(result, Relation.EVALUATES, Role.ML_MODEL_VERSION):
        run = run_of(ctx, version)
        if run is not None:
            try:
                loaded = json.loads(ctx.value(run, "metrics") or "{}")
            except ValueError:
                return None
            return loaded if isinstance(loaded, dict) else None
    return None


@check("ml_subgroups_reported", roles=(Role.SOFTWARE_REQUIREMENT, Role.TEST_RESULT))
def ml_subgroups_reported(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    """M5: every declared subgroup has n and metrics; one below the minimum n is stated as a limitation (an anomaly affecting the requirement that names it)."""
    requirement = subject(need)
    from techfile.evidence.mlflow.criteria import Criterion

    parsed = _parsed(ctx, requirement)
    if isinstance(parsed, TechfileError):
        return  # M4 reports it
    results = criterion_results(ctx, requirement)
    anomalies = ctx.corpus.incoming(requirement, Relation.AFFECTS, Role.ANOMALY)
    stated = " ".join(f"{a.title} {a.get('content') or ''}" for a in anomalies)
    for criterion in parsed:
        assert isinstance(criterion, Criterion)
        if not criterion.dimensions:
            continue
        mine = [r for r in results if _properties(ctx, r).get("criterion") == criterion.text]
        for dimension in criterion.dimensions:
            groups = [r for r in mine if _properties(ctx, r).get("subgroup", "").startswith(f"{dimension}=")]
            if not groups and mine:
                yield Gap(f"criterion {criterion.text!r}: the subgroup dimension {dimension} has no results")
            for result in groups:
                props = _properties(ctx, result)
                subgroup = props.get("subgroup", "")
                if subgroup.endswith("=*") or "n" not in props:
                    yield Gap(f"criterion {criterion.text!r}: {subgroup.replace('=*', '')} has no subgroup n and metrics logged ({props.get('metric', '')})")
                elif ctx.value(result, "result") == "skipped" and subgroup not in stated:
                    yield Gap(f"criterion {criterion.text!r}: the subgroup {subgroup} has n={props['n']}, below n >= {criterion.min_n}, and no anomaly affecting {requirement.id} states it as a limitation")


@check("ml_deployed_digest", roles=(Role.ML_MODEL, Role.ML_MODEL_VERSION), relations=(Relation.VERSION_OF,))
def ml_deployed_digest(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    """M6: the deployed artifact's digest (the model's ``model_digest``) is the digest of the artifact of the evaluated version."""
    model = subject(need)
    deployed = _digest(ctx.value(model, "model_digest"))
    for version in versions(ctx, model):
        evaluated = _digest(ctx.value(version, "model_artifact_sha256"))
        if not deployed:
            yield Gap(f"states no {ctx.corpus.field_name(model, 'model_digest')} to compare with the evaluated {_named(ctx, version)}")
        elif not evaluated:
            yield Gap(f"{_named(ctx, version)} records no SHA-256 of its model artifact")
        elif deployed != evaluated:
            yield Gap(f"deploys the artifact {deployed[:12]}…, and the evaluated {_named(ctx, version)} is {evaluated[:12]}…")


def _pairs(text: str | None) -> dict[str, str]:
    return {key.strip(): value.strip() for key, _, value in (part.partition("=") for part in (text or "").split("; ") if "=" in part)}


@check("pccp_in_plan", roles=(Role.ML_MODEL, Role.ML_MODEL_VERSION, Role.ML_RUN, Role.PCCP_MODIFICATION), relations=(Relation.VERSION_OF, Relation.EVALUATED_IN))
def pccp_in_plan(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    """M7: a version after the first names the PCCP modification it is, and stays inside it; otherwise it needs a new submission."""
    model = subject(need)
    for version in versions(ctx, model):
        predecessor = ctx.value(version, "predecessor_version")
        if not predecessor:
            continue  # the first version is the one submitted
        named = ctx.value(version, "pccp_modification")
        if not named:
            # which declared modification the change would be, so the fix is named
            fits = sorted(m.id for m in ctx.corpus.by_role(Role.PCCP_MODIFICATION) if not list(_in_plan(ctx, version, m, predecessor)))
            hint = f"; the change fits {', '.join(fits)}: tag the version pccp_modification_id={fits[0]}" if fits else "; it fits no declared modification"
            yield Gap(f"{_named(ctx, version)} follows version {predecessor} and names no PCCP modification (version tag pccp_modification_id): a change outside the plan needs a new submission{hint}")
            continue
        modification = ctx.corpus.get(named)
        if modification is None or not ctx.corpus.plays(modification, Role.PCCP_MODIFICATION):
            yield Gap(f"{_named(ctx, version)} names the PCCP modification {named}, which the technical file does not declare")
            continue
        yield from _in_plan(ctx, version, modification, predecessor)


def _in_plan(ctx: Context, version: Need, modification: Need, predecessor: str) -> Iterator[Gap]:
    run = run_of(ctx, version)
    allowed = {a.strip() for a in (ctx.value(modification, "allowed_changes") or "").split(",") if a.strip()}
    fixed = [p.strip() for p in (ctx.value(modification, "fixed_params") or "").split(",") if p.strip()]
    before, after = _pairs(ctx.value(version, "predecessor_params")), _pairs(ctx.value(run, "params") if run else "")
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    for key in changed:
        if key in fixed or (f"params:{key}" not in allowed and "params:*" not in allowed):
            yield Gap(f"{_named(ctx, version)} changes the param {key} ({before.get(key, '(none)')} -> {after.get(key, '(none)')}) from version {predecessor}, outside {modification.id}")
    if run is not None:
        for split, allowance in (("training", "training_data"), ("testing", "testing_data")):
            old, new = _digest(ctx.value(version, f"predecessor_{split}_digest")), _digest(ctx.value(run, f"{split}_digest"))
            if old and new and old != new and allowance not in allowed:
                yield Gap(f"{_named(ctx, version)} changes its {split} data from version {predecessor}, which {modification.id} does not allow ({allowance})")
    for requirement_id in (r.strip() for r in (ctx.value(modification, "acceptance_ref") or "").split(",") if r.strip()):
        requirement = ctx.corpus.get(requirement_id)
        if requirement is None:
            yield Gap(f"{modification.id} names the acceptance criteria of {requirement_id}, which does not exist")
            continue
        results = [r for r in criterion_results(ctx, requirement) if version.id in ctx.corpus.link_targets(r, Relation.EVALUATES)]
        failing = sorted(r.id for r in results if ctx.value(r, "result") in ("failed", "error"))
        if not results:
            yield Gap(f"{_named(ctx, version)} has no result for the acceptance criteria of {requirement_id} that {modification.id} requires")
        elif failing:
            yield Gap(f"{_named(ctx, version)} fails the acceptance criteria of {requirement_id} that {modification.id} requires ({', '.join(failing)})")
