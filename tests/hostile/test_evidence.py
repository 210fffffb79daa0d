"""Hostile and broken evidence, one test per input: generated records that
are not what techfile writes, reports of empty runs against truncated or
emptied ones, and evidence edited by hand.

Each asserts the exit status, the file and line the message names, and that
no file changed (bytes before and after); where the Sphinx build is
involved, the build too (slow): a sphinx-needs warning or a techfile finding
at the same place, never a crash report.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from miniproject import MODEL, REPO, Mini, pyproject
from sphinxbuild import add_sphinx_files, sphinx_build
from techfile.cli import main
from techfile.errors import TechfileError
from techfile.readers.records import RecordFile, line_number, need_from_record

FIXTURES = REPO / "tests" / "fixtures" / "junit"
REPORT = "reports/unit.xml"
EVIDENCE = "needs/generated/junit.json"
CASE = "test_assertion_fails"
Edit = Callable[[dict[str, Any]], None]


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the project but the build output, by path."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and "_build" not in p.relative_to(root).parts}


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def edit_record(root: Path, change: Edit, case: str = CASE) -> str:
    """Change the record of ``case`` in the generated needs.json; its ID."""
    path = root / EVIDENCE
    document = json.loads(path.read_text(encoding="utf-8"))
    needs = document["versions"][document["current_version"]]["needs"]
    record = next(r for r in needs.values() if r.get("case") == case)
    change(record)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return str(record["id"])


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def site(mini: Mini, monkeypatch: pytest.MonkeyPatch) -> Mini:
    """The mini project, buildable, with a JUnit job on a real pytest report and its evidence generated."""
    add_sphinx_files(mini.root)
    (mini.root / "pyproject.toml").write_text(pyproject(f'catalogue_doc = "docs/rules"\n\n[[tool.techfile.junit]]\noutput = "{EVIDENCE}"\ninputs = [{{ path = "{REPORT}", level = "unit" }}]\n'))
    (mini.root / "reports").mkdir()
    shutil.copyfile(FIXTURES / "pytest" / "pytest-xunit1.xml", mini.root / REPORT)
    index = mini.root / "docs" / "index.md"
    index.write_text(index.read_text() + "\n```{techfile-evidence}\n```\n\n```{toctree}\n:glob:\n\n../needs/*\nrules\n```\n")
    (mini.root / "docs" / "rules.md").write_text("# Rules\n\n```{techfile-rules}\n```\n")
    mini.write_evidence()
    monkeypatch.chdir(mini.root)  # the integrity rule finds the project root from here (see test_evidence_integrity)
    assert main(["junit", "--software-version", "1.0.0", "--commit", "c0ffee"]) == 0
    return mini


def evidence_directive_line(root: Path) -> int:
    return line_of(root / "docs" / "index.md", "{techfile-evidence}")


# ------------------------------------------- records techfile does not write

# name -> (edit of the record, what check says, what sphinx-needs 9.1 says at the import)
BAD_RECORDS: dict[str, tuple[Edit, str, str]] = {
    "link-number": (lambda r: r.update(verifies=5), "link verifies is a number (5), not a list of need IDs", "Link option 'verifies' is invalid: Invalid value for field 'verifies': 5"),
    "link-list-with-number": (lambda r: r.update(result_of=["TEST_001", 5]), 'link result_of is a list (["TEST_001", 5]), not a list of need IDs', "Link option 'result_of' is invalid"),
    "field-number": (lambda r: r.update(result=5), "result is a number (5), not a string", "Field 'result' is invalid: Invalid value for field 'result': 5"),
    "field-list": (lambda r: r.update(message=["a", "b"]), 'message is a list (["a", "b"]), not a string', "Field 'message' is invalid"),
    "field-boolean": (lambda r: r.update(time_s=True), "time_s is a boolean (true), not a string", "Field 'time_s' is invalid"),
    "title-number": (lambda r: r.update(title=5), "title is a number (5), not a string", "title must be a string, not int"),
    "title-missing": (lambda r: r.pop("title"), "has no title", "title is missing"),
    "content-null": (lambda r: r.update(content=None), "content is null, not a string", "content must be a string, not NoneType"),
    "type-unknown": (lambda r: r.update(type="bogus"), "type 'bogus' is not a type of the need model (types: annotation, anomaly, approval, capa, change_request, component, dataset, dvcdata, environment, field_event, hazard, item, ml_model, mlrun, mlversion, monitor, monresult, pccp, release, result, risk_control, soup, statement, swreq, sysreq, testspec, user_need, vulnerability, vulnerability_evaluation, vulnerability_scan, waiver)", "Unknown need type 'bogus'."),
    "type-missing": (lambda r: r.pop("type"), "type '' is not a type of the need model", "Unknown need type ''."),
}


@pytest.mark.parametrize("name", sorted(BAD_RECORDS))
def test_bad_record_is_bad_input_at_its_import(site: Mini, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    change, said, _ = BAD_RECORDS[name]
    need_id = edit_record(site.root, change)
    before = snapshot(site.root)
    status, out, err = run(["check"], capsys)
    assert status == 2, out + err
    line = evidence_directive_line(site.root)
    # at the record in the needs.json file, naming where it is imported
    assert re.match(rf"techfile: error: needs/generated/junit\.json:\d+: record {need_id} \(imported at docs/index\.md:{line}\): {re.escape(said)}", err), err
    assert "(fix: " in err and "Traceback" not in err
    assert snapshot(site.root) == before


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BAD_RECORDS))
def test_bad_record_is_a_sphinx_needs_warning_at_its_import(site: Mini, name: str) -> None:
    change, _, warned = BAD_RECORDS[name]
    need_id = edit_record(site.root, change)
    before = snapshot(site.root)
    build = sphinx_build(site.root)
    assert build.status == 1
    line = evidence_directive_line(site.root)
    assert re.search(rf"docs/index\.md:{line}: WARNING: Need '{need_id}' could not be imported: {re.escape(warned)}.* \[needs\.import_need\]", build.output), build.output
    assert "Extension error" not in build.output and "Traceback" not in build.output
    assert snapshot(site.root) == before


def test_bad_record_names_the_needs_json_file_and_line(site: Mini) -> None:
    """Given the file (the reader of ``techfile check`` passes it), the error is at the record in the needs.json."""
    path = site.root / EVIDENCE
    document = json.loads(path.read_text(encoding="utf-8"))
    need_id, record = next((k, v) for k, v in document["versions"][document["current_version"]]["needs"].items() if v.get("case") == CASE)
    with pytest.raises(TechfileError) as raised:
        need_from_record(MODEL, {**record, "verifies": 5}, "docs/index.md", 9, RecordFile(path, EVIDENCE))
    assert (raised.value.path, raised.value.line) == (EVIDENCE, line_of(path, f'"{need_id}": {{'))
    assert raised.value.message.startswith(f"record {need_id} (imported at docs/index.md:9): link verifies is a number (5)")


def test_source_line_that_is_no_line_number(site: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    """``"²".isdigit()`` is true and ``int("²")`` fails: read as sphinx-needs does (a string), located at the import, found by N11."""
    assert "²".isdigit() and line_number("²") is None and line_number("12") == 12
    need_id = edit_record(site.root, lambda r: r.update(source_line="²"))
    before = snapshot(site.root)
    status, out, err = run(["check"], capsys)
    assert status == 1 and "Traceback" not in err
    line = evidence_directive_line(site.root)
    true_line = line_of(site.root / REPORT, f'name="{CASE}"')
    assert f"docs/index.md:{line}: techfile.N11: {need_id}: differs from the source file it was generated from: source_line is '²', the file gives '{true_line}'" in out
    assert snapshot(site.root) == before


@pytest.mark.slow
def test_source_line_that_is_no_line_number_in_the_build(site: Mini) -> None:
    need_id = edit_record(site.root, lambda r: r.update(source_line="²"))
    build = sphinx_build(site.root)
    assert "Extension error" not in build.output and "Traceback" not in build.output
    assert build.status == 1
    assert f"docs/index.md:{evidence_directive_line(site.root)}: WARNING: {need_id}: differs from the source file" in build.output


# ------------------------------------------------------- evidence edited by hand


def test_failed_result_edited_to_passed(site: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    need_id = edit_record(site.root, lambda r: r.update(result="passed"))
    before = snapshot(site.root)
    status, out, _ = run(["check"], capsys)
    assert status == 1
    line = line_of(site.root / REPORT, f'name="{CASE}"')
    assert f"{REPORT}:{line}: techfile.N11: {need_id}: differs from the source file it was generated from: result is 'passed', the file gives 'failed'" in out
    assert snapshot(site.root) == before


@pytest.mark.slow
def test_failed_result_edited_to_passed_fails_the_build(site: Mini) -> None:
    need_id = edit_record(site.root, lambda r: r.update(result="passed"))
    before = snapshot(site.root)
    build = sphinx_build(site.root)
    assert build.status == 1
    line = line_of(site.root / REPORT, f'name="{CASE}"')
    assert f"{REPORT}:{line}: WARNING: {need_id}: differs from the source file it was generated from: result is 'passed', the file gives 'failed'" in build.output
    assert "[techfile.N11]" in build.output
    assert snapshot(site.root) == before


def test_report_and_digest_forged_but_record_edited_by_hand(site: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    """The failure cut out of the report, the record's digest recomputed to match and its result set to passed by hand:
    the digest binds, but the record still carries the failure's message and output, which the forged report no longer gives."""
    report = site.root / REPORT
    text = report.read_text(encoding="utf-8")
    start = text.index(f'name="{CASE}"')
    end = text.index("</testcase>", start)
    report.write_text(text[:start] + text[start:end].split(">", 1)[0] + ">" + text[end:], encoding="utf-8")
    digest = hashlib.sha256(report.read_bytes()).hexdigest()
    need_id = edit_record(site.root, lambda r: r.update(result="passed", source_sha256=digest))
    status, out, _ = run(["check"], capsys)
    assert status == 1
    assert f"techfile.N11: {need_id}: differs from the source file it was generated from: content is " in out


