"""JUnit XML test reports, from any runner, as test result needs.

:mod:`~techfile.evidence.junit.report` reads a report into
:class:`~techfile.evidence.junit.report.Case` records;
:mod:`~techfile.evidence.junit.mapping` maps a case to a test result need;
:mod:`~techfile.evidence.junit.source` merges the reports of one job;
:mod:`~techfile.evidence.junit.command` is ``techfile junit``.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from techfile.evidence.interface import EvidenceKind
from techfile.evidence.junit.settings import JUnitJob

if TYPE_CHECKING:
    from techfile.project import Project


class JUnitKind(EvidenceKind):
    name = "junit"
    job_type = JUnitJob
    summary = "JUnit XML reports -> test result needs"

    def outputs(self, project: Project) -> list[str]:
        return [job.output for job in project.evidence_jobs(self.name)]

    def add_command(self, commands: argparse._SubParsersAction[Any]) -> None:
        from techfile.evidence.junit.command import add_command

        add_command(commands)


KIND = JUnitKind()
