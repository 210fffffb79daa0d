"""The test records: every imported test result as a compact row, grouped
by test level and by test specification, under a summary.

``{techfile-evidence}`` shows this view where it imports the evidence, and
imports the results hidden: sphinx-needs renders no card of them, and each
row carries the result's ID as its anchor (``Cell.need_home``), so every
link to a result lands on its row.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from techfile.corpus import Need
from techfile.model.roles import Relation, Role
from techfile.sphinxext.views import anchors
from techfile.sphinxext.views.common import (
    OUTCOME_COLORS,
    OUTCOMES,
    PASSED,
    anomalies_of,
    field_title,
    judge_results,
    needs_parts,
    outcome_label,
    prose,
    short_commit,
    sorted_needs,
    spec_verdict,
    unmapped,
    verdict_link,
    when,
)
from techfile.sphinxext.views.data import (
    Block,
    Cell,
    Code,
    Container,
    Emphasis,
    Inline,
    NeedRef,
    Paragraph,
    Rubric,
    Strong,
    TableBuilder,
    Text,
    cell,
)
from techfile.sphinxext.views.verification import counts_table, level_label, level_order

if TYPE_CHECKING:
    from techfile.sphinxext.state import Evaluated


def _outcome_text(counts: Counter[str]) -> str:
    return ", ".join(f"{counts[o]} {o}" for o in OUTCOMES if counts[o]) or "no result"


def _run(state: Evaluated, results: list[Need]) -> Paragraph:
    """What the records are: how many, of which version, commit, run and runner."""
    corpus = state.corpus
    value = corpus.value
    counts = Counter(value(r, "result") or "" for r in results)

    def each(name: str) -> list[str]:
        return sorted({v for r in results if (v := value(r, name))})

    versions, commits, runners, hosts = each("software_version"), each("commit"), each("runner"), each("host")
    parts: list[Inline] = [Strong(f"{len(results)} test results"), Text(f" ({_outcome_text(counts)})")]
    if versions:
        parts.append(Text(f" of software version {', '.join(versions)}"))
    if commits:
        parts += [Text(", commit "), *[p for index, c in enumerate(commits) for p in ((Text(", ") if index else Text("")), Code(short_commit(c)))]]
    moment = when(value(r, "timestamp") for r in results)
    if moment:
        parts.append(Text(f", run {moment}"))
    if runners or hosts:
        parts.append(Text(" with " + ", ".join(runners) + (f" on {', '.join(hosts)}" if hosts else "")))
    parts.append(Text(". Each group below opens on a click; a group whose verdict is not passed is open."))
    return Paragraph(tuple(parts))


def _provenance(state: Evaluated, result: Need) -> Cell:
    """Where the record comes from: report file and line, runner and host, time, version and commit."""
    value = state.corpus.value
    parts: list[Inline] = []
    source = value(result, "source_file")
    if source:
        line = value(result, "source_line")
        parts.append(Code(f"{source}:{line}" if line else source))
    runner, host = value(result, "runner"), value(result, "host")
    if runner or host:
        parts.append(Text(" · " + (runner or "") + (f" on {host}" if host else "")))
    moment = when([value(result, "timestamp")])
    if moment:
        parts.append(Text(f" · {moment}"))
    version = value(result, "software_version")
    if version:
        parts.append(Text(f" · version {version}"))
    commit = value(result, "commit")
    if commit:
        parts += [Text(" · commit "), Code(short_commit(commit))]
    # the record's own ID last: a reviewer quotes it, nobody reads by it
    parts += [Text(" · record "), Code(result.id)]
    return Cell(tuple(p for p in parts if not (isinstance(p, Text) and not p.text)), classes=("techfile-provenance",))


def _outcome(state: Evaluated, result: Need) -> Cell:
    outcome = state.corpus.value(result, "result") or ""
    parts: list[Inline] = [Strong(outcome_label(state, outcome) if outcome else "no outcome")]
    message = state.corpus.value(result, "message")
    if message:
        parts += [Text(": "), *prose(message)]
    anomalies = anomalies_of(state, result)
    if anomalies and outcome != PASSED:
        parts += [Text(" — anomaly " if len(anomalies) == 1 else " — anomalies "), *needs_parts(a.id for a in anomalies)]
    return Cell(tuple(parts), (f"techfile-outcome-{outcome}",) if outcome else (), color=OUTCOME_COLORS.get(outcome))


def _case(state: Evaluated, result: Need) -> Cell:
    value = state.corpus.value
    parts: list[Inline] = [Text(value(result, "case") or result.title or result.id)]
    test_file = value(result, "test_file")
    if test_file:
        line = value(result, "test_line")
        parts += [Text(" — "), Code(f"{test_file}:{line}" if line else test_file)]
    return Cell(tuple(parts))


def _duration(state: Evaluated, result: Need) -> Cell:
    text = state.corpus.value(result, "time_s") or ""
    try:
        number: float | None = float(text)
    except ValueError:
        number = None
    return cell(text, value=number)


def _table(state: Evaluated, title: str, results: list[Need]) -> Block:
    headers = (
        field_title(state, Role.TEST_RESULT, "case"),
        field_title(state, Role.TEST_RESULT, "result"),
        field_title(state, Role.TEST_RESULT, "time_s"),
        "Provenance",
    )
    table = TableBuilder(headers, ("techfile-records",), title, widths=(36, 18, 8, 38))
    # failures first, then by case: what needs attention is at the top of its group
    order = {o: index for index, o in enumerate((*reversed(OUTCOMES[1:]), OUTCOMES[0]))}
    for result in sorted(results, key=lambda r: (order.get(state.corpus.value(r, "result") or "", -1), state.corpus.value(r, "case") or r.title, r.id)):
        case = _case(state, result)
        table.add(
            Cell(case.parts, case.classes, need_home=result.id),
            _outcome(state, result),
            _duration(state, result),
            _provenance(state, result),
        )
    return table.table()


def _spec_group(state: Evaluated, spec: Need, results: list[Need]) -> Container:
    verdict = spec_verdict(state, spec)
    counts = Counter(state.corpus.value(r, "result") or "" for r in results)
    summary: tuple[Inline, ...] = (
        NeedRef(spec.id),
        Text(f" {spec.title} — "),
        Strong(_outcome_text(counts)),
        Text(" — verdict "),
        Strong(verdict.status),
    )
    facts: list[Inline] = [Text("Verdict for the release: "), verdict_link(verdict)]
    verified = state.corpus.outgoing(spec, Relation.VERIFIES)
    if verified:
        facts += [Text(". Verifies "), *needs_parts(n.id for n in sorted_needs(verified))]
    acceptance = state.corpus.value(spec, "acceptance")
    if acceptance:
        facts += [Text(f". {field_title(state, Role.TEST_SPECIFICATION, 'acceptance')}: "), *prose(acceptance.rstrip(". "))]
    facts.append(Text("."))
    return Container(
        (Paragraph(tuple(facts)), _table(state, f"Results of {spec.id}", results)),
        ids=(anchors.results(spec.id),),
        classes=("techfile-records-group", f"techfile-verdict-{verdict.status.replace(' ', '-')}"),
        summary=summary,
        open=verdict.status != PASSED,
    )


def _unclaimed_group(state: Evaluated, results: list[Need]) -> Container:
    verdict = judge_results(state, results[0], results, "automated tests of no specification")
    summary: tuple[Inline, ...] = (Emphasis("Automated tests of no test specification"), Text(" — "), Strong(verdict.outcome_text))
    verified = sorted_needs(n for r in results for n in state.corpus.outgoing(r, Relation.VERIFIES))
    facts: tuple[Inline, ...] = (Text("Each names what it verifies itself: "), *needs_parts(n.id for n in verified), Text(".")) if verified else (Text("They verify nothing they name."),)
    return Container(
        (Paragraph(facts), _table(state, "Results of no test specification", results)),
        ids=(anchors.WITHOUT_SPECIFICATION,),
        classes=("techfile-records-group", f"techfile-verdict-{verdict.status.replace(' ', '-')}"),
        summary=summary,
        open=verdict.status != PASSED,
    )


def _other_records(state: Evaluated) -> list[Block]:
    """Generated needs that are not test results (dependency components, ...): one row each, with its fields."""
    model = state.declarations.model
    result_types = set(model.roles.types_of(Role.TEST_RESULT))
    others = sorted_needs(n for n in state.corpus if n.type not in result_types and model.types[n.type].generated)
    if not others:
        return []
    table = TableBuilder(("Record", "Type", "Title", "Fields"), ("techfile-records-other",), "Other generated records")
    for need in others:
        fields = [f"{model.field_title(name)}: {model.value_label(name, value)}" for name, value in need.fields.items() if name not in ("status", "content")]
        table.add(cell(Code(need.id), need_home=need.id), model.types[need.type].title, need.title, "; ".join(fields))
    return [Rubric("Other generated records"), table.table()]


def test_records(state: Evaluated, options: dict[str, str]) -> list[Block]:
    if missing := unmapped(state, Role.TEST_RESULT):
        return missing
    corpus = state.corpus
    results = corpus.by_role(Role.TEST_RESULT)
    if not results:
        return [Paragraph((Text("No test result is imported: run the project's test generators (N10 names what is missing)."),)), *_other_records(state)]
    out: list[Block] = [_run(state, results), *counts_table(state, "Test records by level and outcome", link_levels=True)]
    # level -> specification ID ("" for none) -> results, by the result's level as the counts count them
    groups: dict[str, dict[str, list[Need]]] = {}
    for result in results:
        level = corpus.value(result, "level") or "unspecified"
        specs = corpus.outgoing(result, Relation.RESULT_OF, Role.TEST_SPECIFICATION)
        for spec_id in sorted({s.id for s in specs}) or [""]:
            groups.setdefault(level, {}).setdefault(spec_id, []).append(result)
    for level in sorted(groups, key=level_order):
        by_spec = groups[level]
        counts = Counter(corpus.value(r, "result") or "" for group in by_spec.values() for r in group)
        total = sum(counts.values())
        blocks: list[Block] = [Rubric(f"{level_label(state, level)} tests: {total} result{'s' if total != 1 else ''} ({_outcome_text(counts)})")]
        for spec_id in sorted(by_spec, key=lambda s: (s == "", s)):
            spec = corpus.get(spec_id) if spec_id else None
            blocks.append(_spec_group(state, spec, by_spec[spec_id]) if spec is not None else _unclaimed_group(state, by_spec[spec_id]))
        out.append(Container(tuple(blocks), ids=(anchors.results_level(level),), classes=("techfile-records-level",)))
    return [*out, *_other_records(state)]

