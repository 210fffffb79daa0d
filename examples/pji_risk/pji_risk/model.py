"""The released logistic model: integrity-checked loading, encoding, estimation.

Why the integrity check: the coefficients in ``model.json`` are the device's
clinical behaviour. A silently edited, truncated or swapped model file would
give wrong risks that look plausible, so the file is compared byte for byte
(SHA-256) with the digest recorded here at release, before it is parsed. The
digest lives in source code, not next to the file, so changing the model
requires a reviewed code change (and a new release).

Feature encoding (the model has 11 terms plus an intercept; reference
categories have no term, so each coefficient is a log odds ratio against
them):

=========================  ====================================================
feature                    value
=========================  ====================================================
age_per_decade_from_70     (age_years - 70) / 10, continuous; centred so the
                           intercept refers to a 70-year-old
male                       1 if sex is male (reference: female)
bmi_ge_35                  1 if BMI >= 35 kg/m2, obesity class II or higher
                           (reference: BMI < 35)
asa_ge_3                   1 if ASA class is 3 or 4 (reference: ASA 1-2)
asa_4                      1 if ASA class is 4 (added to asa_ge_3)
diabetes                   1 if diabetes mellitus
smoking_former             1 if former smoker (reference: never smoked)
smoking_current            1 if current smoker (reference: never smoked)
rheumatoid_arthritis       1 if rheumatoid arthritis
knee                       1 if knee arthroplasty (reference: hip)
revision                   1 if revision surgery (reference: primary)
=========================  ====================================================

BMI enters only through the class II obesity threshold: it is the threshold
used for pre-operative optimisation, and it lets :mod:`pji_risk.explain` name
exactly one term for "obesity" whose contribution is unambiguous.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from pji_risk.validation import PatientRecord

MODEL_PATH: Final[Path] = Path(__file__).with_name("model.json")
"""The model file shipped inside the package."""

RELEASED_MODEL_SHA256: Final[str] = "1cd6874d22a5935366717c2d6688d575affb90777daf88b43b1203e3e471068d"
"""SHA-256 of the released ``model.json`` (printed by ``training/train.py``)."""

FEATURES: Final[tuple[tuple[str, str], ...]] = (
    ("age_per_decade_from_70", "(age_years - 70) / 10"),
    ("male", "1 if sex is male (reference: female)"),
    ("bmi_ge_35", "1 if BMI >= 35 kg/m2, obesity class II or higher (reference: BMI < 35)"),
    ("asa_ge_3", "1 if ASA class is 3 or 4 (reference: ASA 1-2)"),
    ("asa_4", "1 if ASA class is 4 (in addition to asa_ge_3)"),
    ("diabetes", "1 if diabetes mellitus"),
    ("smoking_former", "1 if former smoker (reference: never smoked)"),
    ("smoking_current", "1 if current smoker (reference: never smoked)"),
    ("rheumatoid_arthritis", "1 if rheumatoid arthritis"),
    ("knee", "1 if knee arthroplasty (reference: hip)"),
    ("revision", "1 if revision surgery (reference: primary)"),
)
"""Feature names, in model order, with their definition (copied into model.json)."""

FEATURE_NAMES: Final[tuple[str, ...]] = tuple(name for name, _ in FEATURES)

BMI_OBESITY_II: Final[float] = 35.0
"""BMI (kg/m2) from which obesity class II starts."""


class ModelError(Exception):
    """The model cannot be used; no estimate may be produced."""


class ModelFileError(ModelError):
    """The model file is missing, unreadable or not in the expected format."""


class ModelIntegrityError(ModelError):
    """The model file is not the released one (its SHA-256 digest differs)."""


FloatArray = npt.NDArray[np.float64]


def encode(record: PatientRecord) -> FloatArray:
    """Feature vector of ``record`` in :data:`FEATURE_NAMES` order (see module docstring)."""
    return np.array(
        [
            (record.age_years - 70.0) / 10.0,
            float(record.sex == "male"),
            float(record.bmi >= BMI_OBESITY_II),
            float(record.asa_class >= 3),
            float(record.asa_class == 4),
            float(record.diabetes),
            float(record.smoking == "former"),
            float(record.smoking == "current"),
            float(record.rheumatoid_arthritis),
            float(record.joint == "knee"),
            float(record.procedure == "revision"),
        ],
        dtype=np.float64,
    )


def _sigmoid(z: FloatArray) -> FloatArray:
    """Logistic function written so that neither branch can overflow."""
    out = np.empty_like(z)
    positive = z >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    exp_z = np.exp(z[~positive])
    out[~positive] = exp_z / (1.0 + exp_z)
    return out


def _finite_float(value: object, where: str) -> float:
    """A JSON number that is a real, finite float (not a bool, not NaN)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ModelFileError(f"model file: {where} must be a finite number, got {value!r}")
    return float(value)


