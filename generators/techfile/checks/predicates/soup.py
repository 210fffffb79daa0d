"""SOUP (R17, R19, R20, S01-S03): identified by title, manufacturer and one
exact version that the dependency evidence confirms; anomaly list evaluated
for it; the SBOM fields of the FDA cybersecurity guidance; every runtime
dependency a SOUP item and every SOUP item a dependency; licences within
the project's policy.

SOUP items are matched to components by package name: the name of the
item's ``purl`` when it has one, else its title, both normalised as PEP 503
names (lowercase, runs of ``-_.`` as one ``-``). A SOUP item whose purl is
``pkg:generic/cpython`` (the interpreter, which no lock file lists) is
confirmed by the build environment's Python version instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from techfile.checks.findings import Gap
from techfile.checks.predicates.registry import check, subject
from techfile.checks.rules import TraceRule
from techfile.corpus import Need
from techfile.evidence.soup.licences import alternatives
from techfile.model.roles import Role

if TYPE_CHECKING:
    from techfile.checks.engine import Context

_EXACT_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+!-]*$")
_INTERPRETERS = ("pkg:generic/cpython", "pkg:generic/python")
SUPPORT_LEVELS = ("actively_maintained", "no_longer_maintained", "abandoned")


def package_key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


def _purl_name(purl: str) -> str:
    """``numpy`` of ``pkg:pypi/numpy@2.4.6``, ``@scope/name`` of npm's ``pkg:npm/%40scope/name@1``."""
    body = purl.split("@", 1)[0] if not purl.startswith("pkg:npm/%40") else purl.rsplit("@", 1)[0]
    body = body.replace("%40", "@")
    parts = body.split("/", 1)
    return parts[1] if len(parts) == 2 else ""


def soup_package(purl: str, title: str) -> str:
    """The package name a SOUP item is matched by: its purl's name, else its title, normalised."""
    return package_key(_purl_name(purl.strip()) or title)


def soup_key(need: Need, ctx: Context) -> str:
    return soup_package(ctx.value(need, "purl") or "", need.title)


def _is_interpreter(need: Need, ctx: Context) -> bool:
    return (ctx.value(need, "purl") or "").strip().lower().startswith(_INTERPRETERS)


def _components(ctx: Context) -> dict[str, list[Need]]:
    index: dict[str, list[Need]] = {}
    for component in ctx.corpus.by_role(Role.DEPENDENCY_COMPONENT):
        index.setdefault(package_key(component.title), []).append(component)
    return index


def _soups(ctx: Context) -> dict[str, list[Need]]:
    index: dict[str, list[Need]] = {}
    for soup in ctx.corpus.by_role(Role.SOUP_ITEM):
        index.setdefault(soup_key(soup, ctx), []).append(soup)
    return index


def components_by_name(ctx: Context) -> dict[str, list[Need]]:
    found: dict[str, list[Need]] = ctx.memo("components by name", lambda: _components(ctx))
    return found


def soups_by_name(ctx: Context) -> dict[str, list[Need]]:
    found: dict[str, list[Need]] = ctx.memo("soup items by name", lambda: _soups(ctx))
    return found


def _interpreter_versions(ctx: Context) -> set[str]:
    return {v for env in ctx.corpus.by_role(Role.BUILD_ENVIRONMENT) if (v := ctx.value(env, "python_version"))}


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
    if _is_interpreter(need, ctx):
        interpreters = _interpreter_versions(ctx)
        if not interpreters:
            yield Gap(f"no build environment record confirms the interpreter version {version} (run `techfile environment`)")
        elif version not in interpreters:
            yield Gap(f"version {version} is not the interpreter of the build environment ({', '.join(sorted(interpreters))})")
        return
    by_name = components_by_name(ctx)
    if not by_name:
        yield Gap(f"no lock-file or SBOM evidence in the tree confirms version {version}: generate it from the lock file (`techfile soup uv.lock`, or a [[tool.techfile.soup]] job)")
        return
    components = by_name.get(soup_key(need, ctx), [])
    versions = {ctx.value(c, "version") or "" for c in components}
    if components and version not in versions:
        yield Gap(f"version {version} does not match the lock file or SBOM ({', '.join(sorted(v for v in versions if v))}): evaluate the version in use")
    elif components and any(ctx.value(c, "version_exact") == "no" for c in components if ctx.value(c, "version") == version):
        yield Gap(f"the dependency file gives {version} as a range, not one exact version")


