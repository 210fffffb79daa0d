"""``techfile environment``: the build environment -> one build environment need (needs.json)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from techfile import provenance, resources
from techfile.errors import TechfileError
from techfile.evidence.environment.mapping import ENVIRONMENT_ID, environment_need
from techfile.evidence.environment.reader import BuildEnvironment, BuildEnvironmentError, Image, find_lock_files, parse_image, read_environment, shown_path
from techfile.evidence.environment.settings import DEFAULT_OUTPUT, EnvironmentJob
from techfile.evidence.needsjson import write_needs_json
from techfile.model.needmodel import load_need_model
from techfile.model.roles import Role
from techfile.project import Project, load_project
from techfile.settings import Where

CREATOR = "environment"


def add_command(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "environment",
        help="record the build environment as a build environment need (needs.json)",
        description=f"Record the environment of this build: the Python version and implementation, the platform and "
        f"operating system, the container image by digest, the SHA-256 of the lock files and of the Dockerfile, the "
        f"software version and the commit, as one sphinx-needs need {ENVIRONMENT_ID} that the release links "
        f"(build_environment). Without options, runs the [[tool.techfile.environment]] jobs of the project, or writes "
        f"{DEFAULT_OUTPUT} when there is none. The same inputs on the same machine give the same bytes.",
    )
    parser.add_argument("--output", "-o", help=f"needs.json to write (default: the job's output, else {DEFAULT_OUTPUT})")
    parser.add_argument("--image", metavar="REF@sha256:DIGEST", help="container image the build runs in, by digest")
    parser.add_argument("--dockerfile", metavar="PATH", help="Dockerfile of the build image; its SHA-256 is recorded")
    parser.add_argument("--lock", action="append", metavar="FILE", help="lock or requirements file to record (repeat for several; default: the job's locks, else the lock files found in the project)")
    parser.add_argument("--software-version", help="version being built (default: the job's, TECHFILE_SOFTWARE_VERSION, else git describe)")
    parser.add_argument("--commit", help="commit being built (default: the CI environment, else git rev-parse HEAD)")
    parser.add_argument("--project", type=Path, default=None, help="project directory (default: the nearest with [tool.techfile])")
    parser.set_defaults(handler=run)


def created() -> str:
    """The record's date: SOURCE_DATE_EPOCH when it is set, else none (no clock: the same inputs, the same bytes)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return ""
    if not epoch.isdigit():
        raise TechfileError(f"SOURCE_DATE_EPOCH is {epoch!r}, not a number of seconds", fix="set it to a Unix time (e.g. `git log -1 --format=%ct`), or unset it")
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _from_cwd(value: str) -> Path:
    return Path(value).resolve()


def _from_root(value: str, root: Path) -> Path:
    return Path(value) if Path(value).is_absolute() else root / value


def _locks(args: argparse.Namespace, job: EnvironmentJob, root: Path, where: Where | None, excluded: Callable[[Path], bool]) -> list[Path]:
    if args.lock:
        return [_from_cwd(value) for value in args.lock]
    if job.locks:
        for index, value in enumerate(job.locks):
            path = _from_root(value, root)
            if not path.is_file() and where is not None:
                raise where.at("locks", index).error(f"{value!r} is not a file", fix="name a lock file relative to the project root, or remove locks to record those found")
        return [_from_root(value, root) for value in job.locks]
    return find_lock_files(root, excluded)


def _image(args: argparse.Namespace, job: EnvironmentJob, where: Where | None) -> Image | None:
    if args.image:
        return parse_image(args.image, "--image")
    if job.image:
        try:
            return parse_image(job.image, "image")
        except BuildEnvironmentError as error:  # the settings check refuses it first; kept for jobs built in code
            if where is None:
                raise
            raise where.at("image").error(error.message, fix=error.fix) from None
    return None


def _dockerfile(args: argparse.Namespace, job: EnvironmentJob, root: Path, where: Where | None) -> Path | None:
    if args.dockerfile:
        return _from_cwd(args.dockerfile)
    if job.dockerfile:
        path = _from_root(job.dockerfile, root)
        if not path.is_file() and where is not None:
            raise where.at("dockerfile").error(f"{job.dockerfile!r} is not a file", fix="name the Dockerfile relative to the project root, or remove dockerfile")
        return path
    return None


def run(args: argparse.Namespace) -> int:
    try:
        project: Project | None = load_project(args.project)
    except TechfileError:
        if not args.output:
            raise
        project = None  # an output given outside a project: the default model, paths from here
    root = project.root if project else Path.cwd()
    configured: list[EnvironmentJob] = list(project.evidence_jobs(CREATOR)) if project else []
    jobs = configured or [EnvironmentJob(DEFAULT_OUTPUT)]
    if args.output and len(jobs) > 1:
        raise TechfileError(f"--output names one file, and the project has {len(jobs)} [[tool.techfile.environment]] jobs", path=project.pyproject if project else None, fix="leave --output out to run every job, or keep one job")
    model = load_need_model(project.declaration("need_model") if project else resources.packaged_declaration(resources.DEFAULT, "need_model"))
    if not model.roles.has(Role.BUILD_ENVIRONMENT):
        raise TechfileError(
            "the need model maps no type to the role build_environment, so the build environment cannot be written",
            path=model.path,
            fix='map one in [roles]: build_environment = "<type>"',
        )

    def excluded(path: Path) -> bool:
        return project.excluded(path) if project else False

    date = created()
    # every job read before any is written: a bad input in any job leaves every output as it was
    done: list[tuple[Path, BuildEnvironment]] = []
    for index, job in enumerate(jobs):
        where = project.where(CREATOR, index) if project and configured else None
        environment = read_environment(
            root,
            locks=_locks(args, job, root, where, excluded),
            image=_image(args, job, where),
            dockerfile=_dockerfile(args, job, root, where),
            software_version=provenance.software_version(root, args.software_version or job.software_version),
            commit=provenance.commit(root, args.commit),
        )
        output = args.output or job.output
        done.append((Path(output) if Path(output).is_absolute() else root / output, environment))
    for output, environment in done:
        write_needs_json(output, [environment_need(environment)], model, version=environment.software_version, creator=CREATOR, created=date)
        locks = ", ".join(lock.path for lock in environment.locks) or "no lock file"
        image = f", image {environment.image.reference}@{environment.image.digest[:19]}…" if environment.image else ""
        print(
            f"techfile environment: {ENVIRONMENT_ID} ({environment.python_implementation} {environment.python_version}, "
            f"version {environment.software_version}, commit {environment.commit[:12]}, {locks}{image}) -> {shown_path(output, root)}"
        )
    return 0
