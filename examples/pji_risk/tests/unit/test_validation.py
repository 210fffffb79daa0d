"""Unit tests of pji_risk.validation: required fields, ranges and categories."""

from __future__ import annotations

import dataclasses
import math

import pytest

from pji_risk.validation import FIELDS, PatientRecord, ValidationError, validate


def problems_of(raw: object) -> dict[str, str]:
    """Validate ``raw`` expecting a refusal; return field -> message."""
    with pytest.raises(ValidationError) as caught:
        validate(raw)
    return {problem.field: problem.message for problem in caught.value.problems}


# --- required fields, schema and JSON types ---------------------------------------------


def test_required_valid_record_is_accepted(valid_record: dict[str, object]) -> None:
    record = validate(valid_record)
    assert record == PatientRecord(
        age_years=68.0,
        sex="female",
        bmi=29.4,
        asa_class=2,
        diabetes=False,
        smoking="never",
        rheumatoid_arthritis=False,
        joint="hip",
        procedure="primary",
    )


def test_required_all_missing_fields_are_named() -> None:
    problems = problems_of({})
    assert set(problems) == set(FIELDS)
    assert all(message == "required field is missing" for message in problems.values())


def test_required_several_missing_fields_reported_at_once(valid_record: dict[str, object]) -> None:
    for name in ("bmi", "smoking", "procedure"):
        del valid_record[name]
    assert set(problems_of(valid_record)) == {"bmi", "smoking", "procedure"}


@pytest.mark.parametrize("extra", ["weight_kg", "BMI", "age"])
def test_required_unknown_extra_field_rejected(valid_record: dict[str, object], extra: str) -> None:
    valid_record[extra] = 1
    problems = problems_of(valid_record)
    assert list(problems) == [extra]
    assert "unknown field" in problems[extra]


@pytest.mark.parametrize("raw", [[], [dict(a=1)], "record", 3, None, True])
def test_required_non_object_input_rejected(raw: object) -> None:
    assert list(problems_of(raw)) == ["(record)"]


@pytest.mark.parametrize("field", FIELDS)
def test_required_null_value_rejected(valid_record: dict[str, object], field: str) -> None:
    valid_record[field] = None
    problems = problems_of(valid_record)
    assert list(problems) == [field]
    assert "got null" in problems[field]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("age_years", "72", "expected a number in years, got string '72'"),
        ("bmi", "29.5", "expected a number in kg/m2, got string '29.5'"),
        ("bmi", [29.5], "expected a number in kg/m2, got array"),
        ("asa_class", "3", "expected an integer 1 to 4, got string '3'"),
        ("asa_class", 2.0, "expected an integer 1 to 4, got number 2.0"),
        ("asa_class", 2.5, "expected an integer 1 to 4, got number 2.5"),
        ("sex", 1, "expected one of female, male, got number 1"),
        ("joint", {"side": "left"}, "expected one of hip, knee, got object"),
    ],
)
def test_required_wrong_json_type_rejected(
    valid_record: dict[str, object], field: str, value: object, expected: str
) -> None:
    valid_record[field] = value
    problems = problems_of(valid_record)
    assert list(problems) == [field]
    assert problems[field].startswith(expected)


def test_required_every_problem_reported_together() -> None:
    raw = {
        "age_years": 17,
        "sex": "M",
        "bmi": "31",
        "asa_class": 5,
        "diabetes": 1,
        "smoking": "current",
        "joint": "shoulder",
        "height_cm": 172,
    }
    problems = problems_of(raw)
    assert set(problems) == {
        "age_years",
        "sex",
        "bmi",
        "asa_class",
        "diabetes",
        "rheumatoid_arthritis",  # missing
        "procedure",  # missing
        "joint",
        "height_cm",  # unknown
    }
    assert "smoking" not in problems


def test_required_record_is_immutable(valid_record: dict[str, object]) -> None:
    record = validate(valid_record)
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.bmi = 20.0  # type: ignore[misc]


# --- numeric ranges ------------------------------------------------------------------------


@pytest.mark.parametrize("age", [18, 18.0, 45, 70.5, 99.99, 100, 100.0])
def test_range_age_accepted(valid_record: dict[str, object], age: float) -> None:
    valid_record["age_years"] = age
    assert validate(valid_record).age_years == float(age)


