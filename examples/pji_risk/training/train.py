"""Train and evaluate the PJI-Risk model; write ``pji_risk/model.json``.

Run from anywhere: ``python training/train.py`` (needs the ``train`` extra,
scikit-learn). Steps:

1. regenerate the synthetic cohort and its splits (``training/synthetic.py``);
2. encode every record through the device's own validation and encoder, so
   training sees exactly what the device will compute;
3. fit an unpenalised logistic regression (lbfgs, fixed settings) on the
   training split, round the coefficients to 12 significant digits;
4. evaluate the rounded model, as shipped, with the device's numpy code path
   on the validation split and once on the sequestered test split: AUC,
   calibration intercept and slope, observed/expected events, and AUC per
   subgroup (sex, age band, joint); cross-check the metric functions against
   scikit-learn;
5. write ``model.json`` (sorted keys, indent 2, trailing newline) and print
   its SHA-256, to be pasted into ``RELEASED_MODEL_SHA256`` in
   ``pji_risk/model.py`` by the developer (a reviewed change: this script
   never edits source code).

Determinism: fixed seeds, single-threaded BLAS during the fit, rounded
coefficients, no timestamps: two runs give a byte-identical file.

``--mlflow-uri URI`` records the run in an MLflow tracking store instead
(``training/tracking.py``, needs the ``train`` extra's mlflow): the released
``model.json`` evaluated, registered as a version of ``pji-risk`` with the
alias ``released``, and how far the refit lies from it. It leaves
``model.json`` as it is: the released file changes only by a reviewed change.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # allow "python training/train.py" without installing
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from pji_risk.model import FEATURES, LogisticModel, encode  # noqa: E402
from pji_risk.validation import validate  # noqa: E402
from training import metrics, synthetic  # noqa: E402

MODEL_VERSION = "1.0.0"
MODEL_PATH = ROOT / "pji_risk" / "model.json"
SIGNIFICANT_DIGITS = 12
SETTINGS: dict[str, Any] = {
    "solver": "lbfgs",
    "C": float("inf"),  # no penalty: 90,000 training records, 11 features
    "l1_ratio": 0.0,
    "fit_intercept": True,
    "max_iter": 1000,
    "tol": 1e-10,
}


def design_matrix(split: synthetic.Split) -> np.ndarray:
    """Encode a split exactly as the device does: validate, then encode."""
    return np.vstack([encode(validate(record)) for record in split.records])


def _round(value: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    return float(f"{value:.{digits}g}")


def fit(features: np.ndarray, outcomes: np.ndarray) -> tuple[float, list[float]]:
    """Fit the logistic regression; any convergence warning is an error."""
    estimator = LogisticRegression(**SETTINGS)
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("error", ConvergenceWarning)
        estimator.fit(features, outcomes)
    return _round(float(estimator.intercept_[0])), [_round(float(c)) for c in estimator.coef_[0]]


def evaluate(model: LogisticModel, split: synthetic.Split, features: np.ndarray) -> dict[str, Any]:
    """Overall metrics of ``model`` on ``split`` (numpy path), cross-checked with scikit-learn."""
    probabilities = model.predict_many(features)
    outcomes = split.outcomes
    auc = metrics.auc(outcomes, probabilities)
    if abs(auc - roc_auc_score(outcomes, probabilities)) > 1e-9:
        raise AssertionError("rank AUC disagrees with scikit-learn")
    intercept, slope = metrics.calibration(outcomes, probabilities)
    logits = np.log(probabilities / (1.0 - probabilities))[:, np.newaxis]
    check = LogisticRegression(C=float("inf"), solver="lbfgs", tol=1e-12, max_iter=1000).fit(logits, outcomes)
    if abs(slope - float(check.coef_[0][0])) > 1e-4:
        raise AssertionError("calibration slope disagrees with scikit-learn")
    return {
        "auc": round(auc, 6),
        "calibration_intercept": round(intercept, 6),
        "calibration_slope": round(slope, 6),
        "events": split.events,
        "expected_events": round(float(probabilities.sum()), 3),
        "n": split.n,
    }


def evaluate_subgroups(model: LogisticModel, split: synthetic.Split, features: np.ndarray) -> list[dict[str, Any]]:
    """AUC and size of each verification subgroup."""
    probabilities = model.predict_many(features)
    rows = []
    for (variable, level), mask in metrics.subgroup_masks(split.records).items():
        rows.append(
            {
                "auc": round(metrics.auc(split.outcomes[mask], probabilities[mask]), 6),
                "events": int(split.outcomes[mask].sum()),
                "level": level,
                "n": int(mask.sum()),
                "variable": variable,
            }
        )
    return rows


def prepare() -> tuple[dict[str, synthetic.Split], dict[str, np.ndarray]]:
    """The splits and their design matrices."""
    splits = synthetic.generate_splits()
    return splits, {name: design_matrix(split) for name, split in splits.items()}


def build_document(prepared: tuple[dict[str, synthetic.Split], dict[str, np.ndarray]] | None = None) -> dict[str, Any]:
    """Everything that goes into model.json."""
    splits, matrices = prepared or prepare()
    training = splits["training"]
    intercept, coefficients = fit(matrices["training"], training.outcomes)

    document: dict[str, Any] = {
        "format_version": 1,
        "model_version": MODEL_VERSION,
        "outcome": "periprosthetic joint infection within one year after total hip or knee arthroplasty",
        "intercept": intercept,
        "features": [
            {"name": name, "definition": definition, "coefficient": coefficient}
            for (name, definition), coefficient in zip(FEATURES, coefficients)
        ],
        "training": {
            "estimator": "sklearn.linear_model.LogisticRegression",
            "settings": {key: ("inf" if value == float("inf") else value) for key, value in SETTINGS.items()},
            "coefficient_significant_digits": SIGNIFICANT_DIGITS,
            "scikit_learn_version": sklearn.__version__,
            "numpy_version": np.__version__,
        },
        "datasets": {
            "generator": {
                "module": "training/synthetic.py",
                "cohort_seed": synthetic.COHORT_SEED,
                "split_seed": synthetic.SPLIT_SEED,
                "n_records": synthetic.N_RECORDS,
                "split_fractions": synthetic.SPLIT_FRACTIONS,
                "digest": "SHA-256 of the canonical CSV of each split (synthetic.canonical_csv)",
            },
            **{
                name: {"n": split.n, "events": split.events, "sha256": split.sha256()}
                for name, split in splits.items()
            },
        },
    }
    model = LogisticModel.from_document(document)
    document["metrics"] = {
        "validation": evaluate(model, splits["validation"], matrices["validation"]),
        "test": evaluate(model, splits["test"], matrices["test"]),
        "test_subgroups": evaluate_subgroups(model, splits["test"], matrices["test"]),
    }
    return document


def serialise(document: dict[str, Any]) -> bytes:
    """Canonical bytes of model.json: sorted keys, indent 2, LF, trailing newline."""
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=True) + "\n").encode("utf-8")


def record(uri: str, commit: str | None = None) -> int:
    """Retrain, and record the released model's evaluation in the MLflow store at ``uri``."""
    from training.tracking import record_run

    prepared = prepare()
    refit = build_document(prepared)
    released = MODEL_PATH.read_bytes()
    reproduced = serialise(refit) == released
    run_id, version = record_run(uri, ROOT, released, refit, *prepared, SETTINGS, commit=commit)
    print(f"recorded run {run_id} in {uri}: pji-risk version {version} (alias released), model.json SHA-256 {hashlib.sha256(released).hexdigest()}")
    print("  the refit reproduces model.json byte for byte" if reproduced else "  the refit differs from model.json (see training/max_coefficient_change); model.json left as released")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train and evaluate the PJI-Risk model.")
    parser.add_argument("--mlflow-uri", help="record the run in this MLflow tracking store (sqlite:///path/mlflow.db) instead of writing model.json")
    parser.add_argument("--git-commit", help="commit of the training code to record (default: git rev-parse HEAD)")
    args = parser.parse_args(argv)
    if args.mlflow_uri:
        return record(args.mlflow_uri, args.git_commit)
    document = build_document()
    content = serialise(document)
    MODEL_PATH.write_bytes(content)
    test = document["metrics"]["test"]
    print(f"wrote {MODEL_PATH.relative_to(ROOT)}")
    for name in ("training", "validation", "test"):
        entry = document["datasets"][name]
        print(f"  {name:<10} n={entry['n']:>6} events={entry['events']:>5} sha256={entry['sha256']}")
    print(
        f"  test: AUC {test['auc']:.4f}, calibration slope {test['calibration_slope']:.4f}, "
        f"intercept {test['calibration_intercept']:.4f}, "
        f"observed/expected {test['events']}/{test['expected_events']:.1f}"
    )
    for row in document["metrics"]["test_subgroups"]:
        print(
            f"    {row['variable']:<9} {row['level']:<7} n={row['n']:>6} "
            f"events={row['events']:>4} AUC {row['auc']:.4f}"
        )
    print(f"model.json SHA-256: {hashlib.sha256(content).hexdigest()}")
    print("Paste it into RELEASED_MODEL_SHA256 in pji_risk/model.py if this is a release.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
