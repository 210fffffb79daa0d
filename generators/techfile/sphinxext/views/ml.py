"""The ML model report (``techfile-ml-report``): per authored ML model, a
model card (intended use, architecture, data sources with digests, lineage
run -> commit -> data), the metrics against the acceptance criteria, the
subgroup table with pass or fail and n, and the other runs of the
experiment, failed and superseded ones included.

Every number is read from the evidence ``techfile mlflow`` wrote from the
tracking store (the version, run and criterion-result needs), never typed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from techfile.corpus import Need
from techfile.model.roles import Relation, Role
from techfile.sphinxext.views.common import sorted_needs, titled, unmapped
from techfile.sphinxext.views.data import Block, Code, FieldList, Inline, NeedRef, Paragraph, Rubric, TableBuilder, Text, cell

if TYPE_CHECKING:
    from techfile.sphinxext.state import Evaluated

RUNNER = "mlflow"


def _properties(state: Evaluated, result: Need) -> dict[str, str]:
    return {k: v for k, _, v in (p.partition("=") for p in (state.corpus.value(result, "properties") or "").split("; ") if "=" in p)}


def _results(state: Evaluated, version: Need) -> list[Need]:
    return sorted_needs(r for r in state.corpus.incoming(version, Relation.EVALUATES, Role.TEST_RESULT) if state.corpus.value(r, "runner") == RUNNER)


def _field(state: Evaluated, need: Need | None, name: str) -> str:
    return (state.corpus.value(need, name) or "") if need is not None else ""


def _card(state: Evaluated, model: Need, version: Need, run: Need | None) -> list[Block]:
    value = state.corpus.value
    purpose = [s for s in state.corpus.by_role(Role.STATEMENT) if value(s, "kind") == "intended_use"]
    datasets = [d for relation in (Relation.TRAINED_ON, Relation.EVALUATED_ON) for d in state.corpus.outgoing(model, relation, Role.DATASET)]
    fields: list[tuple[str, tuple[Inline, ...]]] = [
        ("Intended use", (NeedRef(purpose[0].id),) if purpose else (Text("not stated (a statement of kind intended_use)"),)),
        ("Architecture", (Text(value(model, "algorithm") or "not stated"),)),
        ("Registered version", (NeedRef(version.id), Text(f" ({_field(state, version, 'registered_model')} version {_field(state, version, 'model_version')}, aliases {_field(state, version, 'aliases') or 'none'})"))),
        ("Model artifact", (Code(_field(state, version, "model_artifact_sha256") or "unknown"), Text(" (SHA-256); deployed: "), Code(value(model, "model_digest") or "not stated"))),
        ("Lineage", (Text("run "), Code(_field(state, run, "run_id") or "none"), Text(f" ({_field(state, run, 'run_status') or 'unknown'}, {_field(state, run, 'start_time')} to {_field(state, run, 'end_time')}) -> commit "), Code(_field(state, run, "git_commit") or "none"))),
    ]
    predecessor = _field(state, version, "predecessor_version")
    modification = _field(state, version, "pccp_modification")
    if predecessor:
        declared: tuple[Inline, ...] = (NeedRef(modification),) if modification and state.corpus.get(modification) else (Text(modification or "none declared: outside the plan (rule M07)"),)
        fields.append(("Change control", (Text(f"follows version {predecessor}; PCCP modification: "), *declared)))
    else:
        fields.append(("Change control", (Text("the first registered version (the one submitted): no PCCP modification applies"),)))
    for context in ("training", "validation", "testing"):
        fields.append((f"Data: {context}", (Code(_field(state, run, f"{context}_digest") or "none logged"),)))
    for dataset in sorted_needs(datasets):
        fields.append((f"Declared: {value(dataset, 'split') or dataset.id}", (NeedRef(dataset.id), Text(f" {value(dataset, 'records') or '?'} records, "), Code(value(dataset, "digest") or "no digest"), Text(f"; {value(dataset, 'data_source') or ''}"))))
    return [Rubric(f"Model card: {model.title}"), FieldList(tuple(fields))]


def _criteria(state: Evaluated, results: list[Need]) -> list[Block]:
    overall = TableBuilder(("Requirement", "Criterion", "Metric", "Value", "Result"), ("techfile-ml-criteria",), "Metrics against the acceptance criteria")
    groups = TableBuilder(("Requirement", "Criterion", "Subgroup", "n", "Value", "Result"), ("techfile-ml-subgroups",), "Subgroups")
    for result in results:
        props = _properties(state, result)
        requirement = state.corpus.link_targets(result, Relation.VERIFIES)
        who = cell(*(NeedRef(r) for r in requirement)) if requirement else cell("")
        outcome = state.corpus.value(result, "result") or ""
        if props.get("subgroup"):
            groups.add(who, props.get("criterion", ""), props["subgroup"], props.get("n", ""), props.get("value", "not logged"), cell(*titled(state, result.id)) if outcome != "passed" else "passed")
        else:
            overall.add(who, props.get("criterion", ""), Code(props.get("metric", "")), props.get("value", "not logged"), outcome)
    blocks: list[Block] = []
    if overall.rows:
        blocks.append(overall.table())
    if groups.rows:
        blocks.append(groups.table())
    return blocks


def _metrics(state: Evaluated, run: Need | None) -> list[Block]:
    try:
        metrics = json.loads(_field(state, run, "metrics") or "{}")
    except ValueError:
        return []
    table = TableBuilder(("Metric", "Value", "Step"), ("techfile-ml-metrics",), "Final metrics of the run")
    for key in sorted(metrics):
        entry = metrics[key]
        table.add(Code(key), f"{entry.get('value', ''):.6g}" if isinstance(entry.get("value"), (int, float)) else "", str(entry.get("step", "")))
    return [table.table()] if table.rows else []


def _runs(state: Evaluated, version: Need, run: Need | None) -> list[Block]:
    experiment = _field(state, run, "experiment")
    others = [r for r in state.corpus.by_role(Role.ML_RUN) if (run is None or r.id != run.id) and state.corpus.value(r, "experiment") == experiment]
    table = TableBuilder(("Run", "Name", "Status", "Part", "Start", "End"), ("techfile-ml-runs",), "Other runs of the experiment (failed, killed and superseded included)")
    for other in sorted(others, key=lambda n: (_field(state, n, "start_time"), n.id)):
        table.add(Code(_field(state, other, "run_id")), _field(state, other, "run_name"), _field(state, other, "run_status"), _field(state, other, "run_part"), _field(state, other, "start_time"), _field(state, other, "end_time"))
    if not table.rows:
        return [Paragraph((Text(f"The experiment {experiment or '(unknown)'} records no other run."),))]
    return [table.table()]


def ml_report(state: Evaluated, options: dict[str, str]) -> list[Block]:
    if missing := unmapped(state, Role.ML_MODEL, Role.ML_MODEL_VERSION, Role.ML_RUN):
        return missing
    blocks: list[Block] = []
    for model in sorted_needs(state.corpus.by_role(Role.ML_MODEL)):
        versions = sorted_needs(state.corpus.incoming(model, Relation.VERSION_OF, Role.ML_MODEL_VERSION))
        if not versions:
            blocks.append(Paragraph((NeedRef(model.id), Text(" has no registered model version in the evidence (`techfile mlflow`)."))))
            continue
        for version in versions:
            runs = state.corpus.outgoing(version, Relation.EVALUATED_IN, Role.ML_RUN)
            run = runs[0] if runs else None
            blocks.extend(_card(state, model, version, run))
            blocks.extend(_criteria(state, _results(state, version)))
            blocks.extend(_metrics(state, run))
            blocks.extend(_runs(state, version, run))
    return blocks
