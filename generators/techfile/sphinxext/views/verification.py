"""The verification summary (results per level, the verdict of every
test specification for the release, the verification of every software
requirement) and the effective safety class of every software item.

The chain a reviewer follows: a requirement's row names its test
specifications, each linked to its verdict row (``verdict-<TEST>``); the
verdict row gives version, commit and date of the results and links to
them on the test records (``results-<TEST>``), where each result is a row
with its provenance.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from techfile.checks import verification
from techfile.corpus import Need
from techfile.model.needmodel import SAFETY_CLASSES
from techfile.model.roles import Relation, Role
from techfile.sphinxext.views import anchors
from techfile.sphinxext.views.common import (
    OUTCOME_COLORS,
    OUTCOMES,
    VERDICT_COLORS,
    SpecVerdict,
    count,
    field_title,
    joined,
    judge_results,
    label,
    outcome_label,
    results_cell,
    short_commit,
    sorted_needs,
    spec_verdict,
    titled,
    unmapped,
    verdict_cell,
    verdict_link,
    when,
)
from techfile.sphinxext.views.data import (
    Block,
    Cell,
    Code,
    Emphasis,
    Inline,
    NeedRef,
    Paragraph,
    Strong,
    TableBuilder,
    Text,
    ViewRef,
    cell,
    needs,
)

if TYPE_CHECKING:
    from techfile.sphinxext.state import Evaluated

LEVELS = ("unit", "integration", "system")
"""Test levels in the order of IEC 62304 5.5-5.7; others follow by name."""


def level_order(level: str) -> tuple[int, str]:
    return (LEVELS.index(level), level) if level in LEVELS else (len(LEVELS), level)


def level_label(state: Evaluated, level: str) -> str:
    if level == "unspecified":
        return "Level not stated"
    model = state.declarations.model
    return model.value_label(model.roles.field(Role.TEST_RESULT, "level"), level)


def counts_table(state: Evaluated, title: str, link_levels: bool) -> list[Block]:
    """Results per test level and outcome, with a total row; a count above zero coloured by its outcome."""
    if missing := unmapped(state, Role.TEST_RESULT):
        return missing
    corpus = state.corpus
    results = corpus.by_role(Role.TEST_RESULT)
    counts = Counter((corpus.value(r, "level") or "unspecified", corpus.value(r, "result")) for r in results)
    levels = sorted({level for level, _ in counts}, key=level_order)
    headers = (field_title(state, Role.TEST_RESULT, "level"), *(outcome_label(state, o) for o in OUTCOMES), "Total")
    table = TableBuilder(headers, ("techfile-verification-counts",), title)

    def outcome(number: int, name: str) -> Cell:
        return cell(str(number), value=number, color=OUTCOME_COLORS[name] if number else None)

    for level in levels:
        name: Inline = ViewRef(anchors.RECORDS_VIEW, anchors.results_level(level), level_label(state, level)) if link_levels else Text(level_label(state, level))
        table.add(cell(name), *(outcome(counts[(level, o)], o) for o in OUTCOMES), count(sum(counts[(level, o)] for o in OUTCOMES)))
    table.add(cell(Strong("All levels")), *(outcome(sum(counts[(level, o)] for level in levels), o) for o in OUTCOMES), count(len(results)))
    return [table.table()]


def _release(state: Evaluated) -> Paragraph:
    release = state.release
    if release is None:
        return Paragraph((Text("No release is under evaluation: the verdicts do not check the version of the results."),))
    version = state.corpus.value(release, "version") or "?"
    return Paragraph(
        (
            Text("Verdicts for the release "),
            NeedRef(release.id),
            Text(f" (version {version}): "),
            Strong("passed"),
            Text(" — at least one result passed, none failed unless an anomaly accepts the failure, all for this version (rule R05); "),
            Strong("failed"),
            Text(" — a failure no anomaly accepts; "),
            Strong("not run"),
            Text(" — no result, or all skipped; "),
            Strong("open"),
            Text(" — another problem (a result for another version)."),
        )
    )


def _facts(state: Evaluated, verdict: SpecVerdict) -> tuple[Cell, Cell, Cell]:
    """Software version, commit and time of the results (each once)."""
    corpus = state.corpus
    release_version = corpus.value(state.release, "version") if state.release is not None else None
    versions = sorted({corpus.value(r, "software_version") or "?" for r in verdict.results})
    version_parts: list[Inline] = []
    for index, version in enumerate(versions):
        version_parts += [*([Text(", ")] if index else []), Strong(version) if release_version and version != release_version else Text(version)]
    commits = sorted({short_commit(c) for r in verdict.results if (c := corpus.value(r, "commit"))})
    return (
        Cell(tuple(version_parts)) if verdict.results else cell(),
        cell(*joined((Code(c),) for c in commits)),
        cell(when(corpus.value(r, "timestamp") for r in verdict.results)),
    )


VERDICT_HEADERS = ("Test specification", "Level", "Verifies", "Verdict", "Results", "Software version", "Commit", "Run at")


def test_verdicts(state: Evaluated, options: dict[str, str]) -> list[Block]:
    """One row per test specification: its verdict for the release and what the verdict rests on."""
    if missing := unmapped(state, Role.TEST_SPECIFICATION):
        return missing
    corpus = state.corpus
    table = TableBuilder(VERDICT_HEADERS, ("techfile-test-verdicts",), "Verdict per test specification", widths=(22, 8, 14, 16, 12, 8, 10, 10))
    for spec in sorted_needs(corpus.by_role(Role.TEST_SPECIFICATION)):
        verdict = spec_verdict(state, spec)
        results: Cell = cell(ViewRef(anchors.RECORDS_VIEW, anchors.results(spec.id), verdict.outcome_text)) if verdict.results else cell(Emphasis("no result"))
        table.add(
            cell(*titled(state, spec.id)),
            label(state, spec, "level"),
            needs(n.id for n in corpus.outgoing(spec, Relation.VERIFIES)),
            verdict_cell(verdict, anchor=True),
            results,
            *_facts(state, verdict),
        )
    # results that no specification claims: automated tests of their own, judged together
    unclaimed = [r for r in corpus.by_role(Role.TEST_RESULT) if not corpus.outgoing(r, Relation.RESULT_OF, Role.TEST_SPECIFICATION)]
    if unclaimed:
        verdict = judge_results(state, unclaimed[0], unclaimed, "automated tests of no specification")
        table.add(
            cell(Emphasis("Automated tests of no test specification")),
            "",
            needs(sorted({n.id for r in unclaimed for n in corpus.outgoing(r, Relation.VERIFIES)})),
            verdict_cell(verdict),
            cell(ViewRef(anchors.RECORDS_VIEW, anchors.WITHOUT_SPECIFICATION, verdict.outcome_text)),
            *_facts(state, verdict),
        )
    return [_release(state), table.table()]


def _requirement_status(state: Evaluated, requirement: Need) -> tuple[bool, Cell]:
    """(open, verdict cell) of a requirement, as rule R05 judges it."""
    verdicts = verification.verification_verdicts(state.corpus, requirement, state.release)
    problems = [p for v in verdicts for p in v.problems]
    if not verdicts:
        return True, cell(Strong("not verified"), color=VERDICT_COLORS["failed"])
    if problems:
        return True, cell(Strong("open"), ": " + "; ".join(problems), color=VERDICT_COLORS["failed"])
    return False, cell(Strong("passed"), color=VERDICT_COLORS["passed"])


def spec_verdict_parts(state: Evaluated, specs: list[Need]) -> tuple[Inline, ...]:
    """``TEST_001 (unit): passed, TEST_009 (integration): passed``: each verdict linked to its row."""
    groups: list[tuple[Inline, ...]] = []
    for spec in sorted_needs(specs):
        verdict = spec_verdict(state, spec)
        level = label(state, spec, "level")
        groups.append((NeedRef(spec.id), Text(f" ({level.lower()}): " if level else ": "), verdict_link(verdict)))
    return joined(groups)


def _requirements(state: Evaluated) -> list[Block]:
    """One row per software requirement, the open ones first, with the same verdict rule R05 gives."""
    if missing := unmapped(state, Role.SOFTWARE_REQUIREMENT):
        return missing
    corpus = state.corpus
    rows: list[tuple[bool, str, tuple[Cell, ...]]] = []
    for requirement in corpus.by_role(Role.SOFTWARE_REQUIREMENT):
        is_open, status = _requirement_status(state, requirement)
        specs = verification.test_specs(corpus, requirement)
        cells: tuple[Cell, ...] = (
            cell(*titled(state, requirement.id), anchors=(anchors.verification(requirement.id),)),
            cell(corpus.safety_class(requirement)),
            cell(*spec_verdict_parts(state, specs)) if specs else cell(Emphasis("none")),
            results_cell(state, [requirement]),
            status,
        )
        rows.append((not is_open, requirement.id, cells))
    table = TableBuilder(("Software requirement", "Class", "Test specifications and their verdicts", "Results", "Verdict"), ("techfile-verification",), "Verification of each software requirement")
    for _, _, row in sorted(rows, key=lambda row: (row[0], row[1])):
        table.add(*row)
    return [table.table()]


def verification_summary(state: Evaluated, options: dict[str, str]) -> list[Block]:
    part = options.get("part", "all")
    out: list[Block] = []
    if part in ("all", "counts"):
        out += counts_table(state, "Results by level and outcome", link_levels=True)
    if part in ("all", "requirements"):
        out += _requirements(state)
    return out


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
    table = TableBuilder(("Item", "Level", "Class", "Class source", "Rationale of a differing class"), ("techfile-classes",), "Software safety classes")
    for item in sorted_needs(corpus.by_role(Role.SOFTWARE_ITEM)):
        table.add(
            cell(*titled(state, item.id)),
            label(state, item, "level"),
            corpus.safety_class(item),
            _class_source(state, item),
            corpus.value(item, "class_rationale") or "",
        )
    return [table.table()]
