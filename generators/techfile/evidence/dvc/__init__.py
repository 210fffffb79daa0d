"""DVC-versioned datasets as data provenance evidence: every output a DVC
repository's ``dvc.lock`` and ``.dvc`` files lock, with its content's
SHA-256 (the digest MLflow runs log), its stage and, where CSV outputs carry
record keys, their counts and overlaps.

:mod:`~techfile.evidence.dvc.reader` reads the repository through DVC's own
library into records; :mod:`~techfile.evidence.dvc.mapping` maps them to
dataset version needs; :mod:`~techfile.evidence.dvc.command` is
``techfile dvc``.

DVC is an optional extra (``techfile[data]``), imported only when a
repository is read. The records come from the DVC cache, which the checks do
not re-read, so this kind does not regenerate them (:meth:`regenerate` is
None).
"""

from __future__ import annotations

import argparse
from typing import Any

from techfile.evidence.dvc.settings import DvcJob
from techfile.evidence.interface import EvidenceKind
from techfile.model.roles import Role


class DvcKind(EvidenceKind):
    name = "dvc"
    job_type = DvcJob
    summary = "the datasets a DVC repository tracks -> dataset version needs with digests and lineage"
    roles = (Role.DATASET_VERSION,)

    def add_command(self, commands: argparse._SubParsersAction[Any]) -> None:
        from techfile.evidence.dvc.command import add_command

        add_command(commands)


KIND = DvcKind()