@check("soup_anomalies_evaluated")
def soup_anomalies_evaluated(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = subject(need)
    for name in ("anomaly_evaluation", "anomaly_evaluation_date"):
        if not ctx.value(need, name):
            yield Gap(f"has no {ctx.corpus.field_name(need, name)}" + (" of its published anomaly list" if name == "anomaly_evaluation" else ""))
    evaluated, version = ctx.value(need, "anomaly_evaluation_version"), ctx.value(need, "version")
    if evaluated != version:
        yield Gap(f"anomaly evaluation is for version {evaluated or '(none)'}, the SOUP version is {version or '(none)'}")


@check("soup_sbom_fields")
def soup_sbom_fields(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    """R20: the SBOM fields FDA's cybersecurity guidance asks of each component (V.A.4 b; NTIA minimum elements)."""
    need = subject(need)
    if not ctx.value(need, "manufacturer"):
        yield Gap(f"has no supplier ({ctx.corpus.field_name(need, 'manufacturer')})")
    if not ctx.value(need, "purl"):
        yield Gap(f"has no unique identifier ({ctx.corpus.field_name(need, 'purl')})")
    support = ctx.value(need, "support_level")
    if support not in SUPPORT_LEVELS:
        yield Gap(f"has no {ctx.corpus.field_name(need, 'support_level')} ({', '.join(SUPPORT_LEVELS)})")
    if not ctx.value(need, "end_of_support"):
        yield Gap(f"has no {ctx.corpus.field_name(need, 'end_of_support')} (a date, or the justification why there is none)")


def _required(component: Need, ctx: Context, transitive: bool) -> bool:
    """Whether a component must be a SOUP item: runtime, and direct (or transitive, as the rule's params say)."""
    if ctx.value(component, "scope") == "development":
        return False
    return transitive or ctx.value(component, "dependency") != "transitive"


@check(
    "component_has_soup",
    roles=(Role.DEPENDENCY_COMPONENT, Role.SOUP_ITEM),
    params={"transitive": {"type": "boolean", "description": "Transitive runtime dependencies need a SOUP item too (direct ones always do)."}},
)
def component_has_soup(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    component = subject(need)
    if not _required(component, ctx, bool(rule.params.get("transitive", False))):
        return
    if package_key(component.title) in soups_by_name(ctx):
        return
    version = ctx.value(component, "version") or "(no version)"
    how = ctx.value(component, "dependency") or "direct"
    chain = ctx.value(component, "pulled_in_by")
    pulled = f", pulled in by {chain}," if chain and how == "transitive" else ""  # a direct one is the project's own choice
    yield Gap(f"{component.title} {version} is a {how} runtime dependency{pulled} without a SOUP item: author one (IEC 62304 8.1.2) or move it out of the runtime dependencies")


@check("soup_has_component", roles=(Role.DEPENDENCY_COMPONENT, Role.SOUP_ITEM))
def soup_has_component(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    soup = subject(need)
    by_name = components_by_name(ctx)
    if not by_name or _is_interpreter(soup, ctx):
        return  # no dependency evidence at all is R17's gap; the interpreter is confirmed by the build environment
    if soup_key(soup, ctx) not in by_name:
        yield Gap(f"{soup.title}: no lock file or SBOM of the release records the package {soup_key(soup, ctx)} any more: remove the SOUP item, or restore the dependency")


@check(
    "licence_policy",
    roles=(Role.DEPENDENCY_COMPONENT,),
    params={
        "allowed": {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True, "description": "SPDX licence identifiers a runtime component may be under; without it, any not denied."},
        "denied": {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True, "description": "SPDX licence identifiers no runtime component may be under."},
    },
)
def licence_policy(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    component = subject(need)
    if ctx.value(component, "scope") == "development":
        return
    problem = ctx.value(component, "license_problem")
    if problem:
        yield Gap(f"{component.title}: {problem}")
        return
    licence = ctx.value(component, "license") or ""
    if not licence:
        licence = next((ctx.value(s, "license") or "" for s in soups_by_name(ctx).get(package_key(component.title), []) if ctx.value(s, "license")), "")
    if not licence:
        yield Gap(f"{component.title} {ctx.value(component, 'version') or ''}: no licence recorded, in the dependency file or its SOUP item".replace("  ", " "))
        return
    allowed = {i.lower() for i in rule.params.get("allowed", [])}
    denied = {i.lower() for i in rule.params.get("denied", [])}

    def acceptable(ids: tuple[str, ...]) -> bool:
        return not any(i.lower() in denied for i in ids) and (not allowed or all(i.lower() in allowed for i in ids))

    if not any(acceptable(ids) for ids in alternatives(licence)):
        yield Gap(f"{component.title} {ctx.value(component, 'version') or ''} is under {licence}, outside the licence policy (allowed: {', '.join(sorted(allowed)) or 'any'}; denied: {', '.join(sorted(denied)) or 'none'})")


# The checks of the known vulnerabilities of the SOUP (S04, S05) are registered with the SOUP checks.
from techfile.checks.predicates import vulnerabilities as _vulnerabilities  # noqa: E402, F401
