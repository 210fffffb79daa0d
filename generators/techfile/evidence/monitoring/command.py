"""``techfile monitoring``: monitoring reports -> monitoring-result needs (needs.json), judged against the project's monitoring plan."""

from __future__ import annotations

import argparse
import glob
from dataclasses import replace
from pathlib import Path
from typing import Any

from techfile import provenance
from techfile.errors import TechfileError
from techfile.evidence.monitoring.mapping import PlanRule, monitoring_needs
from techfile.evidence.monitoring.reader import read_report
from techfile.evidence.monitoring.records import MonitoringError, MonitoringReport
from techfile.evidence.monitoring.settings import DEFAULT_MAX_BYTES, DEFAULT_OUTPUT, MonitoringJob
from techfile.evidence.monitoring.thresholds import parses
from techfile.evidence.needsjson import write_needs_json
from techfile.model.needmodel import load_need_model
from techfile.model.roles import Relation, Role
from techfile.project import Project, load_project

CREATOR = "monitoring"
ROLES = (Role.MONITORING_RULE, Role.MONITORING_RESULT, Role.ML_MODEL_VERSION)


def add_command(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "monitoring",
        help="read post-market monitoring reports (Evidently snapshots) into monitoring results (needs.json)",
        description="Read drift and performance reports of a monitoring library (Evidently snapshots, Snapshot.dumps(), with the "
        "model version, window and data digests in the report's metadata) into monitoring-result needs: metric, value, threshold, "
        "window, dataset digests and the model version monitored, each linked to the monitoring rule of the project's plan that "
        "names its metric and subgroup. A report of an unknown format, for a model version the technical file does not hold, "
        "with a metric the plan does not name, or bigger than the size limit is refused (exit 2) and nothing is written. "
        "Without REPORT arguments, runs the [[tool.techfile.monitoring]] jobs of the project.",
    )
    parser.add_argument("reports", nargs="*", metavar="REPORT", help="monitoring report files (glob patterns are expanded)")
    parser.add_argument("--output", "-o", help=f"needs.json to write (default: the job's output, else {DEFAULT_OUTPUT})")
    parser.add_argument("--model", help="ID of the authored ML model whose monitoring plan applies (default: every monitoring rule)")
    parser.add_argument("--max-report-bytes", type=int, default=None, help=f"refuse a report larger than this (default {DEFAULT_MAX_BYTES})")
    parser.add_argument("--software-version", help="version recorded in needs.json (default: TECHFILE_SOFTWARE_VERSION, else git describe)")
    parser.add_argument("--project", type=Path, default=None, help="project directory (default: the nearest with [tool.techfile])")
    parser.set_defaults(handler=run)


def _jobs(args: argparse.Namespace, project: Project) -> list[MonitoringJob]:
    if args.reports:
        return [MonitoringJob(args.output or DEFAULT_OUTPUT, tuple(args.reports), args.model, args.max_report_bytes or DEFAULT_MAX_BYTES)]
    jobs: list[MonitoringJob] = list(project.evidence_jobs(CREATOR))
    if not jobs:
        raise TechfileError("no REPORT given, and no [[tool.techfile.monitoring]] job in pyproject.toml", fix="techfile monitoring reports/*.json -o needs/generated/monitoring.json")
    if args.output and len(jobs) > 1:
        raise TechfileError(f"--output names one file, and the project has {len(jobs)} [[tool.techfile.monitoring]] jobs", fix="leave --output out, or keep one job")
    return [replace(job, output=args.output or job.output, model=args.model or job.model, max_report_bytes=args.max_report_bytes or job.max_report_bytes) for job in jobs]


def _files(job: MonitoringJob, root: Path) -> list[tuple[Path, str]]:
    """The report files of a job, each with how messages name it (relative to the project root where it lies below it)."""
    found: list[tuple[Path, str]] = []
    for pattern in job.reports:
        absolute = pattern if Path(pattern).is_absolute() else str(root / pattern)
        matches = sorted(glob.glob(absolute)) if glob.has_magic(pattern) else [absolute]
        if not matches:
            raise MonitoringError(f"the pattern {pattern!r} matches no report file", fix="generate the reports first, or correct the path")
        for match in matches:
            path = Path(match)
            try:
                shown = path.resolve().relative_to(root.resolve()).as_posix()
            except ValueError:
                shown = str(path)
            found.append((path, shown))
    return found


def run(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    root = project.root
    jobs = _jobs(args, project)
    model = load_need_model(project.declaration("need_model"))
    for role in ROLES:
        if not model.roles.has(role):
            raise TechfileError(f"the need model maps no type to the role {role.value}, so monitoring evidence cannot be written", path=model.path, fix=f'map one in [roles]: {role.value} = "<type>"')
    from techfile.readers.sources import read_corpus

    # the outputs of these jobs are left out: a stale or broken one must not stop its own regeneration
    outputs = [project.relative(Path(job.output) if Path(job.output).is_absolute() else root / job.output) for job in jobs]
    corpus = read_corpus(project, model, skip_imports=outputs)
    versions = {(corpus.value(v, "registered_model") or "", corpus.value(v, "model_version") or ""): v.id for v in corpus.by_role(Role.ML_MODEL_VERSION)}
    # every job read before any is written: a bad report in any job leaves every output as it was
    done: list[tuple[Path, list[Any], list[MonitoringReport], str]] = []
    for job in jobs:
        monitors = sorted(corpus.by_role(Role.MONITORING_RULE), key=lambda n: n.id)
        if job.model:
            if corpus.get(job.model) is None or not corpus.plays(corpus.get(job.model), Role.ML_MODEL):  # type: ignore[arg-type]
                raise TechfileError(f"the monitoring job names the model {job.model}, which is no ML model of the technical file", path=project.pyproject, fix="name the ID of an authored ml_model need")
            monitors = [m for m in monitors if job.model in corpus.link_targets(m, Relation.MONITORS)]
        plan = []
        for monitor in monitors:
            threshold = corpus.value(monitor, "threshold") or ""
            if not parses(threshold):
                raise TechfileError(f"{monitor.id}: the threshold {threshold!r} does not parse", path=root / monitor.path, line=monitor.line, fix="write e.g. `>= 0.70`, `<= 0.3` or `in [0.8, 1.2]`")
            plan.append(PlanRule(monitor.id, corpus.value(monitor, "monitored_metric") or "", corpus.value(monitor, "subgroup") or "", threshold))
        if not plan:
            raise MonitoringError("the project has no monitoring rule to judge the reports against (a `monitor` need)", path=project.pyproject, fix="write the monitoring plan: `monitor` needs with monitored_metric, threshold and `monitors: <model>`")
        reports = [read_report(path, shown, job.max_report_bytes) for path, shown in _files(job, root)]
        needs = monitoring_needs(reports, plan, versions)
        output = Path(job.output) if Path(job.output).is_absolute() else root / job.output
        done.append((output, needs, reports, provenance.software_version(root, args.software_version or job.software_version)))
    for output, needs, reports, version in done:
        created = max(r.window_end for r in reports)
        write_needs_json(output, needs, model, version=version, creator=CREATOR, created=created)
        beyond = [n for n in needs if n.fields.get("monitor_outcome") == "beyond"]
        try:
            shown_output = output.relative_to(root).as_posix()
        except ValueError:
            shown_output = str(output)
        print(f"techfile monitoring: {len(reports)} report(s), {len(needs)} result(s), {len(beyond)} beyond threshold -> {shown_output}")
    return 0
