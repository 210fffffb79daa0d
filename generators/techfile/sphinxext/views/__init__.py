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

from techfile.model.roles import Role
from techfile.sphinxext.views import catalogue, gaps, ml, needs, records, risk, trace, verification
from techfile.sphinxext.views.data import Block

if TYPE_CHECKING:
    from techfile.model.needmodel import NeedModel
    from techfile.sphinxext.state import Evaluated

Build = Callable[["Evaluated", dict[str, str]], list[Block]]
Check = Callable[["NeedModel", dict[str, str]], list[str]]


@dataclass(frozen=True)
class ViewSpec:
    build: Build
    options: dict[str, Callable[[str], Any]] = field(default_factory=dict)
    """The directive's option_spec: option name -> converter (raises ValueError on a bad value)."""
    check: Check | None = None
    """What is wrong with a directive's options given the need model (a warning at its line each)."""


def choice(*values: str) -> Callable[[str], str]:
    """An option converter accepting one of ``values``, as docutils' ``directives.choice``
    does, without importing docutils into the views."""

    def convert(argument: str) -> str:
        value = (argument or "").strip().lower()
        if value not in values:
            raise ValueError(f"{argument!r} unknown; choose from {', '.join(repr(v) for v in values)}")
        return value

    return convert


def text(argument: str) -> str:
    """An option converter for free text (``:columns:``, ``:title:``)."""
    return (argument or "").strip()


VIEWS: dict[str, ViewSpec] = {
    "gaps": ViewSpec(gaps.gaps),
    "coverage": ViewSpec(gaps.coverage),
    "rules": ViewSpec(catalogue.rules),
    "trace-matrix": ViewSpec(trace.trace_matrix, {"kind": choice("requirements", "reverse", "risk")}),
    "item-coverage": ViewSpec(trace.item_coverage),
    "soup-coverage": ViewSpec(trace.soup_coverage),
    "risk-matrix": ViewSpec(risk.risk_matrix, {"stage": choice("initial", "residual")}),
    "risk-levels": ViewSpec(risk.risk_levels),
    "risk-register": ViewSpec(risk.risk_register),
    "verification": ViewSpec(verification.verification_summary, {"part": choice("all", "counts", "requirements")}),
    "test-verdicts": ViewSpec(verification.test_verdicts),
    "test-records": ViewSpec(records.test_records),
    "safety-classes": ViewSpec(verification.safety_classes),
    "needs": ViewSpec(needs.needs_table, {"role": choice(*(role.value for role in Role)), "columns": text, "title": text}, needs.check),
    "ml-report": ViewSpec(ml.ml_report),
}

__all__ = ["VIEWS", "Build", "Check", "ViewSpec", "choice", "text"]

# SOUP and SBOM evidence (techfile soup): the tree of who pulls in what.
from techfile.sphinxext.views import soup_tree  # noqa: E402

VIEWS["soup-tree"] = ViewSpec(soup_tree.soup_tree)

# Clause coverage of the claimed standards (rule C01).
from techfile.sphinxext.views import clauses  # noqa: E402

VIEWS["clause-coverage"] = ViewSpec(clauses.clause_coverage, {"standard": text})
# Post-market surveillance (techfile monitoring): the plan, the results per window, field events, CAPAs, the periodic summary.
from techfile.sphinxext.views import postmarket  # noqa: E402

VIEWS["postmarket"] = ViewSpec(postmarket.postmarket, {"part": choice(*postmarket.PARTS)})
