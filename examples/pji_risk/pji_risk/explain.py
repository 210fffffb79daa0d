"""Which modifiable risk factors raise this patient's estimate, and by how much.

Why: the intended use includes optimising modifiable risk factors before
surgery. A bare number does not tell the surgeon what can be acted on, so the
output names the modifiable factors present in the record whose model term
increases the log-odds compared with the reference category.

Only three factors are considered modifiable before elective surgery: current
smoking (reference: never smoked), BMI >= 35 kg/m2 (reference: BMI < 35) and
diabetes (reference: no diabetes; glycaemic control can be optimised, the
diagnosis itself is what the model sees). Age, sex, ASA class, rheumatoid
arthritis, joint and procedure are never listed: presenting them as actionable
would mislead. A factor is listed only if the fitted coefficient is positive,
so a term that happens to lower the estimate is never shown as a risk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pji_risk.model import FEATURE_NAMES, LogisticModel, encode
from pji_risk.validation import PatientRecord

MODIFIABLE_FACTORS: Final[dict[str, str]] = {
    "smoking_current": "Current smoking",
    "bmi_ge_35": "BMI >= 35 kg/m2 (obesity class II or higher)",
    "diabetes": "Diabetes mellitus",
}
"""Model feature -> label shown to the surgeon. Nothing else is ever listed."""


@dataclass(frozen=True, slots=True)
class Factor:
    """A modifiable factor and its contribution to the log-odds (coefficient x indicator)."""

    feature: str
    label: str
    log_odds: float

    def as_dict(self) -> dict[str, str | float]:
        """JSON form used in the report."""
        return {"factor": self.feature, "label": self.label, "log_odds_contribution": round(self.log_odds, 4)}


def contributing_factors(record: PatientRecord, model: LogisticModel) -> list[Factor]:
    """Modifiable factors that raise the estimate, largest contribution first.

    Ties (equal contributions) are ordered by feature name so that the output
    is deterministic.
    """
    features = encode(record)
    factors: list[Factor] = []
    for feature, label in MODIFIABLE_FACTORS.items():
        index = FEATURE_NAMES.index(feature)
        contribution = float(model.coefficients[index] * features[index])
        if contribution > 0.0:
            factors.append(Factor(feature=feature, label=label, log_odds=contribution))
    return sorted(factors, key=lambda factor: (-factor.log_odds, factor.feature))
