"""One ``[[tool.techfile.junit]]`` job: its reports read, merged and mapped
to result needs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from techfile.evidence.interface import EvidenceNeed, EvidenceSource
from techfile.evidence.junit.mapping import Run, Specs, case_need, result_id
from techfile.evidence.junit.report import Case, JUnitError, input_path, read_report, shown_path
from techfile.evidence.junit.settings import JUnitJob


def assign_ids(cases: Iterable[Case]) -> dict[str, Case]:
    """Need ID -> case, in identity order.

    The one place IDs are given, for a job and for regenerating a report
    alone (the integrity check), so both give a case the same ID. Two
    identities with one ID (a hash collision) are numbered in identity order.
    """
    ids: dict[str, Case] = {}
    for case in sorted(cases, key=lambda c: c.identity):
        need_id = result_id(case)
        suffix = 2
        while need_id in ids:
            need_id = f"{result_id(case)}_{suffix}"
            suffix += 1
        ids[need_id] = case
    return ids


class JUnitSource(EvidenceSource):
    """JUnit XML reports of one job, merged into one set of result needs."""

    def __init__(self, job: JUnitJob, root_dir: Path, specs: Specs, run: Run) -> None:
        self.job = job
        self.root_dir = root_dir
        self.specs = specs
        self.run = run
        self.empty_runs: list[str] = []
        """The reports read that declare a run of no test (filled by :meth:`read`)."""

    def read(self) -> list[EvidenceNeed]:
        cases: list[Case] = []
        first_seen: dict[tuple[str, ...], Case] = {}
        digests: dict[str, str] = {}
        self.empty_runs = []
        for source in self.job.inputs:
            path = input_path(source, self.root_dir)
            report = read_report(source, self.root_dir)
            if not report:
                self.empty_runs.append(shown_path(path, self.root_dir))
            for case in report:
                other = first_seen.get(case.identity)
                if other is not None and other.source != case.source:
                    raise JUnitError(
                        f"test case {case.classname}::{case.name} (suite {case.suite!r}) is also in {other.source}:{other.xml_line}",
                        path=case.source,
                        line=case.xml_line,
                        fix="merge reports of different test runs only; give repeated runs distinct suite names or class prefixes (e.g. pytest --junit-prefix)",
                    )
                first_seen.setdefault(case.identity, case)
                cases.append(case)
            digests[shown_path(path, self.root_dir)] = hashlib.sha256(path.read_bytes()).hexdigest()
        return [case_need(need_id, case, digests[case.source], self.run, self.specs) for need_id, case in assign_ids(cases).items()]
