"""What several views share: the note for a role the need model does not
map, percentages, and the results cell of the traceability and
verification tables."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from techfile.checks import verification
from techfile.corpus import Need
from techfile.model.riskmatrix import RiskClass
from techfile.model.roles import Role
from techfile.sphinxext.views.data import (
    Block,
    Cell,
    Inline,
    NeedRef,
    Text,
    cell,
    needs,
    paragraph,
)

if TYPE_CHECKING:
    # only for annotations: state.py imports Sphinx, and views stay free of it
    from techfile.sphinxext.state import Evaluated

OUTCOMES = (verification.PASSED, verification.FAILED, verification.ERROR, verification.SKIPPED)


def unmapped(state: Evaluated, *roles: Role) -> list[Block]:
    """A note naming the roles no type plays, or nothing when all are mapped.

    A view that cannot show its subject says so instead of rendering an
    empty table that reads like "no gaps".
    """
    missing = [role.value for role in roles if not state.declarations.model.roles.has(role)]
    if not missing:
        return []
    noun = "role" if len(missing) == 1 else "roles"
    return [paragraph(f"The need model maps no type to the {noun} {', '.join(missing)}.")]


def assess(state: Evaluated, hazard: Need) -> tuple[RiskClass | None, RiskClass | None]:
    """(initial, residual) risk class of a hazard, read through the role's field names."""
    return state.declarations.matrix.assess(lambda name: state.corpus.value(hazard, name))


def percent(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.0f} %)" if whole else "0/0"


def count(number: int) -> Cell:
    return cell(str(number), value=number)


def sorted_needs(found: Iterable[Need]) -> list[Need]:
    """Needs by ID, each once."""
    return sorted({need.id: need for need in found}.values(), key=lambda need: need.id)


def _results_summary(state: Evaluated, label: Inline, results: list[Need]) -> list[Inline]:
    """``TEST_001: 33 passed, 1 skipped (RES_X)``: counts, and every result that did not pass."""
    corpus = state.corpus
    counts = Counter(corpus.value(result, "result") for result in results)
    text = ", ".join(f"{counts[o]} {o}" for o in OUTCOMES if counts[o]) or "no result"
    out: list[Inline] = [label, Text(f": {text}")]
    others = [result.id for result in results if corpus.value(result, "result") != verification.PASSED]
    if others:
        out += [Text(" ("), *needs(others), Text(")")]
    return out


def results_cell(state: Evaluated, of: list[Need]) -> Cell:
    """Results of the tests of ``of``: one summary per test specification, then the direct results."""
    corpus = state.corpus
    parts: list[Inline] = []
    seen: set[str] = set()
    specs = {spec.id: spec for need in of for spec in verification.test_specs(corpus, need)}
    for spec_id in sorted(specs):
        results = verification.spec_results(corpus, specs[spec_id])
        seen.update(result.id for result in results)
        parts += [*([Text("; ")] if parts else []), *_results_summary(state, NeedRef(spec_id), results)]
    # a result linked to the need itself and to one of its specifications is counted once, with the specification
    direct = sorted_needs(r for need in of for r in verification.direct_results(corpus, need) if r.id not in seen)
    if direct:
        parts += [*([Text("; ")] if parts else []), *_results_summary(state, Text("other automated tests"), direct)]
    return Cell(tuple(parts)) if parts else cell("no test")
