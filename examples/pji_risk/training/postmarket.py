"""One month of synthetic post-market batches of PJI-Risk, scored by the
released model and measured with Evidently (the monitoring reports that
``techfile monitoring`` reads).

Run with an interpreter that has Evidently 0.7 (``make monitoring`` makes
one: Evidently 0.7.23 does not import under pandas 3, which the training
lock brings, so it lives in its own virtual environment)::

    python training/postmarket.py --output DIR

Four weekly batches of February 2026, each drawn by the example's own
synthetic generator (:func:`training.synthetic.generate_cohort`) with a seed
of its own. Week 3 drifts, deterministically: a new referring site sends
older revision patients (input drift), and an outbreak adds an infection
risk the predictors do not explain (the model's discrimination and
calibration fall). The reference is the locked test split (DATA_TEST).

Each week gets one report for the whole batch (AUC, calibration slope, the
share of drifted inputs, prediction drift) and one per verification
subgroup (AUC): Evidently 0.7.23 gives a classification metric grouped by a
column the overall value, so a subgroup is a report on its own rows. The
model version monitored, the window and the SHA-256 of the reference and
the current data go in the report's metadata.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from pji_risk.model import encode, load_model  # noqa: E402
from pji_risk.validation import validate  # noqa: E402

from training import metrics, synthetic  # noqa: E402

REGISTERED_MODEL = "pji-risk"
MODEL_VERSION = "1"
SEED = 2026_02
BATCH = 20_000
WEEKS = (("2026-02-02", "2026-02-08"), ("2026-02-09", "2026-02-15"), ("2026-02-16", "2026-02-22"), ("2026-02-23", "2026-03-01"))
DRIFTED_WEEK = 2
"""Index of the week that drifts (the third)."""
NEW_SITE_SHARE = 0.35
OUTBREAK_RISK = 0.03
NUMERICAL = ["age_years", "bmi", "asa_class"]
CATEGORICAL = ["sex", "diabetes", "smoking", "rheumatoid_arthritis", "joint", "procedure"]


def batch(week: int) -> synthetic.Split:
    """The records and outcomes of one week; week :data:`DRIFTED_WEEK` drifts."""
    records, outcomes = synthetic.generate_cohort(BATCH, seed=SEED + week)
    if week == DRIFTED_WEEK:
        rng = np.random.default_rng(SEED * 10 + week)
        new_site = rng.random(BATCH) < NEW_SITE_SHARE
        for index in np.flatnonzero(new_site):
            record = records[int(index)]
            record["age_years"] = min(95, int(record["age_years"]) + 10)  # type: ignore[call-overload]
            record["procedure"] = "revision" if rng.random() < 0.5 else record["procedure"]
        outbreak = rng.random(BATCH) < OUTBREAK_RISK
        outcomes = np.maximum(outcomes, outbreak.astype(np.int8))
    ids = [f"PM{week + 1}-{i:06d}" for i in range(BATCH)]
    return synthetic.Split(f"week{week + 1}", ids, records, outcomes)


def frame(split: synthetic.Split, probabilities: np.ndarray) -> Any:
    import pandas as pd

    rows = {name: [record[name] for record in split.records] for name in NUMERICAL + CATEGORICAL}
    data = pd.DataFrame(rows)
    for name in ("diabetes", "rheumatoid_arthritis"):
        data[name] = data[name].map({True: "yes", False: "no"})
    data["band"] = [metrics.age_band(float(record["age_years"])) for record in split.records]  # type: ignore[arg-type]
    data["target"] = split.outcomes.astype(int)
    data["prediction"] = probabilities
    return data


def calibration_metric() -> tuple[Any, Any]:
    """A custom Evidently metric: the calibration slope (logistic recalibration of the outcome on the logit of the prediction)."""
    from evidently.core.metric_types import SingleValueCalculation, SingleValueMetric

    class CalibrationSlope(SingleValueMetric):  # type: ignore[misc]
        probability: str
        target: str

    class CalibrationSlopeCalculation(SingleValueCalculation[CalibrationSlope]):  # type: ignore[misc]
        def _slope(self, dataset: Any) -> float:
            p = dataset.column(self.metric.probability).data.to_numpy(dtype=float)
            y = dataset.column(self.metric.target).data.to_numpy(dtype=int)
            return float(metrics.calibration(y, p)[1])

        def calculate(self, context: Any, current_data: Any, reference_data: Any) -> Any:
            return self.result(self._slope(current_data)), None if reference_data is None else self.result(self._slope(reference_data))

        def display_name(self) -> str:
            return "Calibration slope"

    return CalibrationSlope, CalibrationSlopeCalculation


def reports(output: Path) -> list[Path]:
    import evidently
    from evidently import BinaryClassification, DataDefinition, Dataset, Report
    from evidently.metrics import DriftedColumnsCount, RocAuc, ValueDrift

    model = load_model()
    slope, _ = calibration_metric()
    test = synthetic.generate_splits()["test"]

    def score(split: synthetic.Split) -> np.ndarray:
        return np.asarray(model.predict_many(np.vstack([encode(validate(r)) for r in split.records])))

    definition = DataDefinition(
        numerical_columns=[*NUMERICAL, "prediction"], categorical_columns=[*CATEGORICAL, "band"],
        classification=[BinaryClassification(target="target", prediction_probas="prediction")],
    )
    reference = frame(test, score(test))
    reference_digest = test.sha256()
    output.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for week, (start, end) in enumerate(WEEKS):
        split = batch(week)
        current = frame(split, score(split))
        digest = hashlib.sha256(synthetic.canonical_csv(split).encode("utf-8")).hexdigest()
        meta = {"registered_model": REGISTERED_MODEL, "model_version": MODEL_VERSION, "window_start": start, "window_end": end,
                "reference_digest": reference_digest, "current_digest": digest, "evidently_version": evidently.__version__}
        whole = Report([RocAuc(roc_curve=False), slope(probability="prediction", target="target"), DriftedColumnsCount(columns=NUMERICAL + CATEGORICAL), ValueDrift(column="prediction")], metadata=meta)
        runs = [("", whole, current, reference)]
        for dimension, column, levels in (("sex", "sex", ("female", "male")), ("age_band", "band", metrics.AGE_BANDS), ("joint", "joint", ("hip", "knee"))):
            for level in levels:
                runs.append((f"{dimension}={level}", Report([RocAuc(roc_curve=False)], metadata={**meta, "subgroup": f"{dimension}={level}"}),
                             current[current[column] == level], reference[reference[column] == level]))
        for subgroup, report, cur, ref in runs:
            snapshot = report.run(Dataset.from_pandas(cur.reset_index(drop=True), data_definition=definition), Dataset.from_pandas(ref.reset_index(drop=True), data_definition=definition))
            tail = "-" + re.sub(r"[^a-z0-9]+", "-", subgroup.replace(">=", "ge").replace("<", "lt")).strip("-") if subgroup else ""
            name = f"{start}{tail}.json"
            path = output / name
            path.write_text(snapshot.dumps(), encoding="utf-8")
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True, help="directory for the Evidently snapshots")
    args = parser.parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's precision warnings inside Evidently's default classification widgets
        written = reports(args.output)
    print(f"postmarket: {len(written)} Evidently report(s) of {len(WEEKS)} weekly batches -> {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
