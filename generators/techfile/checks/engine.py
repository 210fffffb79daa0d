"""Evaluate the declared rules on a corpus.

One engine for the Sphinx build and ``techfile check``: both hand it a
:class:`~techfile.corpus.Corpus`, so both find the same gaps. Rules that are
not applicable to the need model, or disabled by the project, are not run;
:class:`Evaluation` keeps them, with their reasons, for the reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from techfile.checks.findings import Finding, Gap
from techfile.checks.rules import ALL_TYPES, TraceRule
from techfile.checks.schema_eval import NeedDicts, matches, satisfies
from techfile.corpus import Corpus, Need
from techfile.model.needmodel import NeedModel
from techfile.model.riskmatrix import RiskMatrix
from techfile.model.roles import Relation, Role

if TYPE_CHECKING:
    from techfile.checks.predicates import Check


@dataclass
class Context:
    """What checks may read besides the need they check."""

    corpus: Corpus
    model: NeedModel
    matrix: RiskMatrix
    rules: dict[str, TraceRule]
    release: Need | None
    project_location: tuple[str, int]
    root: Path | None = None
    """The project root, which the paths of needs and of evidence files are relative to."""
    dicts: NeedDicts = field(init=False)
    findings: list[Finding] = field(default_factory=list)
    outcomes: dict[str, RuleOutcome] = field(default_factory=dict)
    """What each rule run so far found (a check run ``after_findings`` reads them all)."""
    _memo: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.dicts = NeedDicts(self.corpus)

    def memo(self, key: str, build: Callable[[], Any]) -> Any:
        """An index a check builds once per evaluation (e.g. components by name)."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]

    def value(self, need: Need, name: str) -> str | None:
        """The need's value of the canonical field ``name`` (see :meth:`Corpus.value`)."""
        return self.corpus.value(need, name)


@dataclass(frozen=True)
class RuleOutcome:
    """What one rule found: how many needs it checked and which have a gap."""

    rule: TraceRule
    checked: tuple[str, ...] | None
    """IDs of the needs it checked (None for a rule over the corpus as a whole)."""
    flagged: frozenset[str]
    """IDs of needs with a finding, open or accepted."""
    presupposed: frozenset[str] = frozenset()
    """IDs of needs with a gap of a rule this one builds on (``builds_on``)."""

    @property
    def met(self) -> int | None:
        """Checked needs with no gap of this rule nor of the rules it builds on."""
        if self.checked is None:
            return None
        return sum(1 for need_id in self.checked if need_id not in self.flagged and need_id not in self.presupposed)


@dataclass(frozen=True)
class Evaluation:
    findings: list[Finding]
    rules: dict[str, TraceRule]
    outcomes: dict[str, RuleOutcome]
    release: Need | None
    needs: int
    release_version: str | None = None
    """The version of the release under evaluation (its role's ``version`` field)."""


def find_release(corpus: Corpus, release_id: str | None) -> Need | None:
    """The release under evaluation: the configured one, else the only one."""
    releases = corpus.by_role(Role.RELEASE)
    if release_id:
        need = corpus.get(release_id)
        return need if need is not None and corpus.plays(need, Role.RELEASE) else None
    return releases[0] if len(releases) == 1 else None


def _candidates(rule: TraceRule, ctx: Context) -> list[Need]:
    if ALL_TYPES in rule.types:
        needs: Iterable[Need] = ctx.corpus
    else:
        needs = [need for need_type in rule.types for need in ctx.corpus.by_type.get(need_type, ())]
    return [
        need
        for need in needs
        if (rule.select is None or matches(rule.select, ctx.dicts[need])) and ctx.corpus.safety_class(need) in rule.classes
    ]


def _finding(rule: TraceRule, ctx: Context, gap: Gap, checked: Need | None) -> Finding | None:
    need = gap.need or checked
    if need is None:
        path, line = gap.location or ctx.project_location
        return Finding(rule, path, line, None, None, None, gap.message, own_clauses=gap.clauses)
    safety_class = ctx.corpus.safety_class(need)
    if safety_class not in rule.classes:
        return None
    return Finding(rule, need.path, need.line, need.id, need.type, safety_class, gap.message, own_clauses=gap.clauses)


def _run(rule: TraceRule, ctx: Context, checks: dict[str, Check]) -> tuple[list[Finding], tuple[str, ...] | None]:
    checked: list[Need] | None
    gaps: list[tuple[Gap, Need | None]]
    if rule.check is not None:
        check = checks[rule.check]
        if check.scope == "corpus" or rule.project_level:
            checked = None
            gaps = [(gap, None) for gap in check.function(None, rule, ctx)]
        else:
            checked = _candidates(rule, ctx)
            gaps = [(gap, need) for need in checked for gap in check.function(need, rule, ctx)]
    else:
        assert rule.validate is not None
        checked = _candidates(rule, ctx)
        gaps = [(Gap(rule.message), need) for need in checked if not satisfies(rule.validate, need, ctx.dicts)]
    found = [finding for gap, need in gaps if (finding := _finding(rule, ctx, gap, need)) is not None]
    return found, None if checked is None else tuple(need.id for need in checked)


def _waivers(ctx: Context) -> dict[tuple[str, str | None], str]:
    """(rule, need or None) -> waiver ID."""
    accepted: dict[tuple[str, str | None], str] = {}
    for waiver in ctx.corpus.by_role(Role.WAIVER):
        rule = ctx.value(waiver, "rule")
        if not rule:
            continue
        for target in ctx.corpus.link_targets(waiver, Relation.WAIVES) or (None,):
            accepted.setdefault((rule, target), waiver.id)
    return accepted


def evaluate(
    corpus: Corpus,
    rules: dict[str, TraceRule],
    matrix: RiskMatrix,
    *,
    release: Need | None = None,
    project_location: tuple[str, int] = ("index.md", 1),
    root: Path | None = None,
) -> Evaluation:
    """All findings of all applicable rules, waived ones marked, sorted by location."""
    from techfile.checks.predicates import CHECKS

    ctx = Context(corpus, corpus.model, matrix, rules, release, project_location, root)
    accepted = _waivers(ctx)
    applicable = [rule for rule in rules.values() if rule.applicable]
    late = [rule for rule in applicable if rule.check and CHECKS[rule.check].after_findings]
    outcomes = ctx.outcomes
    for rule in [rule for rule in applicable if rule not in late] + late:
        found, checked = _run(rule, ctx, CHECKS)
        for finding in found:
            waiver = accepted.get((rule.id, finding.need_id))
            ctx.findings.append(finding if waiver is None else replace(finding, accepted_by=waiver))
        outcomes[rule.id] = RuleOutcome(rule, checked, frozenset(f.need_id for f in found if f.need_id))
    for rule_id, outcome in outcomes.items():
        below = [outcomes[other].flagged for other in outcome.rule.builds_on if other in outcomes]
        if below:
            outcomes[rule_id] = replace(outcome, presupposed=frozenset().union(*below))
    version = corpus.value(release, "version") if release is not None else None
    return Evaluation(sorted(ctx.findings, key=Finding.sort_key), rules, outcomes, release, len(corpus), version)
