"""MLflow tracking stores as ML evidence: a registered model version, the
runs of its experiment and its acceptance-criterion results.

:mod:`~techfile.evidence.mlflow.reader` reads a store through MLflow's own
client into records; :mod:`~techfile.evidence.mlflow.criteria` parses and
evaluates the acceptance criteria of requirements;
:mod:`~techfile.evidence.mlflow.mapping` maps both to needs;
:mod:`~techfile.evidence.mlflow.command` is ``techfile mlflow``.

MLflow is an optional extra (``techfile[mlflow]``), imported only when a
store is read.

The records come from a store, not a file the checks can read again
cheaply, so this kind does not regenerate them (:meth:`regenerate` is
None): the evidence integrity check proves nothing of them beyond what
needs.json carries.
"""

from __future__ import annotations

import argparse
from typing import Any

from techfile.evidence.interface import EvidenceKind
from techfile.evidence.mlflow.settings import MlflowJob
from techfile.model.roles import Role


class MlflowKind(EvidenceKind):
    name = "mlflow"
    job_type = MlflowJob
    summary = "an MLflow model version and its runs -> ML evidence and criterion results"
    roles = (Role.ML_MODEL_VERSION, Role.ML_RUN)

    def add_command(self, commands: argparse._SubParsersAction[Any]) -> None:
        from techfile.evidence.mlflow.command import add_command

        add_command(commands)


KIND = MlflowKind()
