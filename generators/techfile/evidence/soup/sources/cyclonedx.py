"""CycloneDX JSON SBOMs (specVersion 1.4 to 1.6), as cyclonedx-py and
other tools write them: ``components`` (nested ones too), ``licenses``,
``supplier``/``author``, ``hashes``, ``purl``, and ``dependencies`` from
``metadata.component`` for the tree. XML SBOMs are refused (convert them
with ``cyclonedx convert``): no XML is parsed here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from packageurl import PackageURL

from techfile.evidence.soup.graph import key, locked
from techfile.evidence.soup.interface import DependencySource, Lock, Locked, SoupInputError
from techfile.evidence.soup.sources import load_json, require

SPEC_VERSIONS = ("1.4", "1.5", "1.6")


class CycloneDxError(SoupInputError):
    """A CycloneDX SBOM that cannot be read."""


def _walk(components: object) -> Iterator[dict[str, Any]]:
    for component in components if isinstance(components, list) else []:
        if isinstance(component, dict):
            yield component
            yield from _walk(component.get("components"))


def _licence(component: dict[str, Any]) -> str:
    parts = []
    for entry in component.get("licenses") or []:
        if not isinstance(entry, dict):
            continue
        if "expression" in entry:
            parts.append(str(entry["expression"]))
        elif isinstance(entry.get("license"), dict):
            licence = entry["license"]
            parts.append(str(licence.get("id") or licence.get("name") or ""))
    parts = [p for p in parts if p]
    return " AND ".join(f"({p})" if " " in p else p for p in parts)


def _supplier(component: dict[str, Any]) -> str:
    for field in ("supplier", "manufacturer"):
        value = component.get(field)
        if isinstance(value, dict) and value.get("name"):
            return str(value["name"])
    authors = component.get("authors")
    if isinstance(authors, list) and authors and isinstance(authors[0], dict):
        return str(authors[0].get("name") or "")
    return str(component.get("author") or component.get("publisher") or "")


def _ecosystem(purl: str) -> str:
    try:
        return PackageURL.from_string(purl).type if purl else "generic"
    except ValueError:
        return "generic"


class CycloneDx(DependencySource):
    format = "cyclonedx"
    description = "CycloneDX JSON SBOM (specVersion 1.4-1.6; cyclonedx-py and others)"

    def detects(self, path: Path, head: str) -> bool:
        return '"bomFormat"' in head or path.name.endswith((".cdx.json", "bom.json"))

    def read(self, path: Path, shown: str, text: str) -> Lock:
        data = require(load_json(text, shown, CycloneDxError), dict, "the document", shown, CycloneDxError, 1)
        if data.get("bomFormat") != "CycloneDX" or str(data.get("specVersion")) not in SPEC_VERSIONS:
            raise CycloneDxError(
                f"is not a CycloneDX JSON SBOM of specVersion {', '.join(SPEC_VERSIONS)} (bomFormat {data.get('bomFormat')!r}, specVersion {data.get('specVersion')!r})", path=shown, line=1, fix="write it as CycloneDX JSON 1.4-1.6 (cyclonedx-py ... --output-format JSON --sv 1.6)"
            )
        by_ref: dict[str, str] = {}
        found: list[tuple[dict[str, Any], int]] = []
        cursor = 0
        for component in _walk(data.get("components")):
            ref = str(component.get("bom-ref") or "")
            at = text.find(f'"{ref}"', cursor) if ref else -1
            line = text.count("\n", 0, at) + 1 if at >= 0 else 1
            cursor = max(cursor, at)
            if not isinstance(component.get("name"), str):
                raise CycloneDxError("a component has no name", path=shown, line=line, fix="give every component a name and version")
            found.append((component, line))
            if ref:
                by_ref[ref] = component["name"]
        edges: dict[str, list[str]] = {}
        for entry in data.get("dependencies") or []:
            if isinstance(entry, dict) and isinstance(entry.get("ref"), str):
                edges[entry["ref"]] = [by_ref.get(str(d), str(d)) for d in entry.get("dependsOn") or []]
        root = (data.get("metadata") or {}).get("component") or {}
        root_ref = str(root.get("bom-ref") or "")
        packages: list[Locked] = []
        for component, line in found:
            purl = str(component.get("purl") or "")
            ecosystem = _ecosystem(purl)
            version = str(component.get("version") or "")
            hashes = [f"{h.get('alg', '').lower().replace('-', '')}:{h.get('content', '')}" for h in component.get("hashes") or [] if isinstance(h, dict)]
            scope = component.get("scope")
            packages.append(
                locked(component["name"], version, line, ecosystem=ecosystem, dependencies=edges.get(str(component.get("bom-ref") or ""), []), hashes=tuple(hashes), license=_licence(component), supplier=_supplier(component), purl=purl, exact=bool(version), dev=True if scope == "excluded" else None)
            )
        roots = tuple(sorted({key(n) for n in edges.get(root_ref, [])})) if edges.get(root_ref) else None
        return Lock(self.format, tuple(packages), roots, (), str(root.get("name") or "") if roots is not None else "")
