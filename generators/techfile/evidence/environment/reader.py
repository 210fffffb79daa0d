"""Read the build environment: the interpreter and platform this process
runs on, the container image it was given, and the SHA-256 of the lock files
and the Dockerfile, into a :class:`BuildEnvironment`. Reading only: what the
environment means for the technical file is
:mod:`~techfile.evidence.environment.mapping`'s business.

Nothing here reads the clock or anything that changes from run to run on one
machine, so the same inputs give the same record.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import platform
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from techfile import __version__
from techfile.evidence.interface import EvidenceError


class BuildEnvironmentError(EvidenceError):
    """The build environment cannot be recorded (a bad image reference, a missing file); nothing is written."""


_HEX64 = re.compile(r"[0-9a-f]{64}")
# docker reference grammar (distribution/reference): [domain[:port]/]path[:tag]@sha256:<hex>
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?|\[[0-9a-fA-F:]+\](?::[0-9]+)?)"
_NAME = rf"(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*"
_IMAGE = re.compile(rf"(?P<name>{_NAME})(?::(?P<tag>[\w][\w.-]{{0,127}}))?@(?P<digest>sha256:[0-9a-f]{{64}})")
IMAGE_FIX = (
    "give the image by its digest, REF@sha256:<64 hex digits> (e.g. python:3.12-slim@sha256:<digest>); "
    "`docker inspect --format '{{index .RepoDigests 0}}' IMAGE` prints it"
)

LOCK_SEPARATOR = "; "
"""Between the entries of an environment's ``lock_files``, each ``path sha256:<hex>``."""
LOCK_DIGEST = " sha256:"

#: Lock and requirements files recorded when none are named, by file name.
LOCK_PATTERNS = (
    "requirements*.txt", "constraints*.txt", "poetry.lock", "uv.lock", "Pipfile.lock", "pdm.lock", "pylock.toml", "pylock.*.toml",
    "conda-lock.yml", "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "Cargo.lock", "go.sum",
)


@dataclass(frozen=True)
class Image:
    """A container image named by digest."""

    reference: str
    """The reference without its digest (``python:3.12-slim``)."""
    digest: str
    """``sha256:<64 hex>``."""


@dataclass(frozen=True)
class FileDigest:
    """A file as recorded: its path as shown (relative to the project root) and its SHA-256."""

    path: str
    sha256: str


@dataclass(frozen=True)
class BuildEnvironment:
    """What a build ran on and from."""

    python_version: str
    python_implementation: str
    platform: str
    operating_system: str
    techfile_version: str
    software_version: str
    commit: str
    locks: tuple[FileDigest, ...] = ()
    image: Image | None = None
    dockerfile: FileDigest | None = None


def image_problem(value: str) -> str | None:
    """What is wrong with an image reference, None when it is ``REF@sha256:<64 hex>``."""
    value = value.strip()
    if _IMAGE.fullmatch(value):
        return None
    name, at, digest = value.rpartition("@")
    if not at:
        return f"{value!r} names the image without its digest: a tag can be moved to another image, a digest cannot"
    if not digest.startswith("sha256:"):
        return f"{value!r} gives the digest {digest!r}, which is not sha256:<64 hex digits>"
    if not _HEX64.fullmatch(digest[len("sha256:") :]):
        return f"{value!r}: the digest after sha256: is not 64 lowercase hex digits"
    return f"{value!r}: {name!r} is not an image reference ([registry/]name[:tag], lowercase name)"


def parse_image(value: str, where: str = "--image") -> Image:
    """The image of ``REF@sha256:<hex>``; :class:`BuildEnvironmentError` naming ``where`` otherwise."""
    problem = image_problem(value)
    if problem is not None:
        raise BuildEnvironmentError(f"{where}: {problem}", fix=IMAGE_FIX)
    reference, _, digest = value.strip().rpartition("@")
    return Image(reference, digest)


def shown_path(path: Path, root: Path) -> str:
    """``path`` relative to the project root where it lies under it, else as an absolute path."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def file_digest(path: Path, root: Path, what: str, fix: str) -> FileDigest:
    """The recorded digest of one file; :class:`BuildEnvironmentError` at the file when it cannot be read."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise BuildEnvironmentError(f"the {what} is a folder, not a file", path=path, fix=fix) from None
    except FileNotFoundError:
        raise BuildEnvironmentError(f"the {what} does not exist", path=path, fix=fix) from None
    except OSError as exc:
        raise BuildEnvironmentError(f"the {what} cannot be read: {(exc.strerror or str(exc)).lower()}", path=path, fix=fix) from None
    return FileDigest(shown_path(path, root), hashlib.sha256(data).hexdigest())


def find_lock_files(root: Path, excluded: Callable[[Path], bool]) -> list[Path]:
    """The lock files under ``root`` (:data:`LOCK_PATTERNS`), outside hidden and ``excluded`` folders, sorted by path."""
    found: list[Path] = []
    for folder, folders, files in os.walk(root):
        here = Path(folder)
        folders[:] = sorted(name for name in folders if not name.startswith(".") and not excluded(here / name / "_"))
        found += [here / name for name in files if any(fnmatch.fnmatchcase(name, pattern) for pattern in LOCK_PATTERNS)]
    return sorted(found, key=lambda path: shown_path(path, root))


def _operating_system() -> str:
    try:
        release = platform.freedesktop_os_release()
    except OSError:
        return f"{platform.system()} {platform.release()}".strip()
    return release.get("PRETTY_NAME") or release.get("NAME", "")


def read_environment(
    root: Path,
    *,
    locks: Sequence[Path],
    image: Image | None,
    dockerfile: Path | None,
    software_version: str,
    commit: str,
) -> BuildEnvironment:
    """The environment this process runs in, with the digests of ``locks`` and ``dockerfile``."""
    lock_fix = "name an existing lock file (--lock FILE, or locks = [...] in [[tool.techfile.environment]]), or leave them out to record those found"
    digests = tuple(sorted({file_digest(path, root, "lock file", lock_fix) for path in locks}, key=lambda d: d.path))
    docker = file_digest(dockerfile, root, "Dockerfile", "name the Dockerfile of the build image (--dockerfile PATH), or leave it out") if dockerfile else None
    return BuildEnvironment(
        python_version=platform.python_version(),
        python_implementation=platform.python_implementation(),
        platform=f"{platform.system()} {platform.release()} {platform.machine()}".strip() + _libc(),
        operating_system=_operating_system(),
        techfile_version=__version__,
        software_version=software_version,
        commit=commit,
        locks=digests,
        image=image,
        dockerfile=docker,
    )


def _libc() -> str:
    """The C library the interpreter runs on (``glibc 2.36``), where the system says."""
    try:
        found = os.confstr("CS_GNU_LIBC_VERSION")
    except (AttributeError, ValueError, OSError):
        found = None
    if not found:
        name, version = platform.libc_ver()
        found = f"{name} {version}" if name and version else ""
    return f", {found}" if found else ""
