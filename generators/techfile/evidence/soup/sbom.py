"""The CycloneDX 1.6 SBOM of a release, written with cyclonedx-python-lib
and validated against the 1.6 JSON schema before it is written.

The components are the runtime components of the dependency files (what the
device ships); the FDA fields that no lock file records come from the
authored SOUP items of the same package: the supplier (``manufacturer``),
the level of support and the end of support (as ``techfile:`` properties,
CycloneDX having no field of its own for them). The dependency graph is the
lock file's. Same inputs, same bytes: the serial number is derived from the
content and the timestamp is ``SOURCE_DATE_EPOCH`` (none without it).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from techfile.evidence.soup.graph import key
from techfile.evidence.soup.interface import Component, SoupInputError

#: The FDA cybersecurity fields (V.A.4 b) every component of the SBOM should carry.
FDA_FIELDS = ("supplier", "support_level", "end_of_support")


@dataclass(frozen=True)
class SoupFacts:
    """What an authored SOUP item adds to its component in the SBOM."""

    manufacturer: str = ""
    license: str = ""
    support_level: str = ""
    end_of_support: str = ""


def _hash(value: str) -> tuple[str, str] | None:
    algorithm, _, content = value.partition(":")
    names = {"sha256": "SHA-256", "sha384": "SHA-384", "sha512": "SHA-512", "sha1": "SHA-1", "md5": "MD5"}
    if algorithm.lower() in names and content and all(c in "0123456789abcdefABCDEF" for c in content):
        return names[algorithm.lower()], content.lower()
    return None


def sbom_json(components: Sequence[Component], soups: Mapping[str, SoupFacts], *, device: str, version: str, timestamp: datetime | None) -> tuple[bytes, list[str]]:
    """The SBOM as JSON bytes, and the components that lack an FDA field (``name version: lacks ...``)."""
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component as CdxComponent
    from cyclonedx.model.component import ComponentType
    from cyclonedx.model.contact import OrganizationalEntity
    from cyclonedx.model.license import LicenseExpression
    from cyclonedx.output.json import JsonV1Dot6
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    from packageurl import PackageURL

    runtime = sorted((c for c in components if c.runtime), key=lambda c: (c.ecosystem, key(c.name, c.ecosystem), c.version))
    bom = Bom()
    root = CdxComponent(name=device, version=version, type=ComponentType.APPLICATION, bom_ref=f"{device}@{version}")
    bom.metadata.component = root
    made: dict[str, list[CdxComponent]] = {}
    lacking: list[str] = []
    for component in runtime:
        facts = soups.get(key(component.name, component.ecosystem), SoupFacts())
        supplier = component.supplier or facts.manufacturer
        licence = component.license or facts.license
        properties = [Property(name=f"techfile:{name}", value=value) for name, value in (("support_level", facts.support_level), ("end_of_support", facts.end_of_support), ("dependency", "direct" if component.direct else "transitive")) if value]
        hashes = [HashType(alg=HashAlgorithm(alg), content=content) for alg, content in sorted(filter(None, (_hash(h) for h in component.hashes)))]
        made_component = CdxComponent(
            name=component.name,
            version=component.version,
            type=ComponentType.LIBRARY,
            bom_ref=component.purl or f"{component.ecosystem}:{component.name}@{component.version}",
            purl=PackageURL.from_string(component.purl) if component.purl else None,
            supplier=OrganizationalEntity(name=supplier) if supplier else None,
            licenses=[LicenseExpression(licence)] if licence else None,
            hashes=hashes,
            properties=properties,
        )
        bom.components.add(made_component)
        made.setdefault(key(component.name, component.ecosystem), []).append(made_component)
        missing = [name for name, value in (("supplier", supplier), ("support_level", facts.support_level), ("end_of_support", facts.end_of_support)) if not value]
        if missing:
            lacking.append(f"{component.name} {component.version}: lacks {', '.join(missing)}")
    for component in runtime:
        own = next(c for c in made[key(component.name, component.ecosystem)] if c.version == component.version)
        children = [c for name in component.dependencies for c in made.get(name, [])]
        if children:
            bom.register_dependency(own, children)
    bom.register_dependency(root, [c for component in runtime if component.direct for c in made[key(component.name, component.ecosystem)] if c.version == component.version])
    bom.metadata.timestamp = timestamp or datetime(1970, 1, 1, tzinfo=UTC)
    bom.serial_number = uuid.UUID(int=0)
    text = JsonV1Dot6(bom).output_as_string(indent=2)
    document = json.loads(text)
    if timestamp is None:
        del document["metadata"]["timestamp"]  # no clock: a timestamp only from SOURCE_DATE_EPOCH
    content = json.dumps({k: v for k, v in document.items() if k != "serialNumber"}, sort_keys=True)
    document["serialNumber"] = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, content)}"
    out = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    problem = JsonStrictValidator(SchemaVersion.V1_6).validate_str(out)
    if problem is not None:
        raise SoupInputError(f"the SBOM does not validate against CycloneDX 1.6: {problem}", fix="report this as a techfile bug, with the dependency file")
    return out.encode("utf-8"), lacking
