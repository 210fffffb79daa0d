"""The computed views of the technical file, by directive name.

Each view reads one build's evaluation (:class:`~techfile.sphinxext.state.Evaluated`)
and returns blocks of data (:mod:`techfile.sphinxext.views.data`); the
extension registers ``techfile-<name>`` for each entry of :data:`VIEWS`,
with its options, and a renderer turns the blocks into the builder's
output. Views name roles and relations, never the project's types.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from techfile.sphinxext.views import catalogue, gaps, risk, trace, verification
from techfile.sphinxext.views.data import Block

if TYPE_CHECKING:
    from techfile.sphinxext.state import Evaluated

Build = Callable[["Evaluated", dict[str, str]], list[Block]]


@dataclass(frozen=True)
class ViewSpec:
    build: Build
    options: dict[str, Callable[[str], Any]] = field(default_factory=dict)
    """The directive's option_spec: option name -> converter (raises ValueError on a bad value)."""


def choice(*values: str) -> Callable[[str], str]:
    """An option converter accepting one of ``values``, as docutils' ``directives.choice``
    does, without importing docutils into the views."""

    def convert(argument: str) -> str:
        value = (argument or "").strip().lower()
        if value not in values:
            raise ValueError(f"{argument!r} unknown; choose from {', '.join(repr(v) for v in values)}")
        return value

    return convert


VIEWS: dict[str, ViewSpec] = {
    "gaps": ViewSpec(gaps.gaps),
    "coverage": ViewSpec(gaps.coverage),
    "rules": ViewSpec(catalogue.rules),
    "trace-matrix": ViewSpec(trace.trace_matrix, {"kind": choice("requirements", "risk")}),
    "risk-matrix": ViewSpec(risk.risk_matrix, {"stage": choice("initial", "residual")}),
    "risk-register": ViewSpec(risk.risk_register),
    "verification": ViewSpec(verification.verification_summary),
    "safety-classes": ViewSpec(verification.safety_classes),
}

__all__ = ["VIEWS", "Build", "ViewSpec", "choice"]
