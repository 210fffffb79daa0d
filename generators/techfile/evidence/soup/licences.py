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


def alternatives(expression: str) -> list[list[str]]:
    """The choices an SPDX expression offers, each the licence identifiers it needs together.

    From license-expression's parse tree, so precedence and parentheses hold:
    ``GPL-3.0-only AND (MIT OR BSD-3-Clause)`` is ``[[GPL-3.0-only, MIT],
    [GPL-3.0-only, BSD-3-Clause]]``: no choice escapes the GPL. A licence
    ``WITH`` an exception counts as the licence and the exception.
    """
    licensing = _licensing()
    try:
        parsed = licensing.parse(expression, strict=False)
    except ExpressionError:
        return [[expression]]
    if parsed is None:
        return []

    def choices(node: object) -> list[list[str]]:
        if isinstance(node, licensing.OR):
            return [choice for arg in node.args for choice in choices(arg)]
        if isinstance(node, licensing.AND):
            combined: list[list[str]] = [[]]
            for arg in node.args:
                combined = [left + right for left in combined for right in choices(arg)]
            return combined
        return [sorted(licensing.license_keys(node))]

    return choices(parsed)
