"""Label Studio JSON exports as labelling evidence: per dataset, one
annotation record with its annotators and their counts, dates, label
distribution, inter-rater agreement, adjudication and protocol version.

:mod:`~techfile.evidence.annotations.reader` reads an export into records;
:mod:`~techfile.evidence.annotations.agreement` computes the agreement with
kept libraries (scikit-learn, krippendorff); :mod:`~techfile.evidence.annotations.mapping`
maps them to needs; :mod:`~techfile.evidence.annotations.command` is
``techfile annotations``. The libraries are the optional extra
``techfile[data]``, imported only when an agreement is computed.
"""

from __future__ import annotations

import argparse
from typing import Any

from techfile.evidence.annotations.settings import AnnotationJob
from techfile.evidence.interface import EvidenceKind
from techfile.model.roles import Role


class AnnotationsKind(EvidenceKind):
    name = "annotations"
    job_type = AnnotationJob
    summary = "Label Studio JSON exports -> annotation records (annotators, agreement, adjudication) per dataset"
    roles = (Role.ANNOTATION_RECORD,)

    def add_command(self, commands: argparse._SubParsersAction[Any]) -> None:
        from techfile.evidence.annotations.command import add_command

        add_command(commands)


KIND = AnnotationsKind()
