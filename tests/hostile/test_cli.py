"""Hostile input to the ``techfile`` command, one test per case: each runs a
real ``techfile`` process from the project root and asserts the exit
status, the one message (its file and line where there is one, relative to
the project) and that no file changed, the output it would have written
included (its bytes before and after). ``refused`` also fails a case that
ends as an internal error (exit 3): a raise site that lets a Python error
through instead of naming the file.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from miniproject import Mini

BIN = Path(sys.executable).parent
TECHFILE = [str(BIN / "techfile")] if (BIN / "techfile").exists() else [sys.executable, "-m", "techfile"]
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<testsuite name="s"><testcase name="&lol2;"/></testsuite>
"""


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (hidden ones too) and its bytes."""
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def techfile(*arguments: str, cwd: Path) -> tuple[int, str, str]:
    done = subprocess.run([*TECHFILE, *arguments], cwd=cwd, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, done.stderr


def refused(root: Path, *arguments: str, status: int = 2) -> str:
    """Run ``techfile`` in ``root``; assert the status, no traceback and no file changed; the message (stderr)."""
    before = snapshot(root)
    code, _, err = techfile(*arguments, cwd=root)
    assert code == status, err
    assert "Traceback" not in err and "internal error" not in err
    assert snapshot(root) == before
    return err


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.fixture(autouse=True)
def crash_reports_apart(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Crash reports of a case that fails as an internal error go to a temp folder of the test session, not to /tmp."""
    monkeypatch.setenv("TMPDIR", str(tmp_path_factory.mktemp("crash-reports")))


@pytest.fixture
def project(mini: Mini) -> Path:
    """The mini project with its evidence and an earlier report, the output every failed check must leave alone."""
    mini.write_evidence()
    (mini.root / "report.txt").write_text("the previous report\n")
    return mini.root


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    """A folder outside any project with one earlier needs.json, which a failed ``techfile junit`` must leave alone."""
    folder = tmp_path / "ci"
    folder.mkdir()
    (folder / "junit.json").write_text('{"previous": true}\n')
    return folder


def set_key(project: Path, old: str, new: str) -> Path:
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    assert old in text
    pyproject.write_text(text.replace(old, new, 1))
    return pyproject


# --- usage ---------------------------------------------------------------------


def test_unknown_command(project: Path) -> None:
    err = refused(project, "frobnicate")
    assert err.startswith("usage: techfile") and "invalid choice: 'frobnicate'" in err


def test_unknown_format(project: Path) -> None:
    err = refused(project, "check", "--format", "yaml", "--output", "report.txt")
    assert "argument --format: invalid choice: 'yaml'" in err


# --- the project and its declarations ----------------------------------------------


def test_no_project(tmp_path: Path) -> None:
    err = refused(tmp_path, "check", "--output", "report.txt")
    assert err == "techfile: error: .: no pyproject.toml with a [tool.techfile] table here or above (fix: run `techfile init` here, run inside a techfile project, or pass --project DIR)\n"


def test_pyproject_not_toml(project: Path) -> None:
    set_key(project, "[tool.techfile]\n", "[tool.techfile]\nsources = [\n")
    err = refused(project, "check", "--output", "report.txt")
    assert re.match(r"techfile: error: pyproject\.toml(:3: |: .*line 3\b)", err) and "not valid TOML" in err, err


def test_unknown_key_names_its_line_and_the_closest(project: Path) -> None:
    pyproject = set_key(project, "sources =", "sourcez =")
    err = refused(project, "check", "--output", "report.txt")
    assert err.startswith(f"techfile: error: pyproject.toml:{line_of(pyproject, 'sourcez')}: tool.techfile.sourcez: unknown key (fix: did you mean 'sources'?")


def test_declaration_file_missing(project: Path) -> None:
    pyproject = set_key(project, "[tool.techfile]\n", '[tool.techfile]\ntrace_rules = "schemas/nope.toml"\n')
    err = refused(project, "check", "--output", "report.txt")
    assert err.startswith(f"techfile: error: pyproject.toml:{line_of(pyproject, 'nope.toml')}: tool.techfile.trace_rules: 'schemas/nope.toml': no such file (fix: ")


def test_broken_declaration_at_its_line_relative_to_the_project(project: Path) -> None:
    model = project / "schemas" / "need_model.toml"
    model.parent.mkdir()
    model.write_text('extends = "techfile:default"\n\n[types.swreq]\nfields = ["category", "colour"]\n')
    set_key(project, "[tool.techfile]\n", '[tool.techfile]\nneed_model = "schemas/need_model.toml"\n')
    err = refused(project, "check", "--output", "report.txt")
    assert err.startswith("techfile: error: schemas/need_model.toml:4: type 'swreq' lists unknown field 'colour' in fields (fix: ")


def test_unknown_release(project: Path) -> None:
    err = refused(project, "check", "--release", "REL_9", "--output", "report.txt")
    assert err.startswith("techfile: error: --release 'REL_9' is not the ID of any need") and "(fix: " in err


def test_pyproject_not_utf8(project: Path) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_bytes(pyproject.read_bytes() + b"# caf\xe9\n")
    err = refused(project, "check", "--output", "report.txt")
    assert err.startswith(f"techfile: error: pyproject.toml:{len(pyproject.read_bytes().splitlines())}: ") and "UTF-8" in err


# --- sources -------------------------------------------------------------------------


