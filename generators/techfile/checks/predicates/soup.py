"""SOUP (R17, R19): identified by title, manufacturer and one exact version
that the dependency evidence confirms; anomaly list evaluated for it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from techfile.checks.findings import Gap
from techfile.checks.predicates.registry import check, subject
from techfile.checks.rules import TraceRule
from techfile.corpus import Need
from techfile.model.roles import Role

if TYPE_CHECKING:
    from techfile.checks.engine import Context

_EXACT_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+!-]*$")


def _versions_by_name(ctx: Context) -> dict[str, set[str | None]]:
    index: dict[str, set[str | None]] = {}
    for component in ctx.corpus.by_role(Role.DEPENDENCY_COMPONENT):
        index.setdefault(component.title.strip().lower(), set()).add(ctx.value(component, "version"))
    return index


@check("soup_identified", roles=(Role.DEPENDENCY_COMPONENT,))
def soup_identified(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = subject(need)
    if not need.title.strip():
        yield Gap("has no title (the SOUP's name)")
    if not ctx.value(need, "manufacturer"):
        yield Gap(f"has no {ctx.corpus.field_name(need, 'manufacturer')}")
    version = ctx.value(need, "version")
    if not version:
        yield Gap(f"has no {ctx.corpus.field_name(need, 'version')}")
        return
    if not _EXACT_VERSION.fullmatch(version):
        yield Gap(f"version {version!r} is not one exact version (no ranges, wildcards or lists)")
        return
    versions_by_name: dict[str, set[str | None]] = ctx.memo("component versions", lambda: _versions_by_name(ctx))
    if not versions_by_name:
        yield Gap(f"no lock-file or SBOM evidence in the tree confirms version {version}")
        return
    versions = versions_by_name.get(need.title.strip().lower(), set())
    if version not in versions:
        found = ", ".join(sorted(v for v in versions if v)) or "absent"
        yield Gap(f"version {version} does not match the lock file or SBOM ({found})")


@check("soup_anomalies_evaluated")
def soup_anomalies_evaluated(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = subject(need)
    for name in ("anomaly_evaluation", "anomaly_evaluation_date"):
        if not ctx.value(need, name):
            yield Gap(f"has no {ctx.corpus.field_name(need, name)}" + (" of its published anomaly list" if name == "anomaly_evaluation" else ""))
    evaluated, version = ctx.value(need, "anomaly_evaluation_version"), ctx.value(need, "version")
    if evaluated != version:
        yield Gap(f"anomaly evaluation is for version {evaluated or '(none)'}, the SOUP version is {version or '(none)'}")
