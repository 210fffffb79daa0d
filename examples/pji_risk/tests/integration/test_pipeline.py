"""Integration tests: validation -> model -> explain -> report on patient vignettes.

Expected values are those of the released model 1.0.0: a model change must
come with re-verified expectations.
"""

from __future__ import annotations

import io
import json
from typing import cast

import pytest

from pji_risk import cli
from pji_risk.explain import contributing_factors
from pji_risk.model import LogisticModel, reference_probability
from pji_risk.report import STATEMENT, build_report
from pji_risk.validation import ValidationError, validate

BASE: dict[str, object] = {
    "age_years": 68,
    "sex": "female",
    "bmi": 26.0,
    "asa_class": 2,
    "diabetes": False,
    "smoking": "never",
    "rheumatoid_arthritis": False,
    "joint": "hip",
    "procedure": "primary",
}

# name: (changes to BASE, expected percent, band, listed factors in order)
VIGNETTES: dict[str, tuple[dict[str, object], str, str, list[str]]] = {
    "healthy woman, primary hip": ({}, "0.4 %", "low", []),
    "man 74, knee, ASA 3, overweight": (
        {"sex": "male", "joint": "knee", "asa_class": 3, "age_years": 74, "bmi": 31.5},
        "1.6 %",
        "low",
        [],
    ),
    "woman 83, rheumatoid arthritis, former smoker, ASA 3": (
        {"rheumatoid_arthritis": True, "smoking": "former", "age_years": 83, "asa_class": 3},
        "3.1 %",
        "moderate",
        [],
    ),
    "woman 61, knee, BMI 38.2, diabetes, ASA 3": (
        {"joint": "knee", "bmi": 38.2, "diabetes": True, "asa_class": 3, "age_years": 61},
        "5.7 %",
        "high",
        ["bmi_ge_35", "diabetes"],
    ),
    "man 57, current smoker, revision hip": (
        {"sex": "male", "smoking": "current", "procedure": "revision", "age_years": 57, "bmi": 29.0},
        "7.3 %",
        "high",
        ["smoking_current"],
    ),
}


@pytest.mark.parametrize("name", list(VIGNETTES))
def test_pipeline_vignette_gives_expected_estimate(name: str, model: LogisticModel) -> None:
    changes, percent, band, factors = VIGNETTES[name]
    raw = BASE | changes

    record = validate(raw)
    probability = model.predict(record)
    report = build_report(probability, contributing_factors(record, model), model.model_version)

    assert report["estimate_percent"] == percent
    assert report["band"] == band
    listed = cast(list[dict[str, object]], report["contributing_factors"])
    assert [factor["factor"] for factor in listed] == factors
    assert report["probability"] == pytest.approx(reference_probability(record, model), abs=1e-9)
    assert report["statement"] == STATEMENT
    assert report["model_version"] == "1.0.0"
    assert cli.estimate(raw, model) == report  # the CLI composes the same steps


def test_pipeline_invalid_record_never_reaches_model(model: LogisticModel, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def must_not_be_called(*args: object, **kwargs: object) -> float:
        calls.append("model called")
        raise AssertionError("the model was called with an invalid record")

    monkeypatch.setattr(LogisticModel, "predict", must_not_be_called)
    monkeypatch.setattr(LogisticModel, "predict_many", must_not_be_called)
    invalid_records: list[object] = [
        BASE | {"asa_class": 5},
        BASE | {"age_years": 16},
        BASE | {"bmi": 82.0},
        BASE | {"diabetes": 1},
        {key: value for key, value in BASE.items() if key != "sex"},
        BASE | {"weight_kg": 80},
        [BASE],
    ]
    for raw in invalid_records:
        with pytest.raises(ValidationError):
            cli.estimate(raw, model)
    assert calls == []


def test_pipeline_cli_main_in_process(model: LogisticModel) -> None:
    out = io.StringIO()
    assert cli.main(["estimate"], stdin=io.StringIO(json.dumps(BASE)), stdout=out) == cli.EXIT_OK
    assert json.loads(out.getvalue()) == cli.estimate(BASE, model)


def test_pipeline_cli_main_in_process_invalid(model: LogisticModel) -> None:
    out = io.StringIO()
    code = cli.main(["estimate"], stdin=io.StringIO(json.dumps(BASE | {"bmi": 11.0})), stdout=out)
    assert code == cli.EXIT_INVALID_INPUT
    assert json.loads(out.getvalue()) == {
        "error": "invalid input",
        "problems": [{"field": "bmi", "message": "11.0 is outside the allowed range 12 to 70 kg/m2"}],
    }


def test_pipeline_output_is_plain_json(model: LogisticModel) -> None:
    report = cli.estimate(BASE | {"smoking": "current", "diabetes": True}, model)
    assert json.loads(json.dumps(report, allow_nan=False)) == report
