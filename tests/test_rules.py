"""Every rule fires on the gap it names and is quiet where there is none.

The clean mini project (``miniproject.py``) has no finding at all; each
case below changes one thing and expects exactly that rule to report the
need. A rule declared without a case here fails ``test_every_rule_has_cases``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from miniproject import MODEL, REPO, Mini, component, default, pyproject, result, waiver
from techfile.checks.rules import load_rules
from techfile.evidence.interface import EvidenceNeed
from techfile.evidence.junit.mapping import Run, Specs
from techfile.evidence.junit.settings import JUnitInput, JUnitJob
from techfile.evidence.junit.source import JUnitSource
from test_approvals import FIRING as APPROVALS
from test_data_rules import FIRING as DATA_RULES
from test_ml_rules import FIRING as ML_RULES
from test_postmarket_rules import FIRING as POSTMARKET_RULES
from test_release_gates import FIRING as RELEASE_GATES
from test_soup import FIRING as SOUP_RULES

Mutation = Callable[[Mini], None]


def _no_derivation(m: Mini) -> None:
    m.replace("requirements.md", ":derives_from: SYS_001\n", "")


def _uncovered_system_requirement(m: Mini) -> None:
    m.append("requirements.md", """
        ```{sysreq} Uncovered
        :id: SYS_002
        :allocation: software
        :derives_from: UN_001
        ```
        """)


def _unverified(m: Mini) -> None:
    m.replace("tests.md", ":verifies: SWR_001, ITEM_UNIT", ":verifies: ITEM_UNIT")


def _failed_result(m: Mini) -> None:
    m.results = [result(outcome="failed")]


def _incomplete_record(m: Mini) -> None:
    bare = result()
    m.results = [type(bare)(bare.id, bare.role, bare.title, fields={"result": "passed", "software_version": "1.0.0"}, links=bare.links)]


def _no_cause(m: Mini) -> None:
    m.replace("risk.md", ":cause: Cause\n", "")


def _uncontrolled(m: Mini) -> None:
    m.replace("risk.md", ":mitigates: HAZ_001\n", "")


def _no_option(m: Mini) -> None:
    m.replace("risk.md", ":option: protective_measure\n", "")


def _control_not_implemented(m: Mini) -> None:
    m.replace("requirements.md", ":implements: RC_001\n", "")


def _control_class_too_low(m: Mini) -> None:
    m.replace("architecture.md", ":uses: SOUP_LIB\n", ":uses: SOUP_LIB\n:safety_class: A\n:class_rationale: segregated\n")


def _no_effectiveness(m: Mini) -> None:
    m.replace("risk.md", ":effectiveness: Usability study U-1.\n", "")


def _broken_chain(m: Mini) -> None:
    m.results = [result(outcome="skipped")]


def _no_new_hazards(m: Mini) -> None:
    m.replace("risk.md", ":new_hazards: None.\n", "")


def _residual_not_estimated(m: Mini) -> None:
    m.replace("risk.md", ":residual_probability: remote\n", "")


def _soup_range(m: Mini) -> None:
    m.replace("soup.md", ":version: 1.2.3", ':version: ">=1.2"')


def _soup_no_requirements(m: Mini) -> None:
    m.replace("soup.md", ":hw_sw_requirements: H.\n", "")


def _soup_stale_evaluation(m: Mini) -> None:
    m.replace("soup.md", ":anomaly_evaluation_version: 1.2.3", ":anomaly_evaluation_version: 1.2.2")


def _item_unclassified(m: Mini) -> None:
    m.replace("architecture.md", ":safety_class: B\n", "")


def _unit_unverified(m: Mini) -> None:
    m.replace("tests.md", ":verifies: SWR_001, ITEM_UNIT", ":verifies: SWR_001")


def _undisclosed_anomaly(m: Mini) -> None:
    m.append("release.md", """
        ```{anomaly} Known problem
        :id: ANOM_001
        :resolution: open
        :affects: ITEM_UNIT
        ```
        """)


def _no_plan(m: Mini) -> None:
    m.replace("statements.md", ":kind: development_plan", ":kind: intended_use")


def _bad_id(m: Mini) -> None:
    m.replace("requirements.md", ":id: UN_001", ":id: UN_1")
    m.replace("requirements.md", ":derives_from: UN_001", ":derives_from: UN_1")


def _missing_required(m: Mini) -> None:
    m.replace("requirements.md", ":category: functional\n", "")


def _bad_enum(m: Mini) -> None:
    m.replace("architecture.md", ":safety_class: B", ":safety_class: D")


def _dangling(m: Mini) -> None:
    m.replace("requirements.md", ":derives_from: SYS_001", ":derives_from: SYS_001, SYS_404")


def _wrong_type_link(m: Mini) -> None:
    m.replace("tests.md", ":verifies: SWR_001, ITEM_UNIT", ":verifies: SWR_001, ITEM_UNIT, HAZ_001")


def _duplicate(m: Mini) -> None:
    m.append("release.md", """
        ```{release} Again
        :id: REL_1
        :version: 1.0.0
        ```
        """)


def _undeclared(m: Mini) -> None:
    m.replace("tests.md", ":level: unit", ":level: unit\n:safety_class: B")


def _waiver_unknown_rule(m: Mini) -> None:
    m.append("release.md", waiver("R99", "SWR_001"))


def _stale_waiver(m: Mini) -> None:
    m.append("release.md", waiver("R04", "SWR_001"))


def _missing_evidence(m: Mini) -> None:
    (m.root / "pyproject.toml").write_text(pyproject('[[tool.techfile.junit]]\noutput = "needs/generated/junit.json"\n'))
    index = m.root / "docs" / "index.md"
    index.write_text(index.read_text() + "\n```{techfile-evidence}\n```\n")


def _edited_evidence(m: Mini) -> None:
    """The results of a real report, one failed result hand-edited to passed (the report named by its absolute path)."""
    report = REPO / "tests" / "fixtures" / "junit" / "pytest" / "pytest-xunit1.xml"
    generated = JUnitSource(JUnitJob("junit.json", (JUnitInput(str(report), "unit"),)), m.root, Specs({}, lambda i: False), Run("1.0.0", "abc")).read()
    edited = [
        EvidenceNeed(n.id, n.role, n.title, n.content, {**n.fields, "result": "passed"}, n.links) if n.fields.get("case") == "test_assertion_fails" else n
        for n in generated
    ]
    m.results = [result(), *edited]


def _requirement_not_reviewed(m: Mini) -> None:
    m.replace("requirements.md", ":status: approved", ":status: draft")


def _no_interfaces(m: Mini) -> None:
    m.replace("architecture.md", ":interfaces: Command line\n", "")


def _no_integration_test(m: Mini) -> None:
    m.append("architecture.md", """
        ```{item} Second unit
        :id: ITEM_SECOND
        :level: unit
        :part_of: ITEM_SYS
        ```
        """)


def _problem_not_investigated(m: Mini) -> None:
    m.append("release.md", """
        ```{anomaly} Known problem
        :id: ANOM_001
        :resolution: fixed
        :criticality: minor
        :safety_impact: None.
        :affects: ITEM_UNIT
        ```
        """)


def _suspect_link(m: Mini) -> None:
    from techfile.cli import main

    m.write_evidence()
    assert main(["review", "--project", str(m.root), "--all"]) == 0
    m.replace("requirements.md", ":category: functional", ":category: performance")


def _clause_not_addressed(m: Mini) -> None:
    m.replace("statements.md", ":addresses: IEC 62304 9.9\n", "")


# rule -> (mutation, need the finding is about (None: project level), text in the message)
FIRING: dict[str, tuple[Mutation, str | None, str]] = {
    "N01": (_bad_id, "UN_1", "does not match"),
    "N02": (_missing_required, "SWR_001", "category"),
    "N03": (_bad_enum, "ITEM_SYS", "safety_class is 'D'"),
    "N04": (_dangling, "SWR_001", "SYS_404"),
    "N05": (_wrong_type_link, "TEST_001", "HAZ_001, a hazard"),
    "N06": (_duplicate, "REL_1", "already used"),
    "N07": (_undeclared, "TEST_001", "safety_class"),
    "N08": (_waiver_unknown_rule, "WAIVER_001", "R99"),
    "N09": (_stale_waiver, "WAIVER_001", "has no such gap"),
    "N10": (_missing_evidence, None, "needs/generated/junit.json does not exist yet"),
    "N11": (_edited_evidence, "RES_TEST_DEVICE_TEST_ASSERTION_FAILS_B5AD1E41FF", "result is 'passed', the file gives 'failed'"),
    "R01": (_no_derivation, "SWR_001", "derives from no"),
    "R02": (_uncovered_system_requirement, "SYS_002", "no software requirement"),
    "R04": (_unverified, "SWR_001", "verifies it"),
    "R05": (_failed_result, "SWR_001", "RES_ONE failed"),
    "R06": (_incomplete_record, "RES_ONE", "lacks"),
    "R07": (_failed_result, "RES_ONE", "no anomaly"),
    "R08": (_no_cause, "HAZ_001", "cause"),
    "R09": (_uncontrolled, "HAZ_001", "no risk control"),
    "R10": (_no_option, "RC_001", "option"),
    "R11": (_control_not_implemented, "RC_001", "no software requirement implements"),
    "R12": (_no_effectiveness, "RC_001", "effectiveness"),
    "R13": (_broken_chain, "HAZ_001", "chain broken"),
    "R14": (_no_new_hazards, "RC_001", "new hazards"),
    "R15": (_residual_not_estimated, "HAZ_001", "residual probability"),
    "R17": (_soup_range, "SOUP_LIB", "not one exact version"),
    "R18": (_soup_no_requirements, "SOUP_LIB", "hardware/software"),
    "R19": (_soup_stale_evaluation, "SOUP_LIB", "for version 1.2.2"),
    "R21": (_item_unclassified, "ITEM_SYS", "states no safety_class"),
    "R23": (_unit_unverified, "ITEM_UNIT", "no unit-level test"),
    "R25": (_undisclosed_anomaly, "ANOM_001", "not disclosed by the release REL_1"),
    "R30": (_no_plan, None, "development_plan"),
    "R03": (_requirement_not_reviewed, "SWR_001", "has status draft"),
    "R22": (_no_interfaces, "ITEM_SYS", "states no interfaces"),
    "R24": (_no_integration_test, None, "no integration-level test specification"),
    "R29": (_problem_not_investigated, "ANOM_001", "states no root_cause"),
    "L01": (_suspect_link, "TEST_001", "links to SWR_001, which changed since the link was reviewed"),
    "C01": (_clause_not_addressed, None, "IEC 62304 9.9 (A declared clause) is gap: has no evidence"),
}
FIRING.update(RELEASE_GATES)  # R16, R26-R28, R31: their cases are in test_release_gates.py
FIRING.update(APPROVALS)  # D01: its cases are in test_approvals.py
FIRING.update(ML_RULES)  # M01-M07: their cases are in test_ml_rules.py
FIRING.update(SOUP_RULES)  # R20, S01-S05: their cases are in test_soup.py
FIRING.update(DATA_RULES)  # M09-M14: their cases are in test_data_rules.py
FIRING.update(POSTMARKET_RULES)  # PM01-PM05: their cases are in test_postmarket_rules.py


def test_every_rule_has_cases() -> None:
    rules = load_rules(default("trace_rules"), MODEL)
    assert set(rules) == set(FIRING)


def test_clean_project_has_no_finding(mini: Mini) -> None:
    assert [f.text() for f in mini.findings()] == []


@pytest.mark.parametrize("rule_id", sorted(FIRING))
def test_rule_quiet_on_clean_project(mini: Mini, rule_id: str) -> None:
    assert [f.text() for f in mini.findings() if f.rule.id == rule_id] == []


@pytest.mark.parametrize("rule_id", sorted(FIRING))
def test_rule_fires(mini: Mini, rule_id: str) -> None:
    mutate, need_id, text = FIRING[rule_id]
    mutate(mini)
    own = [f for f in mini.findings() if f.rule.id == rule_id]
    assert own, f"{rule_id} did not fire"
    assert any(f.need_id == need_id and text in f.message for f in own), [f.text() for f in own]
    finding = next(f for f in own if f.need_id == need_id)
    assert finding.open and finding.fails
    assert f"techfile.{rule_id}: " in finding.text() and "; ".join(finding.clauses) in finding.text()


# ------------------------------------------------- quiet for the right reason


def test_r03_requires_a_current_approval_of_the_requirements_once_approvals_are_recorded(mini: Mini) -> None:
    from techfile.cli import main

    def r03() -> list[str]:
        return [f.message for f in mini.findings() if f.rule.id == "R03"]

    approve = ["approve", "--project", str(mini.root), "--by", "Jane Roe", "--role", "QM", "--date", "2026-12-01"]
    assert main([*approve[:1], "docs/index", *approve[1:]]) == 0
    assert r03() == ["is written in needs/requirements.md, which no current approval of a document covers: have the document that holds it reviewed and signed (techfile approve)"]
    assert main([*approve[:1], "needs/requirements", *approve[1:], "--meaning", "review"]) == 0
    assert r03() == []
    mini.replace("requirements.md", ":category: functional", ":category: performance")
    assert len(r03()) == 1  # edited after its review


def test_r04_quiet_for_justified_inspection(mini: Mini) -> None:
    _unverified(mini)
    mini.replace("requirements.md", ":category: functional", ":category: functional\n:verification_method: inspection\n:verification_rationale: Reviewed in design review DR-3.")
    assert not [f for f in mini.findings() if f.rule.id == "R04"]


def test_r04_fires_for_inspection_without_rationale(mini: Mini) -> None:
    _unverified(mini)
    mini.replace("requirements.md", ":category: functional", ":category: functional\n:verification_method: inspection")
    assert any("verification_rationale" in f.message for f in mini.findings() if f.rule.id == "R04")


def test_r04_quiet_with_direct_result_only(mini: Mini) -> None:
    _unverified(mini)
    mini.results = [result("RES_DIRECT", verifies=("SWR_001",))]
    assert not [f for f in mini.findings() if f.rule.id in ("R04", "R05")]


def test_r05_no_evidence_is_a_gap(mini: Mini) -> None:
    mini.results = []
    messages = [f.message for f in mini.findings() if f.rule.id == "R05"]
    assert messages == ["has no passing test result for the release: TEST_001 has no test result (there is no test evidence in the tree)"]


def test_r05_wrong_version(mini: Mini) -> None:
    mini.results = [result(version="0.9.0")]
    assert any("is for version 0.9.0" in f.message for f in mini.findings() if f.rule.id == "R05")


def test_r05_failure_accepted_by_evaluated_anomaly(mini: Mini) -> None:
    _failed_result(mini)
    mini.append("release.md", """
        ```{anomaly} Known failure
        :id: ANOM_001
        :resolution: open
        :found_by: RES_ONE
        :discovered: 2026-01-01
        :discovery: Test run.
        :root_cause: Cause.
        :safety_impact: None: evaluated.
        :outcome: Deferred.
        :rationale: Acceptable.

        Description.
        ```
        """)
    mini.replace("release.md", ":version: 1.0.0", ":version: 1.0.0\n:discloses: ANOM_001")
    found = {f.rule.id for f in mini.findings()}
    assert not found & {"R05", "R07", "R25"}, found


def test_r09_quiet_for_accepted_initial_risk(mini: Mini) -> None:
    _uncontrolled(mini)
    mini.replace("risk.md", ":probability: probable", ":probability: improbable\n:risk_acceptance: Acceptable per plan.")
    assert not [f for f in mini.findings() if f.rule.id == "R09"]


def test_r15_unacceptable_residual_needs_benefit_risk(mini: Mini) -> None:
    mini.replace("risk.md", ":residual_probability: remote", ":residual_probability: frequent")
    messages = [f.message for f in mini.findings() if f.rule.id == "R15"]
    assert any("benefit_risk" in m for m in messages)
    assert any("worse than the initial risk" in m for m in messages)


def test_r17_no_evidence_is_a_gap_and_mismatch_is_named(mini: Mini) -> None:
    mini.components = []
    assert any("no lock-file or SBOM evidence" in f.message for f in mini.findings() if f.rule.id == "R17")
    mini.components = [component(version="1.2.4")]
    assert any("does not match the lock file or SBOM (1.2.4)" in f.message for f in mini.findings() if f.rule.id == "R17")


def test_class_a_soup_is_exempt_from_class_bc_rules(mini: Mini) -> None:
    _soup_no_requirements(mini)
    mini.replace("architecture.md", ":safety_class: B", ":safety_class: A")
    assert not [f for f in mini.findings() if f.rule.id in ("R18", "R19")]


def test_class_is_inherited_from_parent(mini: Mini) -> None:
    """The unit states no class: R23 (B, C only) applies through the system's class B, not for A."""
    _unit_unverified(mini)
    assert [f for f in mini.findings() if f.rule.id == "R23"]
    mini.replace("architecture.md", ":safety_class: B", ":safety_class: A")
    assert not [f for f in mini.findings() if f.rule.id == "R23"]


