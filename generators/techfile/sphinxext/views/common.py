"""What several views share: the note for a role the need model does not
map, percentages, labels from the need model, a need shown with its title,
the verdict of a test specification, and the results cell of the
traceability and verification tables."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from techfile.checks import verification
from techfile.corpus import Need
from techfile.model.riskmatrix import RiskClass
from techfile.model.roles import Relation, Role
from techfile.sphinxext.views import anchors
from techfile.sphinxext.views.data import (
    Block,
    Cell,
    Code,
    Emphasis,
    Inline,
    NeedRef,
    Strong,
    Text,
    ViewRef,
    cell,
    paragraph,
)

if TYPE_CHECKING:
    # only for annotations: state.py imports Sphinx, and views stay free of it
    from techfile.sphinxext.state import Evaluated

OUTCOMES = (verification.PASSED, verification.FAILED, verification.ERROR, verification.SKIPPED)
OUTCOME_COLORS = {
    verification.PASSED: "#82E0AA",
    verification.FAILED: "#F1948A",
    verification.ERROR: "#F0B27A",
    verification.SKIPPED: "#D5D8DC",
}
"""Background of an outcome: green, red, orange, grey (each shown translucent)."""

PASSED, FAILED, NOT_RUN, OPEN = "passed", "failed", "not run", "open"
VERDICT_COLORS = {PASSED: OUTCOME_COLORS[verification.PASSED], FAILED: OUTCOME_COLORS[verification.FAILED], OPEN: OUTCOME_COLORS[verification.FAILED], NOT_RUN: "#F9E79F"}


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


# ------------------------------------------------------------ labels


def field_title(state: Evaluated, role: Role | None, canonical: str) -> str:
    """The header of a field the views read as ``canonical``: its title in the need model."""
    model = state.declarations.model
    return model.field_title(model.roles.field(role, canonical))


def label(state: Evaluated, need: Need, canonical: str) -> str:
    """A need's value of a field, as the need model labels it ("" when it has none)."""
    value = state.corpus.value(need, canonical)
    if value is None:
        return ""
    return state.declarations.model.value_label(state.corpus.field_name(need, canonical), value)


def outcome_label(state: Evaluated, outcome: str) -> str:
    """``passed`` as the need model labels the test result's ``result`` field."""
    model = state.declarations.model
    return model.value_label(model.roles.field(Role.TEST_RESULT, "result"), outcome)


def titled(state: Evaluated, need_id: str) -> tuple[Inline, ...]:
    """A need's ID (linked) and its title: ``SWR_001 JSON input record``."""
    need = state.corpus.get(need_id)
    if need is None or not need.title or need.title == need_id:
        return (NeedRef(need_id),)
    return (NeedRef(need_id), Text(f" {need.title}"))


def prose(text: str) -> tuple[Inline, ...]:
    """MyST inline markup of a need's text as parts: ``code`` and **strong**; line breaks as spaces."""
    parts: list[Inline] = []
    for index, piece in enumerate(" ".join(text.split()).split("`")):
        if index % 2:
            parts.append(Code(piece))
            continue
        for strong_index, run in enumerate(piece.split("**")):
            if run:
                parts.append(Strong(run) if strong_index % 2 else Text(run))
    return tuple(parts)


def joined(groups: Iterable[tuple[Inline, ...]], separator: str = ", ") -> tuple[Inline, ...]:
    out: list[Inline] = []
    for index, group in enumerate(groups):
        if index:
            out.append(Text(separator))
        out += group
    return tuple(out)


