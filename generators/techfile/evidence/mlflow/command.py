"""``techfile mlflow``: a registered model version from an MLflow tracking
store -> a model version need, run needs and criterion results (needs.json)."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

from techfile import provenance, resources
from techfile.errors import TechfileError
from techfile.evidence.interface import EvidenceNeed
from techfile.evidence.mlflow.criteria import CriterionError, parse_criteria
from techfile.evidence.mlflow.mapping import Requirement, Run, evidence_needs
from techfile.evidence.mlflow.reader import MlflowEvidenceError, ModelEvidence, read_model
from techfile.evidence.mlflow.settings import DEFAULT_OUTPUT, MlflowJob
from techfile.evidence.needsjson import write_needs_json
from techfile.model.needmodel import NeedModel, load_need_model
from techfile.model.roles import Role
from techfile.project import Project, load_project

CREATOR = "mlflow"
CRITERIA_FIELD = "acceptance_criteria"


def add_command(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "mlflow",
        help="read a registered model version from an MLflow tracking store (needs.json)",
        description="Read a registered model version (by alias or version) from an MLflow tracking store (SQLite, file "
        "store or tracking server, through MLflow's own client): the version, the run behind it with its parent and "
        "nested runs, params, final metrics, dataset inputs with digests, git commit, artifacts and the SHA-256 of the "
        "model artifact, and every other run of its experiment with its status. Evaluates the acceptance_criteria of the "
        "software requirements against the version's metrics, one test result per criterion and subgroup. Without "
        "--tracking-uri and --model, runs the [[tool.techfile.mlflow]] jobs of the project.",
    )
    parser.add_argument("--tracking-uri", help="sqlite:///path/mlflow.db, a file store directory, or http://host:port")
    parser.add_argument("--model", help="registered model name")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--alias", help="alias of the version (e.g. released)")
    which.add_argument("--version", help="version number")
    parser.add_argument("--describes", help="ID of the authored ML model need the version is a version of")
    parser.add_argument("--output", "-o", help=f"needs.json to write (default: the job's output, else {DEFAULT_OUTPUT})")
    parser.add_argument("--software-version", help="version the criterion results are for (default: TECHFILE_SOFTWARE_VERSION, else git describe)")
    parser.add_argument("--project", type=Path, default=None, help="project directory (default: the nearest with [tool.techfile])")
    parser.set_defaults(handler=run)


def _requirements(project: Project | None, model: NeedModel, wanted: tuple[str, ...]) -> list[Requirement]:
    """The software requirements with acceptance criteria, parsed; a criterion that does not parse is an error at its requirement."""
    if project is None:
        return []
    from techfile.readers.sources import read_corpus

    corpus = read_corpus(project, model, imports=False)
    found: list[Requirement] = []
    known = {need.id for need in corpus.by_role(Role.SOFTWARE_REQUIREMENT)}
    for need_id in wanted:
        if need_id not in known:
            raise TechfileError(f"[[tool.techfile.mlflow]] requirements names {need_id}, which is no software requirement", path=project.pyproject, fix="name the ID of a software requirement with acceptance_criteria")
    for need in sorted(corpus.by_role(Role.SOFTWARE_REQUIREMENT), key=lambda n: n.id):
        text = corpus.value(need, CRITERIA_FIELD)
        if not text or (wanted and need.id not in wanted):
            continue
        try:
            criteria = parse_criteria(text)
        except CriterionError as error:
            raise CriterionError(f"{need.id}: {error.message}", path=project.root / need.path, line=need.line, fix=error.fix) from None
        if criteria:
            found.append(Requirement(need.id, tuple(criteria)))
    return found


def _jobs(args: argparse.Namespace, project: Project | None) -> list[MlflowJob]:
    if args.tracking_uri or args.model:
        if not (args.tracking_uri and args.model):
            raise TechfileError("--tracking-uri and --model go together", fix="give both, or neither to run the [[tool.techfile.mlflow]] jobs")
        if not (args.alias or args.version):
            raise TechfileError("name the version: --alias A or --version V", fix="add --alias released")
        output = args.output or DEFAULT_OUTPUT
        return [MlflowJob(output, args.tracking_uri, args.model, args.alias, args.version, args.describes)]
    jobs: list[MlflowJob] = list(project.evidence_jobs(CREATOR)) if project else []
    if not jobs:
        raise TechfileError("no --tracking-uri and --model given, and no [[tool.techfile.mlflow]] job in pyproject.toml", fix="techfile mlflow --tracking-uri sqlite:///mlflow.db --model NAME --alias released -o needs/generated/mlflow.json")
    if args.output and len(jobs) > 1:
        raise TechfileError(f"--output names one file, and the project has {len(jobs)} [[tool.techfile.mlflow]] jobs", fix="leave --output out, or keep one job")
    return [replace(job, output=args.output or job.output, alias=args.alias or job.alias, version=args.version or job.version, describes=args.describes or job.describes) for job in jobs]


def _uri(value: str, root: Path) -> str:
    """A job's store relative to the project root (``sqlite:///rel.db`` or a relative directory)."""
    if value.startswith("sqlite:///") and not value.startswith("sqlite:////"):
        return "sqlite:///" + str((root / value[len("sqlite:///") :]).resolve())
    if "://" not in value and not Path(value).is_absolute():
        return str((root / value).resolve())
    return value