# ------------------------------------------- empty runs, truncated and empty files


def job(root: Path, *inputs: str) -> Path:
    """A project whose one JUnit job reads ``inputs`` (fixture names) into out/junit.json; the output path."""
    root.mkdir()
    for name in inputs:
        (root / "reports").mkdir(exist_ok=True)
        shutil.copyfile(FIXTURES / name, root / "reports" / Path(name).name)
    listed = ", ".join(f'"reports/{Path(name).name}"' for name in inputs)
    (root / "pyproject.toml").write_text(f'[tool.techfile]\n\n[[tool.techfile.junit]]\noutput = "out/junit.json"\ninputs = [{listed}]\n')
    (root / "out").mkdir()
    output = root / "out" / "junit.json"
    output.write_bytes(b"previous output\n")
    return output


def test_report_of_an_empty_run_is_read_as_no_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = job(tmp_path / "p", "junit5/engines/TEST-junit-vintage.xml")
    status, out, err = run(["junit", "--project", str(tmp_path / "p"), "--software-version", "1.0.0", "--commit", "c0ffee"], capsys)
    assert (status, err) == (0, "")
    assert 'techfile junit: note: reports/TEST-junit-vintage.xml records a run of no test (tests="0"): no result from it' in out
    document = json.loads(output.read_text())
    assert document["versions"]["1.0.0"]["needs"] == {}


