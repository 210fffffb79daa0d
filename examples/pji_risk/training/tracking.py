"""Record a training run of PJI-Risk in an MLflow tracking store.

``python training/train.py --mlflow-uri sqlite:///path/mlflow.db`` retrains
the model and records, in one MLflow run:

* the git commit and repository of the training code;
* the fit settings and seeds as params;
* the three splits as dataset inputs (context training, validation,
  testing), each with the SHA-256 of its canonical CSV (input tag
  ``sha256``; MLflow's own digest column holds 36 characters);
* the metrics of the released model file, evaluated here with the device's
  numpy code path: ``test/<metric>`` with bootstrap 95 % intervals
  ``test/<metric>/ci_low|ci_high``, ``validation/<metric>``, and per
  subgroup ``test/subgroup/<dim>/<value>/auc`` with ``/n`` and ``/events``;
* how far the refit lies from the released coefficients
  (``training/max_coefficient_change``): the evidence that the released
  file is what this code trains;
* the released ``model.json`` as the artifact ``model/model.json``.

It then registers the run's model as a version of ``pji-risk`` and points
the alias ``released`` at it. The released file is what is evaluated and
registered, never the refit: the deployed artifact is the evaluated one.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from pji_risk.model import LogisticModel
from training import metrics, synthetic

REGISTERED_MODEL = "pji-risk"
ALIAS = "released"
EXPERIMENT = "pji-risk-training"
BOOTSTRAP_REPLICATES = 200
BOOTSTRAP_SEED = 14971
CONTEXTS = {"training": "training", "validation": "validation", "test": "testing"}


def metric_level(level: str) -> str:
    """A subgroup value as an MLflow metric name allows it: ``<65`` -> ``under_65``, ``>=80`` -> ``80_plus``."""
    level = level.replace(">=", "").replace("<", "under_") + ("_plus" if level.startswith(">=") else "")
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", level)


def artifact_location(uri: str) -> str | None:
    """Artifacts beside a SQLite store (``<folder>/artifacts``), not in ``./mlruns`` of wherever this runs."""
    if not uri.startswith("sqlite:///"):
        return None
    return (Path(uri[len("sqlite:///") :]).resolve().parent / "artifacts").as_uri()


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def bootstrap(outcomes: np.ndarray, probabilities: np.ndarray) -> dict[str, tuple[float, float]]:
    """95 % percentile intervals of AUC and calibration slope over resampled test records (fixed seed)."""
    generator = np.random.default_rng(BOOTSTRAP_SEED)
    aucs, slopes = [], []
    for _ in range(BOOTSTRAP_REPLICATES):
        sample = generator.integers(0, outcomes.size, outcomes.size)
        aucs.append(metrics.auc(outcomes[sample], probabilities[sample]))
        slopes.append(metrics.calibration(outcomes[sample], probabilities[sample])[1])
    return {name: (float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))) for name, values in (("auc", aucs), ("calibration_slope", slopes))}


def evaluation(model: LogisticModel, splits: dict[str, synthetic.Split], matrices: dict[str, np.ndarray]) -> dict[str, float]:
    """The MLflow metrics of ``model``: validation and test, intervals and subgroups."""
    found: dict[str, float] = {}
    for name, prefix in (("validation", "validation"), ("test", "test")):
        split = splits[name]
        probabilities = model.predict_many(matrices[name])
        intercept, slope = metrics.calibration(split.outcomes, probabilities)
        found[f"{prefix}/auc"] = round(metrics.auc(split.outcomes, probabilities), 6)
        found[f"{prefix}/calibration_slope"] = round(slope, 6)
        found[f"{prefix}/calibration_intercept"] = round(intercept, 6)
        found[f"{prefix}/n"] = split.n
        found[f"{prefix}/events"] = split.events
        found[f"{prefix}/expected_events"] = round(float(probabilities.sum()), 3)
        if name == "test":
            for metric, (low, high) in bootstrap(split.outcomes, probabilities).items():
                found[f"test/{metric}/ci_low"] = round(low, 6)
                found[f"test/{metric}/ci_high"] = round(high, 6)
            for (variable, level), mask in metrics.subgroup_masks(split.records).items():
                key = f"test/subgroup/{variable}/{metric_level(level)}"
                found[f"{key}/auc"] = round(metrics.auc(split.outcomes[mask], probabilities[mask]), 6)
                found[f"{key}/n"] = int(mask.sum())
                found[f"{key}/events"] = int(split.outcomes[mask].sum())
    return found


def record_run(uri: str, root: Path, released: bytes, refit: dict[str, Any], splits: dict[str, synthetic.Split], matrices: dict[str, np.ndarray], settings: dict[str, Any], *, commit: str | None = None) -> tuple[str, str]:
    """Log the run, register the released model from it, set the alias; the run ID and the version."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.data.code_dataset_source import CodeDatasetSource
    from mlflow.data.meta_dataset import MetaDataset

    document = json.loads(released)
    model = LogisticModel.from_document(document)
    change = max(abs(a["coefficient"] - b["coefficient"]) for a, b in zip(document["features"], refit["features"], strict=True))
    change = max(change, abs(document["intercept"] - refit["intercept"]))
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    found = client.get_experiment_by_name(EXPERIMENT)
    experiment_id = found.experiment_id if found else client.create_experiment(EXPERIMENT, artifact_location=artifact_location(uri))
    tags = {"mlflow.source.git.commit": commit or git(root, "rev-parse", "HEAD"), "mlflow.source.git.repoURL": git(root, "remote", "get-url", "origin")}
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"train-{document['model_version']}", tags={k: v for k, v in tags.items() if v}) as run:
        mlflow.log_params({**{k: ("inf" if v == float("inf") else v) for k, v in settings.items()}, "cohort_seed": synthetic.COHORT_SEED, "split_seed": synthetic.SPLIT_SEED, "bootstrap_replicates": BOOTSTRAP_REPLICATES, "bootstrap_seed": BOOTSTRAP_SEED})
        for name, split in sorted(splits.items()):
            digest = split.sha256()
            source = CodeDatasetSource({"generator": "training/synthetic.py", "split": name})
            mlflow.log_input(MetaDataset(source, name=f"pji-{name}", digest=digest[:16]), context=CONTEXTS[name], tags={"sha256": digest, "records": str(split.n), "split.seed": str(synthetic.SPLIT_SEED)})
        mlflow.log_metrics(evaluation(model, splits, matrices), step=0)
        mlflow.log_metric("training/max_coefficient_change", change, step=0)
        mlflow.log_artifact(str(root / "pji_risk" / "model.json"), artifact_path="model")
        run_id = run.info.run_id
        artifact_uri = run.info.artifact_uri
    if not client.search_registered_models(f"name = '{REGISTERED_MODEL}'"):
        client.create_registered_model(REGISTERED_MODEL)
    version = client.create_model_version(REGISTERED_MODEL, source=f"{artifact_uri}/model", run_id=run_id)
    client.set_registered_model_alias(REGISTERED_MODEL, ALIAS, version.version)
    return run_id, str(version.version)
