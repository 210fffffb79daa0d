"""``[[tool.techfile.environment]]``: the build environment recorded as one needs.json."""

from __future__ import annotations

from dataclasses import dataclass

from techfile.evidence.environment.reader import IMAGE_FIX, image_problem
from techfile.settings import setting

DEFAULT_OUTPUT = "needs/generated/environment.json"


def _image(value: str | None) -> str | None:
    return image_problem(value) if value is not None else None


@dataclass(frozen=True)
class EnvironmentJob:
    """One ``[[tool.techfile.environment]]`` entry: the build environment written to one needs.json."""

    output: str = setting(help="needs.json to write, relative to the project root (e.g. `needs/generated/environment.json`).")
    locks: tuple[str, ...] = setting((), help="Lock and requirements files whose SHA-256 is recorded, relative to the project root; default: the lock files found in the project (`requirements*.txt`, `poetry.lock`, `uv.lock`, ...).")
    image: str | None = setting(None, help="Container image the build runs in, by digest: `REF@sha256:<64 hex>`; usually given in CI with `--image`.", check=_image, fix=IMAGE_FIX)
    dockerfile: str | None = setting(None, help="Dockerfile of the build image, relative to the project root; its SHA-256 is recorded.")
    software_version: str | None = setting(None, help="Version being built; default: `TECHFILE_SOFTWARE_VERSION`, else `git describe`.")
