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


def _links(case: Case, specs: Specs) -> dict[Relation, tuple[str, ...]]:
    result_of = {i for i in case.verifies if specs.is_spec_id(i)}
    verifies = {i for i in case.verifies if i not in result_of}
    candidates = [f"{case.classname}::{case.name}", f"{case.suite}::{case.name}", case.name]
    if case.test_file:
        candidates.append(f"{case.test_file}::{case.name}")
    for spec_id, patterns in specs.patterns.items():
        if any(fnmatchcase(candidate, pattern) for pattern in patterns for candidate in candidates):
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
