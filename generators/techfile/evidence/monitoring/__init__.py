"""Post-market monitoring reports as evidence: drift and performance reports
of a monitoring library become monitoring-result needs, judged against the
project's monitoring plan (``monitor`` needs).

:mod:`~techfile.evidence.monitoring.reader` reads report files into
:mod:`~techfile.evidence.monitoring.records` (Evidently snapshots first; the
reader table admits other libraries' formats);
:mod:`~techfile.evidence.monitoring.mapping` maps them to needs linked to the
plan's rules and the model version monitored;
:mod:`~techfile.evidence.monitoring.command` is ``techfile monitoring``.

Reading needs no monitoring library: the reports are JSON, so Evidently is
not a dependency of techfile (it need not even share its environment: its
0.7 releases do not import under pandas 3, which MLflow's lock brings).

The results' IDs and links come from the authored plan, which the report
file alone does not hold, so this kind does not regenerate them
(:meth:`regenerate` is None); rule PM02 judges each value against the
authored threshold, whatever outcome the record says.
"""

from __future__ import annotations

import argparse
from typing import Any

from techfile.evidence.interface import EvidenceKind
from techfile.evidence.monitoring.settings import MonitoringJob
from techfile.model.roles import Role


class MonitoringKind(EvidenceKind):
    name = "monitoring"
    job_type = MonitoringJob
    summary = "post-market monitoring reports (Evidently snapshots) -> monitoring results"
    roles = (Role.MONITORING_RESULT,)

    def add_command(self, commands: argparse._SubParsersAction[Any]) -> None:
        from techfile.evidence.monitoring.command import add_command

        add_command(commands)


KIND = MonitoringKind()
