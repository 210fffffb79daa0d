"""``techfile soup``: dependency files -> component needs (needs.json)."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from techfile import provenance, resources
from techfile.errors import TechfileError
from techfile.evidence.interface import EvidenceNeed
from techfile.evidence.needsjson import write_needs_json
from techfile.evidence.soup.diff import soup_diff
from techfile.evidence.soup.formats import FORMATS, read_components, supported
from techfile.evidence.soup.interface import Component, SoupInputError
from techfile.evidence.soup.mapping import assign_ids, component_need
from techfile.evidence.soup.sbom import SoupFacts, sbom_json
from techfile.evidence.soup.settings import SoupJob, VulnerabilityInput
from techfile.evidence.soup.vulnerabilities import read_report
from techfile.evidence.soup.vulnerabilities.mapping import scan_needs
from techfile.fileio import write_atomic
from techfile.model.needmodel import NeedModel, load_need_model
from techfile.model.roles import Role
from techfile.project import Project, load_project

CREATOR = "soup"


def add_command(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "soup",
        help="turn lock files, requirements files and SBOMs into component needs (needs.json)",
        description=f"Read dependency files and write each locked package as a sphinx-needs component need: name, exact "
        f"version, supplier, SPDX licence, purl, ecosystem, direct or transitive with the path that pulls it in, runtime or "
        f"development, hashes, and the file and line it came from. Without SOURCE arguments, runs the "
        f"[[tool.techfile.soup]] jobs of the project. Formats: {supported()}.",
    )
    parser.add_argument("sources", nargs="*", metavar="SOURCE", help="lock file, requirements file, SBOM or site-packages folder")
    parser.add_argument("--output", "-o", help="needs.json to write (required with SOURCE arguments)")
    parser.add_argument("--format", choices=sorted(FORMATS), help="format of every SOURCE (default: detected)")
    parser.add_argument("--vulnerabilities", action="append", default=[], metavar="REPORT", help="vulnerability report to read as a file (pip-audit, OSV-Scanner or Dependency-Check JSON, CycloneDX VEX); repeat for several")
    parser.add_argument("--scanned-on", metavar="YYYY-MM-DD", help="date of the scan of every REPORT that records none")
    parser.add_argument("--sbom", metavar="OUT.cdx.json", help="also write the CycloneDX 1.6 SBOM of the release (runtime components, with the supplier, support level and end of support of their SOUP items), validated against the 1.6 schema")
    parser.add_argument("--diff", nargs=2, metavar=("OLD", "NEW"), help="print the SOUP changes (added, removed, upgraded, downgraded) between two dependency files or two generated soup needs.json, as Markdown; with --output, write them there")
    parser.add_argument("--software-version", help="version the components are of (default: TECHFILE_SOFTWARE_VERSION, else git describe)")
    parser.add_argument("--project", type=Path, default=None, help="project directory (default: the nearest with [tool.techfile])")
    parser.set_defaults(handler=run)


def sbom_timestamp() -> datetime | None:
    """SOURCE_DATE_EPOCH as the SBOM's timestamp; None without it (no clock: the same inputs, the same bytes)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return None
    if not epoch.isdigit():
        raise TechfileError(f"SOURCE_DATE_EPOCH is {epoch!r}, not a number of seconds", fix="set it to a Unix time (e.g. `git log -1 --format=%ct`), or unset it")
    return datetime.fromtimestamp(int(epoch), UTC)


def shown_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def job_needs(job: SoupJob, root: Path, from_cwd: bool) -> tuple[list[EvidenceNeed], list[Component]]:
    """The needs of one job and its components; every source read, one ID from one file only."""
    needs: dict[str, EvidenceNeed] = {}
    read: list[Component] = []
    for value in job.sources:
        path = Path(value) if Path(value).is_absolute() or from_cwd else root / value
        shown = shown_path(path, root)
        components, digests = read_components(path, shown, job.format)
        for need_id, component in assign_ids(components).items():
            other = needs.get(need_id)
            if other is not None:
                raise SoupInputError(
                    f"{component.name} {component.version} is also read from {other.fields['source_file']}:{other.fields['source_line']}",
                    path=shown,
                    line=component.source_line,
                    fix="give each job one lock file or SBOM per ecosystem (one file is the evidence of a component)",
                )
            needs[need_id] = component_need(need_id, component, digests[component.source_file])
            read.append(component)
    for report in job.vulnerabilities:
        path = Path(report.path) if Path(report.path).is_absolute() or from_cwd else root / report.path
        shown = shown_path(path, root)
        scan = read_report(path, shown, report.scanned_on or "")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        for need in scan_needs(scan, digest):
            if need.id in needs:
                raise SoupInputError(f"{need.id} is also read from {needs[need.id].fields.get('source_file')}", path=shown, line=int(need.fields.get("source_line", "1")), fix="give each report once, with distinct file names")
            needs[need.id] = need
    return list(needs.values()), read


