"""Clause coverage pages (``techfile-clause-coverage``): per claimed
standard, a summary per safety class or documentation level, then every
clause with its status and its evidence as links (rules, needs), judged as
rule C01 judges them (:mod:`techfile.clauses.coverage`)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from techfile.clauses import coverage
from techfile.clauses.catalogue import LEVELS, standard_name
from techfile.errors import TechfileError
from techfile.sphinxext.views.data import Block, Inline, NeedRef, Paragraph, RuleRef, Strong, TableBuilder, Text, cell, paragraph

if TYPE_CHECKING:
    from techfile.sphinxext.state import Evaluated

STATUS_COLORS = {"met": "#82E0AA", "partial": "#F9E79F", "gap": "#F1948A", "not_applicable": "#D5D8DC"}
ORDER: tuple[coverage.Status, ...] = ("met", "partial", "gap", "not_applicable")


def inputs(state: Evaluated) -> coverage.Inputs:
    evaluation = state.evaluation
    outcomes = evaluation.outcomes
    return coverage.Inputs(state.corpus, evaluation.rules, outcomes, evaluation.findings, state.project.root, state.project.settings.standards)


def _evidence(state: Evaluated, status: coverage.ClauseStatus) -> tuple[Inline, ...]:
    parts: list[Inline] = []
    for index, item in enumerate(status.evidence):
        parts.append(Text("; " if index else ""))
        mark = "✓ " if item.met else "✗ "
        if item.rule and item.rule in state.evaluation.rules:
            rule = state.evaluation.rules[item.rule]
            parts += [Text(mark), RuleRef(rule.id, rule.anchor), Text(item.text[len(rule.id) :])]
        elif item.kind == "declared" and item.needs:
            parts += [Text(mark + "addressed by "), NeedRef(item.needs[0])]
        else:
            parts += [Text(f"{mark}{item.text}")]
            if item.needs:
                parts.append(Text(" ("))
                for n, need_id in enumerate(item.needs):
                    parts += [Text(", " if n else ""), NeedRef(need_id)]
                parts.append(Text(")"))
        if not item.met and item.problem and item.kind != "rule":
            parts.append(Text(f": {item.problem}"))
    if status.rationale is not None:
        parts += [Text("rationale: "), NeedRef(status.rationale.id)]
    if not parts:
        parts.append(Text(status.reason))
    return tuple(parts)


def _summary(found: coverage.Inputs, key: str) -> list[Block]:
    standard = found.catalogue(key)
    if standard.applies_by == "none":
        scopes: tuple[tuple[str, str, str], ...] = (("all", found.safety_class, found.level),)
    elif standard.applies_by == "safety_class":
        scopes = tuple((f"Class {c}", c, found.level) for c in ("A", "B", "C"))
    else:
        scopes = tuple((level.capitalize(), found.safety_class, level) for level in LEVELS)
    device = f"class {found.safety_class}" if standard.applies_by == "safety_class" else f"{found.level.capitalize()} documentation level" if standard.applies_by == "documentation_level" else "every device"
    table = TableBuilder(("Scope", "Clauses that apply", "Met", "Partial", "Gap", "Not applicable (declared)"), ("techfile-clause-summary",), f"{standard.name} summary")
    for label, safety_class, level in scopes:
        statuses = coverage.assess(found, key, safety_class=safety_class, level=level)
        counts = Counter(s.status for s in statuses)
        declared = sum(1 for s in statuses if s.status == "not_applicable" and s.rationale is not None)
        applicable = len(statuses) - counts["not_applicable"] + declared
        this = safety_class == found.safety_class and level == found.level
        if not this:
            # the rules ran for this device's class: another class's statuses would be guesses
            table.add(cell(label), cell(str(applicable), value=applicable), "—", "—", "—", "—")
            continue
        table.add(
            cell(Strong(f"{label} (this device)") if len(scopes) > 1 else Text(label)),
            cell(str(applicable), value=applicable),
            cell(str(counts["met"]), value=counts["met"]),
            cell(str(counts["partial"]), value=counts["partial"]),
            cell(str(counts["gap"]), value=counts["gap"]),
            cell(str(declared), value=declared),
        )
    note = [paragraph(standard.note)] if standard.note else []
    return [
        paragraph(
            f"{standard.title}. Judged for {device}; rule C01 fails the check for each clause that applies and is not met."
            + (" The other rows count the clauses that would apply; their status is judged only once the device is of that scope." if len(scopes) > 1 else "")
        ),
        *note,
        table.table(),
    ]


def clause_coverage(state: Evaluated, options: dict[str, str]) -> list[Block]:
    found = inputs(state)
    wanted = options.get("standard") or ""
    try:
        claimed = found.claimed_keys
    except TechfileError as error:
        return [paragraph(f"A claimed catalogue cannot be read: {error}")]
    keys = [wanted] if wanted else list(claimed)
    out: list[Block] = []
    for key in keys:
        if key not in claimed:
            out.append(paragraph(f"{standard_name(key)} is not claimed: [tool.techfile] standards lists {', '.join(found.claimed) or 'none'}."))
            continue
        try:
            statuses = coverage.assess(found, key)
        except TechfileError as error:
            out.append(paragraph(f"The catalogue {key} cannot be read: {error}"))
            continue
        standard = statuses[0].catalogue if statuses else found.catalogue(key)
        out += _summary(found, key)
        table = TableBuilder(("Clause", "Title", "Applies to", "Status", "Evidence"), ("techfile-clause-coverage",), f"{standard.name} clauses")
        for status in statuses:
            table.add(
                cell(status.clause.number, anchors=(f"clause-{key}-{status.clause.number}".replace(".", "-").replace(" ", "-").replace("+", "plus"),)),
                status.clause.title,
                status.clause.scope_text(standard.applies_by),
                cell(coverage.STATUS_TEXT[status.status], color=STATUS_COLORS[status.status], classes=("techfile-not-an-outcome",)),
                cell(*_evidence(state, status)) if status.status != "not_applicable" or status.rationale else cell(status.reason),
            )
        out.append(table.table())
        counts = Counter(s.status for s in statuses)
        out.append(Paragraph(tuple(Text(t) for t in [", ".join(f"{counts[s]} {coverage.STATUS_TEXT[s]}" for s in ORDER) + "."])))
    return out
