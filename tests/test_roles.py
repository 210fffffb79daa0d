"""Roles, not names: a reStructuredText sphinx-needs project in the style of
an existing one (types ``req``, ``spec``, ``test``, ``risk``, ``risk-mitigation``, prefixes
like ``_``;
the generic ``links`` and a ``tests`` link; conf.py in ``docs/``, as
sphinx-quickstart lays it out) maps its types to techfile's roles and gets
the built-in checks on its own needs, and "not applicable" for what it lacks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sphinxbuild import sphinx_build
from techfile.checks.rules import RuleStatus
from techfile.checks.run import check_corpus, load_declarations
from techfile.cli import main
from techfile.project import load_project
from techfile.readers.sources import read_corpus

NEED_MODEL = """\
# The project's own model, not techfile's: its types and links, mapped to roles.
default_safety_class = "B"
id_regex = "^[A-Z][A-Z0-9]*_[A-Z0-9_]+$"

[types.req]
title = "Requirement"
prefix = "R_"
id_pattern = "^R_[0-9]+$"
fields = ["priority"]

[types.spec]
title = "Specification"
prefix = "S_"
id_pattern = "^S_[0-9]+$"
fields = ["priority", "verify_by", "verify_note"]

[types.test]
title = "Test case"
prefix = "_"
id_pattern = "^T_[0-9]+$"
fields = ["level"]

[types.risk]
title = "Risk"
prefix = "RISK_"
id_pattern = "^RISK_[0-9]+$"
fields = ["sev", "occ", "accepted_because"]

[types.risk-mitigation]
title = "Mitigation"
prefix = "M_"
id_pattern = "^M_[0-9]+$"
fields = ["option", "new_hazards"]

[fields.priority]
description = "Priority."
[fields.verify_by]
description = "How the specification is verified."
[fields.verify_note]
description = "Why not by test."
[fields.level]
description = "Test level."
[fields.sev]
description = "Severity."
[fields.occ]
description = "Probability of occurrence."
[fields.accepted_because]
description = "Why the risk is accepted."
[fields.option]
description = "ISO 14971 option."
[fields.new_hazards]
description = "New hazards."

[links.links]
outgoing = "links outgoing"
incoming = "links incoming"
from = ["spec", "req", "test", "risk-mitigation"]
to = ["*"]

[links.tests]
outgoing = "tests"
incoming = "is tested by"
from = ["test"]
to = ["req", "spec"]

[links.reduces]
outgoing = "reduces"
incoming = "is reduced by"
from = ["risk-mitigation"]
to = ["risk"]

[roles]
system_requirement = "req"
test_specification = "test"
risk_control = "risk-mitigation"

[roles.software_requirement]
types = ["spec"]
fields = { verification_method = "verify_by", verification_rationale = "verify_note" }

[roles.hazard]
types = ["risk"]
fields = { severity = "sev", probability = "occ", risk_acceptance = "accepted_because" }

[relations]
derives_from = "links"
verifies = "tests"
mitigates = "reduces"
"""

INDEX = """\
Pump controller
===============

.. toctree::

   requirements
   risks
   tests
"""

REQUIREMENTS = """\
Requirements
============

.. req:: Deliver the prescribed rate
   :id: R_1
   :priority: high

.. spec:: Rate controller
   :id: S_1
   :links: R_1

   The controller shall hold the rate within 5 %.

.. note::

   A specification nested in a note is still a need:

   .. spec:: Occlusion alarm
      :id: S_2
      :links: R_1

.. spec:: Housing colour
   :id: S_3
   :links: R_1
   :verify_by: inspection
   :verify_note: Checked on the first article.

A specification shown as an example is not one::

   .. spec:: Not a need
      :id: S_9
"""

RISKS = """\
Risks
=====

.. risk:: Over-infusion
   :id: RISK_1
   :sev: critical
   :occ: occasional

.. risk:: Under-infusion
   :id: RISK_2
   :sev: serious
   :occ: remote

.. risk-mitigation:: Rate limit in firmware
   :id: M_1
   :reduces: RISK_1
   :option: protective_measure
   :new_hazards: None.
"""

TESTS = """\
Tests
=====

.. test:: Rate accuracy
   :id: T_1
   :tests: S_1, M_1
   :level: system
