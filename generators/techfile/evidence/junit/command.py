"""``techfile junit``: JUnit XML reports -> result needs (needs.json)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from techfile import provenance, resources
from techfile.errors import TechfileError
from techfile.evidence.interface import EvidenceNeed
from techfile.evidence.junit.mapping import Run, Specs
from techfile.evidence.junit.report import shown_path
from techfile.evidence.junit.settings import LEVELS, JUnitInput, JUnitJob, Level
from techfile.evidence.junit.source import JUnitSource
from techfile.evidence.needsjson import write_needs_json
from techfile.model.needmodel import NeedModel, load_need_model
from techfile.model.roles import Role
from techfile.project import Project, load_project

CREATOR = "junit"


def add_command(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "junit",
        help="turn JUnit XML reports into result needs (needs.json)",
        description="Read JUnit XML reports from any runner and write their test cases as sphinx-needs "
        "result needs, linked to the requirements and test specifications they verify. Without FILE "
        "arguments, runs the [[tool.techfile.junit]] jobs of the project.",
    )
    parser.add_argument("files", nargs="*", metavar="[LEVEL=]FILE", help="JUnit XML report; prefix with unit=, integration= or system= to give its test level")
    parser.add_argument("--output", "-o", help="needs.json to write (required with FILE arguments)")
    parser.add_argument("--level", choices=LEVELS, help="test level of every FILE without its own")
    parser.add_argument("--software-version", help="version under test (default: TECHFILE_SOFTWARE_VERSION, else git describe)")
    parser.add_argument("--commit", help="commit under test (default: the CI environment, else git rev-parse HEAD)")
    parser.add_argument("--project", type=Path, default=None, help="project directory (default: the nearest with [tool.techfile])")
    parser.set_defaults(handler=run)


def _specs(project: Project | None, model: NeedModel) -> Specs:
    """Authored test specifications and their ``junit`` case patterns."""
    spec_types = [model.types[name] for name in model.roles.types_of(Role.TEST_SPECIFICATION)]

    def is_spec_id(need_id: str) -> bool:
        return need_id in patterns or any(t.id_pattern.fullmatch(need_id) for t in spec_types)

    patterns: dict[str, tuple[str, ...]] = {}
    if project is not None:
        from techfile.readers.sources import read_corpus

        corpus = read_corpus(project, model, imports=False)
        for spec in corpus.by_role(Role.TEST_SPECIFICATION):
            patterns[spec.id] = tuple(p.strip() for p in (corpus.value(spec, "junit") or "").split(",") if p.strip())
    return Specs(patterns, is_spec_id)


def _parse_input(argument: str, default_level: Level | None) -> JUnitInput:
    level, _, path = argument.partition("=")
    for known in LEVELS:
        if path and level == known:
            return JUnitInput(path, known)
    return JUnitInput(argument, default_level)


def run(args: argparse.Namespace) -> int:
    try:
        project: Project | None = load_project(args.project)
    except TechfileError:
        if not args.files:
            raise
        project = None  # reports given on the command line, outside a project: the default model
    root_dir = project.root if project else Path.cwd()
    if args.files:
        if not args.output:
            raise TechfileError("--output is required with FILE arguments", fix="add -o needs/generated/junit.json")
        jobs: list[JUnitJob] = [JUnitJob(args.output, tuple(_parse_input(a, args.level) for a in args.files), None)]
    else:
        jobs = list(project.evidence_jobs(CREATOR)) if project else []
        if not jobs:
            raise TechfileError(
                "no FILE given and no [[tool.techfile.junit]] job in pyproject.toml",
                fix="pass reports: techfile junit report.xml -o out.json",
            )
    model = load_need_model(project.declaration("need_model") if project else resources.packaged_declaration(resources.DEFAULT, "need_model"))
    if not model.roles.has(Role.TEST_RESULT):
        raise TechfileError("the need model maps no type to the role test_result, so test results cannot be written", path=model.path, fix='map one in [roles]: test_result = "<type>"')
    specs = _specs(project, model)
    # every job read before any is written: a bad report in any job leaves every output as it was
    done: list[tuple[Path, list[EvidenceNeed], str, JUnitSource]] = []
    for job in jobs:
        version = provenance.software_version(root_dir, args.software_version or job.software_version)
        source = JUnitSource(job, root_dir, specs, Run(version, provenance.commit(root_dir, args.commit)))
        output = Path(job.output) if Path(job.output).is_absolute() else root_dir / job.output
        done.append((output, source.read(), version, source))
    for output, needs, version, source in done:
        created = max((n.fields.get("timestamp", "") for n in needs), default="")
        write_needs_json(output, needs, model, version=version, creator=CREATOR, created=created)
        for report in source.empty_runs:
            print(f'techfile junit: note: {report} records a run of no test (tests="0"): no result from it')
        outcomes = {o: sum(1 for n in needs if n.fields["result"] == o) for o in ("passed", "failed", "error", "skipped")}
        print(f"techfile junit: {len(needs)} results ({', '.join(f'{v} {k}' for k, v in outcomes.items())}) -> {shown_path(output, root_dir)}")
    return 0
