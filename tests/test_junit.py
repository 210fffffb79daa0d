"""JUnit XML from real runners becomes result needs: exact counts per
runner, stable IDs, links, merge rules, hostile and broken input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from miniproject import MODEL, REPO
from techfile.cli import main
from techfile.errors import TechfileError
from techfile.evidence.interface import EvidenceNeed
from techfile.evidence.junit.mapping import Run, Specs
from techfile.evidence.junit.settings import JUnitInput, JUnitJob, Level
from techfile.evidence.junit.source import JUnitSource

FIXTURES = REPO / "tests" / "fixtures" / "junit"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
RESULT = MODEL.types["result"]


def needs_of(*paths: Path | str, specs: dict[str, tuple[str, ...]] | None = None, level: Level | None = None) -> list[EvidenceNeed]:
    job = JUnitJob("out.json", tuple(JUnitInput(str(p), level) for p in paths))
    patterns = specs or {}
    return JUnitSource(job, REPO, Specs(patterns, lambda i: i in patterns or bool(MODEL.types["testspec"].id_pattern.fullmatch(i))), Run("1.0.0", "abc123")).read()


def links(need: EvidenceNeed) -> dict[str, tuple[str, ...]]:
    """The need's links by relation name."""
    return {relation.value: targets for relation, targets in need.links.items()}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts_match_the_runner(name: str) -> None:
    expected = EXPECTED[name]
    needs = needs_of(FIXTURES / name)
    counts = Counter(n.fields["result"] for n in needs)
    assert len(needs) == expected["tests"]
    assert (counts["passed"], counts["failed"], counts["error"], counts["skipped"]) == (
        expected["passed"], expected["failed"], expected["error"], expected["skipped"],
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_result_is_a_valid_need(name: str) -> None:
    pattern = RESULT.id_pattern
    for need in needs_of(FIXTURES / name):
        assert pattern.fullmatch(need.id), need.id
        assert set(need.fields) <= set(RESULT.fields)
        assert need.fields["source_file"] == f"tests/fixtures/junit/{name}"
        assert int(need.fields["source_line"]) >= 1  # pytest writes the whole report on one line
        assert len(need.fields["source_sha256"]) == 64


def by_case(needs: list) -> dict[str, object]:
    return {n.fields["case"]: n for n in needs}


def test_pytest_flavours() -> None:
    xunit1 = by_case(needs_of(FIXTURES / "pytest/pytest-xunit1.xml"))
    addition = xunit1["test_addition_passes"]
    assert links(addition) == {"verifies": ("SWR_001",)}
    assert addition.fields["test_file"] == "test_device.py"
    assert addition.fields["test_line"] == "17"  # pytest writes 0-based lines
    assert addition.fields["runner"] == "pytest" and addition.fields["host"] == "vm"
    assert "device=infusion-pump" in addition.fields["properties"]
    assert xunit1["test_expected_failure"].fields["result"] == "skipped"
    assert xunit1["test_unexpected_pass"].fields["result"] == "passed"
    assert xunit1["test_setup_error"].fields["result"] == "error"
    xunit2 = by_case(needs_of(FIXTURES / "pytest/pytest-xunit2.xml"))
    assert "test_file" not in xunit2["test_addition_passes"].fields
    prefixed = needs_of(FIXTURES / "pytest/pytest-prefix-unit.xml")
    assert all(n.fields["classname"].startswith("unit.") for n in prefixed)


def test_surefire_flaky_and_rerun() -> None:
    flaky = by_case(needs_of(FIXTURES / "surefire/TEST-com.example.pump.FlakyTest.xml"))
    passed_after_rerun = [n for n in flaky.values() if n.fields.get("message", "").startswith("passed after")]
    assert len(passed_after_rerun) == 2 and all(n.fields["result"] == "passed" for n in passed_after_rerun)
    assert {n.fields["result"] for n in flaky.values() if "rerunFailure" in n.content or "rerunError" in n.content} <= {"failed", "error"}
    assert all("java.home" not in n.fields.get("properties", "") for n in flaky.values())


def test_ctest_disabled_is_skipped() -> None:
    ctest = by_case(needs_of(FIXTURES / "ctest/ctest-junit.xml"))
    assert ctest["rate_disabled"].fields["result"] == "skipped"
    assert ctest["rate_disabled"].fields["message"] == "status disabled"
    assert ctest["rate_skipped_at_runtime"].fields["result"] == "skipped"


def test_runner_detection() -> None:
    runners = {name.split("/")[0]: needs_of(FIXTURES / name)[0].fields["runner"] for name in EXPECTED}
    assert runners == {
        "pytest": "pytest",
        "jest": "jest-junit",
        "mocha": "mocha-junit-reporter",
        "ctest": "ctest",
        "go": "go (gotestsum / go-junit-report)",
        "junit5": "junit-platform-console",
        "surefire": "maven-surefire",
    }


def test_nested_and_flattened_suites_give_a_suite_path() -> None:
    mocha = needs_of(FIXTURES / "mocha/mocha-junit.xml")
    assert {n.fields["suite"] for n in mocha} > {"infusion pump"}
    go = needs_of(FIXTURES / "go/gotestsum-junit.xml")
    assert any("/" in n.fields["case"] for n in go)  # subtests keep their parent/child name


def test_ids_are_stable_and_independent_of_outcome(tmp_path: Path) -> None:
    original = FIXTURES / "pytest/pytest-xunit1.xml"
    text = original.read_text()
    flipped = tmp_path / "flipped.xml"
    # the same cases with another outcome and message
    flipped.write_text(re.sub(r"<failure\b[^>]*>.*?</failure>", '<skipped message="now skipped"/>', text, flags=re.S))
    assert "<failure" not in flipped.read_text()
    first = {n.fields["case"]: n.id for n in needs_of(original)}
    second = {n.fields["case"]: n.id for n in needs_of(flipped)}
    assert first == second
    assert {n.fields["result"] for n in needs_of(flipped)} == {"passed", "skipped", "error"}
    assert len(set(first.values())) == len(first)


def test_spec_patterns_and_marker_links() -> None:
    specs = {"TEST_001": ("test_device::test_addition_*",), "TEST_002": ("*TestNestedGroup::*",)}
    needs = by_case(needs_of(FIXTURES / "pytest/pytest-xunit1.xml", specs=specs))
    assert links(needs["test_addition_passes"]) == {"result_of": ("TEST_001",), "verifies": ("SWR_001",)}
    assert links(needs["test_in_class_passes"]) == {"result_of": ("TEST_002",)}
    assert links(needs["test_assertion_fails"]) == {}


def test_same_case_in_two_files_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "copy.xml"
    copy.write_bytes((FIXTURES / "pytest/pytest-xunit1.xml").read_bytes())
    with pytest.raises(TechfileError, match=r"copy.xml:\d+: test case test_device::test_addition_passes .* is also in tests/fixtures/junit/pytest/pytest-xunit1.xml:\d+"):
        needs_of(FIXTURES / "pytest/pytest-xunit1.xml", copy)


def test_levels_merge(tmp_path: Path) -> None:
    job = JUnitJob("out.json", (JUnitInput(str(FIXTURES / "pytest/pytest-xunit1.xml"), "unit"), JUnitInput(str(FIXTURES / "jest/jest-junit.xml"), "system")))
    needs = JUnitSource(job, REPO, Specs({}, lambda i: False), Run("1.0.0", "abc")).read()
    assert Counter(n.fields["level"] for n in needs) == {"unit": 14, "system": 10}


BAD = {
    "billion-laughs.xml": "declares the XML entity 'lol'",
    "xxe-external-entity.xml": "declares the XML entity 'xxe'",
    "xxe-parameter-entity.xml": "declares the XML entity",
    "truncated-pytest.xml": r"truncated-pytest.xml:\d+: not well-formed XML",
    "empty.xml": "file is empty",
    "not-junit-pom.xml": r"not-junit-pom.xml:2: root element <project> is not",
    "no-testcase-undeclared.xml": r"no-testcase-undeclared.xml:2: the report holds no <testcase> and does not declare tests=\"0\"",
    "no-testcase-declares-tests.xml": r"no-testcase-declares-tests.xml:2: the report holds no <testcase> and does not declare tests=\"0\"",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_refused_and_nothing_is_written(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "junit.json"
    output.write_text("previous output\n")
    status = main(["junit", str(FIXTURES / "pytest/pytest-xunit1.xml"), str(FIXTURES / "bad" / name), "-o", str(output), "--project", str(REPO)])
    assert status == 2
    assert re.search(BAD[name], capsys.readouterr().err)
    assert output.read_text() == "previous output\n"


def test_doctype_without_entities_is_read() -> None:
    assert len(needs_of(FIXTURES / "bad/doctype-no-entities.xml")) == 2


def test_output_is_byte_identical(tmp_path: Path) -> None:
    arguments = ["junit", *(str(FIXTURES / n) for n in sorted(EXPECTED) if n != "pytest/pytest-xunit1.xml" and not n.startswith("pytest/pytest-prefix")), "--software-version", "2.0", "--commit", "c0ffee", "--project", str(REPO)]
    assert main([*arguments, "-o", str(tmp_path / "a.json")]) == 0
    assert main([*arguments, "-o", str(tmp_path / "b.json")]) == 0
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    document = json.loads((tmp_path / "a.json").read_text())
    assert document["current_version"] == "2.0"
    assert all(n["commit"] == "c0ffee" for n in document["versions"]["2.0"]["needs"].values())


def test_real_pytest_run_with_the_verifies_marker(tmp_path: Path) -> None:
    """The plugin records @pytest.mark.verifies in xunit1 and xunit2 reports."""
    (tmp_path / "test_sample.py").write_text(textwrap.dedent("""\
        import pytest

        @pytest.mark.verifies("SWR_001", "SWR_002")
        def test_marked():
            assert True

        @pytest.mark.verifies("TEST_003")
        def test_spec_marked():
            assert 1 + 1 == 3

        def test_plain():
            pass
        """))
    for family in ("xunit1", "xunit2"):
        report = tmp_path / f"{family}.xml"
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", f"junit_family={family}", f"--junitxml={report}", "test_sample.py"],
            cwd=tmp_path, capture_output=True, check=False,
        )
        needs = by_case(needs_of(report))
        assert links(needs["test_marked"]) == {"verifies": ("SWR_001", "SWR_002")}
        assert links(needs["test_spec_marked"]) == {"result_of": ("TEST_003",)}
        assert needs["test_spec_marked"].fields["result"] == "failed"
        assert links(needs["test_plain"]) == {}


def test_command_without_files_needs_a_job(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.techfile]\n")
    assert main(["junit", "--project", str(tmp_path)]) == 2
    assert "no [[tool.techfile.junit]] job" in capsys.readouterr().err


ENGINES = FIXTURES / "junit5" / "engines"


@pytest.mark.parametrize("name", ["TEST-junit-vintage.xml", "TEST-junit-platform-suite.xml"])
def test_report_of_an_engine_that_ran_no_test_is_an_empty_run(name: str) -> None:
    assert needs_of(ENGINES / name) == []


def test_junit5_reports_folder_reads_as_a_whole() -> None:
    """The launcher's one report per engine: Jupiter's cases, and the empty runs of the others."""
    whole = needs_of(*sorted(ENGINES.glob("TEST-*.xml")))
    expected = EXPECTED["junit5/TEST-junit-jupiter.xml"]
    counts = Counter(n.fields["result"] for n in whole)
    assert len(whole) == expected["tests"] == 13
    assert (counts["passed"], counts["failed"], counts["error"], counts["skipped"]) == (expected["passed"], expected["failed"], expected["error"], expected["skipped"])
    assert {n.fields["source_file"] for n in whole} == {"tests/fixtures/junit/junit5/engines/TEST-junit-jupiter.xml"}


def test_command_notes_the_empty_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "junit.json"
    status = main(["junit", *(str(p) for p in sorted(ENGINES.glob("TEST-*.xml"))), "-o", str(output), "--project", str(REPO)])
    assert status == 0
    out = capsys.readouterr().out
    assert 'junit5/engines/TEST-junit-vintage.xml records a run of no test (tests="0")' in out
    assert 'junit5/engines/TEST-junit-platform-suite.xml records a run of no test (tests="0")' in out
    assert "13 results (6 passed, 3 failed, 1 error, 3 skipped)" in out
    document = json.loads(output.read_text())
    assert len(document["versions"][document["current_version"]]["needs"]) == 13


def _project_with_jobs(root: Path, jobs: list[tuple[str, list[str]]]) -> None:
    root.mkdir()
    tables = "".join(f'\n[[tool.techfile.junit]]\noutput = "{output}"\ninputs = {json.dumps(inputs)}\n' for output, inputs in jobs)
    (root / "pyproject.toml").write_text("[tool.techfile]\n" + tables)


@pytest.mark.parametrize("bad", ["bad/truncated-pytest.xml", "bad/no-testcase-undeclared.xml"])
def test_job_whose_second_input_is_bad_writes_nothing(tmp_path: Path, bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "project"
    _project_with_jobs(root, [("out/junit.json", [str(FIXTURES / "pytest/pytest-xunit1.xml"), str(FIXTURES / bad)])])
    (root / "out").mkdir()
    (root / "out" / "junit.json").write_bytes(b"previous output\n")
    assert main(["junit", "--project", str(root), "--software-version", "1.0.0", "--commit", "abc"]) == 2
    assert Path(bad).name in capsys.readouterr().err
    assert (root / "out" / "junit.json").read_bytes() == b"previous output\n"


def test_bad_input_in_a_later_job_leaves_the_earlier_job_unwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "project"
    _project_with_jobs(root, [("first.json", [str(FIXTURES / "jest/jest-junit.xml")]), ("second.json", [str(FIXTURES / "bad/empty.xml")])])
    assert main(["junit", "--project", str(root), "--software-version", "1.0.0", "--commit", "abc"]) == 2
    assert "empty.xml" in capsys.readouterr().err
    assert not (root / "first.json").exists() and not (root / "second.json").exists()


# ------------------------------------------------------------------ linking, indexed


_PART = st.sampled_from(["test_a", "test_ab", "b", "x.Y", "t::u", "tests/t.py", ""])
_PATTERN = st.lists(st.sampled_from(["*", "?", "::", "test_a", "test_", "b", "x.Y", "[ab]", "t", "u", ".py"]), min_size=1, max_size=5).map("".join)


@settings(max_examples=400, deadline=None)
@given(patterns=st.dictionaries(st.sampled_from([f"TEST_{n:03d}" for n in range(6)]), st.lists(_PATTERN, min_size=1, max_size=3).map(tuple), max_size=6),
       classname=_PART, suite=_PART, name=_PART.filter(bool), test_file=_PART)
def test_indexed_linking_is_trying_every_pattern(patterns: dict[str, tuple[str, ...]], classname: str, suite: str, name: str, test_file: str) -> None:
    """The pattern index finds exactly the specifications trying every pattern on every candidate finds."""
    from fnmatch import fnmatchcase

    from techfile.evidence.junit.mapping import PatternIndex
    from techfile.evidence.junit.report import Case

    case = Case("r.xml", 1, suite, classname, name, "passed", "", "0", test_file, "", "", "", "pytest", None, [], "")
    candidates = [f"{classname}::{name}", f"{suite}::{name}", name] + ([f"{test_file}::{name}"] if test_file else [])
    brute = {spec for spec, spec_patterns in patterns.items() if any(fnmatchcase(c, p) for p in spec_patterns for c in candidates)}
    indexed = {spec for spec, pattern in PatternIndex.of(patterns).possible(case) if any(fnmatchcase(c, pattern) for c in candidates)}
    assert indexed == brute