"""


def write_project(root: Path) -> Path:
    """The project: pyproject.toml at the root, the Sphinx sources and conf.py in docs/."""
    docs = root / "docs"
    docs.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.techfile]\nneed_model = "docs/need_model.toml"\nsources = ["docs"]\nroot_doc = "docs/index"\n')
    (docs / "need_model.toml").write_text(NEED_MODEL)
    (docs / "conf.py").write_text('project = "Pump"\nextensions = ["sphinx_needs", "techfile.sphinxext"]\nexclude_patterns = ["_build"]\n')
    for name, text in {"index": INDEX, "requirements": REQUIREMENTS, "risks": RISKS, "tests": TESTS}.items():
        (docs / f"{name}.rst").write_text(text)
    return root


@pytest.fixture
def pump(tmp_path: Path) -> Path:
    return write_project(tmp_path / "pump")


def line_of(path: Path, needle: str) -> int:
    return next(n for n, text in enumerate(path.read_text().splitlines(), 1) if needle in text)


def evaluate(root: Path):  # type: ignore[no-untyped-def]
    project = load_project(root)
    declarations = load_declarations(project)
    return check_corpus(project, declarations, read_corpus(project, declarations.model))


def test_checks_run_on_the_projects_own_types_and_links(pump: Path) -> None:
    evaluation = evaluate(pump)
    found = {(f.rule.id, f.need_id): f for f in evaluation.findings}
    requirements = pump / "docs" / "requirements.rst"
    # S_2 (nested in a note) has no test: unverified, at its own file and line
    unverified = found[("R04", "S_2")]
    assert (unverified.path, unverified.line) == ("docs/requirements.rst", line_of(requirements, ".. spec:: Occlusion alarm"))
    # S_3 is verified by inspection with a rationale, in the project's own field names
    assert ("R04", "S_3") not in found and ("R04", "S_1") not in found
    # RISK_2 has no mitigation and its risk is not acceptable by the matrix
    uncontrolled = found[("R09", "RISK_2")]
    assert (uncontrolled.path, uncontrolled.line) == ("docs/risks.rst", line_of(pump / "docs" / "risks.rst", ".. risk:: Under-infusion"))
    assert ("R09", "RISK_1") not in found
    # the example in a literal block is not a need
    assert "S_9" not in {f.need_id for f in evaluation.findings}


def test_rules_that_need_a_missing_role_are_not_applicable(pump: Path) -> None:
    rules = evaluate(pump).rules
    expected = {
        "R05": "role test_result",
        "R17": "role soup_item",
        "R21": "relation part_of",
        "R25": "role release",
        "R30": "role statement",
        "N08": "role waiver",
        "R11": "relation implements",
    }
    for rule_id, reason in expected.items():
        assert rules[rule_id].status is RuleStatus.NOT_APPLICABLE, rule_id
        assert reason in rules[rule_id].reason, (rule_id, rules[rule_id].reason)
    for rule_id in ("R01", "R04", "R09", "R12", "R14", "R15", "N01"):
        assert rules[rule_id].applicable, (rule_id, rules[rule_id].reason)


def test_report_lists_not_applicable_rules_and_names_real_root_document(pump: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (pump / "docs" / "index.rst").write_text(INDEX + "\n.. needimport:: missing.json\n   :filter: True\n")
    assert main(["check", "--project", str(pump)]) == 2
    assert "docs/index.rst:10: needimport option(s) ['filter']" in capsys.readouterr().err
    (pump / "docs" / "index.rst").write_text(INDEX)
    assert main(["check", "--project", str(pump), "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    statuses = {rule["id"]: rule["status"] for rule in document["rules"]}
    assert statuses["R30"] == "not applicable" and statuses["R04"] == "applicable"
    assert document["summary"]["rules"] == sum(1 for status in statuses.values() if status == "applicable")


def test_a_requirement_added_in_rst_without_a_test_fails_check(pump: Path, capsys: pytest.CaptureFixture[str]) -> None:
    requirements = pump / "docs" / "requirements.rst"
    requirements.write_text(requirements.read_text() + "\n.. spec:: Battery alarm\n   :id: S_4\n   :links: R_1\n")
    assert main(["check", "--project", str(pump)]) == 1
    line = line_of(requirements, ".. spec:: Battery alarm")
    assert f"docs/requirements.rst:{line}: techfile.R04: S_4: no test specification or automated test verifies it" in capsys.readouterr().out


@pytest.mark.slow
def test_sphinx_build_gives_the_same_findings(pump: Path) -> None:
    build = sphinx_build(pump / "docs")
    findings = build.findings()
    assert findings == [f.as_dict() for f in evaluate(pump).findings] != []
    assert "docs/requirements.rst" in {f["path"] for f in findings}
    catalogue = json.loads((build.outdir / "techfile-findings.json").read_text())["rules"]
    assert {rule["id"]: rule["status"] for rule in catalogue}["R30"] == "not applicable"
    assert "[techfile.R04]" in build.output and "Unknown directive" not in build.output
