"""Clause coverage (C01): every clause of the claimed standards that applies
to the device is met, or declared not applicable with a rationale.

It runs after every other rule, since a clause's evidence is their results
(:mod:`techfile.clauses.coverage`); ``techfile check`` and the Sphinx build
both judge it from the same evaluation.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from techfile.checks.findings import Gap
from techfile.checks.predicates.evidence import project_of
from techfile.checks.predicates.registry import check
from techfile.checks.rules import TraceRule
from techfile.clauses import coverage
from techfile.corpus import Need
from techfile.errors import TechfileError
from techfile.project import Settings

if TYPE_CHECKING:
    from techfile.checks.engine import Context




def inputs(ctx: Context) -> tuple[coverage.Inputs, tuple[str, int]]:
    """The coverage inputs of this evaluation, and where the claimed standards are written."""
    project = project_of(ctx)
    claimed = project.settings.standards if project is not None else Settings().standards
    root = ctx.root or Path.cwd()
    where = ctx.project_location
    if project is not None:
        key = project.where("standards")
        if key.line is not None:
            where = (project.relative(project.pyproject), key.line)
    return coverage.Inputs(ctx.corpus, ctx.rules, ctx.outcomes, ctx.findings, root, claimed), where


@check(coverage.COVERAGE_CHECK, scope="corpus", after_findings=True)
def clause_coverage(_: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    found, where = inputs(ctx)
    try:
        catalogues = [found.catalogue(key) for key in found.claimed]
    except TechfileError as error:
        yield Gap(f"a claimed standard's catalogue cannot be read: {error}", location=where)
        return
    bad = coverage.addressed(ctx.corpus, catalogues)[1]
    for reference in bad:
        yield Gap(f"addresses {reference.reference!r}, which is no clause of a claimed standard ({reference.fix})", need=reference.need)
    for standard in catalogues:
        for status in coverage.assess(found, standard.key):
            if status.status in ("gap", "partial"):
                yield Gap(f"{status.ref} ({status.clause.title}) is {coverage.STATUS_TEXT[status.status]}: {status.reason}", location=where, clauses=(status.ref,))
