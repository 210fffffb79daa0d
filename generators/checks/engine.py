"""Evaluate the declared rules on a corpus and return the findings.

One engine for the Sphinx build and ``techfile check``: both hand it a
:class:`~techfile.corpus.Corpus`, so both find the same gaps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from techfile.checks.rules import ALL_TYPES, TraceRule
from techfile.checks.schema_eval import NeedDicts, matches, satisfies
from techfile.corpus import Corpus, Need
from techfile.needmodel import NeedModel
from techfile.riskmatrix import RiskMatrix

if TYPE_CHECKING:
    from techfile.checks.predicates import Check


@dataclass(frozen=True)
class Gap:
    """What a check returns: one missing thing."""

    message: str
    need: Need | None = None
    """The need the gap is about, when not the need being checked."""
    location: tuple[str, int] | None = None
    """Where the gap is, when it is about no need."""


@dataclass(frozen=True)
class Finding:
    """One gap of one rule, located at a file and line."""

    rule: TraceRule
    path: str
    line: int
    need_id: str | None
    need_type: str | None
    safety_class: str | None
    message: str
    accepted_by: str | None = None
    """ID of the waiver that accepts this gap, if any."""

    @property
    def open(self) -> bool:
        return self.accepted_by is None

    @property
    def fails(self) -> bool:
        """Whether this finding fails CI: open, and not merely informational."""
        return self.open and self.rule.severity in ("error", "warning")

    def text(self) -> str:
        """``file:line: techfile.R04: SWR_012: what is missing (clauses)``."""
        subject = f"{self.need_id}: " if self.need_id else ""
        return f"{self.path}:{self.line}: {self.rule.code}: {subject}{self.message} ({self.rule.clause_text})"

    def sort_key(self) -> tuple[Any, ...]:
        return (self.path, self.line, self.rule.id, self.need_id or "", self.message)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule.id,
            "name": self.rule.name,
            "severity": self.rule.severity,
            "clauses": list(self.rule.clauses),
            "path": self.path,
            "line": self.line,
            "need": self.need_id,
            "type": self.need_type,
            "safety_class": self.safety_class,
            "message": self.message,
            "accepted_by": self.accepted_by,
        }


@dataclass
class Context:
    """What checks may read besides the need they check."""

    corpus: Corpus
    model: NeedModel
    matrix: RiskMatrix
    rules: dict[str, TraceRule]
    release: Need | None
    project_location: tuple[str, int]
    dicts: NeedDicts = field(init=False)
    findings: list[Finding] = field(default_factory=list)
    _memo: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.dicts = NeedDicts(self.corpus)

    def memo(self, key: str, build: Callable[[], Any]) -> Any:
        """An index a check builds once per evaluation (e.g. components by name)."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]


def find_release(corpus: Corpus, release_id: str | None) -> Need | None:
    """The release under evaluation: the configured one, else the only one."""
    releases = corpus.by_type.get("release", [])
    if release_id:
        return corpus.get(release_id)
    return releases[0] if len(releases) == 1 else None


def _candidates(rule: TraceRule, ctx: Context) -> Iterable[Need]:
    if ALL_TYPES in rule.types:
        needs: Iterable[Need] = ctx.corpus
    else:
        needs = [need for need_type in rule.types for need in ctx.corpus.by_type.get(need_type, ())]
    for need in needs:
        if rule.select is None or matches(rule.select, ctx.dicts[need]):
            yield need


def _finding(rule: TraceRule, ctx: Context, gap: Gap, checked: Need | None) -> Finding | None:
    need = gap.need or checked
    if need is None:
        path, line = gap.location or ctx.project_location
        return Finding(rule, path, line, None, None, None, gap.message)
    safety_class = ctx.corpus.safety_class(need)
    if safety_class not in rule.classes:
        return None
    return Finding(rule, need.path, need.line, need.id, need.type, safety_class, gap.message)


def _run(rule: TraceRule, ctx: Context, checks: dict[str, Check]) -> list[Finding]:
    found: list[Finding] = []
    if rule.check is not None:
        check = checks[rule.check]
        if check.scope == "corpus" or rule.project_level:
            gaps = [(gap, None) for gap in check.function(None, rule, ctx)]
        else:
            gaps = [(gap, need) for need in _candidates(rule, ctx) for gap in check.function(need, rule, ctx)]
    else:
        assert rule.validate is not None
        gaps = [
            (Gap(rule.message), need)
            for need in _candidates(rule, ctx)
            if not satisfies(rule.validate, need, ctx.dicts)
        ]
    for gap, need in gaps:
        finding = _finding(rule, ctx, gap, need)
        if finding is not None:
            found.append(finding)
    return found


def _waivers(ctx: Context) -> dict[tuple[str, str | None], str]:
    """(rule, need or None) -> waiver ID."""
    accepted: dict[tuple[str, str | None], str] = {}
    for waiver in ctx.corpus.by_type.get("waiver", ()):
        rule = waiver.get("rule")
        if not rule:
            continue
        targets = waiver.links.get("waives", ())
        for target in targets or (None,):
            accepted.setdefault((rule, target), waiver.id)
    return accepted


def evaluate(
    corpus: Corpus,
    rules: dict[str, TraceRule],
    matrix: RiskMatrix,
    *,
    release_id: str | None = None,
    project_location: tuple[str, int] = ("docs/index.md", 1),
) -> list[Finding]:
    """All findings of all rules, waived ones marked, sorted by location."""
    from techfile.checks.predicates import CHECKS

    ctx = Context(corpus, corpus.model, matrix, rules, find_release(corpus, release_id), project_location)
    accepted = _waivers(ctx)
    late = [rule for rule in rules.values() if rule.check and CHECKS[rule.check].after_findings]
    for rule in [rule for rule in rules.values() if rule not in late] + late:
        for finding in _run(rule, ctx, CHECKS):
            waiver = accepted.get((rule.id, finding.need_id))
            if waiver is not None:
                finding = Finding(**{**finding.__dict__, "accepted_by": waiver})
            ctx.findings.append(finding)
    return sorted(ctx.findings, key=Finding.sort_key)
