"""A :class:`~techfile.evidence.soup.interface.Component` becomes a
component need (role ``dependency_component``): ``COMP_<NAME>_<VERSION>``,
with the ecosystem in the ID for other ecosystems than PyPI, so an upgrade
is a new need and the SOUP item's version is checked against it."""

from __future__ import annotations

import re

from techfile.evidence.interface import EvidenceNeed
from techfile.evidence.soup.interface import Component
from techfile.model.roles import Role

#: The fields the dependency file alone determines (the evidence integrity check regenerates them).
DERIVED_FIELDS = (
    "version", "purl", "license", "manufacturer", "ecosystem", "dependency", "scope", "pulled_in_by",
    "depends_on", "hashes", "version_exact", "license_problem", "source_format", "source_line",
)
PATH_SEPARATOR = " > "


def component_id(component: Component) -> str:
    prefix = "" if component.ecosystem == "pypi" else f"{component.ecosystem}_"
    slug = re.sub(r"[^A-Z0-9]+", "_", f"{prefix}{component.name}_{component.version}".upper()).strip("_")
    return f"COMP_{slug}"


def derived_fields(component: Component) -> dict[str, str]:
    fields = {
        "version": component.version,
        "purl": component.purl,
        "license": component.license,
        "manufacturer": component.supplier,
        "ecosystem": component.ecosystem,
        "dependency": "direct" if component.direct else "transitive",
        "scope": "runtime" if component.runtime else "development",
        "pulled_in_by": PATH_SEPARATOR.join(component.path),
        "depends_on": ", ".join(component.dependencies),
        "hashes": ", ".join(component.hashes),
        "version_exact": "" if component.exact else "no",
        "license_problem": component.license_problem,
        "source_format": component.format,
        "source_line": str(component.source_line),
    }
    return {name: value for name, value in fields.items() if value}


def content(component: Component) -> str:
    how = "a direct" if component.direct else "a transitive"
    scope = "runtime" if component.runtime else "development"
    chain = f", pulled in by {PATH_SEPARATOR.join(component.path)}" if component.path else ""
    return f"{component.name} {component.version}: {how} {scope} dependency ({component.ecosystem}){chain}, recorded in {component.source_file}."


def derived_need(need_id: str, component: Component) -> EvidenceNeed:
    return EvidenceNeed(id=need_id, role=Role.DEPENDENCY_COMPONENT, title=component.name, content=content(component), fields=derived_fields(component))


def assign_ids(components: list[Component]) -> dict[str, Component]:
    """Need ID -> component; the first of one name and version (npm installs one version at several paths) keeps it."""
    ids: dict[str, Component] = {}
    for component in components:
        ids.setdefault(component_id(component), component)
    return ids


def component_need(need_id: str, component: Component, digest: str) -> EvidenceNeed:
    derived = derived_need(need_id, component)
    return EvidenceNeed(id=need_id, role=Role.DEPENDENCY_COMPONENT, title=derived.title, content=derived.content, fields={**derived.fields, "source_file": component.source_file, "source_sha256": digest})
