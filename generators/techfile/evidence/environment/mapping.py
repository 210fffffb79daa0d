"""A :class:`~techfile.evidence.environment.reader.BuildEnvironment`
becomes one build environment need, ``ENV_BUILD``: the ID a release links
(``build_environment``), the same in every build."""

from __future__ import annotations

from techfile.evidence.environment.reader import LOCK_DIGEST, LOCK_SEPARATOR, BuildEnvironment
from techfile.evidence.interface import EvidenceNeed
from techfile.model.roles import Role

ENVIRONMENT_ID = "ENV_BUILD"


def lock_files(environment: BuildEnvironment) -> str:
    """The ``lock_files`` field: ``path sha256:<hex>`` per file, in path order."""
    return LOCK_SEPARATOR.join(f"{lock.path}{LOCK_DIGEST}{lock.sha256}" for lock in environment.locks)


def environment_need(environment: BuildEnvironment, need_id: str = ENVIRONMENT_ID) -> EvidenceNeed:
    fields = {
        "python_version": environment.python_version,
        "python_implementation": environment.python_implementation,
        "platform": environment.platform,
        "operating_system": environment.operating_system,
        "techfile_version": environment.techfile_version,
        "software_version": environment.software_version,
        "commit": environment.commit,
        "lock_files": lock_files(environment),
        "image": environment.image.reference if environment.image else "",
        "image_digest": environment.image.digest if environment.image else "",
        "dockerfile": environment.dockerfile.path if environment.dockerfile else "",
        "dockerfile_sha256": environment.dockerfile.sha256 if environment.dockerfile else "",
    }
    where = f" in {environment.image.reference}@{environment.image.digest}" if environment.image else ""
    content = (
        f"Recorded by `techfile environment` (techfile {environment.techfile_version}) in the build of version "
        f"{environment.software_version}, commit {environment.commit}{where}: {environment.python_implementation} "
        f"{environment.python_version} on {environment.operating_system or environment.platform}."
    )
    return EvidenceNeed(
        id=need_id,
        role=Role.BUILD_ENVIRONMENT,
        title=f"Build environment of {environment.software_version}",
        content=content,
        fields={name: value for name, value in fields.items() if value},
    )
