"""Known vulnerabilities of the SOUP (S04, S05): every vulnerability a scan
report gives for a version the lock file has is evaluated; every scan is
complete, dated no earlier than the release and for the versions in use.

An evaluation is an authored ``vulnerability_evaluation`` need naming the
vulnerability (its ID or an alias), the package and the exact version, with
its exploitability, risk and action; or the report's own CycloneDX VEX
analysis (state and detail). A vulnerability of a version the lock file does
not have is not this release's (S05 flags the report as for other
versions).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from techfile.checks.findings import Gap
from techfile.checks.predicates.registry import check, subject
from techfile.checks.rules import TraceRule
from techfile.corpus import Need
from techfile.model.roles import Role

if TYPE_CHECKING:
    from techfile.checks.engine import Context

EVALUATION_FIELDS = ("exploitability", "risk", "action")


def _key(name: str) -> str:
    from techfile.checks.predicates.soup import package_key

    return package_key(name)


def _component_versions(ctx: Context) -> dict[str, set[str]]:
    def build() -> dict[str, set[str]]:
        index: dict[str, set[str]] = {}
        for component in ctx.corpus.by_role(Role.DEPENDENCY_COMPONENT):
            index.setdefault(_key(component.title), set()).add(ctx.value(component, "version") or "")
        return index

    found: dict[str, set[str]] = ctx.memo("vulnerabilities.component versions", build)
    return found


def _evaluations(ctx: Context) -> dict[tuple[str, str, str], list[Need]]:
    def build() -> dict[tuple[str, str, str], list[Need]]:
        index: dict[tuple[str, str, str], list[Need]] = {}
        for evaluation in ctx.corpus.by_role(Role.VULNERABILITY_EVALUATION):
            ids = {i.strip().upper() for i in (ctx.value(evaluation, "vulnerability") or "").split(",") if i.strip()}
            for vulnerability in ids:
                index.setdefault((vulnerability, _key(ctx.value(evaluation, "package") or ""), (ctx.value(evaluation, "version") or "").strip()), []).append(evaluation)
        return index

    found: dict[tuple[str, str, str], list[Need]] = ctx.memo("vulnerabilities.evaluations", build)
    return found


@check("vulnerability_evaluated", roles=(Role.VULNERABILITY, Role.DEPENDENCY_COMPONENT))
def vulnerability_evaluated(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    vulnerability = subject(need)
    package, version = ctx.value(vulnerability, "package") or "", ctx.value(vulnerability, "version") or ""
    if version not in _component_versions(ctx).get(_key(package), set()):
        return  # not a version in use: S05 flags the report
    vuln_id = ctx.value(vulnerability, "vulnerability_id") or ""
    if ctx.value(vulnerability, "analysis_state") and ctx.value(vulnerability, "analysis_detail"):
        return  # the VEX's own analysis evaluates it
    ids = {vuln_id.upper(), *(a.strip().upper() for a in (ctx.value(vulnerability, "aliases") or "").split(",") if a.strip())}
    evaluations = [e for i in sorted(ids) for e in _evaluations(ctx).get((i, _key(package), version), [])]
    if not evaluations:
        scanner = ctx.value(vulnerability, "scanner") or "the scan"
        yield Gap(f"{package} {version}: {vuln_id} (reported by {scanner}) has no evaluation: write a vulnerability_evaluation with its exploitability, risk and action for {package} {version}")
        return
    for evaluation in evaluations:
        missing = [ctx.corpus.field_name(evaluation, name) for name in EVALUATION_FIELDS if not ctx.value(evaluation, name)]
        if not missing:
            return
    yield Gap(f"{package} {version}: {vuln_id}: its evaluation {evaluations[0].id} lacks {', '.join(missing)}")


@check("scan_conclusive", roles=(Role.VULNERABILITY_SCAN, Role.DEPENDENCY_COMPONENT))
def scan_conclusive(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    scan = subject(need)
    shown = ctx.value(scan, "source_file") or scan.id
    if ctx.value(scan, "scan_status") != "complete":
        problem = ctx.value(scan, "scan_problem") or "the scanner did not complete"
        yield Gap(f"{shown}: the scan is incomplete ({problem}); it is no evidence of no vulnerabilities: rerun it where the scanner reaches its database")
    scanned_on = ctx.value(scan, "scanned_on")
    release_date = ctx.value(ctx.release, "release_date") if ctx.release is not None else None
    if not scanned_on:
        yield Gap(f"{shown}: records no scan date: give scanned_on for the report in [[tool.techfile.soup]] (or --scanned-on)")
    elif release_date and scanned_on < release_date:
        yield Gap(f"{shown}: the scan of {scanned_on} is older than the release of {release_date}: rescan the release's dependencies")
    versions = _component_versions(ctx)
    other = []
    for entry in (ctx.value(scan, "scanned_packages") or "").split(","):
        name, _, version = entry.strip().partition("==")
        if name and _key(name) in versions and version not in versions[_key(name)]:
            other.append(f"{name} {version} (the lock file has {', '.join(sorted(versions[_key(name)]))})")
    for vulnerability in ctx.corpus.by_role(Role.VULNERABILITY):
        if ctx.value(vulnerability, "source_file") != ctx.value(scan, "source_file"):
            continue
        name, version = ctx.value(vulnerability, "package") or "", ctx.value(vulnerability, "version") or ""
        entry = f"{name} {version} (the lock file has {', '.join(sorted(versions.get(_key(name), set()))) or 'no such package'})"
        if version not in versions.get(_key(name), set()) and entry not in other:
            other.append(entry)
    if other:
        yield Gap(f"{shown}: scanned other versions than the release's: {'; '.join(sorted(other)[:5])}: rescan the lock file of the release")
