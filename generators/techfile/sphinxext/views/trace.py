"""The traceability matrices: user need → system requirement → software
requirement → test → result, and hazard → risk control → software
requirement → test → result."""

from __future__ import annotations

from typing import TYPE_CHECKING

from techfile.checks import verification
from techfile.corpus import Need
from techfile.model.roles import Relation, Role
from techfile.sphinxext.views.common import assess, results_cell, sorted_needs, unmapped
from techfile.sphinxext.views.data import (
    Block,
    Cell,
    NeedRef,
    TableBuilder,
    cell,
    needs,
)

if TYPE_CHECKING:
    from techfile.sphinxext.state import Evaluated

REQUIREMENT_HEADERS = ("User need", "System requirement", "Software requirement", "Class", "Test", "Result")
RISK_HEADERS = ("Hazardous situation", "Initial risk", "Risk control", "Software requirement", "Test", "Result", "Residual risk")


def _requirement_matrix(state: Evaluated) -> list[Block]:
    corpus = state.corpus
    table = TableBuilder(REQUIREMENT_HEADERS, ("techfile-trace",))
    reached: set[str] = set()
    for requirement in sorted_needs(corpus.by_role(Role.SOFTWARE_REQUIREMENT)):
        sources = corpus.outgoing(requirement, Relation.DERIVES_FROM)
        systems = [s for s in sources if corpus.plays(s, Role.SYSTEM_REQUIREMENT)]
        # a software requirement may derive from a user need directly, or through its system requirements
        user_needs = {u.id for u in sources if corpus.plays(u, Role.USER_NEED)}
        for system in systems:
            user_needs |= {u.id for u in corpus.outgoing(system, Relation.DERIVES_FROM, Role.USER_NEED)}
        reached |= user_needs | {s.id for s in systems}
        table.add(
            needs(sorted(user_needs)),
            needs(s.id for s in systems),
            NeedRef(requirement.id),
            corpus.safety_class(requirement),
            needs(spec.id for spec in verification.test_specs(corpus, requirement)),
            results_cell(state, [requirement]),
        )
    # what no software requirement traces to, so a missing refinement shows as a row of its own
    for column, role in ((0, Role.USER_NEED), (1, Role.SYSTEM_REQUIREMENT)):
        for need in corpus.by_role(role):
            if need.id not in reached:
                row: list[Cell] = [cell() for _ in REQUIREMENT_HEADERS]
                row[column] = cell(NeedRef(need.id))
                row[2] = cell("(no software requirement)")
                table.add(*row)
    return [table.table()]


def _control_option(state: Evaluated, control: Need) -> str:
    return f"({(state.corpus.value(control, 'option') or '?').replace('_', ' ')})"


def _risk_matrix(state: Evaluated) -> list[Block]:
    corpus = state.corpus
    table = TableBuilder(RISK_HEADERS, ("techfile-trace",))
    for hazard in corpus.by_role(Role.HAZARD):
        controls = corpus.incoming(hazard, Relation.MITIGATES, Role.RISK_CONTROL)
        requirements = sorted_needs(r for c in controls for r in corpus.incoming(c, Relation.IMPLEMENTS, Role.SOFTWARE_REQUIREMENT))
        verified = controls + requirements
        tests = sorted({spec.id for need in verified for spec in verification.test_specs(corpus, need)})
        initial, residual = assess(state, hazard)
        table.add(
            NeedRef(hazard.id),
            initial.title if initial else "not estimated",
            needs((c.id for c in controls), {c.id: _control_option(state, c) for c in controls}),
            needs(r.id for r in requirements),
            needs(tests),
            results_cell(state, verified),
            residual.title if residual else "not estimated",
        )
    return [table.table()]


def trace_matrix(state: Evaluated, options: dict[str, str]) -> list[Block]:
    if options.get("kind", "requirements") == "risk":
        return unmapped(state, Role.HAZARD) or _risk_matrix(state)
    return unmapped(state, Role.SOFTWARE_REQUIREMENT) or _requirement_matrix(state)
