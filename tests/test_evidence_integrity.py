"""Rule N11 (evidence-edited) on real evidence: ``techfile junit`` runs on
the real reports of ``tests/fixtures/junit/``, the needs.json it writes is
then edited as an attacker would, and ``techfile check`` and the Sphinx
build (``-W``) both report the edit at the file and line of the case in the
report. No mocks: the reports, the generator, the reader and the build are
the real ones.

The rule resolves ``source_file`` against the project root; until the
engine's context carries it, the root is the project found from the current
directory, so every test runs from the project's folder, as CI runs
``techfile check`` and ``sphinx-build .``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from miniproject import COMMIT, MODEL, REPO, Mini, default, pyproject
from sphinxbuild import add_sphinx_files, sphinx_build
from techfile.checks.rules import RuleStatus, load_rules
from techfile.cli import main
from techfile.model.needmodel import load_need_model

FIXTURES = REPO / "tests" / "fixtures" / "junit"
REPORT = "reports/unit.xml"
EVIDENCE = "needs/generated/junit.json"
ATTACKED_CASE = "test_assertion_fails"


def case_line(report: Path, case: str) -> int:
    """The line of the ``<testcase name="case"`` start tag, where the result need is located."""
    return next(n for n, text in enumerate(report.read_text(encoding="utf-8").splitlines(), 1) if f'name="{case}"' in text and "<testcase" in text)


def records(root: Path, file: str = EVIDENCE) -> dict[str, dict[str, Any]]:
    document = json.loads((root / file).read_text(encoding="utf-8"))
    needs: dict[str, dict[str, Any]] = document["versions"][document["current_version"]]["needs"]
    return needs


def edit(root: Path, change: Any, file: str = EVIDENCE) -> None:
    """Edit the generated needs.json in place, as a hand would."""
    path = root / file
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document["versions"][document["current_version"]]["needs"])
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def record_of(needs: dict[str, dict[str, Any]], case: str) -> dict[str, Any]:
    return next(record for record in needs.values() if record.get("case") == case)


def anomalies_for_failures(mini: Mini) -> None:
    """An evaluated, disclosed anomaly for every failed result: the project is clean (R07, R25 quiet)."""
    failed = sorted(need_id for need_id, record in records(mini.root).items() if record["result"] in ("failed", "error"))
    for number, need_id in enumerate(failed, 1):
        mini.append("release.md", f"""
            ```{{anomaly}} Known failure {number}
            :id: ANOM_{number:03}
            :resolution: deferred
            :criticality: minor
            :found_by: {need_id}
            :discovered: 2026-01-01
            :discovery: Unit test run.
            :root_cause: A deliberate defect of the fixture.
            :safety_impact: None: the fixture is not the device.
            :outcome: Deferred.
            :rationale: The failure is the test's subject.

            The test fails on purpose.
            ```
            """)
    mini.replace("release.md", ":version: 1.0.0", ":version: 1.0.0\n:discloses: " + ", ".join(f"ANOM_{n:03}" for n in range(1, len(failed) + 1)))


def junit(root: Path) -> None:
    assert main(["junit", "--project", str(root), "--software-version", "1.0.0", "--commit", COMMIT]) == 0


def check(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, Any]]]:
    """``techfile check --format json`` of the project: its exit status and its findings."""
    capsys.readouterr()
    status = main(["check", "--project", str(root), "--format", "json"])
    findings: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["findings"]
    return status, findings


def n11(findings: list[dict[str, Any]]) -> list[tuple[str, int, str | None, str]]:
    return [(f["path"], f["line"], f["need"], f["message"]) for f in findings if f["rule"] == "N11"]


@pytest.fixture
def project(mini: Mini, monkeypatch: pytest.MonkeyPatch) -> Mini:
    """The mini project with a JUnit job on a real pytest report (3 failed, 1 error), its evidence generated, every failure evaluated."""
    (mini.root / "pyproject.toml").write_text(pyproject(f'catalogue_doc = "docs/rules"\n\n[[tool.techfile.junit]]\noutput = "{EVIDENCE}"\ninputs = [{{ path = "{REPORT}", level = "unit" }}]\n'))
    (mini.root / "reports").mkdir()
    shutil.copyfile(FIXTURES / "pytest" / "pytest-xunit1.xml", mini.root / REPORT)
    index = mini.root / "docs" / "index.md"
    index.write_text(index.read_text() + "\n```{techfile-evidence}\n```\n\n```{toctree}\n:glob:\n\n../needs/*\nrules\n```\n")
    (mini.root / "docs" / "rules.md").write_text("# Rules\n\n```{techfile-rules}\n```\n")
    mini.write_evidence()
    monkeypatch.chdir(mini.root)
    junit(mini.root)
    anomalies_for_failures(mini)
    return mini


def test_real_evidence_is_quiet(project: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    status, findings = check(project.root, capsys)
    assert (status, findings) == (0, [])


def test_failed_result_edited_to_passed_is_found_at_the_case(project: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    attacked = record_of(records(project.root), ATTACKED_CASE)
    assert attacked["result"] == "failed"
    edit(project.root, lambda needs: record_of(needs, ATTACKED_CASE).update(result="passed"))
    status, findings = check(project.root, capsys)
    assert status == 1
    line = case_line(project.root / REPORT, ATTACKED_CASE)
    assert n11(findings) == [
        (REPORT, line, attacked["id"], f"differs from the source file it was generated from: result is 'passed', the file gives 'failed' (regenerated by junit from {REPORT})"),
    ]
    assert [f["rule"] for f in findings] == ["N11"]  # the edit hides nothing else: the result now "passes"


def test_several_edits_are_named_together(project: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    def tidy(needs: dict[str, dict[str, Any]]) -> None:
        record_of(needs, ATTACKED_CASE).update(result="passed", message="", content="", time_s="9.999")

    edit(project.root, tidy)
    _, findings = check(project.root, capsys)
    [(_, _, _, message)] = n11(findings)
    assert "result is 'passed', the file gives 'failed'" in message and "message is ''" in message
    assert "; and 1 more" in message


def test_removed_record_is_found_at_its_case(project: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    removed = record_of(records(project.root), "test_raises_exception")["id"]
    edit(project.root, lambda needs: needs.pop(removed))
    status, findings = check(project.root, capsys)
    assert status == 1
    line = case_line(project.root / REPORT, "test_raises_exception")
    assert [(path, at, need) for path, at, need, _ in n11(findings)] == [(REPORT, line, None)]
    assert f"gives {removed} (test_raises_exception), which the imported evidence does not carry" in n11(findings)[0][3]


def test_record_of_no_case_of_the_file_is_found(project: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    def forge(needs: dict[str, dict[str, Any]]) -> None:
        forged = dict(record_of(needs, "test_addition_passes"), id="RES_FORGED_0000000000", title="test_forged")
        needs["RES_FORGED_0000000000"] = forged

    edit(project.root, forge)
    _, findings = check(project.root, capsys)
    assert [(need, message) for _, _, need, message in n11(findings)] == [
        ("RES_FORGED_0000000000", f"{REPORT} gives no record RES_FORGED_0000000000 (junit): the record was not generated from this file"),
    ]


def test_report_changed_after_generation_is_a_digest_mismatch(project: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    report = project.root / REPORT
    report.write_bytes(report.read_bytes() + b"\n")  # the tests were run again, the evidence was not regenerated
    _, findings = check(project.root, capsys)
    found = n11(findings)
    assert len(found) == len(records(project.root))
    assert all("is not the SHA-256 of reports/unit.xml" in message for *_, message in found)


def test_what_the_rule_cannot_prove(project: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    """A forged report regenerated, or a report not kept: nothing to compare with, no finding (the rule's description says so)."""
    report = project.root / REPORT
    text = report.read_text(encoding="utf-8")
    start = text.index(f'name="{ATTACKED_CASE}"')
    end = text.index("</testcase>", start)
    forged = text[:start] + text[start:end].split(">", 1)[0] + ">" + text[end:]  # the <failure> cut out
    report.write_text(forged, encoding="utf-8")
    junit(project.root)
    assert record_of(records(project.root), ATTACKED_CASE)["result"] == "passed"
    assert n11(check(project.root, capsys)[1]) == []
    edit(project.root, lambda needs: record_of(needs, "test_addition_passes").update(result="failed"))
    report.unlink()
    assert n11(check(project.root, capsys)[1]) == []


def test_not_applicable_without_a_generated_role(tmp_path: Path) -> None:
    model_file = tmp_path / "need_model.toml"
    model_file.write_text('extends = "techfile:default"\nremove_types = ["result", "component"]\n')
    rules = load_rules(default("trace_rules"), load_need_model(model_file))
    assert rules["N11"].status is RuleStatus.NOT_APPLICABLE
    assert "test_result or dependency_component" in rules["N11"].reason
    assert load_rules(default("trace_rules"), MODEL)["N11"].status is RuleStatus.APPLICABLE


ALL_REPORTS = [name for name in sorted(json.loads((FIXTURES / "expected.json").read_text())) if name not in ("pytest/pytest-xunit2.xml", "pytest/pytest-prefix-unit.xml")]


@pytest.fixture
def every_runner(mini: Mini, monkeypatch: pytest.MonkeyPatch) -> Mini:
    """The evidence of one real report of every runner (those that repeat a case left out), in one job."""
    inputs = []
    for name in ALL_REPORTS:
        target = mini.root / "reports" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FIXTURES / name, target)
        inputs.append(f'"reports/{name}"')
    inputs += ['"reports/engines/TEST-junit-vintage.xml"']
    (mini.root / "reports" / "engines").mkdir()
    shutil.copyfile(FIXTURES / "junit5" / "engines" / "TEST-junit-vintage.xml", mini.root / "reports" / "engines" / "TEST-junit-vintage.xml")
    (mini.root / "pyproject.toml").write_text(pyproject(f'catalogue_doc = "docs/rules"\n\n[[tool.techfile.junit]]\noutput = "{EVIDENCE}"\ninputs = [{", ".join(inputs)}]\n'))
    index = mini.root / "docs" / "index.md"
    index.write_text(index.read_text() + "\n```{techfile-evidence}\n```\n\n```{toctree}\n:glob:\n\n../needs/*\nrules\n```\n")
    (mini.root / "docs" / "rules.md").write_text("# Rules\n\n```{techfile-rules}\n```\n")
    mini.write_evidence()
    monkeypatch.chdir(mini.root)
    junit(mini.root)
    return mini


