"""Validation of one patient record before anything is estimated.

Why this module exists: the model can only be trusted inside the population it
was built for (adults, elective primary or revision hip/knee arthroplasty) and
on values in the units it expects. A wrong unit (weight in kg typed as BMI, age
in months) usually still looks like a number, so every value is checked
against its type, unit and plausible range, and the record is refused unless
all checks pass. All problems are collected and reported together, so the user
can correct the record in one go instead of discovering errors one at a time.

The checks are deliberately strict about JSON types: ``true`` is not ``1``,
``1`` is not ``true`` and ``"72"`` is not ``72``. A lenient parser would turn
data-entry or interface errors into plausible-looking estimates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal, Mapping, cast

Sex = Literal["female", "male"]
Smoking = Literal["never", "former", "current"]
Joint = Literal["hip", "knee"]
Procedure = Literal["primary", "revision"]

AGE_RANGE: Final[tuple[float, float]] = (18.0, 100.0)
"""Inclusive age range in years: adults only (intended use), 100 is the oldest plausible."""

BMI_RANGE: Final[tuple[float, float]] = (12.0, 70.0)
"""Inclusive body-mass index range in kg/m2; outside it the value is almost surely a unit error."""

ASA_RANGE: Final[tuple[int, int]] = (1, 4)
"""ASA physical status 1 to 4: 5 (moribund) and 6 (brain dead) are not elective surgery."""

CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    "sex": ("female", "male"),
    "smoking": ("never", "former", "current"),
    "joint": ("hip", "knee"),
    "procedure": ("primary", "revision"),
}
"""Allowed values of the categorical fields (case-sensitive, no synonyms)."""

BOOLEAN_FIELDS: Final[tuple[str, ...]] = ("diabetes", "rheumatoid_arthritis")

FIELDS: Final[tuple[str, ...]] = (
    "age_years",
    "sex",
    "bmi",
    "asa_class",
    "diabetes",
    "smoking",
    "rheumatoid_arthritis",
    "joint",
    "procedure",
)
"""Every field is required; no other field is accepted."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason why a record was refused, tied to the field it concerns."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        """JSON form used by the command line interface."""
        return {"field": self.field, "message": self.message}


class ValidationError(ValueError):
    """The record is not within the intended use; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            raise ValueError("ValidationError needs at least one problem")
        self.problems: list[Problem] = list(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))


@dataclass(frozen=True, slots=True)
class PatientRecord:
    """A validated record: only instances built by :func:`validate` reach the model.

    Frozen so that nothing downstream can alter a value after it was checked.
    """

    age_years: float
    sex: Sex
    bmi: float
    asa_class: int
    diabetes: bool
    smoking: Smoking
    rheumatoid_arthritis: bool
    joint: Joint
    procedure: Procedure


def _json_type(value: object) -> str:
    """Name the JSON type of ``value`` the way a user of the JSON interface sees it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _describe(value: object) -> str:
    """Short rendering of a rejected value for the problem message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_number(
    raw: Mapping[str, object],
    name: str,
    bounds: tuple[float, float],
    unit: str,
    problems: list[Problem],
) -> float | None:
    """Return the value if it is a finite JSON number within ``bounds`` (inclusive)."""
    value = raw[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.append(Problem(name, f"expected a number in {unit}, got {_json_type(value)} {_describe(value)}"))
        return None
    number = float(value)
    low, high = bounds
    if not math.isfinite(number) or not low <= number <= high:
        problems.append(
            Problem(name, f"{_describe(value)} is outside the allowed range {low:g} to {high:g} {unit}")
        )
        return None
    return number


def _check_asa(raw: Mapping[str, object], problems: list[Problem]) -> int | None:
    """ASA class is an integer category: 2.5 or "2" are interface errors, not ASA classes."""
    value = raw["asa_class"]
    low, high = ASA_RANGE
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(
            Problem("asa_class", f"expected an integer {low} to {high}, got {_json_type(value)} {_describe(value)}")
        )
        return None
    if not low <= value <= high:
        problems.append(
            Problem(
                "asa_class",
                f"{value} is outside the allowed range {low} to {high} (ASA physical status; "
                "5 and 6 are not elective surgery)",
            )
        )
        return None
    return value


def _check_category(raw: Mapping[str, object], name: str, problems: list[Problem]) -> str | None:
    """Return the value if it is one of the allowed strings for ``name``."""
    value = raw[name]
    allowed = CATEGORIES[name]
    if not isinstance(value, str):
        problems.append(
            Problem(name, f"expected one of {', '.join(allowed)}, got {_json_type(value)} {_describe(value)}")
        )
        return None
    if value not in allowed:
        problems.append(Problem(name, f"{_describe(value)} is not one of the allowed values: {', '.join(allowed)}"))
        return None
    return value


def _check_boolean(raw: Mapping[str, object], name: str, problems: list[Problem]) -> bool | None:
    """Only JSON ``true``/``false``: 0/1 or "yes" may be a column shifted by one."""
    value = raw[name]
    if not isinstance(value, bool):
        problems.append(Problem(name, f"expected true or false, got {_json_type(value)} {_describe(value)}"))
        return None
    return value


def validate(raw: object) -> PatientRecord:
    """Turn a parsed JSON object into a :class:`PatientRecord` or refuse it.

    Raises :class:`ValidationError` listing every problem (missing fields,
    unknown fields, wrong JSON types, out-of-range values, unknown
    categories); nothing is estimated from a partially valid record.
    """
    if not isinstance(raw, Mapping):
        raise ValidationError([Problem("(record)", f"expected a JSON object, got {_json_type(raw)}")])

    problems: list[Problem] = []
    present = [name for name in FIELDS if name in raw]
    for name in FIELDS:
        if name not in raw:
            problems.append(Problem(name, "required field is missing"))
    for name in sorted(str(key) for key in raw if key not in FIELDS):
        problems.append(Problem(name, f"unknown field (allowed fields: {', '.join(FIELDS)})"))

    checked: dict[str, object] = {}
    for name in present:
        if name == "age_years":
            checked[name] = _check_number(raw, name, AGE_RANGE, "years", problems)
        elif name == "bmi":
            checked[name] = _check_number(raw, name, BMI_RANGE, "kg/m2", problems)
        elif name == "asa_class":
            checked[name] = _check_asa(raw, problems)
        elif name in BOOLEAN_FIELDS:
            checked[name] = _check_boolean(raw, name, problems)
        else:
            checked[name] = _check_category(raw, name, problems)

    if problems:
        raise ValidationError(problems)
    # No problem was recorded, so every field holds a checked, correctly typed value.
    return PatientRecord(
        age_years=cast(float, checked["age_years"]),
        sex=cast(Sex, checked["sex"]),
        bmi=cast(float, checked["bmi"]),
        asa_class=cast(int, checked["asa_class"]),
        diabetes=cast(bool, checked["diabetes"]),
        smoking=cast(Smoking, checked["smoking"]),
        rheumatoid_arthritis=cast(bool, checked["rheumatoid_arthritis"]),
        joint=cast(Joint, checked["joint"]),
        procedure=cast(Procedure, checked["procedure"]),
    )
