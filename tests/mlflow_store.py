"""A real MLflow tracking store written with MLflow's own API, for the MLflow
evidence tests: two models, three versions of one, nested runs, subgroup
metrics with n, dataset inputs with digests, a failed and a killed run."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MODEL = "pji-risk"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
DIGESTS = {context: hashlib.sha256(context.encode()).hexdigest() for context in ("training", "validation", "testing")}
ARTIFACT = b'{"model": "pji-risk", "version": 3}\n'
ARTIFACT_SHA256 = hashlib.sha256(ARTIFACT).hexdigest()
METRICS = {
    "test/auc": 0.742,
    "test/auc/ci_low": 0.712,
    "test/auc/ci_high": 0.771,
    "test/calibration_slope": 1.02,
    "test/subgroup/sex/female/auc": 0.73,
    "test/subgroup/sex/female/n": 15000,
    "test/subgroup/sex/male/auc": 0.75,
    "test/subgroup/sex/male/n": 15000,
    "test/subgroup/age_band/under_65/auc": 0.71,
    "test/subgroup/age_band/under_65/n": 9000,
    "test/subgroup/age_band/80_plus/auc": 0.61,
    "test/subgroup/age_band/80_plus/n": 40,
    "validation/auc": 0.745,
}


@dataclass(frozen=True)
class Store:
    uri: str
    released_run: str
    failed_run: str


def dataset(context: str, digest: str | None = None) -> Any:
    from mlflow.data.code_dataset_source import CodeDatasetSource
    from mlflow.data.meta_dataset import MetaDataset

    full = digest or DIGESTS[context]
    return MetaDataset(CodeDatasetSource({"generator": "synthetic.py", "split": context}), name=f"pji-{context}", digest=full[:16])


def write_store(uri: str, folder: Path, *, runs: int = 0, git_tag: bool = True, released_status: str = "FINISHED", test_digest: str | None = None, released_params: dict[str, str] | None = None) -> Store:
    """Write the store at ``uri`` (artifacts under ``folder``); ``runs`` extra finished runs for the timing test;
    ``released_params``: the params of version 3's run, when they differ from its predecessors'."""
    import mlflow
    from mlflow import MlflowClient

    if uri.startswith("file:") or "://" not in uri:
        os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    file_store = not uri.startswith(("sqlite:", "http"))
    # a file store keeps a metric per file: test/auc and test/auc/ci_low cannot both exist
    metrics = {(key.replace("/ci_", "_ci_") if file_store else key): value for key, value in METRICS.items()}
    experiment = client.create_experiment("pji-risk-training", artifact_location=(folder / "artifacts").as_uri())
    model_file = folder / "model.json"
    model_file.write_bytes(ARTIFACT)

    def training_run(name: str, auc: float, status: str = "FINISHED", params: dict[str, str] | None = None, digest: str | None = None, parent: str | None = None) -> str:
        tags = {"mlflow.source.git.repoURL": "https://example.org/pji-risk.git"}
        if git_tag:
            tags["mlflow.source.git.commit"] = COMMIT
        if parent:
            tags["mlflow.parentRunId"] = parent
        run = client.create_run(experiment, run_name=name, tags=tags, start_time=1_764_590_000_000 + len(name))
        run_id = run.info.run_id
        for key, value in (params or {"solver": "lbfgs", "C": "inf", "seed": "7"}).items():
            client.log_param(run_id, key, value)
        client.log_metric(run_id, "test/auc", auc - 0.01, step=0, timestamp=1_764_590_000_100)
        client.log_metric(run_id, "test/auc", auc, step=1, timestamp=1_764_590_000_200)
        for key, value in metrics.items():
            if key != "test/auc":
                client.log_metric(run_id, key, value, step=1, timestamp=1_764_590_000_200)
        inputs = []
        from mlflow.entities import DatasetInput, InputTag

        for context in ("training", "validation", "testing"):
            full = (digest or test_digest or DIGESTS[context]) if context == "testing" else DIGESTS[context]
            inputs.append(DatasetInput(dataset(context, full)._to_mlflow_entity(), [InputTag("mlflow.data.context", context), InputTag("sha256", full)]))
        client.log_inputs(run_id, datasets=inputs)
        client.log_artifact(run_id, str(model_file), artifact_path="model")
        client.log_text(run_id, json.dumps({"card": name}), "model_card.json")
        client.set_terminated(run_id, status=status, end_time=1_764_590_060_000 + len(name))
        return run_id

    first = training_run("v1-baseline", 0.70)
    failed = training_run("v2-diverged", 0.51, status="FAILED")
    training_run("v2-killed", 0.60, status="KILLED")
    parent = training_run("v3-search", 0.74)
    released = training_run("v3-final", 0.742, status=released_status, params=released_params, parent=parent)
    training_run("v3-trial", 0.73, parent=parent)
    from mlflow.entities import Metric, Param, RunTag

    for index in range(runs):  # a sweep: one batch per run, as an autologger writes it
        sweep = client.create_run(experiment, run_name=f"sweep-{index:03d}", start_time=1_764_600_000_000 + index)
        client.log_batch(
            sweep.info.run_id,
            metrics=[Metric("test/auc", 0.70 + index / 10_000, 1_764_600_000_000, 0)],
            params=[Param("C", str(index))],
            tags=[RunTag("mlflow.source.git.commit", COMMIT)],
        )
        client.set_terminated(sweep.info.run_id, status="FAILED" if index % 10 == 0 else "FINISHED", end_time=1_764_600_100_000 + index)
    client.create_registered_model(MODEL)
    client.create_registered_model("other-model")
    artifacts = folder / "artifacts"
    for run_id in (first, failed, released):
        source = f"{artifacts.as_uri()}/{run_id}/artifacts/model"
        real = client.get_run(run_id).info.artifact_uri + "/model"
        client.create_model_version(MODEL, source=real or source, run_id=run_id)
    client.set_registered_model_alias(MODEL, "released", "3")
    client.set_registered_model_alias(MODEL, "failed-candidate", "2")
    client.set_model_version_tag(MODEL, "3", "pccp_modification_id", "PCCP_RETRAIN")
    client.create_model_version("other-model", source=client.get_run(first).info.artifact_uri + "/model", run_id=first)
    del mlflow
    return Store(uri, released, failed)
