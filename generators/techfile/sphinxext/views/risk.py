"""The ISO 14971 risk views: the severity x probability matrix with the
hazards in each cell, and the risk register."""

from __future__ import annotations

from typing import TYPE_CHECKING

from techfile.model.roles import Relation, Role
from techfile.sphinxext.views.common import assess, unmapped
from techfile.sphinxext.views.data import (
    Block,
    Cell,
    Emphasis,
    Inline,
    NeedRef,
    TableBuilder,
    Text,
    cell,
    needs,
)

if TYPE_CHECKING:
    from techfile.sphinxext.state import Evaluated


def _levels(state: Evaluated, residual: bool) -> dict[tuple[str, str], list[str]]:
    """Hazard IDs per (severity, probability); after control, a residual level replaces the initial one."""
    value = state.corpus.value
    cells: dict[tuple[str, str], list[str]] = {}
    for hazard in state.corpus.by_role(Role.HAZARD):
        severity, probability = value(hazard, "severity"), value(hazard, "probability")
        if residual:
            severity = value(hazard, "residual_severity") or severity
            probability = value(hazard, "residual_probability") or probability
        cells.setdefault((severity or "", probability or ""), []).append(hazard.id)
    return cells


def risk_matrix(state: Evaluated, options: dict[str, str]) -> list[Block]:
    """Severity x probability grid, most severe first, coloured by risk class, before or after control."""
    if missing := unmapped(state, Role.HAZARD):
        return missing
    matrix = state.declarations.matrix
    cells = _levels(state, options.get("stage", "initial") == "residual")
    table = TableBuilder(("Severity \\ Probability", *(p.title for p in matrix.probability)), ("techfile-risk-matrix",))
    for severity in reversed(matrix.severity):
        row: list[Cell] = [cell(severity.title)]
        for probability in matrix.probability:
            risk_class = matrix.classify(severity.key, probability.key)
            hazards = cells.get((severity.key, probability.key), [])
            parts: tuple[Inline, ...] = (Emphasis(risk_class.title if risk_class else "?"), *((Text(": "), *needs(hazards)) if hazards else ()))
            if risk_class is None:
                row.append(Cell(parts))
            else:
                row.append(Cell(parts, (f"techfile-risk-{risk_class.key}",), color=risk_class.color))
        table.add(*row)
    return [table.table()]


def risk_register(state: Evaluated, options: dict[str, str]) -> list[Block]:
    if missing := unmapped(state, Role.HAZARD):
        return missing
    corpus = state.corpus
    value = corpus.value
    table = TableBuilder(
        ("ID", "Hazardous situation", "Harm", "S / P", "Initial risk", "Controls", "Residual S / P", "Residual risk"),
        ("techfile-risk-register",),
    )
    for hazard in corpus.by_role(Role.HAZARD):
        initial, residual = assess(state, hazard)
        severity, probability = value(hazard, "severity"), value(hazard, "probability")
        controls = corpus.incoming(hazard, Relation.MITIGATES, Role.RISK_CONTROL)
        table.add(
            NeedRef(hazard.id),
            value(hazard, "hazardous_situation") or "",
            value(hazard, "harm") or "",
            f"{severity or '?'} / {probability or '?'}",
            initial.title if initial else "not estimated",
            needs(c.id for c in controls),
            f"{value(hazard, 'residual_severity') or severity or '?'} / {value(hazard, 'residual_probability') or probability or '?'}",
            residual.title if residual else "not estimated",
        )
    return [table.table()]