def test_every_runner_regenerates_to_the_same_evidence(every_runner: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    assert len(records(every_runner.root)) > 60
    assert n11(check(every_runner.root, capsys)[1]) == []


# ------------------------------------------------------------ the build


@pytest.mark.slow
def test_build_reports_the_edit_as_check_does(project: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    add_sphinx_files(project.root)
    clean = sphinx_build(project.root)
    assert clean.status == 0, clean.output
    assert clean.findings() == []
    attacked = record_of(records(project.root), ATTACKED_CASE)
    edit(project.root, lambda needs: record_of(needs, ATTACKED_CASE).update(result="passed"))
    build = sphinx_build(project.root)
    assert build.status == 1
    line = case_line(project.root / REPORT, ATTACKED_CASE)
    assert f"{REPORT}:{line}: WARNING: {attacked['id']}: differs from the source file it was generated from: result is 'passed', the file gives 'failed'" in build.output
    assert "[techfile.N11]" in build.output and "Traceback" not in build.output
    assert build.findings() == check(project.root, capsys)[1]


@pytest.mark.slow
def test_build_regenerates_every_runner_to_the_same_evidence(every_runner: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    """Titles, content and fields as sphinx-needs imports them compare equal to what the reports give."""
    add_sphinx_files(every_runner.root)
    build = sphinx_build(every_runner.root)
    assert [f for f in build.findings() if f["rule"] == "N11"] == []
    assert [f["rule"] for f in build.findings()] == [f["rule"] for f in check(every_runner.root, capsys)[1]]
