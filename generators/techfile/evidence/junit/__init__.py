"""JUnit XML test reports, from any runner, as test result needs.

:mod:`~techfile.evidence.junit.report` reads a report into
:class:`~techfile.evidence.junit.report.Case` records;
:mod:`~techfile.evidence.junit.mapping` maps a case to a test result need;
:mod:`~techfile.evidence.junit.source` merges the reports of one job;
:mod:`~techfile.evidence.junit.command` is ``techfile junit``.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from techfile.evidence.interface import EvidenceKind, EvidenceNeed
from techfile.evidence.junit.mapping import DERIVED_FIELDS, derived_need
from techfile.evidence.junit.report import read_cases
from techfile.evidence.junit.settings import JUnitJob
from techfile.evidence.junit.source import assign_ids
from techfile.model.roles import Role


class JUnitKind(EvidenceKind):
    name = "junit"
    job_type = JUnitJob
    summary = "JUnit XML reports -> test result needs"
    roles = (Role.TEST_RESULT,)
    derived_fields = DERIVED_FIELDS

    def add_command(self, commands: argparse._SubParsersAction[Any]) -> None:
        from techfile.evidence.junit.command import add_command

        add_command(commands)

    def regenerate(self, source: Path, shown: str) -> Mapping[str, EvidenceNeed]:
        """The result needs of the report ``source``, as ``techfile junit`` gives them, without run data or links."""
        return {need_id: derived_need(need_id, case) for need_id, case in assign_ids(read_cases(source, shown, None)).items()}


KIND = JUnitKind()
