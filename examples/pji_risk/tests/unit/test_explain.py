"""Unit tests of pji_risk.explain: which modifiable factors are listed, and in what order."""

from __future__ import annotations

import itertools
import json

import pytest

from pji_risk.explain import MODIFIABLE_FACTORS, contributing_factors
from pji_risk.model import MODEL_PATH, LogisticModel
from pji_risk.validation import validate


def listed(raw: dict[str, object], model: LogisticModel) -> list[str]:
    return [factor.feature for factor in contributing_factors(validate(raw), model)]


def test_factors_current_smoker_lists_smoking(valid_record: dict[str, object], model: LogisticModel) -> None:
    assert listed(valid_record | {"smoking": "current"}, model) == ["smoking_current"]


@pytest.mark.parametrize("smoking", ["never", "former"])
def test_factors_former_or_never_smoker_not_listed(
    valid_record: dict[str, object], model: LogisticModel, smoking: str
) -> None:
    assert listed(valid_record | {"smoking": smoking}, model) == []


@pytest.mark.parametrize(
    ("bmi", "obesity_listed"), [(34.9, False), (34.99, False), (35, True), (35.0, True), (48.2, True)]
)
def test_factors_obesity_listed_from_bmi_35(
    valid_record: dict[str, object], model: LogisticModel, bmi: float, obesity_listed: bool
) -> None:
    assert ("bmi_ge_35" in listed(valid_record | {"bmi": bmi}, model)) is obesity_listed


def test_factors_diabetes_listed(valid_record: dict[str, object], model: LogisticModel) -> None:
    assert listed(valid_record | {"diabetes": True}, model) == ["diabetes"]


def test_factors_non_modifiable_factors_never_listed(valid_record: dict[str, object], model: LogisticModel) -> None:
    worst_non_modifiable = valid_record | {
        "age_years": 100,
        "sex": "male",
        "asa_class": 4,
        "rheumatoid_arthritis": True,
        "joint": "knee",
        "procedure": "revision",
        "smoking": "former",
    }
    assert listed(worst_non_modifiable, model) == []
    for age, sex, asa, ra, joint, procedure in itertools.product(
        (18, 100), ("female", "male"), (1, 4), (False, True), ("hip", "knee"), ("primary", "revision")
    ):
        raw = valid_record | {
            "age_years": age,
            "sex": sex,
            "asa_class": asa,
            "rheumatoid_arthritis": ra,
            "joint": joint,
            "procedure": procedure,
            "smoking": "current",
            "bmi": 40.0,
            "diabetes": True,
        }
        assert set(listed(raw, model)) == set(MODIFIABLE_FACTORS)


def test_factors_ordered_by_contribution_largest_first(valid_record: dict[str, object], model: LogisticModel) -> None:
    factors = contributing_factors(
        validate(valid_record | {"smoking": "current", "bmi": 36.0, "diabetes": True}), model
    )
    contributions = [factor.log_odds for factor in factors]
    assert contributions == sorted(contributions, reverse=True)
    assert {factor.feature: factor.log_odds for factor in factors} == pytest.approx(
        {feature: model.coefficient(feature) for feature in MODIFIABLE_FACTORS}
    )


def test_factors_order_follows_coefficients_not_a_fixed_list(valid_record: dict[str, object]) -> None:
    document = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    weights = {"diabetes": 2.0, "bmi_ge_35": 1.0, "smoking_current": 0.5}
    for item in document["features"]:
        item["coefficient"] = weights.get(item["name"], item["coefficient"])
    reweighted = LogisticModel.from_document(document)
    raw = valid_record | {"smoking": "current", "bmi": 36.0, "diabetes": True}
    assert listed(raw, reweighted) == ["diabetes", "bmi_ge_35", "smoking_current"]


def test_factors_term_that_lowers_log_odds_not_listed(valid_record: dict[str, object]) -> None:
    document = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    for item in document["features"]:
        if item["name"] == "diabetes":
            item["coefficient"] = -0.2
    protective = LogisticModel.from_document(document)
    assert listed(valid_record | {"diabetes": True, "smoking": "current"}, protective) == ["smoking_current"]