@dataclass(frozen=True, eq=False)
class LogisticModel:
    """A logistic regression model with its release metadata.

    Build it with :func:`load_model` (which checks integrity); building it from
    a document directly is for the training script, before a release exists.
    """

    model_version: str
    intercept: float
    coefficients: FloatArray
    document: dict[str, Any]

    @classmethod
    def from_document(cls, document: object) -> LogisticModel:
        """Check the structure of a parsed model document and build the model.

        The feature names must match :data:`FEATURE_NAMES` exactly and in
        order: coefficients applied to the wrong features would be as harmful
        as wrong coefficients.
        """
        if not isinstance(document, dict):
            raise ModelFileError("model file: expected a JSON object")
        version = document.get("model_version")
        if not isinstance(version, str) or not version:
            raise ModelFileError("model file: model_version missing")
        features = document.get("features")
        if not isinstance(features, list) or not all(isinstance(item, dict) for item in features):
            raise ModelFileError("model file: features must be a list of objects")
        names = tuple(item.get("name") for item in features)
        if names != FEATURE_NAMES:
            raise ModelFileError(f"model file: features {names} do not match the encoder {FEATURE_NAMES}")
        coefficients = np.array(
            [_finite_float(item.get("coefficient"), f"coefficient of {item['name']}") for item in features],
            dtype=np.float64,
        )
        coefficients.setflags(write=False)
        intercept = _finite_float(document.get("intercept"), "intercept")
        return cls(model_version=version, intercept=intercept, coefficients=coefficients, document=document)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return FEATURE_NAMES

    def coefficient(self, name: str) -> float:
        """Log odds ratio of feature ``name``."""
        return float(self.coefficients[FEATURE_NAMES.index(name)])

    def predict_many(self, features: FloatArray) -> FloatArray:
        """Probabilities for a matrix of encoded records (one row per record)."""
        matrix = np.asarray(features, dtype=np.float64)
        if matrix.ndim != 2 or matrix.shape[1] != len(FEATURE_NAMES):
            raise ValueError(f"expected an (n, {len(FEATURE_NAMES)}) matrix, got shape {matrix.shape}")
        return _sigmoid(self.intercept + matrix @ self.coefficients)

    def predict(self, record: PatientRecord) -> float:
        """Estimated probability of PJI within one year for one validated record."""
        return float(self.predict_many(encode(record)[np.newaxis, :])[0])


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_model(path: Path = MODEL_PATH, expected_sha256: str = RELEASED_MODEL_SHA256) -> LogisticModel:
    """Load the model file after checking it is byte-identical to the release.

    Raises :class:`ModelFileError` if the file is missing or malformed and
    :class:`ModelIntegrityError` if its digest differs from ``expected_sha256``.
    The digest is checked before the content is parsed.
    """
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"model file not found: {path}") from None
    except OSError as error:
        raise ModelFileError(f"model file cannot be read: {path}: {error.strerror}") from None
    actual = hashlib.sha256(content).hexdigest()
    if actual != expected_sha256:
        raise ModelIntegrityError(
            f"model file {path} is not the released model: SHA-256 {actual}, expected {expected_sha256}"
        )
    try:
        document = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"model file is not valid JSON: {path}: {error}") from None
    return LogisticModel.from_document(document)


def reference_probability(record: PatientRecord, model: LogisticModel | None = None) -> float:
    """Second, independent implementation of the estimate, in pure Python.

    Used only by tests to cross-check :meth:`LogisticModel.predict`: it
    re-derives every feature from the record by name (not through
    :func:`encode`) and evaluates the logistic function with :mod:`math`, so a
    bug in the numpy path (feature order, encoding, matrix product) shows up as
    a disagreement.
    """
    used = model if model is not None else load_model()
    weights = {name: float(value) for name, value in zip(FEATURE_NAMES, used.coefficients.tolist())}
    terms = [used.intercept, weights["age_per_decade_from_70"] * (record.age_years - 70.0) / 10.0]
    if record.sex == "male":
        terms.append(weights["male"])
    if record.bmi >= 35.0:
        terms.append(weights["bmi_ge_35"])
    if record.asa_class in (3, 4):
        terms.append(weights["asa_ge_3"])
    if record.asa_class == 4:
        terms.append(weights["asa_4"])
    if record.diabetes:
        terms.append(weights["diabetes"])
    if record.smoking == "former":
        terms.append(weights["smoking_former"])
    elif record.smoking == "current":
        terms.append(weights["smoking_current"])
    if record.rheumatoid_arthritis:
        terms.append(weights["rheumatoid_arthritis"])
    if record.joint == "knee":
        terms.append(weights["knee"])
    if record.procedure == "revision":
        terms.append(weights["revision"])
    z = math.fsum(terms)
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    exp_z = math.exp(z)
    return exp_z / (1.0 + exp_z)
