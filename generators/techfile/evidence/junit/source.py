"""One ``[[tool.techfile.junit]]`` job: its reports read, merged and mapped
to result needs."""

from __future__ import annotations

import hashlib
from pathlib import Path

from techfile.evidence.interface import EvidenceNeed, EvidenceSource
from techfile.evidence.junit.mapping import Run, Specs, case_need, result_id
from techfile.evidence.junit.report import Case, JUnitError, input_path, read_report, shown_path
from techfile.evidence.junit.settings import JUnitJob


class JUnitSource(EvidenceSource):
    """JUnit XML reports of one job, merged into one set of result needs."""

    def __init__(self, job: JUnitJob, root_dir: Path, specs: Specs, run: Run) -> None:
        self.job = job
        self.root_dir = root_dir
        self.specs = specs
        self.run = run

    def read(self) -> list[EvidenceNeed]:
        cases: list[Case] = []
        first_seen: dict[tuple[str, ...], Case] = {}
        digests: dict[str, str] = {}
        for source in self.job.inputs:
            path = input_path(source, self.root_dir)
            for case in read_report(source, self.root_dir):
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
        needs: dict[str, EvidenceNeed] = {}
        for case in sorted(cases, key=lambda c: c.identity):
            need_id = result_id(case)
            suffix = 2
            while need_id in needs:  # two identities with one ID: numbered in identity order
                need_id = f"{result_id(case)}_{suffix}"
                suffix += 1
            needs[need_id] = case_need(need_id, case, digests[case.source], self.run, self.specs)
        return list(needs.values())
