"""The gaps page: the coverage figures, and every finding by rule."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from techfile.checks.findings import Finding
from techfile.checks.report import summary
from techfile.checks.rules import TraceRule
from techfile.sphinxext.views.common import count, percent
from techfile.sphinxext.views.data import (
    Block,
    BulletList,
    Code,
    Container,
    Inline,
    NeedRef,
    Paragraph,
    Rubric,
    RuleRef,
    Strong,
    TableBuilder,
    Text,
    cell,
    inline,
    paragraph,
)

if TYPE_CHECKING:
    from techfile.sphinxext.state import Evaluated


def coverage(state: Evaluated, options: dict[str, str]) -> list[Block]:
    """One row per applicable rule that declares a ``coverage`` label: checked needs without its gap."""
    table = TableBuilder(("Measure", "Covered"), ("techfile-coverage",))
    for rule in state.evaluation.rules.values():
        outcome = state.evaluation.outcomes.get(rule.id)
        # a project-level rule checks no needs one by one, so it has no fraction to show
        if not rule.coverage or not rule.applicable or outcome is None or outcome.checked is None or outcome.met is None:
            continue
        met, total = outcome.met, len(outcome.checked)
        # the rules it builds on count too, so the label names them
        cited = [state.evaluation.rules[other] for other in rule.builds_on if other in state.evaluation.rules] + [rule]
        refs: list[Inline] = []
        for index, cited_rule in enumerate(cited):
            refs += [*([Text(", ")] if index else []), RuleRef(cited_rule.id, cited_rule.anchor)]
        table.add(
            cell(f"{rule.coverage} (", *refs, ")"),
            cell(percent(met, total), value=met / total if total else None),
        )
    return [table.table()]


def _release(state: Evaluated) -> tuple[Inline, ...]:
    release = state.release
    if release is None:
        return inline("Release under evaluation: none.")
    version = state.corpus.value(release, "version")
    return inline("Release under evaluation: ", NeedRef(release.id), f" (version {version}).")


def _inactive(rules: list[TraceRule]) -> list[Block]:
    """The rules that were not evaluated, with the reason, so a reader sees what the figures leave out."""
    if not rules:
        return []
    parts: list[Inline] = [Text("Not evaluated: ")]
    for index, rule in enumerate(rules):
        parts += [*([Text("; ")] if index else []), RuleRef(rule.id, rule.anchor), Text(f" ({rule.status.value}: {rule.reason})")]
    return [Paragraph((*parts, Text(".")))]


def _finding(finding: Finding) -> Paragraph:
    subject = inline(NeedRef(finding.need_id), ": ") if finding.need_id else ()
    status = inline(Strong("open")) if finding.open else inline("accepted by ", NeedRef(finding.accepted_by or ""))
    return Paragraph((*subject, *inline(finding.message, " — ", Code(f"{finding.path}:{finding.line}"), " — "), *status))


def gaps(state: Evaluated, options: dict[str, str]) -> list[Block]:
    counts = summary(state.evaluation)
    rules = list(state.evaluation.rules.values())
    out: list[Block] = [
        paragraph(
            f"{counts['needs']} needs checked against {counts['rules']} rules: ",
            Strong(f"{counts['open']} open gap(s)"),
            f" ({counts['errors']} error, {counts['warnings']} warning), {counts['accepted']} accepted. ",
            *_release(state),
        )
    ]
    per_rule = Counter((f.rule.id, f.open) for f in state.findings)
    table = TableBuilder(("Rule", "Title", "Clauses", "Open", "Accepted"), ("techfile-gaps-summary",))
    for rule in rules:
        if rule.applicable:
            table.add(RuleRef(rule.id, rule.anchor), rule.title, rule.clause_text, count(per_rule[(rule.id, True)]), count(per_rule[(rule.id, False)]))
    out += [table.table(), *_inactive([rule for rule in rules if not rule.applicable])]
    for rule in rules:
        own = [f for f in state.findings if f.rule.id == rule.id]
        if own:
            heading = Rubric(f"{rule.id} {rule.name}: {rule.title} ({len(own)})")
            out.append(Container((heading, BulletList(tuple(_finding(f) for f in own))), classes=("techfile-gaps-rule",)))
    return out
