"""Each clause's status, from the evidence the technical file holds.

A clause that applies to the device (by its software safety class, or its
FDA documentation level) is evidenced by the rules that cite it, the
catalogue's queries on the need graph, and the statements that declare
they address it (``addresses``). It is

* **met** when it has evidence and all of it holds;
* **partial** when some of its evidence holds and some does not;
* a **gap** when none holds, or when nothing could show it met (no rule,
  query or statement: listed as such);
* **not applicable** when its class or level is not the device's, or a
  ``not_applicable`` statement addresses it: the statement is the rationale.

Keywords never count: a clause number written in a document's text is not
evidence; a rule that checked no need is not either.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from techfile.clauses.catalogue import Catalogue, Clause, Query, catalogue, cited_numbers
from techfile.clauses.queries import evaluate_query
from techfile.corpus import Corpus, Need
from techfile.model.roles import Role

if TYPE_CHECKING:
    from pathlib import Path

    from techfile.checks.engine import RuleOutcome
    from techfile.checks.findings import Finding
    from techfile.checks.rules import TraceRule

Status = Literal["met", "partial", "gap", "not_applicable"]
STATUS_TEXT: dict[Status, str] = {"met": "met", "partial": "partial", "gap": "gap", "not_applicable": "not applicable"}
COVERAGE_CHECK = "clause_coverage"
NOT_APPLICABLE = "not_applicable"
DEFAULT_LEVEL = "enhanced"
"""A device with no documentation-level statement is judged as Enhanced, as unclassified software is class C."""
_SPLIT = re.compile(r"[,;\n]+")


@dataclass(frozen=True)
class Evidence:
    kind: Literal["rule", "query", "declared"]
    met: bool
    text: str
    rule: str | None = None
    needs: tuple[str, ...] = ()
    problem: str | None = None
    supporting: bool = False
    """A need-model conformance rule (over every need): it can fail a clause, never meet one alone."""


@dataclass(frozen=True)
class ClauseStatus:
    catalogue: Catalogue
    clause: Clause
    status: Status
    evidence: tuple[Evidence, ...]
    reason: str
    """Why it is not applicable, or what is missing; empty when met."""
    rationale: Need | None = None
    """The not_applicable statement, when one says why."""

    @property
    def ref(self) -> str:
        return self.catalogue.ref(self.clause)


@dataclass(frozen=True)
class Declaration:
    need: Need
    catalogue: Catalogue
    clause: Clause
    not_applicable: bool


@dataclass(frozen=True)
class BadReference:
    need: Need
    reference: str
    fix: str


@dataclass
class Inputs:
    """What the status of a clause is judged from: one evaluation's needs, rules and results."""

    corpus: Corpus
    rules: Mapping[str, TraceRule]
    outcomes: Mapping[str, RuleOutcome]
    findings: Sequence[Finding]
    root: Path
    claimed: tuple[str, ...]
    _catalogues: dict[str, Catalogue] = field(default_factory=dict)
    _memo: dict[tuple[str, str, str], list[ClauseStatus]] = field(default_factory=dict)

    def catalogue(self, reference: str) -> Catalogue:
        """A claimed catalogue by its reference (a key or a project file) or by the key its file declares."""
        if reference not in self._catalogues:
            for claimed in self.claimed:
                if claimed not in self._catalogues:
                    found = catalogue(claimed, self.root)
                    self._catalogues[claimed] = self._catalogues.setdefault(found.key, found)
            if reference not in self._catalogues:
                self._catalogues[reference] = catalogue(reference, self.root)
        return self._catalogues[reference]

    @property
    def claimed_keys(self) -> tuple[str, ...]:
        return tuple(self.catalogue(reference).key for reference in self.claimed)

    @property
    def safety_class(self) -> str:
        return self.corpus.system_class

    @property
    def level(self) -> str:
        for statement in self.corpus.by_role(Role.STATEMENT):
            if self.corpus.value(statement, "kind") == "documentation_level" and (value := self.corpus.value(statement, "documentation_level")):
                return value
        return DEFAULT_LEVEL


