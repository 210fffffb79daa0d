"""The ML model report (``techfile-ml-report``): per authored ML model, a
model card (intended use, architecture, data sources with digests, lineage
run -> commit -> data), the data section (the lineage raw data -> dataset
version -> annotation -> run -> model version -> validation, each step
linked to its evidence, and the labels' agreement), the metrics against the
acceptance criteria, the subgroup table with pass or fail and n, and the
other runs of the experiment, failed and superseded ones included.

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


def _digest(text: str | None) -> str:
    return (text or "").strip().lower().removeprefix("sha256:")


def _short(text: str | None) -> str:
    digest = _digest(text)
    return f"sha256:{digest[:16]}…" if digest else "none"


def _data(state: Evaluated, model: Need, version: Need, run: Need | None, results: list[Need]) -> list[Block]:
    """The lineage raw data -> dataset version -> annotation -> run -> model version -> validation, one row a step."""
    corpus, value = state.corpus, state.corpus.value
    if not (corpus.model.roles.has(Role.DATASET_VERSION) or corpus.model.roles.has(Role.ANNOTATION_RECORD)):
        return []
    table = TableBuilder(("Step", "Evidence", "What", "Digest or figure"), ("techfile-ml-lineage",), "Data lineage: raw data → dataset version → annotation → run → model version → validation")
    agreement = TableBuilder(("Dataset", "Record", "Tasks", "Annotators", "Agreement", "Adjudicated", "Labels", "Protocol"), ("techfile-ml-annotations",), "Annotation records")
    order = {"training": 0, "validation": 1, "testing": 2}
    datasets = sorted(sorted_needs(d for relation in (Relation.TRAINED_ON, Relation.EVALUATED_ON) for d in corpus.outgoing(model, relation, Role.DATASET)), key=lambda d: order.get(value(d, "split") or "", 3))
    tracked = {v.id: v for d in datasets for v in corpus.incoming(d, Relation.TRACKS, Role.DATASET_VERSION)} if corpus.model.roles.has(Role.DATASET_VERSION) else {}
    by_hash = {value(v, "dvc_hash") or "": v for v in corpus.by_role(Role.DATASET_VERSION)} if corpus.model.roles.has(Role.DATASET_VERSION) else {}
    raw: dict[str, Need] = {}
    for version_need in tracked.values():
        for dep in (value(version_need, "stage_deps") or "").split("; "):
            source = by_hash.get(dep.rpartition(" ")[2])
            if source is not None and source.id not in tracked:
                raw[source.id] = source
    for source in sorted_needs(raw.values()):
        table.add("Raw data", NeedRef(source.id), f"{value(source, 'dvc_path')} ({value(source, 'dvc_file')}{', stage ' + (value(source, 'dvc_stage') or '') if value(source, 'dvc_stage') else ''})", Code(_short(value(source, "digest"))))
    logged = {context: {_digest(d) for d in _field(state, run, f"{context}_digest").split(";") if d.strip()} for context in ("training", "validation", "testing")}
    for dataset in datasets:
        split = value(dataset, "split") or ""
        for version_need in sorted_needs(corpus.incoming(dataset, Relation.TRACKS, Role.DATASET_VERSION)) if corpus.model.roles.has(Role.DATASET_VERSION) else []:
            used = _digest(value(version_need, "digest")) in logged.get(split, set())
            table.add(
                f"Dataset version ({split or 'unspecified'})",
                cell(NeedRef(version_need.id), Text(" of "), NeedRef(dataset.id)),
                f"{value(version_need, 'dvc_path')}, stage {value(version_need, 'dvc_stage') or '(dvc add)'}, {value(version_need, 'records') or value(dataset, 'records') or '?'} records, {value(version_need, 'hash_algorithm') or 'hash'} {value(version_need, 'dvc_hash') or '?'}",
                cell(Code(_short(value(version_need, "digest"))), Text(" logged by the run" if used else " NOT the run's (rule M09)")),
            )
    for dataset in datasets:
        for record in sorted_needs(corpus.incoming(dataset, Relation.ANNOTATES, Role.ANNOTATION_RECORD)) if corpus.model.roles.has(Role.ANNOTATION_RECORD) else []:
            metric = "Cohen's kappa" if value(record, "agreement_metric") == "cohen_kappa" else "Krippendorff's alpha"
            figure = f"{metric} {value(record, 'agreement') or 'undefined'}"
            table.add("Annotation", cell(NeedRef(record.id), Text(" of "), NeedRef(dataset.id)), f"{value(record, 'annotation_tool') or ''} export {value(record, 'source_file') or ''}: {value(record, 'tasks')} tasks, {value(record, 'annotated_from')} to {value(record, 'annotated_to')}", figure)
            agreement.add(
                NeedRef(dataset.id), NeedRef(record.id), value(record, "tasks") or "", value(record, "annotators") or "", figure,
                f"{value(record, 'adjudicated') or '0'} ({value(record, 'adjudicators') or 'none'})", value(record, "label_distribution") or "", value(record, "protocol_version") or "not recorded",
            )
    if run is not None:
        table.add("Run", NeedRef(run.id), f"{_field(state, run, 'run_status')}, commit {_field(state, run, 'git_commit')[:12] or 'none'}", f"{_field(state, run, 'start_time')} to {_field(state, run, 'end_time')}")
    table.add("Model version", NeedRef(version.id), f"{_field(state, version, 'registered_model')} version {_field(state, version, 'model_version')}", Code(_short(_field(state, version, "model_artifact_sha256"))))
    outcomes = [value(r, "result") or "" for r in results]
    if results:
        table.add("Validation", cell(*(NeedRef(r) for r in sorted({t for res in results for t in corpus.link_targets(res, Relation.VERIFIES)}))), f"{len(results)} criterion result(s)", ", ".join(f"{outcomes.count(o)} {o}" for o in ("passed", "failed", "error", "skipped") if outcomes.count(o)))
    blocks: list[Block] = [Rubric("Data"), table.table()]
    if agreement.rows:
        blocks.append(agreement.table())
    return blocks


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
            blocks.extend(_data(state, model, version, run, _results(state, version)))
            blocks.extend(_criteria(state, _results(state, version)))
            blocks.extend(_metrics(state, run))
            blocks.extend(_runs(state, version, run))
    return blocks
