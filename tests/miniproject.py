"""A minimal, complete techfile project for rule tests: every rule is quiet
on it, and each test changes one thing to make one rule fire."""

from __future__ import annotations

import textwrap
from pathlib import Path

from techfile import resources
from techfile.checks.findings import Finding
from techfile.checks.run import check_corpus, load_declarations
from techfile.evidence.interface import EvidenceNeed
from techfile.evidence.needsjson import write_needs_json
from techfile.model.needmodel import NeedModel, load_need_model
from techfile.model.roles import Relation, Role
from techfile.project import load_project
from techfile.readers.sources import read_corpus

REPO = Path(__file__).resolve().parent.parent


def default(kind: str) -> Path:
    """The shipped default declaration of ``kind`` (need_model, trace_rules, risk_matrix)."""
    return resources.packaged_declaration(resources.DEFAULT, kind)


MODEL = load_need_model(default("need_model"))


def pyproject(extra: str = "") -> str:
    """[tool.techfile] of the mini project: the shipped defaults, the release REL_1."""
    return textwrap.dedent(
        """\
        [tool.techfile]
        sources = ["docs", "needs"]
        root_doc = "docs/index"
        release = "REL_1"
        standards = ["clauses.toml"]
        """
    ) + extra


CLAUSES = """\
# A clause catalogue of the mini project's own (C01): one clause met by the
# rules that cite it, one by a query, one by a statement that addresses it.
[standard]
key = "mini"
name = "IEC 62304"
title = "Mini catalogue"
applies_by = "safety_class"

[[clauses]]
number = "5.2.1"
title = "Requirements are derived"

[[clauses]]
number = "5.1.1"
title = "A plan exists"
queries = [{ exists = "statement", where = { kind = "development_plan" } }]

[[clauses]]
number = "9.9"
title = "A declared clause"
classes = ["B", "C"]
"""



INDEX = """\
# Mini

```{needimport} /needs/generated/results.json
```

```{needimport} /needs/generated/components.json
```

```{needimport} /needs/generated/environment.json
```
"""

NEEDS = {
    "statements.md": """\
# Statements

```{statement} Plan
:id: STMT_PLAN
:kind: development_plan
:addresses: IEC 62304 9.9

Clause 9.9 is met by the plan's section on it.
```

```{statement} Level
:id: STMT_LEVEL
:kind: documentation_level
:documentation_level: basic
```

```{statement} Residual risk
:id: STMT_RISK
:kind: residual_risk_evaluation
```
""",
    "requirements.md": """\
# Requirements

```{user_need} Need
:id: UN_001
```

```{sysreq} System requirement
:id: SYS_001
:allocation: software
:derives_from: UN_001
```

```{swreq} Software requirement
:id: SWR_001
:status: approved
:category: functional
:derives_from: SYS_001
:allocated_to: ITEM_UNIT
:implements: RC_001
```
""",
    "architecture.md": """\
# Architecture

```{item} System
:id: ITEM_SYS
:level: system
:safety_class: B
:interfaces: Command line
```

```{item} Unit
:id: ITEM_UNIT
:level: unit
:part_of: ITEM_SYS
:uses: SOUP_LIB
```
""",
    "risk.md": """\
# Risk

```{hazard} Hazard
:id: HAZ_001
:hazardous_situation: Situation
:harm: Harm
:cause: Cause
:software_contribution: yes
:arises_from: ITEM_UNIT
:severity: serious
:probability: probable
:residual_severity: serious
:residual_probability: remote
```

```{risk_control} Control
:id: RC_001
:option: protective_measure
:realization: software
:mitigates: HAZ_001
:new_hazards: None.
:effectiveness: Usability study U-1.
```
""",
    "tests.md": """\
# Tests

```{testspec} Test
:id: TEST_001
:level: unit
:verifies: SWR_001, ITEM_UNIT
:acceptance: It works.
:junit: *::test_one
```
""",
    "soup.md": """\
# SOUP

```{soup} libfoo
:id: SOUP_LIB
:manufacturer: Foo Inc.
:version: 1.2.3
:functional_requirements: F.
:performance_requirements: P.
:hw_sw_requirements: H.
:anomaly_evaluation: E.
:anomaly_evaluation_date: 2026-01-01
:anomaly_evaluation_version: 1.2.3
:purl: pkg:pypi/libfoo@1.2.3
:license: MIT
:support_level: actively_maintained
:end_of_support: 2030-01
```
""",
    "release.md": """\
# Release

```{release} Release 1
:id: REL_1
:version: 1.0.0
:archive_tag: v1.0.0
:build_environment: ENV_BUILD
:residual_risk_evaluation: STMT_RISK
:risk_management_report: docs/index
```
""",
}


