"""Performance metrics used for release (train.py) and verification (tests).

Implemented with numpy only, so the system tests recompute the acceptance
metrics without scikit-learn; ``train.py`` cross-checks these functions
against scikit-learn on every training run.
"""

from __future__ import annotations

from typing import Final, Mapping, Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

AGE_BANDS: Final[tuple[str, ...]] = ("<65", "65-79", ">=80")


def auc(outcomes: npt.ArrayLike, probabilities: npt.ArrayLike) -> float:
    """Area under the ROC curve by the rank (Mann-Whitney) formula, ties counted as 1/2."""
    y = np.asarray(outcomes).astype(bool)
    p = np.asarray(probabilities, dtype=np.float64)
    if y.shape != p.shape or y.ndim != 1:
        raise ValueError("outcomes and probabilities must be 1-D arrays of the same length")
    n_events = int(y.sum())
    n_non_events = int(y.size - n_events)
    if n_events == 0 or n_non_events == 0:
        raise ValueError("AUC needs at least one event and one non-event")
    unique, inverse, counts = np.unique(p, return_inverse=True, return_counts=True)
    upper = np.cumsum(counts)
    mid_ranks = upper - (counts - 1) / 2.0  # 1-based average rank of each distinct value
    ranks = mid_ranks[inverse]
    return float((ranks[y].sum() - n_events * (n_events + 1) / 2.0) / (n_events * n_non_events))


def calibration(outcomes: npt.ArrayLike, probabilities: npt.ArrayLike) -> tuple[float, float]:
    """Calibration intercept and slope: logistic fit of ``logit P(y) = a + b * logit(p)``.

    A slope of 1 means the spread of the predicted risks is right; below 1
    the model is over-confident (too extreme), above 1 too timid. Fitted by
    Newton-Raphson (the problem is two-dimensional and convex).
    """
    y = np.asarray(outcomes, dtype=np.float64)
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-15, 1.0 - 1e-15)
    design = np.column_stack([np.ones_like(p), np.log(p / (1.0 - p))])
    beta = np.array([0.0, 1.0])
    for _ in range(100):
        fitted = 1.0 / (1.0 + np.exp(-(design @ beta)))
        gradient = design.T @ (y - fitted)
        hessian = (design * (fitted * (1.0 - fitted))[:, np.newaxis]).T @ design
        step = np.linalg.solve(hessian, gradient)
        beta = beta + step
        if float(np.max(np.abs(step))) < 1e-12:
            return float(beta[0]), float(beta[1])
    raise ArithmeticError("calibration fit did not converge")


def age_band(age_years: float) -> str:
    """Age band used for subgroup verification."""
    if age_years < 65:
        return "<65"
    if age_years < 80:
        return "65-79"
    return ">=80"


def _age(record: Mapping[str, object]) -> float:
    value = record["age_years"]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"age_years must be a number, got {value!r}")
    return float(value)


def subgroup_masks(records: Sequence[Mapping[str, object]]) -> dict[tuple[str, str], npt.NDArray[np.bool_]]:
    """Boolean masks of the verification subgroups: sex, age band and joint."""
    sex = np.array([record["sex"] for record in records])
    band = np.array([age_band(_age(record)) for record in records])
    joint = np.array([record["joint"] for record in records])
    masks: dict[tuple[str, str], npt.NDArray[np.bool_]] = {}
    for level in ("female", "male"):
        masks[("sex", level)] = sex == level
    for level in AGE_BANDS:
        masks[("age_band", level)] = band == level
    for level in ("hip", "knee"):
        masks[("joint", level)] = joint == level
    return masks
