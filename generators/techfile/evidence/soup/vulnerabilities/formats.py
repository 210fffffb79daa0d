"""The four report formats, one class each."""

from __future__ import annotations

from typing import Any

from techfile.evidence.soup.vulnerabilities import ReportFormat, Scan, Vulnerability, VulnerabilityReportError, line_of


def _date(value: object) -> str:
    return str(value)[:10] if isinstance(value, str) and len(value) >= 10 else ""


class PipAudit(ReportFormat):
    """``pip-audit --format json``: ``{"dependencies": [{"name", "version", "vulns": [...]} | {"name", "skip_reason"}], "fixes": [...]}``."""

    format = "pip-audit"
    description = "pip-audit --format json"

    def detects(self, data: Any) -> bool:
        return isinstance(data, dict) and isinstance(data.get("dependencies"), list) and "fixes" in data

    def read(self, data: Any, text: str, shown: str) -> Scan:
        scanned: list[tuple[str, str]] = []
        skipped: list[str] = []
        found: list[Vulnerability] = []
        cursor = 0
        for entry in data["dependencies"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise VulnerabilityReportError("a dependency without a name", path=shown, line=line_of(text, "{", cursor)[0], fix="give the report pip-audit wrote")
            _, cursor = line_of(text, f'"{entry["name"]}"', cursor)
            if entry.get("skip_reason"):
                skipped.append(f"{entry['name']} ({entry['skip_reason']})")
                continue
            version = str(entry.get("version") or "")
            scanned.append((entry["name"], version))
            for vuln in entry.get("vulns") or []:
                vuln_line, cursor = line_of(text, f'"{vuln.get("id", "")}"', cursor)
                found.append(Vulnerability(str(vuln.get("id")), entry["name"], version, vuln_line, aliases=tuple(sorted(vuln.get("aliases") or [])), fixed_in=tuple(vuln.get("fix_versions") or []), summary=str(vuln.get("description") or "")[:300]))
        problem = ""
        if skipped:
            problem = f"skipped {len(skipped)} package(s): {', '.join(skipped[:5])}"
        elif not scanned:
            problem = "audited no package (pip-audit reports none when it cannot reach its vulnerability service)"
        return Scan("pip-audit", shown, "", not problem, problem, tuple(sorted(scanned)), tuple(found))


class OsvScanner(ReportFormat):
    """``osv-scanner --format json``: ``{"results": [{"source", "packages": [{"package": {...}, "vulnerabilities": [...]}]}]}``."""

    format = "osv-scanner"
    description = "osv-scanner --format json"

    def detects(self, data: Any) -> bool:
        return isinstance(data, dict) and isinstance(data.get("results"), list)

    def read(self, data: Any, text: str, shown: str) -> Scan:
        found: list[Vulnerability] = []
        scanned: list[tuple[str, str]] = []
        cursor = 0
        for result in data["results"]:
            for entry in (result or {}).get("packages") or []:
                package = entry.get("package") or {}
                name, version = str(package.get("name") or ""), str(package.get("version") or "")
                ecosystem = str(package.get("ecosystem") or "PyPI").lower()
                scanned.append((name, version))
                for vuln in entry.get("vulnerabilities") or []:
                    line, cursor = line_of(text, f'"{vuln.get("id", "")}"', cursor)
                    severity = next((str(s.get("score")) for s in vuln.get("severity") or [] if isinstance(s, dict)), "")
                    found.append(Vulnerability(str(vuln.get("id")), name, version, line, ecosystem=ecosystem, aliases=tuple(sorted(vuln.get("aliases") or [])), severity=severity, summary=str(vuln.get("summary") or "")[:300]))
        problem = "" if data["results"] else "lists no scanned source: OSV-Scanner also writes this when it scanned nothing or could not reach osv.dev (run it with --offline-vulnerabilities and a local database)"
        return Scan("osv-scanner", shown, "", not problem, problem, tuple(sorted(scanned)), tuple(found), lists_clean_packages=False)


class DependencyCheck(ReportFormat):
    """OWASP Dependency-Check ``--format JSON``: ``reportSchema``, ``scanInfo`` (``dataSource`` timestamps, ``analysisExceptions``), ``projectInfo.reportDate``, ``dependencies``."""

    format = "dependency-check"
    description = "OWASP Dependency-Check --format JSON"

    def detects(self, data: Any) -> bool:
        return isinstance(data, dict) and "reportSchema" in data and "scanInfo" in data

    def read(self, data: Any, text: str, shown: str) -> Scan:
        info = data.get("scanInfo") or {}
        found: list[Vulnerability] = []
        scanned: list[tuple[str, str]] = []
        cursor = 0
        for dependency in data.get("dependencies") or []:
            packages = [p.get("id", "") for p in dependency.get("packages") or [] if isinstance(p, dict)]
            for purl in packages:
                name, _, version = str(purl).split("/", 1)[-1].partition("@")
                scanned.append((name, version))
                for vuln in dependency.get("vulnerabilities") or []:
                    line, cursor = line_of(text, f'"{vuln.get("name", "")}"', cursor)
                    found.append(Vulnerability(str(vuln.get("name")), name, version, line, severity=str(vuln.get("severity") or ""), summary=str(vuln.get("description") or "")[:300]))
        problems = []
        if not info.get("dataSource"):
            problems.append("records no vulnerability data source (the NVD database was not reached)")
        if info.get("analysisExceptions"):
            problems.append(f"records {len(info['analysisExceptions'])} analysis exception(s)")
        problem = "; ".join(problems)
        return Scan("dependency-check", shown, _date((data.get("projectInfo") or {}).get("reportDate")), not problem, problem, tuple(sorted(set(scanned))), tuple(found))


class CycloneDxVex(ReportFormat):
    """CycloneDX VEX (JSON, specVersion 1.4-1.6): ``vulnerabilities`` with ``affects[].ref`` (a purl or a bom-ref) and ``analysis``."""

    format = "cyclonedx-vex"
    description = "CycloneDX VEX JSON (specVersion 1.4-1.6)"

    def detects(self, data: Any) -> bool:
        return isinstance(data, dict) and data.get("bomFormat") == "CycloneDX" and isinstance(data.get("vulnerabilities"), list)

    def read(self, data: Any, text: str, shown: str) -> Scan:
        refs = {str(c.get("bom-ref")): str(c.get("purl") or "") for c in data.get("components") or [] if isinstance(c, dict) and c.get("bom-ref")}
        found: list[Vulnerability] = []
        cursor = 0
        for vuln in data["vulnerabilities"]:
            line, cursor = line_of(text, f'"{vuln.get("id", "")}"', cursor)
            analysis = vuln.get("analysis") or {}
            severity = next((str(r.get("severity")) for r in vuln.get("ratings") or [] if isinstance(r, dict) and r.get("severity")), "")
            for affected in vuln.get("affects") or []:
                ref = str(affected.get("ref") or "")
                purl = refs.get(ref, ref)
                if not purl.startswith("pkg:"):
                    raise VulnerabilityReportError(f"{vuln.get('id')} affects {ref!r}, which is no purl and no component of the VEX", path=shown, line=line, fix="give affects[].ref as a purl (pkg:pypi/name@version) or a bom-ref of a component")
                ecosystem, _, rest = purl[4:].partition("/")
                name, _, version = rest.split("?")[0].partition("@")
                found.append(
                    Vulnerability(
                        str(vuln.get("id")), name.replace("%40", "@"), version, line, ecosystem=ecosystem, severity=severity,
                        aliases=tuple(sorted(str(r.get("id")) for r in vuln.get("references") or [] if isinstance(r, dict) and r.get("id"))),
                        summary=str(vuln.get("description") or "")[:300], analysis_state=str(analysis.get("state") or ""),
                        analysis_detail=str(analysis.get("detail") or analysis.get("justification") or ""), analysis_response=", ".join(analysis.get("response") or []),
                    )
                )
        return Scan("cyclonedx-vex", shown, _date((data.get("metadata") or {}).get("timestamp")), True, "", (), tuple(found), lists_clean_packages=False)


REPORT_FORMATS: tuple[ReportFormat, ...] = (PipAudit(), OsvScanner(), DependencyCheck(), CycloneDxVex())
