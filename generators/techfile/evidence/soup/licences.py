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


@cache
def _structural() -> Licensing:
    """A licensing without the SPDX index: enough to read an expression's AND/OR tree, and far cheaper to parse with."""
    return Licensing()


@cache
def alternatives(expression: str) -> tuple[tuple[str, ...], ...]:
    """The choices an SPDX expression offers, each the licence identifiers it needs together.

    From license-expression's parse tree, so precedence and parentheses hold:
    ``GPL-3.0-only AND (MIT OR BSD-3-Clause)`` is ``((GPL-3.0-only, MIT),
    (GPL-3.0-only, BSD-3-Clause))``: no choice escapes the GPL. A licence
    ``WITH`` an exception counts as the licence and the exception. The
    expression was normalised when the component was written, so the check
    reads its structure only (no SPDX index), once per distinct expression.
    """
    licensing = _structural()
    try:
        parsed = licensing.parse(expression)
    except ExpressionError:
        return ((expression,),)
    if parsed is None:
        return ()

    def choices(node: object) -> list[tuple[str, ...]]:
        if isinstance(node, licensing.OR):
            return [choice for arg in node.args for choice in choices(arg)]
        if isinstance(node, licensing.AND):
            combined: list[tuple[str, ...]] = [()]
            for arg in node.args:
                combined = [left + right for left in combined for right in choices(arg)]
            return combined
        return [tuple(sorted(licensing.license_keys(node)))]

    return tuple(choices(parsed))
