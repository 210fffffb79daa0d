"""System tests: clinical performance of the shipped model on the sequestered test split.

The test split is regenerated from ``training/synthetic.py`` and must be
byte-identical (SHA-256) to the one recorded in ``model.json`` at release; the
metrics are then recomputed with the device's own numpy code path, not
scikit-learn.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pytest

from pji_risk.model import LogisticModel, encode
from pji_risk.validation import validate
from training import metrics, synthetic

AUC_MIN = 0.70
CALIBRATION_SLOPE_RANGE = (0.8, 1.2)
SUBGROUP_AUC_MIN = 0.65
SUBGROUP_N_MIN = 200


@dataclass(frozen=True)
class Evaluation:
    splits: dict[str, synthetic.Split]
    probabilities: np.ndarray


@pytest.fixture(scope="module")
def evaluation(model: LogisticModel) -> Evaluation:
    splits = synthetic.generate_splits()
    test = splits["test"]
    features = np.vstack([encode(validate(record)) for record in test.records])
    return Evaluation(splits=splits, probabilities=model.predict_many(features))


@pytest.mark.verifies("SWR_013")
def test_performance_test_split_is_the_sequestered_one(evaluation: Evaluation, model: LogisticModel) -> None:
    recorded = model.document["datasets"]
    for name, split in evaluation.splits.items():
        assert split.sha256() == recorded[name]["sha256"], f"{name} split differs from the released one"
        assert (split.n, split.events) == (recorded[name]["n"], recorded[name]["events"])
    ids = [set(split.record_ids) for split in evaluation.splits.values()]
    assert all(not (a & b) for a, b in itertools.combinations(ids, 2)), "splits overlap"


@pytest.mark.verifies("SWR_013")
def test_performance_auc_and_calibration_slope(evaluation: Evaluation, model: LogisticModel) -> None:
    outcomes = evaluation.splits["test"].outcomes
    auc = metrics.auc(outcomes, evaluation.probabilities)
    intercept, slope = metrics.calibration(outcomes, evaluation.probabilities)
    assert auc >= AUC_MIN
    assert CALIBRATION_SLOPE_RANGE[0] <= slope <= CALIBRATION_SLOPE_RANGE[1]
    recorded = model.document["metrics"]["test"]
    assert (auc, intercept, slope) == pytest.approx(
        (recorded["auc"], recorded["calibration_intercept"], recorded["calibration_slope"]), abs=1e-6
    ), "metrics recorded in model.json do not match the shipped model"


@pytest.mark.verifies("SWR_013")
def test_performance_auc_implementation_matches_pairwise_definition() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        outcomes = rng.random(60) < 0.3
        scores = np.round(rng.random(60), 1)  # many ties
        pairs = [(p, q) for p, y in zip(scores, outcomes) if y for q, z in zip(scores, outcomes) if not z]
        expected = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p, q in pairs) / len(pairs)
        assert metrics.auc(outcomes, scores) == pytest.approx(expected, abs=1e-12)


@pytest.mark.verifies("SWR_013")
def test_performance_calibration_slope_detects_miscalibration() -> None:
    rng = np.random.default_rng(11)
    logits = rng.normal(-3.0, 1.0, 50_000)
    outcomes = rng.random(logits.size) < 1.0 / (1.0 + np.exp(-logits))
    calibrated = 1.0 / (1.0 + np.exp(-logits))
    overconfident = 1.0 / (1.0 + np.exp(-(2.0 * logits + 3.0)))  # spread doubled
    assert metrics.calibration(outcomes, calibrated)[1] == pytest.approx(1.0, abs=0.05)
    assert metrics.calibration(outcomes, overconfident)[1] == pytest.approx(0.5, abs=0.03)


SUBGROUPS = [
    ("sex", "female"),
    ("sex", "male"),
    ("age_band", "<65"),
    ("age_band", "65-79"),
    ("age_band", ">=80"),
    ("joint", "hip"),
    ("joint", "knee"),
]


@pytest.mark.verifies("SWR_014")
@pytest.mark.parametrize("subgroup", SUBGROUPS, ids=[f"{variable}={level}" for variable, level in SUBGROUPS])
def test_performance_subgroup_auc(evaluation: Evaluation, subgroup: tuple[str, str]) -> None:
    test = evaluation.splits["test"]
    mask = metrics.subgroup_masks(test.records)[subgroup]
    assert int(mask.sum()) >= SUBGROUP_N_MIN
    assert metrics.auc(test.outcomes[mask], evaluation.probabilities[mask]) >= SUBGROUP_AUC_MIN


@pytest.mark.verifies("SWR_014")
def test_performance_subgroups_cover_the_test_split(evaluation: Evaluation) -> None:
    test = evaluation.splits["test"]
    masks = metrics.subgroup_masks(test.records)
    assert set(masks) == set(SUBGROUPS)
    for variable in ("sex", "age_band", "joint"):
        levels = [mask for (name, _), mask in masks.items() if name == variable]
        assert np.array_equal(np.sum(levels, axis=0), np.ones(test.n)), f"{variable} levels must partition the split"