def waiver(rule: str, target: str, need_id: str = "WAIVER_001") -> str:
    """A waiver need (MyST) accepting the gap of ``rule`` on ``target``."""
    return f"""
```{{waiver}} Accepted
:id: {need_id}
:rule: {rule}
:waives: {target}
:accepted_by: QA
:accepted_on: 2026-01-01
:rationale: Assessed in review HR-2.
```
"""


def result(need_id: str = "RES_ONE", outcome: str = "passed", version: str = "1.0.0", **links: tuple[str, ...]) -> EvidenceNeed:
    """A test result need; ``links`` by relation name (``result_of=("TEST_001",)``)."""
    return EvidenceNeed(
        id=need_id,
        role=Role.TEST_RESULT,
        title="test_one",
        fields={"result": outcome, "software_version": version, "timestamp": "2026-01-01T00:00:00", "runner": "pytest", "level": "unit"},
        links={Relation(name): targets for name, targets in links.items()} or {Relation.RESULT_OF: ("TEST_001",)},
    )


def component(name: str = "libfoo", version: str = "1.2.3") -> EvidenceNeed:
    return EvidenceNeed(id=f"COMP_{name.upper()}", role=Role.DEPENDENCY_COMPONENT, title=name, fields={"version": version})


COMMIT = "0123456789abcdef0123456789abcdef01234567"


def environment(version: str = "1.0.0", commit: str = COMMIT, **fields: str) -> EvidenceNeed:
    """The build environment need ENV_BUILD, as `techfile environment` writes it."""
    return EvidenceNeed(id="ENV_BUILD", role=Role.BUILD_ENVIRONMENT, title="Build environment", fields={"python_version": "3.12.0", "software_version": version, "commit": commit, **fields})


class Mini:
    """A mini project on disk; edit it, then :meth:`findings`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "docs").mkdir(parents=True)
        (root / "needs" / "generated").mkdir(parents=True)
        (root / "pyproject.toml").write_text(pyproject())
        (root / "docs" / "index.md").write_text(INDEX)
        for name, text in NEEDS.items():
            (root / "needs" / name).write_text(text)
        (root / "clauses.toml").write_text(CLAUSES)
        self.results: list[EvidenceNeed] = [result()]
        self.components: list[EvidenceNeed] = [component()]
        self.environments: list[EvidenceNeed] = [environment()]

    def replace(self, file: str, old: str, new: str) -> None:
        path = self.root / "needs" / file
        text = path.read_text()
        assert old in text, f"{old!r} not in {file}"
        path.write_text(text.replace(old, new, 1))

    def append(self, file: str, text: str) -> None:
        path = self.root / "needs" / file
        existing = path.read_text() if path.exists() else "# Extra\n"
        path.write_text(existing + "\n" + textwrap.dedent(text))

    def write_evidence(self, model: NeedModel = MODEL) -> None:
        generated = self.root / "needs" / "generated"
        write_needs_json(generated / "results.json", self.results, model, version="1.0.0", creator="test", created="")
        write_needs_json(generated / "components.json", self.components, model, version="1.0.0", creator="test", created="")
        write_needs_json(generated / "environment.json", self.environments, model, version="1.0.0", creator="test", created="")

    def findings(self) -> list[Finding]:
        self.write_evidence()
        project = load_project(self.root)
        declarations = load_declarations(project)
        return check_corpus(project, declarations, read_corpus(project, declarations.model)).findings
