"""A JUnit :class:`~techfile.evidence.junit.report.Case` becomes a test
result need: one ``test_result`` per case, linked to what it verifies (the
``verifies`` property of the case, which ``@pytest.mark.verifies`` writes)
and to the test specifications whose ``junit`` patterns match it.

IDs come from the case's identity (suite, class name, name), never from its
outcome, so a result keeps its ID from run to run.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cached_property

from techfile.evidence.interface import EvidenceNeed
from techfile.evidence.junit.report import Case
from techfile.model.roles import Relation, Role


def result_id(case: Case) -> str:
    """``RES_<readable slug>_<hash of the identity>``: stable, valid under the ID pattern."""
    digest = hashlib.sha256("\x1f".join(case.identity).encode("utf-8")).hexdigest()[:10].upper()
    tail = case.classname.rsplit(".", 1)[-1] if case.classname and case.classname != case.name else ""
    slug = re.sub(r"[^A-Z0-9]+", "_", f"{tail}_{case.name}".upper()).strip("_")[:48].strip("_")
    return f"RES_{slug}_{digest}" if slug else f"RES_{digest}"


@dataclass(frozen=True)
class Run:
    """What every result of one job records about the run."""

    software_version: str
    commit: str


@dataclass(frozen=True)
class Specs:
    """The authored test specifications a case can be a result of."""

    patterns: dict[str, tuple[str, ...]]
    """Specification ID -> its ``junit`` case patterns."""
    is_spec_id: Callable[[str], bool]
    """Whether an ID named by a case's ``verifies`` property is a specification's."""

    @cached_property
    def index(self) -> PatternIndex:
        return PatternIndex.of(self.patterns)


@dataclass(frozen=True)
class PatternIndex:
    """The specifications' case patterns by what their test-name part must be.

    A case is matched as ``name`` and as ``<class, suite or file>::name``.
    When none of those parts holds ``::`` itself, a candidate holds at most
    one ``::``, which a pattern's last literal ``::`` must match: what follows
    it in the pattern must then match the test name alone. So a pattern whose
    last part is a literal name can only match cases of that name, and one
    whose last part is a literal prefix and ``*`` only names with that prefix:
    looking those up makes linking linear in the cases. Patterns without
    ``::``, and every pattern for a case whose parts hold ``::``, are tried
    in full. Each pattern found is still matched in full, so the links are
    what trying every pattern on every case gives.
    """

    exact: dict[str, list[tuple[str, str]]]
    prefix: dict[str, list[tuple[str, str]]]
    general: list[tuple[str, str]]

    @classmethod
    def of(cls, patterns: dict[str, tuple[str, ...]]) -> PatternIndex:
        exact: dict[str, list[tuple[str, str]]] = {}
        prefix: dict[str, list[tuple[str, str]]] = {}
        general: list[tuple[str, str]] = []
        for spec_id, spec_patterns in patterns.items():
            for pattern in spec_patterns:
                _, separator, name = pattern.rpartition("::")
                if not separator:
                    general.append((spec_id, pattern))
                elif not _WILDCARD.search(name):
                    exact.setdefault(name, []).append((spec_id, pattern))
                elif name.endswith("*") and not _WILDCARD.search(name[:-1]) and name[:-1]:
                    prefix.setdefault(name[:-1], []).append((spec_id, pattern))
                else:
                    general.append((spec_id, pattern))
        return cls(exact, prefix, general)

    def possible(self, case: Case) -> list[tuple[str, str]]:
        """The (specification, pattern) pairs that can match ``case``."""
        name = case.name
        if any("::" in part for part in (name, case.classname, case.suite, case.test_file or "")):
            return [pair for pairs in (*self.exact.values(), *self.prefix.values()) for pair in pairs] + self.general
        found = list(self.exact.get(name, ()))
        for end in range(1, len(name) + 1):
            found.extend(self.prefix.get(name[:end], ()))
        return found + self.general


_WILDCARD = re.compile(r"[*?\[]")


def _links(case: Case, specs: Specs) -> dict[Relation, tuple[str, ...]]:
    result_of = {i for i in case.verifies if specs.is_spec_id(i)}
    verifies = {i for i in case.verifies if i not in result_of}
    candidates = [f"{case.classname}::{case.name}", f"{case.suite}::{case.name}", case.name]
    if case.test_file:
        candidates.append(f"{case.test_file}::{case.name}")
    for spec_id, pattern in specs.index.possible(case):
        if spec_id not in result_of and any(fnmatchcase(candidate, pattern) for candidate in candidates):
            result_of.add(spec_id)
    links: dict[Relation, tuple[str, ...]] = {}
    if result_of:
        links[Relation.RESULT_OF] = tuple(sorted(result_of))
    if verifies:
        links[Relation.VERIFIES] = tuple(sorted(verifies))
    return links


#: The canonical fields a report alone determines, for a case: what
#: regenerating a result from its report must give again (the evidence
#: integrity check). The level comes from the job, the version and commit from
#: the run, the links from the authored specifications; none of them is here.
DERIVED_FIELDS = (
    "result", "message", "time_s", "case", "classname", "suite", "test_file", "test_line",
    "timestamp", "host", "runner", "properties", "source_line",
)


def derived_fields(case: Case) -> dict[str, str]:
    """The :data:`DERIVED_FIELDS` of a case, empty ones left out (as they are written)."""
    fields = {
        "result": case.outcome,
        "message": case.message,
        "time_s": case.time,
        "case": case.name,
        "classname": case.classname,
        "suite": case.suite,
        "test_file": case.test_file,
        "test_line": case.test_line,
        "timestamp": case.timestamp,
        "host": case.host,
        "runner": case.runner,
        "properties": "; ".join(f"{name}={value}" for name, value in case.properties),
        "source_line": str(case.xml_line),
    }
    return {name: value for name, value in fields.items() if value}


def content(case: Case) -> str:
    """The need's content: the case's output, fenced so no backtick run inside can close the fence."""
    if not case.output:
        return ""
    fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", case.output)), default=0))
    return f"{fence}text\n{case.output}\n{fence}"


def derived_need(need_id: str, case: Case) -> EvidenceNeed:
    """What the report alone gives of the result need of ``case``: title, content, :data:`DERIVED_FIELDS`."""
    return EvidenceNeed(id=need_id, role=Role.TEST_RESULT, title=case.name, content=content(case), fields=derived_fields(case))


def case_need(need_id: str, case: Case, digest: str, run: Run, specs: Specs) -> EvidenceNeed:
    derived = derived_need(need_id, case)
    fields = {
        **derived.fields,
        "level": case.level or "",
        "software_version": run.software_version,
        "commit": run.commit,
        "source_file": case.source,
        "source_sha256": digest,
    }
    return EvidenceNeed(
        id=need_id,
        role=Role.TEST_RESULT,
        title=derived.title,
        content=derived.content,
        fields={k: v for k, v in fields.items() if v},
        links=_links(case, specs),
    )
