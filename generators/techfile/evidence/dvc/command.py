"""``techfile dvc``: the datasets a DVC repository tracks -> dataset version needs (needs.json)."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

from techfile import provenance, resources
from techfile.errors import TechfileError
from techfile.evidence.dvc.mapping import evidence_needs
from techfile.evidence.dvc.reader import DvcEvidenceError, DvcRepoRecord, read_repo
from techfile.evidence.dvc.settings import DEFAULT_OUTPUT, DvcJob
from techfile.evidence.interface import EvidenceNeed
from techfile.evidence.needsjson import write_needs_json
from techfile.model.needmodel import load_need_model
from techfile.model.roles import Role
from techfile.project import Project, load_project

CREATOR = "dvc"


def add_command(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "dvc",
        help="read the datasets a DVC repository tracks (dvc.lock, .dvc files) into dataset version needs (needs.json)",
        description="Read every output a DVC repository's dvc.lock and .dvc files lock, through DVC's own library: path, hash "
        "and its algorithm, size, number of files, the stage with its command, dependencies, outputs and parameters, and the "
        "SHA-256 of the locked content (from the DVC cache, else the workspace), which is the digest MLflow runs log for their "
        "dataset inputs. With record-key columns, counts the records, patients and sites of each CSV output and those it shares "
        "with the others (counts only). Without --repo, runs the [[tool.techfile.dvc]] jobs of the project.",
    )
    parser.add_argument("--repo", type=Path, help="the DVC repository root (the folder with .dvc/)")
    parser.add_argument("--describes", action="append", default=[], metavar="PATH=ID", help="an output that versions an authored dataset (data/test.csv=DATA_TEST); repeatable")
    parser.add_argument("--output", "-o", help=f"needs.json to write (default: the job's output, else {DEFAULT_OUTPUT})")
    parser.add_argument("--software-version", help="version the datasets are for (default: TECHFILE_SOFTWARE_VERSION, else git describe)")
    parser.add_argument("--project", type=Path, default=None, help="project directory (default: the nearest with [tool.techfile])")
    parser.set_defaults(handler=run)


def _jobs(args: argparse.Namespace, project: Project | None) -> list[DvcJob]:
    from techfile.evidence.dvc.settings import DvcDataset

    if args.repo is not None:
        datasets = []
        for pair in args.describes:
            path, sep, need_id = pair.partition("=")
            if not sep or not path or not need_id:
                raise TechfileError(f"--describes {pair!r} is not PATH=ID", fix="--describes data/test.csv=DATA_TEST")
            datasets.append(DvcDataset(path, need_id))
        return [DvcJob(args.output or DEFAULT_OUTPUT, str(args.repo), tuple(datasets))]
    jobs: list[DvcJob] = list(project.evidence_jobs(CREATOR)) if project else []
    if not jobs:
        raise TechfileError("no --repo given, and no [[tool.techfile.dvc]] job in pyproject.toml", fix="techfile dvc --repo . --describes data/test.csv=DATA_TEST -o needs/generated/dvc.json")
    if args.output and len(jobs) > 1:
        raise TechfileError(f"--output names one file, and the project has {len(jobs)} [[tool.techfile.dvc]] jobs", fix="leave --output out, or keep one job")
    return [replace(job, output=args.output or job.output) for job in jobs]


def _check_named(job: DvcJob, record: DvcRepoRecord, where: Path | None) -> dict[str, str]:
    """The job's ``datasets``: each names an output the repository tracks, and at most once."""
    known = {out.path for out in record.outputs}
    describes: dict[str, str] = {}
    for dataset in job.datasets:
        path = dataset.path.strip("/").removeprefix("./")
        if path not in known:
            shown = ", ".join(sorted(known)) or "none"
            raise DvcEvidenceError(f"the [[tool.techfile.dvc]] job names the dataset {dataset.path}, which no dvc.lock stage or .dvc file of {job.repo} tracks (it tracks: {shown})", path=where, fix="name a tracked output, or track it (`dvc add` or a stage's outs)")
        if dataset.describes:
            describes[path] = dataset.describes
    return describes


def run(args: argparse.Namespace) -> int:
    try:
        project: Project | None = load_project(args.project)
    except TechfileError:
        if args.repo is None:
            raise
        project = None
    root = project.root if project else Path.cwd()
    jobs = _jobs(args, project)
    model = load_need_model(project.declaration("need_model") if project else resources.packaged_declaration(resources.DEFAULT, "need_model"))
    if not model.roles.has(Role.DATASET_VERSION):
        raise TechfileError(f"the need model maps no type to the role {Role.DATASET_VERSION.value}, so DVC evidence cannot be written", path=model.path, fix=f'map one in [roles]: {Role.DATASET_VERSION.value} = "<type>"')
    # every job read before any is written: a bad lock in any job leaves every output as it was
    done: list[tuple[Path, list[EvidenceNeed], str, DvcRepoRecord]] = []
    for job in jobs:
        repo_root = Path(job.repo) if Path(job.repo).is_absolute() else root / job.repo
        record = read_repo(repo_root, patient_key=job.patient_key, site_key=job.site_key, date_key=job.date_key)
        describes = _check_named(job, record, project.pyproject if project else None)
        needs = evidence_needs(record, job.repo, describes)
        version = provenance.software_version(root, args.software_version or job.software_version)
        output = Path(job.output) if Path(job.output).is_absolute() else root / job.output
        done.append((output, needs, version, record))
    for output, needs, version, record in done:
        write_needs_json(output, needs, model, version=version, creator=CREATOR, created="")
        try:
            shown = output.relative_to(root).as_posix()
        except ValueError:
            shown = str(output)
        modified = sum(1 for out in record.outputs if out.workspace == "modified")
        note = f", {modified} modified in the workspace" if modified else ""
        print(f"techfile dvc: {len(record.outputs)} tracked output(s) of {len(record.metafiles)} metafile(s){note} -> {shown}")
    return 0