@pytest.mark.parametrize("age", [17.9, 17.99, 100.1, 100.01, 0, -1, 816])
def test_range_age_rejected_with_range_and_unit(valid_record: dict[str, object], age: float) -> None:
    valid_record["age_years"] = age
    problems = problems_of(valid_record)
    assert list(problems) == ["age_years"]
    assert problems["age_years"] == f"{age!r} is outside the allowed range 18 to 100 years"


@pytest.mark.parametrize("bmi", [12, 12.0, 34.9, 35, 69.9, 70, 70.0])
def test_range_bmi_accepted(valid_record: dict[str, object], bmi: float) -> None:
    valid_record["bmi"] = bmi
    assert validate(valid_record).bmi == float(bmi)


@pytest.mark.parametrize("bmi", [11.9, 11.99, 70.1, 70.01, 0, -29.4, 95])
def test_range_bmi_rejected_with_range_and_unit(valid_record: dict[str, object], bmi: float) -> None:
    valid_record["bmi"] = bmi
    problems = problems_of(valid_record)
    assert list(problems) == ["bmi"]
    assert problems["bmi"] == f"{bmi!r} is outside the allowed range 12 to 70 kg/m2"


@pytest.mark.parametrize("asa", [1, 2, 3, 4])
def test_range_asa_accepted(valid_record: dict[str, object], asa: int) -> None:
    valid_record["asa_class"] = asa
    assert validate(valid_record).asa_class == asa


@pytest.mark.parametrize("asa", [0, 5, 6, -1])
def test_range_asa_rejected(valid_record: dict[str, object], asa: int) -> None:
    valid_record["asa_class"] = asa
    problems = problems_of(valid_record)
    assert list(problems) == ["asa_class"]
    assert problems["asa_class"].startswith(f"{asa} is outside the allowed range 1 to 4")


@pytest.mark.parametrize("field", ["age_years", "bmi"])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_range_non_finite_number_rejected(valid_record: dict[str, object], field: str, value: float) -> None:
    valid_record[field] = value
    assert list(problems_of(valid_record)) == [field]


# --- categories and booleans ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("sex", "Female", "female, male"),
        ("sex", "other", "female, male"),
        ("sex", "", "female, male"),
        ("smoking", "occasional", "never, former, current"),
        ("smoking", "yes", "never, former, current"),
        ("joint", "shoulder", "hip, knee"),
        ("joint", "Knee", "hip, knee"),
        ("procedure", "emergency", "primary, revision"),
        ("procedure", "primary ", "primary, revision"),
    ],
)
def test_category_unknown_value_rejected_listing_allowed_values(
    valid_record: dict[str, object], field: str, value: str, allowed: str
) -> None:
    valid_record[field] = value
    problems = problems_of(valid_record)
    assert list(problems) == [field]
    assert problems[field] == f"{value!r} is not one of the allowed values: {allowed}"


@pytest.mark.parametrize(
    ("field", "value"),
    [("age_years", True), ("age_years", False), ("bmi", True), ("asa_class", True), ("asa_class", False)],
)
def test_category_bool_not_accepted_as_number(valid_record: dict[str, object], field: str, value: bool) -> None:
    valid_record[field] = value
    problems = problems_of(valid_record)
    assert list(problems) == [field]
    assert "got boolean" in problems[field]


@pytest.mark.parametrize("field", ["diabetes", "rheumatoid_arthritis"])
@pytest.mark.parametrize("value", [1, 0, 1.0, "true", "yes", "false"])
def test_category_number_or_string_not_accepted_as_bool(
    valid_record: dict[str, object], field: str, value: object
) -> None:
    valid_record[field] = value
    problems = problems_of(valid_record)
    assert list(problems) == [field]
    assert problems[field].startswith("expected true or false")


@pytest.mark.parametrize("field", ["diabetes", "rheumatoid_arthritis"])
@pytest.mark.parametrize("value", [True, False])
def test_category_real_booleans_accepted(valid_record: dict[str, object], field: str, value: bool) -> None:
    valid_record[field] = value
    assert getattr(validate(valid_record), field) is value