def test_unclosed_option_block(project: Path) -> None:
    (project / "needs" / "broken.md").write_text("# B\n\n```{swreq} X\n---\nid: SWR_009\n```\n")
    err = refused(project, "check", "--output", "report.txt")
    assert err.startswith("techfile: error: needs/broken.md:4: option block opened with --- is never closed (fix: close it with a --- line)")


def test_source_not_utf8(project: Path) -> None:
    (project / "needs" / "latin1.md").write_bytes(b"# L\n\n```{swreq} X\n:id: SWR_\xe9\n```\n")
    err = refused(project, "check", "--output", "report.txt")
    assert err.startswith("techfile: error: needs/latin1.md:4: ") and "UTF-8" in err


def test_source_symlink_loop(project: Path) -> None:
    (project / "needs" / "loop.md").symlink_to("loop.md")
    err = refused(project, "check", "--output", "report.txt")
    assert err.startswith("techfile: error: needs/loop.md") and "(fix: " in err


def test_imported_evidence_not_json(project: Path) -> None:
    (project / "needs" / "generated" / "results.json").write_text("not json\n")
    index = project / "docs" / "index.md"
    err = refused(project, "check", "--output", "report.txt")
    assert err.startswith(f"techfile: error: docs/index.md:{line_of(index, 'results.json')}: needimport needs/generated/results.json: not valid JSON")


# --- techfile junit ------------------------------------------------------------------


def test_junit_report_missing(reports: Path) -> None:
    err = refused(reports, "junit", "nope.xml", "-o", "junit.json", "--software-version", "1", "--commit", "abc")
    assert err.startswith("techfile: error: nope.xml: cannot read")


def test_junit_report_not_well_formed(reports: Path) -> None:
    (reports / "bad.xml").write_text('<testsuite name="s">\n<testcase name="a">\n')
    err = refused(reports, "junit", "bad.xml", "-o", "junit.json", "--software-version", "1", "--commit", "abc")
    assert err.startswith("techfile: error: bad.xml:3: not well-formed XML") and "(fix: the report is truncated or corrupt; re-run the tests)" in err


def test_junit_report_empty(reports: Path) -> None:
    (reports / "empty.xml").write_text("")
    err = refused(reports, "junit", "empty.xml", "-o", "junit.json", "--software-version", "1", "--commit", "abc")
    assert err == "techfile: error: empty.xml: file is empty: not a JUnit XML report (fix: check that the test run wrote its report)\n"


def test_junit_report_with_entity_expansion(reports: Path) -> None:
    (reports / "lolz.xml").write_text(BILLION_LAUGHS)
    err = refused(reports, "junit", "lolz.xml", "-o", "junit.json", "--software-version", "1", "--commit", "abc")
    assert err.startswith("techfile: error: lolz.xml") and "refused: the file declares the XML entity" in err


def test_junit_report_is_a_folder(reports: Path) -> None:
    (reports / "dir.xml").mkdir()
    err = refused(reports, "junit", "dir.xml", "-o", "junit.json", "--software-version", "1", "--commit", "abc")
    assert err.startswith("techfile: error: dir.xml: cannot read")


def test_junit_files_without_output(reports: Path) -> None:
    (reports / "ok.xml").write_text('<testsuite name="s"><testcase name="a"/></testsuite>\n')
    err = refused(reports, "junit", "ok.xml")
    assert err == "techfile: error: --output is required with FILE arguments (fix: add -o needs/generated/junit.json)\n"


def test_junit_nothing_to_do(project: Path) -> None:
    err = refused(project, "junit")
    assert err.startswith("techfile: error: no FILE given and no [[tool.techfile.junit]] job in pyproject.toml (fix: ")


# --- techfile init -------------------------------------------------------------------


def test_init_into_a_missing_folder(tmp_path: Path) -> None:
    err = refused(tmp_path, "init", "missing")
    assert err == "techfile: error: missing: no such folder (fix: create it, or run techfile init inside your repository)\n"


def test_init_with_a_conf_py_that_is_not_python(tmp_path: Path) -> None:
    (tmp_path / "conf.py").write_text('project = "x"\nextensions = [\n')
    err = refused(tmp_path, "init", ".")
    assert err.startswith("techfile: error: conf.py:2: conf.py is not valid Python: ") and "(fix: fix it, then run techfile init again)" in err


def test_init_with_a_pyproject_that_is_not_toml(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project\n")
    err = refused(tmp_path, "init", ".")
    assert err.startswith("techfile: error: pyproject.toml") and "is not valid TOML" in err and "(fix: " in err


def test_init_with_a_conf_py_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "conf.py").write_bytes(b'project = "caf\xe9"\n')
    err = refused(tmp_path, "init", ".")
    assert err.startswith("techfile: error: conf.py:1: ")


def test_message_paths_are_relative_only_under_the_current_folder(project: Path) -> None:
    """The same bad source seen from outside the project: its path as the raise site gives it (relative to the project)."""
    (project / "needs" / "broken.md").write_text("# B\n\n```{swreq} X\n---\nid: SWR_009\n```\n")
    elsewhere = project.parent / "elsewhere"
    elsewhere.mkdir()
    before = snapshot(project)
    code, _, err = techfile("check", "--project", str(project), "--output", str(project / "report.txt"), cwd=elsewhere)
    assert code == 2 and err.startswith("techfile: error: needs/broken.md:4: ")
    assert snapshot(project) == before and os.listdir(elsewhere) == []
