"""The output shown to the surgeon: percent, risk band, factors, versions, statement.

Why: a probability on its own invites over-interpretation (false precision,
no context), so the report always pairs it with a rounded percentage, a risk
band and the statement of intended use; and it names the model and software
versions so that any printed or stored estimate can be traced to a release.

Band boundaries are applied to the unrounded probability, exactly:
low below 0.02, moderate from 0.02 up to (not including) 0.05, high from 0.05.
Consequence worth knowing: 0.0199999 is "low" although it displays as "2.0 %".
The decimal separator is always "." whatever the locale (known anomaly
ANOM_001).
"""

from __future__ import annotations

import math
from typing import Final, Literal, Sequence

from pji_risk import __version__
from pji_risk.explain import Factor

Band = Literal["low", "moderate", "high"]

LOW_BELOW: Final[float] = 0.02
"""Probabilities below this are "low"."""

HIGH_FROM: Final[float] = 0.05
"""Probabilities from this on are "high"; in between is "moderate"."""

STATEMENT: Final[str] = (
    "Decision support only: this estimate does not replace clinical judgement. "
    "Intended for adults scheduled for elective hip or knee arthroplasty."
)
"""Shown with every estimate (labelling requirement)."""


def _checked_probability(probability: float) -> float:
    """Refuse anything that is not a probability rather than band it silently."""
    if isinstance(probability, bool) or not math.isfinite(probability) or not 0.0 <= probability <= 1.0:
        raise ValueError(f"not a probability: {probability!r}")
    return float(probability)


def risk_band(probability: float) -> Band:
    """Risk band of an unrounded probability (boundaries in the module docstring)."""
    p = _checked_probability(probability)
    if p < LOW_BELOW:
        return "low"
    if p < HIGH_FROM:
        return "moderate"
    return "high"


def format_percent(probability: float) -> str:
    """Percentage with one decimal and a percent sign, e.g. ``"3.4 %"``.

    One decimal is already more precision than the model has; it is kept so
    that low risks do not all read "0 %".
    """
    return f"{_checked_probability(probability) * 100.0:.1f} %"


def build_report(
    probability: float,
    factors: Sequence[Factor],
    model_version: str,
    software_version: str = __version__,
) -> dict[str, object]:
    """The complete output object; there is no way to get the probability without the rest."""
    return {
        "estimate_percent": format_percent(probability),
        "probability": _checked_probability(probability),
        "band": risk_band(probability),
        "contributing_factors": [factor.as_dict() for factor in factors],
        "model_version": model_version,
        "software_version": software_version,
        "statement": STATEMENT,
    }
