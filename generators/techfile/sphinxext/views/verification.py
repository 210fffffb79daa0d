"""The verification summary (results per level, verdict per software
requirement) and the effective safety class of every software item."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from techfile.checks import verification
from techfile.corpus import Need
from techfile.model.needmodel import SAFETY_CLASSES
from techfile.model.roles import Relation, Role
from techfile.sphinxext.views.common import (
    OUTCOMES,
    count,
    results_cell,
    sorted_needs,
    unmapped,
)
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


def _counts(state: Evaluated) -> list[Block]:
    """Results per test level and outcome, with a total row."""
    if missing := unmapped(state, Role.TEST_RESULT):
        return missing
    corpus = state.corpus
    results = corpus.by_role(Role.TEST_RESULT)
    counts = Counter((corpus.value(r, "level") or "unspecified", corpus.value(r, "result")) for r in results)
    levels = sorted({level for level, _ in counts})
    table = TableBuilder(("Level", *OUTCOMES, "total"), ("techfile-verification-counts",))
    for level in levels:
        table.add(level, *(count(counts[(level, o)]) for o in OUTCOMES), count(sum(counts[(level, o)] for o in OUTCOMES)))
    table.add("all", *(count(sum(counts[(level, o)] for level in levels)) for o in OUTCOMES), count(len(results)))
    return [table.table()]


def _verdicts(state: Evaluated) -> list[Block]:
    """One row per software requirement, the open ones first, with the same verdict rule R05 gives."""
    if missing := unmapped(state, Role.SOFTWARE_REQUIREMENT):
        return missing
    corpus = state.corpus
    rows: list[tuple[int, str, tuple[Cell, ...]]] = []
    for requirement in corpus.by_role(Role.SOFTWARE_REQUIREMENT):
        verdicts = verification.verification_verdicts(corpus, requirement, state.release)
        problems = [p for v in verdicts for p in v.problems]
        status = "not verified" if not verdicts else ("open: " + "; ".join(problems) if problems else "passed")
        specs = verification.test_specs(corpus, requirement)
        levels = {s.id: f"({corpus.value(s, 'level')})" for s in specs}
        cells: tuple[Cell, ...] = (
            cell(NeedRef(requirement.id)),
            cell(corpus.safety_class(requirement)),
            cell(*needs((s.id for s in specs), levels)),
            results_cell(state, [requirement]),
            cell(status),
        )
        rows.append((0 if problems or not verdicts else 1, requirement.id, cells))
    table = TableBuilder(("Software requirement", "Class", "Test specifications", "Results", "Verdict"), ("techfile-verification",))
    for _, _, row in sorted(rows, key=lambda row: (row[0], row[1])):
        table.add(*row)
    return [table.table()]


def verification_summary(state: Evaluated, options: dict[str, str]) -> list[Block]:
    return [*_counts(state), *_verdicts(state)]


def _class_source(state: Evaluated, item: Need) -> Cell:
    """Where an item's class comes from, as :meth:`Corpus.safety_class` decides it (IEC 62304 4.3)."""
    corpus = state.corpus
    if corpus.value(item, "safety_class") in SAFETY_CLASSES:
        return cell("stated")
    parents = corpus.outgoing(item, Relation.PART_OF)
    if parents:
        return cell("inherited from ", *needs(p.id for p in parents))
    stated_system = any(
        corpus.value(n, "level") == "system" and corpus.value(n, "safety_class") in SAFETY_CLASSES for n in corpus.by_role(Role.SOFTWARE_ITEM)
    )
    return cell("the software system's class" if stated_system else "default for unclassified software (4.3 a)")


def safety_classes(state: Evaluated, options: dict[str, str]) -> list[Block]:
    """Each item's effective IEC 62304 class and where it comes from (4.3)."""
    if missing := unmapped(state, Role.SOFTWARE_ITEM):
        return missing
    corpus = state.corpus
    table = TableBuilder(("Item", "Level", "Class", "Class source", "Rationale of a differing class"), ("techfile-classes",))
    for item in sorted_needs(corpus.by_role(Role.SOFTWARE_ITEM)):
        table.add(
            NeedRef(item.id),
            corpus.value(item, "level") or "",
            corpus.safety_class(item),
            _class_source(state, item),
            corpus.value(item, "class_rationale") or "",
        )
    return [table.table()]