def addressed(corpus: Corpus, catalogues: Iterable[Catalogue]) -> tuple[list[Declaration], list[BadReference]]:
    """The clauses statements declare they address, and the references that name no clause."""
    by_name = sorted(catalogues, key=lambda c: -len(c.name))
    found: list[Declaration] = []
    bad: list[BadReference] = []
    for need in corpus.by_role(Role.STATEMENT):
        text = corpus.value(need, "addresses")
        if not text:
            continue
        for reference in (part.strip() for part in _SPLIT.split(text)):
            if not reference:
                continue
            standard = next((c for c in by_name if reference.startswith(c.name + " ")), None)
            if standard is None:
                names = ", ".join(c.name for c in by_name)
                bad.append(BadReference(need, reference, f"begin it with a claimed standard ({names}) and a clause number"))
                continue
            number = reference[len(standard.name) + 1 :].strip()
            clause = standard.clause(number)
            if clause is None:
                close = difflib.get_close_matches(number, [c.number for c in standard.clauses], n=1)
                bad.append(BadReference(need, reference, f"did you mean {standard.name} {close[0]}?" if close else f"use a clause number of {standard.name}'s catalogue"))
                continue
            found.append(Declaration(need, standard, clause, corpus.value(need, "kind") == NOT_APPLICABLE))
    return found, bad


def _open(findings: Iterable[Finding], rule_id: str | None = None, need_id: str | None = None) -> list[Finding]:
    return [
        f
        for f in findings
        if f.fails and f.rule.check != COVERAGE_CHECK and (rule_id is None or f.rule.id == rule_id) and (need_id is None or f.need_id == need_id)
    ]


def _population(corpus: Corpus, rule: TraceRule) -> int:
    """How many needs the rule's types hold, before its ``select``."""
    if "*" in rule.types:
        return len(corpus)
    return sum(len(corpus.by_type.get(name, ())) for name in rule.types)


def _scope(corpus: Corpus, rule: TraceRule) -> int:
    """How many needs a project-level rule reads: those of the roles its check declares (none declared: unknown, 0)."""
    from techfile.checks.predicates import CHECKS

    check = CHECKS.get(rule.check or "")
    roles = {role for group in check.roles for role in group} if check is not None else set()
    return sum(len(corpus.by_role(role)) for role in roles)


def _rule_evidence(inputs: Inputs, standard: Catalogue, clause: Clause, safety_class: str) -> tuple[list[Evidence], list[str]]:
    """Evidence from rules, and the notes on cited rules that were not run."""
    cited = [rule for rule in inputs.rules.values() if rule.check != COVERAGE_CHECK and any(clause.number in cited_numbers(c, standard.name) for c in rule.clauses)]
    cited += [inputs.rules[r] for r in clause.rules if r in inputs.rules and inputs.rules[r] not in cited]
    evidence: list[Evidence] = []
    notes: list[str] = []
    for rule in cited:
        outcome = inputs.outcomes.get(rule.id)
        if not rule.applicable or outcome is None:
            notes.append(f"{rule.id} is {rule.status.value} ({rule.reason})")
            continue
        if safety_class not in rule.classes:
            continue
        open_gaps = _open(inputs.findings, rule.id)
        if open_gaps:
            evidence.append(Evidence("rule", False, f"{rule.id} {rule.name}: {len(open_gaps)} open gap(s)", rule.id, problem=f"{rule.id} finds {len(open_gaps)} open gap(s)"))
        elif outcome.checked is not None and not outcome.checked:
            population = _population(inputs.corpus, rule)
            if rule.select is not None and population:
                # a rule about some needs (failed results, open anomalies) that found none among many has shown something
                evidence.append(Evidence("rule", True, f"{rule.id} {rule.name}: none of {population} needs is concerned", rule.id))
            else:
                notes.append(f"{rule.id} checked no need")
        elif outcome.checked is None:
            population = _scope(inputs.corpus, rule)
            if population:
                evidence.append(Evidence("rule", True, f"{rule.id} {rule.name}: no open gap ({population} needs in its scope)", rule.id))
            else:
                # a project-level rule quiet on a graph without what it reads has shown nothing
                notes.append(f"{rule.id} had nothing to check")
        else:
            evidence.append(Evidence("rule", True, f"{rule.id} {rule.name}: {len(outcome.checked)} checked, no open gap", rule.id, supporting="*" in rule.types))
    for missing in clause.rules:
        if missing not in inputs.rules:
            notes.append(f"{missing} is not declared")
    return evidence, notes