def test_r21_child_class_above_parent(mini: Mini) -> None:
    mini.replace("architecture.md", ":uses: SOUP_LIB\n", ":uses: SOUP_LIB\n:safety_class: C\n:class_rationale: x\n")
    assert any("higher than class B" in f.message for f in mini.findings() if f.rule.id == "R21")


def test_waiver_accepts_gap(mini: Mini) -> None:
    _unverified(mini)
    _stale_waiver(mini)  # a waiver of R04 on SWR_001, now matching a real gap
    findings = [f for f in mini.findings() if f.rule.id in ("R04", "N09")]
    assert [(f.rule.id, f.need_id, f.accepted_by, f.fails) for f in findings] == [("R04", "SWR_001", "WAIVER_001", False)]


def test_undisclosed_anomaly_lacks_evaluation(mini: Mini) -> None:
    _undisclosed_anomaly(mini)
    messages = [f.message for f in mini.findings() if f.rule.id == "R25"]
    assert any("lacks description, discovered, discovery, root_cause" in m for m in messages)


def test_need_without_id_is_reported_where_it_is_written(mini: Mini) -> None:
    mini.append("release.md", """
        ```{anomaly} No ID
        :resolution: open
        ```
        """)
    findings = [f for f in mini.findings() if f.rule.id == "N01"]
    text = (mini.root / "needs" / "release.md").read_text().splitlines()
    line = next(n for n, t in enumerate(text, 1) if "{anomaly} No ID" in t)
    assert [(f.path, f.line, f.message) for f in findings] == [("needs/release.md", line, "a anomaly need has no :id:")]