def _soup_facts(project: Project | None, model: NeedModel) -> dict[str, SoupFacts]:
    """The authored SOUP items by package name: what the SBOM takes from them."""
    if project is None:
        return {}
    from techfile.checks.predicates.soup import package_key
    from techfile.readers.sources import read_corpus

    corpus = read_corpus(project, model, imports=False)
    facts: dict[str, SoupFacts] = {}
    for soup in corpus.by_role(Role.SOUP_ITEM):
        purl = (corpus.value(soup, "purl") or "").strip()
        name = purl.split("@", 1)[0].split("/", 1)[1] if purl.startswith("pkg:") and "/" in purl else soup.title
        facts[package_key(name)] = SoupFacts(*(corpus.value(soup, field) or "" for field in ("manufacturer", "license", "support_level", "end_of_support")))
    return facts


def _diff(args: argparse.Namespace) -> int:
    old, new = (Path(value) for value in args.diff)
    text = soup_diff(old, new, args.diff[0], args.diff[1])
    if args.output:
        write_atomic(Path(args.output), text.encode("utf-8"))
        print(f"techfile soup: SOUP changes -> {args.output}")
    else:
        print(text, end="")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.diff:
        return _diff(args)
    try:
        project: Project | None = load_project(args.project)
    except TechfileError:
        if not args.sources:
            raise
        project = None  # files given on the command line, outside a project: the default model
    root = project.root if project else Path.cwd()
    if args.sources:
        if not args.output:
            raise TechfileError("--output is required with SOURCE arguments", fix="add -o needs/generated/soup.json")
        reports = tuple(VulnerabilityInput(str(Path(r).resolve()), args.scanned_on) for r in args.vulnerabilities)
        jobs = [SoupJob(str(Path(args.output).resolve()), tuple(str(Path(s).resolve()) for s in args.sources), args.format, reports)]
    else:
        jobs = list(project.evidence_jobs(CREATOR)) if project else []
        if not jobs:
            raise TechfileError("no SOURCE given and no [[tool.techfile.soup]] job in pyproject.toml", fix="pass a lock file: techfile soup uv.lock -o needs/generated/soup.json")
    model = load_need_model(project.declaration("need_model") if project else resources.packaged_declaration(resources.DEFAULT, "need_model"))
    if not model.roles.has(Role.DEPENDENCY_COMPONENT):
        raise TechfileError("the need model maps no type to the role dependency_component, so components cannot be written", path=model.path, fix='map one in [roles]: dependency_component = "<type>"')
    # every job read before any is written: a bad file in any job leaves every output as it was
    done: list[tuple[Path, list[EvidenceNeed], str]] = []
    everything: list[Component] = []
    for job in jobs:
        version = provenance.software_version(root, args.software_version or job.software_version)
        output = Path(job.output) if Path(job.output).is_absolute() else root / job.output
        needs, components = job_needs(job, root, from_cwd=False)
        done.append((output, needs, version))
        everything += components
    sbom: tuple[Path, bytes, list[str]] | None = None
    if args.sbom:
        device = next((c.path[0] for c in everything if c.direct and c.path), project.root.name if project else root.name)
        data, lacking = sbom_json(everything, _soup_facts(project, model), device=device, version=done[0][2], timestamp=sbom_timestamp())
        sbom = (Path(args.sbom).resolve(), data, lacking)
    for output, needs, version in done:
        write_needs_json(output, needs, model, version=version, creator=CREATOR, created="")
        runtime = sum(1 for n in needs if n.fields.get("scope") == "runtime")
        direct = sum(1 for n in needs if n.fields.get("scope") == "runtime" and n.fields.get("dependency") == "direct")
        component_count = sum(1 for n in needs if n.role is Role.DEPENDENCY_COMPONENT)
        vulnerabilities = sum(1 for n in needs if n.role is Role.VULNERABILITY)
        scans = [n for n in needs if n.role is Role.VULNERABILITY_SCAN]
        reported = f", {vulnerabilities} known vulnerabilities from {len(scans)} report(s)" if scans else ""
        print(f"techfile soup: {component_count} components ({runtime} runtime, {direct} of them direct){reported} -> {shown_path(output, root)}")
        for scan in scans:
            if scan.fields.get("scan_status") == "incomplete":
                print(f"techfile soup: warning: {scan.fields.get('source_file')}: the scan is incomplete ({scan.fields.get('scan_problem')}): it is no evidence of no vulnerabilities")
    if sbom is not None:
        path, data, lacking = sbom
        write_atomic(path, data)
        count = len(json.loads(data).get("components", []))
        print(f"techfile soup: CycloneDX 1.6 SBOM of {count} runtime components, valid -> {shown_path(path, root)}")
        for entry in lacking:
            print(f"techfile soup: note: SBOM component {entry} (FDA cybersecurity V.A.4 b; author its SOUP item)")
    return 0
