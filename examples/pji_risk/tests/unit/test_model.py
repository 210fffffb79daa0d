"""Unit tests of pji_risk.model: the estimate itself and the model-file integrity check."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from pji_risk.model import (
    FEATURE_NAMES,
    MODEL_PATH,
    RELEASED_MODEL_SHA256,
    LogisticModel,
    ModelFileError,
    ModelIntegrityError,
    encode,
    load_model,
    reference_probability,
)
from pji_risk.validation import PatientRecord, validate


def grid_records() -> list[PatientRecord]:
    """Every combination of categories with boundary and typical ages/BMIs (6144 records)."""
    values: dict[str, tuple[object, ...]] = {
        "age_years": (18, 45.5, 70, 100),
        "bmi": (12, 34.9, 35, 70),
        "sex": ("female", "male"),
        "asa_class": (1, 2, 3, 4),
        "diabetes": (False, True),
        "smoking": ("never", "former", "current"),
        "rheumatoid_arthritis": (False, True),
        "joint": ("hip", "knee"),
        "procedure": ("primary", "revision"),
    }
    return [validate(dict(zip(values, combination))) for combination in itertools.product(*values.values())]


GRID = grid_records()

LOWEST_RISK = PatientRecord(100.0, "female", 12.0, 1, False, "never", False, "hip", "primary")
HIGHEST_RISK = PatientRecord(18.0, "male", 70.0, 4, True, "current", True, "knee", "revision")


# --- probability ----------------------------------------------------------------------------


def test_probability_numpy_path_equals_reference_implementation(model: LogisticModel) -> None:
    differences = [abs(model.predict(record) - reference_probability(record, model)) for record in GRID]
    assert max(differences) <= 1e-9


def test_probability_reference_uses_released_model_by_default(
    model: LogisticModel, valid_record: dict[str, object]
) -> None:
    record = validate(valid_record)
    assert reference_probability(record) == pytest.approx(model.predict(record), abs=1e-9)


def test_probability_batch_equals_single_records(model: LogisticModel) -> None:
    sample = GRID[::37]
    batch = model.predict_many(np.vstack([encode(record) for record in sample]))
    # Same formula; matrix and vector products may differ in the last bit only.
    assert batch.tolist() == pytest.approx([model.predict(record) for record in sample], rel=1e-14, abs=0)


def test_probability_strictly_between_zero_and_one(model: LogisticModel) -> None:
    probabilities = [model.predict(record) for record in [*GRID, LOWEST_RISK, HIGHEST_RISK]]
    assert all(0.0 < p < 1.0 for p in probabilities)
    assert model.predict(LOWEST_RISK) == min(probabilities)
    assert model.predict(HIGHEST_RISK) < 1.0


def test_probability_extreme_linear_predictor_does_not_overflow() -> None:
    document = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    for sign in (-1.0, 1.0):
        document["intercept"] = sign * 800.0  # exp(800) overflows a float64
        extreme = LogisticModel.from_document(document)
        p = extreme.predict(HIGHEST_RISK)
        assert 0.0 <= p <= 1.0 and np.isfinite(p)
        assert p == pytest.approx(reference_probability(HIGHEST_RISK, extreme), abs=1e-12)


RISK_FACTORS: dict[str, tuple[Callable[[PatientRecord], bool], Callable[[PatientRecord], PatientRecord]]] = {
    # factor: (record does not have it, the same record with it)
    "diabetes": (lambda r: not r.diabetes, lambda r: dataclasses.replace(r, diabetes=True)),
    "current smoking": (lambda r: r.smoking == "never", lambda r: dataclasses.replace(r, smoking="current")),
    "rheumatoid arthritis": (
        lambda r: not r.rheumatoid_arthritis,
        lambda r: dataclasses.replace(r, rheumatoid_arthritis=True),
    ),
    "revision": (lambda r: r.procedure == "primary", lambda r: dataclasses.replace(r, procedure="revision")),
    "BMI >= 35": (lambda r: r.bmi < 35, lambda r: dataclasses.replace(r, bmi=35.0)),
    "ASA 3": (lambda r: r.asa_class <= 2, lambda r: dataclasses.replace(r, asa_class=3)),
}


@pytest.mark.parametrize("factor", list(RISK_FACTORS))
def test_probability_adding_a_risk_factor_never_lowers_risk(model: LogisticModel, factor: str) -> None:
    lacks_factor, add_factor = RISK_FACTORS[factor]
    base_records = [record for record in GRID if lacks_factor(record)]
    assert len(base_records) >= 1024
    for record in base_records:
        assert model.predict(add_factor(record)) > model.predict(record)


def test_probability_higher_asa_class_never_lowers_risk(model: LogisticModel) -> None:
    for record in GRID[::11]:
        risks = [model.predict(dataclasses.replace(record, asa_class=asa)) for asa in (1, 2, 3, 4)]
        assert risks == sorted(risks)


def test_probability_encoding_follows_documented_features(valid_record: dict[str, object]) -> None:
    record = PatientRecord(82.0, "male", 35.0, 4, True, "former", True, "knee", "revision")
    expected = {
        "age_per_decade_from_70": 1.2,
        "male": 1.0,
        "bmi_ge_35": 1.0,
        "asa_ge_3": 1.0,
        "asa_4": 1.0,
        "diabetes": 1.0,
        "smoking_former": 1.0,
        "smoking_current": 0.0,
        "rheumatoid_arthritis": 1.0,
        "knee": 1.0,
        "revision": 1.0,
    }
    assert dict(zip(FEATURE_NAMES, encode(record).tolist())) == pytest.approx(expected, abs=1e-12)
    reference = validate(valid_record | {"age_years": 70, "bmi": 34.9, "asa_class": 2})
    assert encode(reference).tolist() == [0.0] * len(FEATURE_NAMES)


# --- integrity --------------------------------------------------------------------------------


def test_integrity_released_digest_matches_shipped_file(model_path: Path) -> None:
    assert model_path == MODEL_PATH
    assert hashlib.sha256(model_path.read_bytes()).hexdigest() == RELEASED_MODEL_SHA256
    model = load_model()
    assert model.model_version == "1.0.0"
    assert len(model.coefficients) == len(FEATURE_NAMES)


def test_integrity_unmodified_copy_is_accepted(tmp_path: Path, model_path: Path) -> None:
    copy = tmp_path / "model.json"
    shutil.copyfile(model_path, copy)
    assert load_model(copy).coefficients.tolist() == load_model().coefficients.tolist()


def test_integrity_tampered_coefficient_is_refused(tmp_path: Path, model_path: Path) -> None:
    document = json.loads(model_path.read_text(encoding="utf-8"))
    smoking = next(item for item in document["features"] if item["name"] == "smoking_current")
    smoking["coefficient"] = 0.0  # hides the effect of smoking
    tampered = tmp_path / "model.json"
    tampered.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    with pytest.raises(ModelIntegrityError, match="not the released model"):
        load_model(tampered)


@pytest.mark.parametrize(
    "edit",
    [
        lambda content: content.replace(b"\n", b"\r\n"),  # line endings rewritten by a checkout
        lambda content: content.rstrip(b"\n"),  # trailing newline lost
        lambda content: content[: len(content) // 2],  # truncated
    ],
    ids=["crlf", "no-trailing-newline", "truncated"],
)
def test_integrity_any_byte_change_is_refused(
    tmp_path: Path, model_path: Path, edit: Callable[[bytes], bytes]
) -> None:
    tampered = tmp_path / "model.json"
    tampered.write_bytes(edit(model_path.read_bytes()))
    with pytest.raises(ModelIntegrityError):
        load_model(tampered)


def test_integrity_missing_file_raises_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "absent" / "model.json"
    with pytest.raises(ModelFileError, match="model file not found") as caught:
        load_model(missing)
    assert str(missing) in str(caught.value)


def test_integrity_feature_order_is_checked_even_with_matching_digest(tmp_path: Path, model_path: Path) -> None:
    document = json.loads(model_path.read_text(encoding="utf-8"))
    document["features"][0], document["features"][1] = document["features"][1], document["features"][0]
    content = (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")
    swapped = tmp_path / "model.json"
    swapped.write_bytes(content)
    with pytest.raises(ModelFileError, match="do not match the encoder"):
        load_model(swapped, expected_sha256=hashlib.sha256(content).hexdigest())


def test_integrity_model_file_records_dataset_digests(model: LogisticModel) -> None:
    datasets = model.document["datasets"]
    digests = [datasets[name]["sha256"] for name in ("training", "validation", "test")]
    assert all(len(digest) == 64 and int(digest, 16) >= 0 for digest in digests)
    assert len(set(digests)) == 3