def when(timestamps: Iterable[str | None]) -> str:
    """The time span of results' ISO 8601 timestamps, in UTC to the minute: ``2026-12-01 11:54 UTC``."""
    moments: list[datetime] = []
    zoned = 0
    for stamp in timestamps:
        if not stamp:
            continue
        try:
            moment = datetime.fromisoformat(stamp)
        except ValueError:
            continue
        if moment.tzinfo:
            zoned += 1
            moment = moment.astimezone(UTC).replace(tzinfo=None)  # comparable with the runner's local times
        moments.append(moment)
    if not moments:
        return ""
    # no-break spaces: a date and its time stay on one line in a narrow column
    first, last = min(moments).strftime("%Y-%m-%d\u00a0%H:%M"), max(moments).strftime("%Y-%m-%d\u00a0%H:%M")
    # a runner that records local time without its zone (pytest's JUnit) cannot be put in UTC
    zone = "\u00a0UTC" if zoned == len(moments) else (" (UTC where the zone is recorded)" if zoned else "")
    if first == last:
        return first + zone
    if first[:10] == last[:10]:
        return f"{first}–{last[11:]}{zone}"
    return f"{first} – {last}{zone}"


def short_commit(commit: str) -> str:
    return commit[:12] if len(commit) == 40 and all(c in "0123456789abcdef" for c in commit) else commit


# ------------------------------------------------------------ verdicts


@dataclass(frozen=True)
class SpecVerdict:
    """The verdict of one test specification for the release, as rule R05 judges it, with what it rests on."""

    spec: Need
    results: tuple[Need, ...]
    status: str
    """``passed``, ``failed`` (a failure no anomaly accepts), ``open`` (another problem: a result for
    another version), ``not run`` (no result, or every result skipped)."""
    problems: tuple[str, ...]
    counts: Counter[str]
    accepted: tuple[Need, ...]
    """Anomalies that accept a failed result."""
    explained: tuple[Need, ...] = ()
    """Anomalies that explain a skipped result."""

    @property
    def outcome_text(self) -> str:
        """``31 passed, 1 skipped``, or ``no result``."""
        return ", ".join(f"{self.counts[o]} {o}" for o in OUTCOMES if self.counts[o]) or "no result"

    @property
    def text(self) -> str:
        """The verdict as a line: ``passed``, ``failed: RES_X failed``, ``not run``."""
        if self.status in (PASSED, NOT_RUN) or not self.problems:
            return self.status
        return f"{self.status}: " + "; ".join(self.problems)


def judge_results(state: Evaluated, subject: Need, results: list[Need], name: str) -> SpecVerdict:
    corpus = state.corpus
    judged = verification.judge(corpus, results, state.release, name)
    counts = Counter(corpus.value(result, "result") or "" for result in results)
    failures = [r for r in results if corpus.value(r, "result") in (verification.FAILED, verification.ERROR)]
    accepted = tuple(sorted_needs(a for r in failures if (a := verification.accepted_failure(corpus, r)) is not None))
    skipped = [r for r in results if corpus.value(r, "result") == verification.SKIPPED]
    explained = tuple(sorted_needs(a for r in skipped for a in anomalies_of(state, r)))
    if not results or (counts[verification.SKIPPED] == len(results)):
        status = NOT_RUN
    elif judged.ok:
        status = PASSED
    elif any(p.endswith((f" {verification.FAILED}", f" {verification.ERROR}")) for p in judged.problems):
        status = FAILED
    else:
        status = OPEN
    return SpecVerdict(subject, tuple(sorted_needs(results)), status, judged.problems, counts, accepted, explained)


def spec_verdict(state: Evaluated, spec: Need) -> SpecVerdict:
    return judge_results(state, spec, verification.spec_results(state.corpus, spec), spec.id)


def verdict_cell(verdict: SpecVerdict, *, anchor: bool = False) -> Cell:
    """The verdict, coloured; with ``anchor`` the place other views link to."""
    parts: list[Inline] = [Strong(verdict.status)]
    if verdict.problems and verdict.status not in (PASSED, NOT_RUN):
        parts.append(Text(": " + "; ".join(verdict.problems)))
    elif verdict.status == NOT_RUN and verdict.results:
        parts.append(Text(" (all skipped)"))
    if verdict.accepted:
        parts += [Text(" (failure accepted by "), *needs_parts(a.id for a in verdict.accepted), Text(")")]
    skipped = verdict.counts[verification.SKIPPED]
    if skipped and verdict.status != NOT_RUN:
        parts.append(Text(f" ({skipped} skipped" + (", explained by " if verdict.explained else ", no anomaly explains it")))
        parts += [*needs_parts(a.id for a in verdict.explained), Text(")")]
    return Cell(tuple(parts), color=VERDICT_COLORS[verdict.status], anchors=(anchors.verdict(verdict.spec.id),) if anchor else ())


