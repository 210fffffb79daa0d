"""``techfile annotations``: Label Studio JSON exports -> annotation record needs (needs.json)."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

from techfile import provenance, resources
from techfile.errors import TechfileError
from techfile.evidence.annotations.mapping import annotation_need
from techfile.evidence.annotations.reader import AnnotationEvidenceError, read_export, read_users
from techfile.evidence.annotations.settings import DEFAULT_OUTPUT, AnnotationInput, AnnotationJob
from techfile.evidence.interface import EvidenceNeed
from techfile.evidence.needsjson import write_needs_json
from techfile.model.needmodel import load_need_model
from techfile.model.roles import Role
from techfile.project import Project, load_project

CREATOR = "annotations"


def add_command(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "annotations",
        help="read Label Studio JSON exports into annotation records per dataset (needs.json)",
        description="Read Label Studio JSON exports (tasks with their annotations: completed_by, created_at, updated_at, "
        "lead_time, result, was_cancelled, ground_truth): per export, one annotation record of the dataset it labels, with "
        "the annotators and their counts, the dates, the label distribution, the inter-rater agreement (Cohen's kappa for "
        "two annotators, Krippendorff's alpha for more), the adjudicated tasks and by whom, and the protocol version. "
        "Without EXPORT, runs the [[tool.techfile.annotations]] jobs of the project.",
    )
    parser.add_argument("exports", nargs="*", type=Path, metavar="EXPORT", help="Label Studio JSON export(s)")
    parser.add_argument("--dataset", help="ID of the authored dataset the export labels (one EXPORT)")
    parser.add_argument("--users", help="Label Studio's user list (GET /api/users/, JSON) to name annotators by e-mail")
    parser.add_argument("--protocol-version", help="version of the labelling protocol the annotators followed")
    parser.add_argument("--output", "-o", help=f"needs.json to write (default: the job's output, else {DEFAULT_OUTPUT})")
    parser.add_argument("--software-version", help="version the labels are for (default: TECHFILE_SOFTWARE_VERSION, else git describe)")
    parser.add_argument("--project", type=Path, default=None, help="project directory (default: the nearest with [tool.techfile])")
    parser.set_defaults(handler=run)


def _jobs(args: argparse.Namespace, project: Project | None) -> list[AnnotationJob]:
    if args.exports:
        if args.dataset and len(args.exports) > 1:
            raise TechfileError("--dataset names the dataset of one export, and more are given", fix="give one EXPORT with --dataset, or use [[tool.techfile.annotations]] inputs")
        inputs = tuple(AnnotationInput(str(path.resolve()), args.dataset, args.protocol_version, str(Path(args.users).resolve()) if args.users else None) for path in args.exports)
        return [AnnotationJob(args.output or DEFAULT_OUTPUT, inputs)]
    jobs: list[AnnotationJob] = list(project.evidence_jobs(CREATOR)) if project else []
    if not jobs:
        raise TechfileError("no EXPORT given, and no [[tool.techfile.annotations]] job in pyproject.toml", fix="techfile annotations labels/test.json --dataset DATA_TEST -o needs/generated/annotations.json")
    if args.output and len(jobs) > 1:
        raise TechfileError(f"--output names one file, and the project has {len(jobs)} [[tool.techfile.annotations]] jobs", fix="leave --output out, or keep one job")
    return [replace(job, output=args.output or job.output) for job in jobs]


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def run(args: argparse.Namespace) -> int:
    try:
        project: Project | None = load_project(args.project)
    except TechfileError:
        if not args.exports:
            raise
        project = None
    root = project.root if project else Path.cwd()
    jobs = _jobs(args, project)
    model = load_need_model(project.declaration("need_model") if project else resources.packaged_declaration(resources.DEFAULT, "need_model"))
    if not model.roles.has(Role.ANNOTATION_RECORD):
        raise TechfileError(f"the need model maps no type to the role {Role.ANNOTATION_RECORD.value}, so annotation records cannot be written", path=model.path, fix=f'map one in [roles]: {Role.ANNOTATION_RECORD.value} = "<type>"')
    # every export of every job read before any output is written
    done: list[tuple[Path, list[EvidenceNeed], str]] = []
    for job in jobs:
        needs: list[EvidenceNeed] = []
        for source in job.inputs:
            path = Path(source.path) if Path(source.path).is_absolute() else root / source.path
            shown = _shown(path, root)
            users = None
            if source.users:
                listing = Path(source.users) if Path(source.users).is_absolute() else root / source.users
                users = read_users(listing, _shown(listing, root))
            need = annotation_need(read_export(path, shown, source.label, users), shown, source.dataset, source.protocol_version)
            if any(n.id == need.id for n in needs):
                raise AnnotationEvidenceError(f"two exports of the job give the record {need.id} ({shown} and another)", path=project.pyproject if project else None, fix="one export per dataset: merge the exports, or name different datasets")
            needs.append(need)
        output = Path(job.output) if Path(job.output).is_absolute() else root / job.output
        done.append((output, needs, provenance.software_version(root, args.software_version or job.software_version)))
    for output, needs, version in done:
        write_needs_json(output, needs, model, version=version, creator=CREATOR, created="")
        summary = ", ".join(f"{n.id} ({n.fields.get('tasks', '0')} tasks, {n.fields.get('agreement_metric', '')} {n.fields.get('agreement', 'undefined')})" for n in needs)
        print(f"techfile annotations: {summary or 'no export'} -> {_shown(output, root)}")
    return 0
