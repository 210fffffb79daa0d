""":class:`~techfile.evidence.mlflow.reader.ModelEvidence` becomes needs:

* one registered model version need (``MLVER_<MODEL>_<VERSION>``), linked to
  the authored ML model it is a version of and to the run it came from;
* one run need per run of the experiment (``MLRUN_<first 12 of the run ID>``),
  the failed and killed ones included, nested runs linked to their parent;
  the version's run, its parent and children carry params, final metrics,
  datasets and artifacts;
* one test result per acceptance criterion and population (overall, or each
  subgroup), linked to the requirement it verifies: the checks judge it as
  they judge any test result.

IDs come from names and run IDs, never from outcomes or clocks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from techfile.evidence.interface import EvidenceNeed
from techfile.evidence.mlflow.criteria import Criterion, Evaluation, evaluate
from techfile.evidence.mlflow.reader import ModelEvidence, ModelVersionRecord, RunRecord
from techfile.model.roles import Relation, Role

RUNNER = "mlflow"
CONTEXTS = ("training", "validation", "testing")
SEPARATOR = "; "


def slug(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_") or "X"


def version_id(version: ModelVersionRecord) -> str:
    return f"MLVER_{slug(version.name)}_{slug(version.version)}"


def run_id(run_id_: str) -> str:
    return f"MLRUN_{slug(run_id_[:12])}"


@dataclass(frozen=True)
class Requirement:
    """An authored requirement with acceptance criteria, parsed."""

    id: str
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Run:
    """What every result of one job records about the run of techfile."""

    software_version: str


def _pairs(pairs: Sequence[tuple[str, str]]) -> str:
    return SEPARATOR.join(f"{key}={value}" for key, value in pairs)


def _metrics(run: RunRecord) -> str:
    """Final metrics as JSON, ``{"test/auc": {"value": 0.74, "step": 0}}``, sorted."""
    return json.dumps({m.key: {"step": m.step, "value": m.value} for m in run.metrics}, sort_keys=True) if run.metrics else ""


def _datasets(run: RunRecord) -> str:
    return SEPARATOR.join(f"{d.context or 'unspecified'}: {d.name} {d.digest} ({d.source_type} {d.source})".replace(" ()", "") for d in run.datasets)


def context_digest(run: RunRecord, context: str) -> str:
    return SEPARATOR.join(sorted({d.digest for d in run.datasets if d.context == context}))


def run_need(run: RunRecord, experiment: str, part: str) -> EvidenceNeed:
    fields = {
        "run_id": run.run_id,
        "run_name": run.name,
        "run_status": run.status,
        "run_part": part,
        "experiment": experiment,
        "start_time": run.start_time,
        "end_time": run.end_time,
        "git_commit": run.git_commit,
        "git_repo": run.git_repo,
        "params": _pairs(run.params) if part != "other" else "",
        "metrics": _metrics(run) if part != "other" else "",
        "datasets": _datasets(run),
        "training_digest": context_digest(run, "training"),
        "validation_digest": context_digest(run, "validation"),
        "testing_digest": context_digest(run, "testing"),
        "artifacts": SEPARATOR.join(a.path for a in run.artifacts),
        "run_tags": _pairs([(k, v) for k, v in run.tags if not k.startswith("mlflow.")]) if part != "other" else "",
    }
    links: dict[Relation, tuple[str, ...]] = {Relation.CHILD_OF: (run_id(run.parent_run_id),)} if run.parent_run_id else {}
    deleted = " (deleted)" if run.lifecycle == "deleted" else ""
    return EvidenceNeed(
        id=run_id(run.run_id),
        role=Role.ML_RUN,
        title=f"Run {run.name or run.run_id[:12]}: {run.status}{deleted}",
        content=f"MLflow run {run.run_id} of the experiment {experiment}, {run.status}, {run.start_time} to {run.end_time or 'not ended'}.",
        fields={k: v for k, v in fields.items() if v},
        links=links,
    )


def version_need(evidence: ModelEvidence, describes: str | None) -> EvidenceNeed:
    version = evidence.version
    tags = dict(version.tags)
    predecessor = evidence.predecessor
    fields = {
        "registered_model": version.name,
        "model_version": version.version,
        "aliases": ", ".join(version.aliases),
        "stage": version.stage,
        "version_status": version.status,
        "run_id": version.run_id,
        "model_source": version.source,
        "model_artifact_sha256": version.artifact_sha256,
        "registered_on": version.created,
        "version_tags": _pairs(version.tags),
        "tracking_uri": evidence.tracking_uri,
        "pccp_modification": tags.get("pccp_modification_id", ""),
        "predecessor_version": predecessor.version if predecessor else "",
        "predecessor_artifact_sha256": predecessor.artifact_sha256 if predecessor else "",
        "predecessor_params": _pairs(evidence.predecessor_run.params) if evidence.predecessor_run else "",
        "predecessor_training_digest": context_digest(evidence.predecessor_run, "training") if evidence.predecessor_run else "",
        "predecessor_testing_digest": context_digest(evidence.predecessor_run, "testing") if evidence.predecessor_run else "",
    }
    links: dict[Relation, tuple[str, ...]] = {Relation.EVALUATED_IN: (run_id(version.run_id),)}
    if describes:
        links[Relation.VERSION_OF] = (describes,)
    aliases = f" ({', '.join(version.aliases)})" if version.aliases else ""
    return EvidenceNeed(
        id=version_id(version),
        role=Role.ML_MODEL_VERSION,
        title=f"{version.name} version {version.version}{aliases}",
        content=f"Registered model version {version.version} of {version.name} in {evidence.tracking_uri}, from run {version.run_id}; "
        f"model artifact {version.source}, SHA-256 {version.artifact_sha256 or 'unknown'}.",
        fields={k: v for k, v in fields.items() if v},
        links=links,
    )


def _result_id(requirement: str, index: int, evaluation: Evaluation) -> str:
    tail = f"_{slug(evaluation.subgroup[0])}_{slug(evaluation.subgroup[1])}" if evaluation.subgroup else ""
    return f"RES_ML_{slug(requirement)}_{index}{tail}"


def result_needs(evidence: ModelEvidence, requirements: Sequence[Requirement], run: Run) -> list[EvidenceNeed]:
    metrics = evidence.run.metric_values()
    version = evidence.version
    found: list[EvidenceNeed] = []
    for requirement in requirements:
        for index, criterion in enumerate(requirement.criteria, start=1):
            for evaluation in evaluate(criterion, metrics):
                properties = [
                    ("criterion", criterion.text),
                    ("metric", evaluation.metric_key),
                    ("threshold", criterion.threshold),
                    ("value", f"{evaluation.value:.6g}" if evaluation.value is not None else ""),
                    ("n", str(evaluation.n) if evaluation.n is not None else ""),
                    ("subgroup", f"{evaluation.subgroup[0]}={evaluation.subgroup[1]}" if evaluation.subgroup else ""),
                    ("min_n", str(criterion.min_n) if criterion.min_n else ""),
                ]
                where = f" for {evaluation.subgroup[0]}={evaluation.subgroup[1]}" if evaluation.subgroup else ""
                fields = {
                    "result": evaluation.outcome,
                    "message": f"{evaluation.message} ({version.name} version {version.version}, run {version.run_id}, {evidence.tracking_uri})",
                    "case": criterion.text + where,
                    "classname": evaluation.metric_key,
                    "suite": f"mlflow {version.name} version {version.version}",
                    "runner": RUNNER,
                    "timestamp": evidence.run.end_time,
                    "software_version": run.software_version,
                    "properties": SEPARATOR.join(f"{k}={v}" for k, v in properties if v),
                }
                found.append(
                    EvidenceNeed(
                        id=_result_id(requirement.id, index, evaluation),
                        role=Role.TEST_RESULT,
                        title=f"{requirement.id}: {criterion.text}{where}",
                        content="",
                        fields={k: v for k, v in fields.items() if v},
                        links={Relation.VERIFIES: (requirement.id,), Relation.EVALUATES: (version_id(version),)},
                    )
                )
    return found


def evidence_needs(evidence: ModelEvidence, requirements: Sequence[Requirement], run: Run, describes: str | None) -> list[EvidenceNeed]:
    """Every need of one job: the version, the experiment's runs, the criterion results."""
    special = {evidence.run.run_id: ("evaluated", evidence.run)}
    if evidence.parent is not None:
        special[evidence.parent.run_id] = ("parent", evidence.parent)
    for child in evidence.children:
        special[child.run_id] = ("child", child)
    if evidence.predecessor_run is not None and evidence.predecessor_run.run_id not in special:
        special[evidence.predecessor_run.run_id] = ("predecessor", evidence.predecessor_run)
    needs = [version_need(evidence, describes)]
    seen: set[str] = set()
    for summary in evidence.experiment_runs:
        part, record = special.get(summary.run_id, ("other", summary))
        needs.append(run_need(record, evidence.experiment_name, part))
        seen.add(summary.run_id)
    for identifier, (part, record) in sorted(special.items()):
        if identifier not in seen:  # a predecessor trained in another experiment
            needs.append(run_need(record, evidence.experiment_name, part))
    needs.extend(result_needs(evidence, requirements, run))
    return needs