def run(args: argparse.Namespace) -> int:
    try:
        project: Project | None = load_project(args.project)
    except TechfileError:
        if not (args.tracking_uri and args.model):
            raise
        project = None
    root = project.root if project else Path.cwd()
    jobs = _jobs(args, project)
    model = load_need_model(project.declaration("need_model") if project else resources.packaged_declaration(resources.DEFAULT, "need_model"))
    for role in (Role.ML_MODEL_VERSION, Role.ML_RUN):
        if not model.roles.has(role):
            raise TechfileError(f"the need model maps no type to the role {role.value}, so MLflow evidence cannot be written", path=model.path, fix=f'map one in [roles]: {role.value} = "<type>"')
    # every job read before any is written: a bad store in any job leaves every output as it was
    done: list[tuple[Path, list[EvidenceNeed], str, ModelEvidence]] = []
    for job in jobs:
        if (job.alias is None) == (job.version is None):
            raise MlflowEvidenceError(f"the [[tool.techfile.mlflow]] job for {job.model!r} names {'both an alias and a version' if job.alias else 'neither an alias nor a version'}", path=project.pyproject if project else None, fix='give one: alias = "released" or version = "3"')
        requirements = _requirements(project, model, job.requirements)
        shown = job.tracking_uri
        evidence = read_model(_uri(job.tracking_uri, root), job.model, alias=job.alias, version=job.version)
        evidence = replace(evidence, tracking_uri=shown)  # recorded as configured, not as this machine's absolute path
        version = provenance.software_version(root, args.software_version or job.software_version)
        needs = evidence_needs(evidence, requirements, Run(version), job.describes)
        output = Path(job.output) if Path(job.output).is_absolute() else root / job.output
        done.append((output, needs, version, evidence))
    for output, needs, version, evidence in done:
        write_needs_json(output, needs, model, version=version, creator=CREATOR, created=evidence.run.end_time)
        results = [n for n in needs if n.role is Role.TEST_RESULT]
        outcomes = {o: sum(1 for n in results if n.fields["result"] == o) for o in ("passed", "failed", "error", "skipped")}
        try:
            shown_output = output.relative_to(root).as_posix()
        except ValueError:
            shown_output = str(output)
        print(
            f"techfile mlflow: {evidence.version.name} version {evidence.version.version} (run {evidence.run.run_id[:12]}, "
            f"{evidence.run.status}), {len(evidence.experiment_runs)} run(s) in the experiment, {len(results)} criterion result(s) "
            f"({', '.join(f'{v} {k}' for k, v in outcomes.items())}) -> {shown_output}"
        )
    return 0
