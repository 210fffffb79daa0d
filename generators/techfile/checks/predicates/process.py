"""Process records the clause coverage needs: requirements reviewed (R03),
architecture interfaces and segregation (R22), integration tested for the
release (R24), problem reports resolved (R29)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from techfile import approvals as records
from techfile.checks import verification
from techfile.checks.findings import Gap
from techfile.checks.predicates.evidence import project_of
from techfile.checks.predicates.registry import check, subject
from techfile.checks.rules import TraceRule
from techfile.corpus import Need
from techfile.model.roles import Relation, Role

if TYPE_CHECKING:
    from techfile.checks.engine import Context

_STATUSES = {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1, "uniqueItems": True}


def _approved_files(ctx: Context) -> dict[str, str] | None:
    """Source file -> the document whose latest approval still matches it; None without a
    project, or when the project records no approvals (its review records are kept elsewhere)."""

    def build() -> dict[str, str] | None:
        project = project_of(ctx)
        if project is None or not records.approvals(ctx.corpus):
            return None
        found = records.statuses(project, ctx.corpus, signed_only=True)
        approved: dict[str, str] = {}
        for status in found.documents:
            if status.state == "approved" and status.docname in found.contents:
                for path, _ in found.contents[status.docname].files:
                    approved.setdefault(path, f"{status.docname} ({status.latest.id if status.latest else ''})")
        return approved

    cached: dict[str, str] | None = ctx.memo("process.approved_files", build)
    return cached


@check("requirement_reviewed", roles=(Role.APPROVAL,), params={"statuses": {**_STATUSES, "description": "Need statuses that mean the requirement was reviewed and approved."}})
def requirement_reviewed(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = subject(need)
    wanted = rule.params.get("statuses", ["approved"])
    status = need.get("status")
    if status not in wanted:
        yield Gap(f"has status {status or 'none'}, not {' or '.join(wanted)}: review and approve it")
    approved = _approved_files(ctx)
    if approved is not None and need.path not in approved:
        yield Gap(f"is written in {need.path}, which no current approval of a document covers: have the document that holds it reviewed and signed (techfile approve)")


@check("item_interfaces", relations=(Relation.PART_OF,), params={"levels": {**_STATUSES, "description": "Item levels whose interfaces must be stated."}})
def item_interfaces(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = subject(need)
    corpus = ctx.corpus
    if ctx.value(need, "level") in rule.params.get("levels", ["system", "item"]) and not ctx.value(need, "interfaces"):
        yield Gap(f"states no {corpus.field_name(need, 'interfaces')} (IEC 62304 5.3.2)")
    own = corpus.safety_class(need)
    for parent in corpus.outgoing(need, Relation.PART_OF, Role.SOFTWARE_ITEM):
        if corpus.safety_class(parent) == "C" and own != "C" and not ctx.value(need, "segregation"):
            yield Gap(f"is class {own} inside class C {parent.id} and documents no {corpus.field_name(need, 'segregation')} that justifies it (IEC 62304 5.3.5)")


@check("integration_tested", scope="corpus", roles=(Role.TEST_SPECIFICATION, Role.SOFTWARE_ITEM), relations=(Relation.PART_OF,))
def integration_tested(_: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    corpus = ctx.corpus
    if corpus.system_class not in rule.classes:
        return
    items = [n for n in corpus.by_role(Role.SOFTWARE_ITEM) if ctx.value(n, "level") != "system"]
    specs = [n for n in corpus.by_role(Role.TEST_SPECIFICATION) if ctx.value(n, "level") == "integration"]
    if len(items) > 1 and not specs:
        yield Gap(f"the software system has {len(items)} items and no integration-level test specification (IEC 62304 5.6)")
    for spec in specs:
        verdict = verification.judge(corpus, verification.spec_results(corpus, spec), ctx.release, spec.id)
        for problem in verdict.problems:
            yield Gap(f"integration test {problem} (the regression run of the release must pass it)", need=spec)


@check("problem_resolved", roles=(Role.ANOMALY,), params={"fields": {**_STATUSES, "description": "Fields every problem report states (criticality, investigation, safety relevance)."}})
def problem_resolved(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = subject(need)
    corpus = ctx.corpus
    missing = [corpus.field_name(need, name) for name in rule.params.get("fields", ["criticality", "root_cause", "safety_impact"]) if not ctx.value(need, name)]
    if missing:
        yield Gap(f"states no {', '.join(missing)}")
    resolution = ctx.value(need, "resolution")
    if resolution in ("open", "deferred", "not_a_defect") and not ctx.value(need, "rationale"):
        yield Gap(f"is {resolution} without a {corpus.field_name(need, 'rationale')} (why no change is made now)")
    if resolution == "fixed":
        found_by = corpus.outgoing(need, Relation.FOUND_BY)
        specs = [n for n in found_by if corpus.plays(n, Role.TEST_SPECIFICATION)]
        specs += [s for r in found_by if corpus.plays(r, Role.TEST_RESULT) for s in corpus.outgoing(r, Relation.RESULT_OF, Role.TEST_SPECIFICATION)]
        if not specs:
            yield Gap("is fixed, but no test (found_by) shows the fix verified")
        for spec in specs:
            verdict = verification.judge(corpus, verification.spec_results(corpus, spec), ctx.release, spec.id)
            if not verdict.ok:
                yield Gap(f"is fixed, but its test does not pass for the release: {'; '.join(verdict.problems)}")
