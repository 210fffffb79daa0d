"""The build environment of a release as evidence (IEC 62304 5.8.5).

:mod:`~techfile.evidence.environment.reader` reads the interpreter, the
platform, the container image and the digests of the lock files and the
Dockerfile into a :class:`~techfile.evidence.environment.reader.BuildEnvironment`;
:mod:`~techfile.evidence.environment.mapping` maps it to the build
environment need ``ENV_BUILD``;
:mod:`~techfile.evidence.environment.command` is ``techfile environment``.

The record is of the run that wrote it (this interpreter, this machine), so
no file alone regenerates it: the release gates check what can be checked
later, that the lock files it records are the lock files as they are (R26)
and that it is for the release's version and commit (R26, R31).
"""

from __future__ import annotations

import argparse
from typing import Any

from techfile.evidence.environment.settings import EnvironmentJob
from techfile.evidence.interface import EvidenceKind
from techfile.model.roles import Role


class EnvironmentKind(EvidenceKind):
    name = "environment"
    job_type = EnvironmentJob
    summary = "the build environment -> a build environment need"
    roles = (Role.BUILD_ENVIRONMENT,)

    def add_command(self, commands: argparse._SubParsersAction[Any]) -> None:
        from techfile.evidence.environment.command import add_command

        add_command(commands)


KIND = EnvironmentKind()