def _query_evidence(inputs: Inputs, query: Query) -> Evidence:
    if query.kind != "covered":
        result = evaluate_query(inputs.corpus, query)
        return Evidence("query", result.met, query.text, needs=result.needs, problem=result.problem)
    statuses = assess(inputs, query.subject)
    wanted = [s for s in statuses if not query.clauses or s.clause.number in query.clauses]
    unmet = [s for s in wanted if s.status in ("gap", "partial")]
    if unmet:
        shown = ", ".join(s.clause.number for s in unmet[:6]) + (f" and {len(unmet) - 6} more" if len(unmet) > 6 else "")
        return Evidence("query", False, query.text, problem=f"{statuses[0].catalogue.name if statuses else query.subject} {shown} not met")
    return Evidence("query", True, query.text)


def _declared_evidence(inputs: Inputs, declaration: Declaration) -> Evidence:
    need = declaration.need
    problems = []
    if not (need.get("content") or "").strip():
        problems.append(f"{need.id} says nothing (no content) about how the clause is met")
    own = _open(inputs.findings, need_id=need.id)
    if own:
        problems.append(f"{need.id} has {len(own)} open gap(s) of its own ({', '.join(sorted({f.rule.id for f in own}))})")
    return Evidence("declared", not problems, f"addressed by {need.id}", needs=(need.id,), problem="; ".join(problems) or None)


def _status(inputs: Inputs, standard: Catalogue, clause: Clause, declarations: list[Declaration], safety_class: str, level: str) -> ClauseStatus:
    if not clause.applies(standard.applies_by, safety_class, level):
        device = f"the software system is class {safety_class}" if standard.applies_by == "safety_class" else f"the documentation level is {level.capitalize()}"
        return ClauseStatus(standard, clause, "not_applicable", (), f"applies to {clause.scope_text(standard.applies_by)}; {device}")
    mine = [d for d in declarations if d.catalogue.key == standard.key and d.clause.number == clause.number]
    excluded = next((d for d in mine if d.not_applicable), None)
    if excluded is not None:
        title = excluded.need.title
        return ClauseStatus(standard, clause, "not_applicable", (), f"declared not applicable by {excluded.need.id}: {title}", excluded.need)
    evidence, notes = _rule_evidence(inputs, standard, clause, safety_class)
    evidence += [_query_evidence(inputs, query) for query in clause.queries]
    evidence += [_declared_evidence(inputs, d) for d in mine]
    noted = f" ({'; '.join(notes)})" if notes else ""
    if not evidence:
        return ClauseStatus(
            standard, clause, "gap", (), f"has no evidence: no rule that checked a need cites it, no query checks it and no statement addresses it{noted}"
        )
    failing = [e.problem or e.text for e in evidence if not e.met]
    if not failing and all(e.supporting for e in evidence):
        shown = ", ".join(e.rule or e.text for e in evidence)
        return ClauseStatus(standard, clause, "gap", tuple(evidence), f"only need-model conformance rules hold ({shown}), which show nothing of the clause's content{noted}")
    if not failing:
        return ClauseStatus(standard, clause, "met", tuple(evidence), "")
    status: Status = "partial" if len(failing) < len(evidence) else "gap"
    return ClauseStatus(standard, clause, status, tuple(evidence), "; ".join(failing) + noted)


def assess(inputs: Inputs, key: str, *, safety_class: str | None = None, level: str | None = None) -> list[ClauseStatus]:
    """The status of every clause of the catalogue ``key``, for the device's class and level or the given ones."""
    safety_class = safety_class or inputs.safety_class
    level = level or inputs.level
    memo_key = (key, safety_class, level)
    if memo_key not in inputs._memo:
        inputs._memo[memo_key] = []  # a catalogue whose query covers itself sees itself empty, not a loop
        standard = inputs.catalogue(key)
        declarations = addressed(inputs.corpus, [inputs.catalogue(k) for k in dict.fromkeys((*inputs.claimed, key))])[0]
        inputs._memo[memo_key] = [_status(inputs, standard, clause, declarations, safety_class, level) for clause in standard.clauses]
    return inputs._memo[memo_key]
