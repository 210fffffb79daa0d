"""A :class:`~techfile.evidence.soup.vulnerabilities.Scan` becomes one scan
need (``SCAN_<file>``) and one vulnerability need per vulnerability and
affected package version (``VULN_<id>_<package>_<version>``)."""

from __future__ import annotations

import re

from techfile.evidence.interface import EvidenceNeed
from techfile.evidence.soup.vulnerabilities import Scan, Vulnerability
from techfile.model.roles import Role

#: The fields a report alone determines; ``scanned_on`` is not one (a job may give it for a report that records no date).
DERIVED_FIELDS = (
    "vulnerability_id", "aliases", "package", "version", "ecosystem", "vulnerability_severity", "fixed_in", "analysis_state", "analysis_detail",
    "analysis_response", "scanner", "scan_status", "scan_problem", "scanned_packages", "source_line",
)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")


def scan_id(scan: Scan) -> str:
    return f"SCAN_{_slug(scan.source_file.rsplit('/', 1)[-1])}"


def vulnerability_id(vulnerability: Vulnerability) -> str:
    return f"VULN_{_slug(f'{vulnerability.id}_{vulnerability.package}_{vulnerability.version}')}"


def _vulnerability_fields(scan: Scan, vulnerability: Vulnerability) -> dict[str, str]:
    fields = {
        "vulnerability_id": vulnerability.id,
        "aliases": ", ".join(vulnerability.aliases),
        "package": vulnerability.package,
        "version": vulnerability.version,
        "ecosystem": vulnerability.ecosystem,
        "vulnerability_severity": vulnerability.severity,
        "fixed_in": ", ".join(vulnerability.fixed_in),
        "analysis_state": vulnerability.analysis_state,
        "analysis_detail": vulnerability.analysis_detail,
        "analysis_response": vulnerability.analysis_response,
        "scanner": scan.scanner,
        "source_line": str(vulnerability.line),
    }
    return {name: value for name, value in fields.items() if value}


def _scan_fields(scan: Scan) -> dict[str, str]:
    fields = {
        "scanner": scan.scanner,
        "scan_status": "complete" if scan.complete else "incomplete",
        "scan_problem": scan.problem,
        "scanned_packages": ", ".join(f"{name}=={version}" for name, version in scan.scanned),
        "source_line": "1",
    }
    return {name: value for name, value in fields.items() if value}


def derived_needs(scan: Scan) -> dict[str, EvidenceNeed]:
    """What the report alone gives: the scan need and its vulnerability needs, by ID."""
    count = len(scan.vulnerabilities)
    status = "complete" if scan.complete else f"incomplete: {scan.problem}"
    needs = {
        scan_id(scan): EvidenceNeed(
            scan_id(scan), Role.VULNERABILITY_SCAN, f"{scan.scanner} report {scan.source_file}",
            content=f"{scan.scanner} report {scan.source_file}: {count} known vulnerabilit{'y' if count == 1 else 'ies'}; scan {status}.", fields=_scan_fields(scan),
        )
    }
    for vulnerability in scan.vulnerabilities:
        need_id = vulnerability_id(vulnerability)
        needs.setdefault(need_id, EvidenceNeed(need_id, Role.VULNERABILITY, f"{vulnerability.id} in {vulnerability.package} {vulnerability.version}", content=vulnerability.summary, fields=_vulnerability_fields(scan, vulnerability)))
    return needs


def scan_needs(scan: Scan, digest: str) -> list[EvidenceNeed]:
    """The needs ``techfile soup --vulnerabilities`` writes: the derived ones with the file, its digest and the scan date."""
    extra = {"source_file": scan.source_file, "source_sha256": digest, **({"scanned_on": scan.scanned_on} if scan.scanned_on else {})}
    return [EvidenceNeed(n.id, n.role, n.title, n.content, {**n.fields, **extra}) for n in derived_needs(scan).values()]