def verdict_link(verdict: SpecVerdict) -> ViewRef:
    """A link to the specification's verdict row (its card where no verdict table is built)."""
    return ViewRef(anchors.VERDICTS_VIEW, anchors.verdict(verdict.spec.id), verdict.status, verdict.spec.id)


def results_link(spec_id: str, results: int) -> ViewRef:
    """A link to the results of a specification on the test records."""
    noun = "result" if results == 1 else "results"
    return ViewRef(anchors.RECORDS_VIEW, anchors.results(spec_id), f"{results} {noun}")


def needs_parts(need_ids: Iterable[str]) -> tuple[Inline, ...]:
    return joined((NeedRef(need_id),) for need_id in need_ids)


def _results_summary(state: Evaluated, label: tuple[Inline, ...], verdict: SpecVerdict, link: Inline | None) -> list[Inline]:
    """``TEST_001: 33 passed, 1 skipped (RES_X)``: counts (linked to the verdict), and every result that did not pass."""
    out: list[Inline] = [*label, Text(": ")]
    out.append(link if link is not None else Text(verdict.outcome_text))
    others = [result.id for result in verdict.results if state.corpus.value(result, "result") != verification.PASSED]
    if others:
        out += [Text(" ("), *needs_parts(others), Text(")")]
    return out


def direct_verdict(state: Evaluated, of: list[Need], seen: set[str]) -> SpecVerdict | None:
    """The results that name ``of`` themselves and no specification of it claims, judged together."""
    corpus = state.corpus
    direct = sorted_needs(r for need in of for r in verification.direct_results(corpus, need) if r.id not in seen)
    if not direct:
        return None
    return judge_results(state, of[0], direct, "automated tests")


def results_cell(state: Evaluated, of: list[Need]) -> Cell:
    """Results of the tests of ``of``: one summary per test specification (linked to its verdict), then the direct results."""
    corpus = state.corpus
    parts: list[Inline] = []
    seen: set[str] = set()
    specs = {spec.id: spec for need in of for spec in verification.test_specs(corpus, need)}
    for spec_id in sorted(specs):
        verdict = spec_verdict(state, specs[spec_id])
        seen.update(result.id for result in verdict.results)
        link = ViewRef(anchors.VERDICTS_VIEW, anchors.verdict(spec_id), verdict.outcome_text)
        parts += [*([Text("; ")] if parts else []), *_results_summary(state, (NeedRef(spec_id),), verdict, link)]
    # a result linked to the need itself and to one of its specifications is counted once, with the specification
    direct = direct_verdict(state, of, seen)
    if direct is not None:
        # the group of results no specification claims holds them only if none has a specification
        unclaimed = not any(corpus.outgoing(r, Relation.RESULT_OF, Role.TEST_SPECIFICATION) for r in direct.results)
        other = ViewRef(anchors.RECORDS_VIEW, anchors.WITHOUT_SPECIFICATION, direct.outcome_text) if unclaimed else None
        parts += [*([Text("; ")] if parts else []), *_results_summary(state, (Text("other automated tests"),), direct, other)]
    return Cell(tuple(parts)) if parts else cell(Emphasis("no test"))


def anomalies_of(state: Evaluated, result: Need) -> list[Need]:
    """Anomalies that explain a result that did not pass: found by it, or by its specification."""
    corpus = state.corpus
    found = corpus.incoming(result, Relation.FOUND_BY, Role.ANOMALY)
    for spec in corpus.outgoing(result, Relation.RESULT_OF, Role.TEST_SPECIFICATION):
        found += corpus.incoming(spec, Relation.FOUND_BY, Role.ANOMALY)
    return sorted_needs(found)
