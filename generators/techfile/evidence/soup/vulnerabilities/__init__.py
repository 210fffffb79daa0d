"""Vulnerability reports, read offline as files: pip-audit JSON,
OSV-Scanner JSON, OWASP Dependency-Check JSON and CycloneDX VEX (JSON).

No vulnerability service is reachable from a build: the reports are made
where the scanners run and handed over as files. Each is read into a
:class:`Scan` (what was scanned, when, whether the scan could reach its
database) and its :class:`Vulnerability` records. A scan that found nothing
because it could not reach its database is ``complete = False``, never an
empty all-clear (rule S05).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from techfile.evidence.soup.interface import SoupInputError


class VulnerabilityReportError(SoupInputError):
    """A vulnerability report that cannot be read; nothing is written."""


@dataclass(frozen=True)
class Vulnerability:
    """One known vulnerability of one package version, as a report records it."""

    id: str
    package: str
    version: str
    line: int
    ecosystem: str = "pypi"
    aliases: tuple[str, ...] = ()
    severity: str = ""
    fixed_in: tuple[str, ...] = ()
    summary: str = ""
    analysis_state: str = ""
    """CycloneDX VEX ``analysis.state`` (``not_affected``, ``exploitable``, ...): the report's own evaluation."""
    analysis_detail: str = ""
    analysis_response: str = ""


@dataclass(frozen=True)
class Scan:
    """One report: the scanner, when it ran, whether it could reach its database, what it scanned."""

    scanner: str
    source_file: str
    scanned_on: str
    complete: bool
    problem: str
    scanned: tuple[tuple[str, str], ...]
    """(package, version) the scanner looked at; empty when the format lists only affected packages."""
    vulnerabilities: tuple[Vulnerability, ...]
    lists_clean_packages: bool = True
    """Whether the format lists the packages it found nothing for (pip-audit, Dependency-Check) or only affected ones (OSV-Scanner, VEX)."""


class ReportFormat(ABC):
    format: ClassVar[str]
    description: ClassVar[str]

    @abstractmethod
    def detects(self, data: Any) -> bool:
        """Whether the parsed JSON ``data`` is a report of this format."""

    @abstractmethod
    def read(self, data: Any, text: str, shown: str) -> Scan:
        """The scan; :class:`VulnerabilityReportError` naming ``shown`` and the line."""


def line_of(text: str, needle: str, start: int = 0) -> tuple[int, int]:
    """(line of ``needle`` at or after ``start``, its offset) — (1, start) when absent."""
    at = text.find(needle, start)
    return (text.count("\n", 0, at) + 1, at) if at >= 0 else (1, start)


def read_report(path: Path, shown: str, scanned_on: str = "") -> Scan:
    """The scan of one report file, its format detected; ``scanned_on`` when the report records no date."""
    from dataclasses import replace

    from techfile.evidence.soup.sources import load_json, read_text
    from techfile.evidence.soup.vulnerabilities.formats import REPORT_FORMATS

    text = read_text(path, shown, VulnerabilityReportError)
    data = load_json(text, shown, VulnerabilityReportError)
    for report in REPORT_FORMATS:
        if report.detects(data):
            scan = report.read(data, text, shown)
            return replace(scan, scanned_on=scan.scanned_on or scanned_on)
    raise VulnerabilityReportError(
        "is not a vulnerability report techfile reads",
        path=shown,
        line=1,
        fix="give the JSON report of one of: " + "; ".join(r.description for r in REPORT_FORMATS),
    )