# fixture -> (line the message names, None: the file; what it says)
BROKEN: dict[str, tuple[int | None, str]] = {
    # cut inside a start tag on its last line, where the parser stops
    "bad/truncated-pytest.xml": (len((FIXTURES / "bad/truncated-pytest.xml").read_text().splitlines()), "not well-formed XML: unclosed token"),
    "bad/empty.xml": (None, "file is empty: not a JUnit XML report"),
    "bad/no-testcase-undeclared.xml": (2, 'the report holds no <testcase> and does not declare tests="0"'),
    "bad/no-testcase-declares-tests.xml": (2, 'the report holds no <testcase> and does not declare tests="0"'),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_truncated_emptied_or_undeclared_report_is_refused(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    output = job(tmp_path / "p", "junit5/engines/TEST-junit-vintage.xml", name)
    before = snapshot(tmp_path / "p")
    status, _, err = run(["junit", "--project", str(tmp_path / "p"), "--software-version", "1.0.0", "--commit", "c0ffee"], capsys)
    assert status == 2
    line, said = BROKEN[name]
    where = f"reports/{Path(name).name}:{line}: " if line else f"reports/{Path(name).name}: "
    assert err.startswith(f"techfile: error: {where}{said}"), err
    assert "Traceback" not in err
    assert output.read_bytes() == b"previous output\n"
    assert snapshot(tmp_path / "p") == before
