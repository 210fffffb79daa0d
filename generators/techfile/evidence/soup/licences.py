"""Licences as normalised SPDX expressions (license-expression), and the
reason when a declared licence is not one."""

from __future__ import annotations

from functools import cache

from license_expression import ExpressionError, Licensing, get_spdx_licensing


@cache
def _licensing() -> Licensing:
    return get_spdx_licensing()


def normalise(declared: str) -> tuple[str, str]:
    """(the SPDX expression, "") for a valid expression; ("", why) otherwise; ("", "") when nothing is declared."""
    declared = declared.strip()
    if not declared:
        return "", ""
    try:
        expression = _licensing().parse(declared, validate=True, strict=False)
    except ExpressionError as error:
        return "", f"licence {declared!r} is not an SPDX expression ({error})"
    if expression is None:
        return "", ""
    return str(_licensing().dedup(expression)), ""


def identifiers(expression: str) -> list[str]:
    """The SPDX licence identifiers an expression names."""
    if not expression:
        return []
    return sorted(_licensing().license_keys(expression))
