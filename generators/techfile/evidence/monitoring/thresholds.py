"""A monitoring rule's threshold, in the grammar of the acceptance criteria (``>= 0.70``, ``in [0.8, 1.2]``)."""

from __future__ import annotations


def beyond(threshold: str | None, value: str | None) -> bool | None:
    """Whether ``value`` fails ``threshold``; None when either does not parse."""
    from techfile.evidence.mlflow.criteria import CriterionError, parse_criteria

    if not threshold or not value:
        return None
    try:
        parsed = parse_criteria(f"x {threshold}")
        number = float(value)
    except (CriterionError, ValueError):
        return None
    return not parsed[0].holds(number) if len(parsed) == 1 else None


def parses(threshold: str) -> bool:
    return beyond(threshold, "0") is not None
