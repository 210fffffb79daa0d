"""SOUP and SBOM evidence: lock files, requirements files, installed
environments and SBOMs as component needs (IEC 62304 8.1.2, FDA
cybersecurity V.A.4 b).

:mod:`~techfile.evidence.soup.sources` has one module per dependency file
format behind :class:`~techfile.evidence.soup.interface.DependencySource`;
:mod:`~techfile.evidence.soup.formats` detects which one a file is;
:mod:`~techfile.evidence.soup.graph` resolves direct, transitive, runtime
and development and the path that pulls each package in;
:mod:`~techfile.evidence.soup.mapping` maps a component to a component need;
:mod:`~techfile.evidence.soup.command` is ``techfile soup``.

The dependency file alone determines its components, so the evidence
integrity check regenerates them (:meth:`SoupKind.regenerate`).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from techfile.evidence.interface import EvidenceError, EvidenceKind, EvidenceNeed
from techfile.evidence.soup.mapping import DERIVED_FIELDS, assign_ids, derived_need
from techfile.evidence.soup.settings import SoupJob
from techfile.evidence.soup.vulnerabilities.mapping import DERIVED_FIELDS as VULNERABILITY_FIELDS
from techfile.model.roles import Role


class SoupKind(EvidenceKind):
    name = "soup"
    job_type = SoupJob
    summary = "lock files, requirements files and SBOMs -> component needs"
    roles = (Role.DEPENDENCY_COMPONENT, Role.VULNERABILITY, Role.VULNERABILITY_SCAN)
    derived_fields = tuple(dict.fromkeys((*DERIVED_FIELDS, *VULNERABILITY_FIELDS)))

    def add_command(self, commands: argparse._SubParsersAction[Any]) -> None:
        from techfile.evidence.soup.command import add_command

        add_command(commands)

    def regenerate(self, source: Path, shown: str) -> Mapping[str, EvidenceNeed]:
        """The component needs of the dependency file ``source``, as ``techfile soup`` gives them, without the digest."""
        from techfile.evidence.soup.formats import read_components

        if not source.exists():
            raise EvidenceError("does not exist", path=shown, fix="regenerate the evidence with `techfile soup`")
        if source.is_file() and source.suffix == ".json" and _is_report(source):
            from techfile.evidence.soup.vulnerabilities import read_report
            from techfile.evidence.soup.vulnerabilities.mapping import derived_needs

            return derived_needs(read_report(source, shown))
        components, _ = read_components(source, shown)
        return {need_id: derived_need(need_id, component) for need_id, component in assign_ids(components).items()}


def _is_report(source: Path) -> bool:
    """Whether a JSON file is a vulnerability report rather than an SBOM or lock file (a VEX is a CycloneDX document with vulnerabilities)."""
    import json

    from techfile.evidence.soup.vulnerabilities.formats import REPORT_FORMATS

    try:
        data = json.loads(source.read_bytes()[: 64 * 1024 * 1024])
    except (ValueError, OSError):
        return False
    return any(report.detects(data) for report in REPORT_FORMATS)


KIND = SoupKind()
"""``techfile soup``: dependency files -> component needs (needs.json)."""
