"""``techfile check``: formats, exit status, output file; ``techfile --help/--version``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import jsonschema
import pytest

from miniproject import Mini, waiver
from techfile import __version__, resources
from techfile.cli import main


def run(mini: Mini, *arguments: str) -> tuple[int, str, str]:
    mini.write_evidence()
    done = subprocess.run(
        [sys.executable, "-m", "techfile", "check", "--project", str(mini.root), *arguments],
        capture_output=True, text=True, check=False,
    )
    return done.returncode, done.stdout, done.stderr


def test_version_and_help() -> None:
    done = subprocess.run([sys.executable, "-m", "techfile", "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"techfile {__version__}"
    done = subprocess.run([sys.executable, "-m", "techfile", "--help"], capture_output=True, text=True, check=True)
    assert "check" in done.stdout and "junit" in done.stdout


def test_clean_project_exits_zero(mini: Mini) -> None:
    status, out, _ = run(mini)
    assert status == 0
    assert out.strip().endswith("0 open gap(s) (0 error, 0 warning), 0 accepted")


def test_gap_exits_one_with_compiler_style_line(mini: Mini) -> None:
    mini.replace("tests.md", ":verifies: SWR_001, ITEM_UNIT", ":verifies: ITEM_UNIT")
    status, out, _ = run(mini)
    assert status == 1
    line = next(line for line in out.splitlines() if "techfile.R04" in line)
    number = next(n for n, text in enumerate((mini.root / "needs/requirements.md").read_text().splitlines(), 1) if "{swreq}" in text)
    assert line.startswith(f"needs/requirements.md:{number}: techfile.R04: SWR_001: no test specification or automated test verifies it (IEC 62304 5.7.1 a; ")
    assert line.endswith("[error] _build/html/docs/rules.html#rule-r04")


def test_json_lists_every_rule_and_follows_its_schema(mini: Mini) -> None:
    mini.replace("tests.md", ":verifies: SWR_001, ITEM_UNIT", ":verifies: ITEM_UNIT")
    status, out, _ = run(mini, "--format", "json")
    document = json.loads(out)
    assert status == 1
    jsonschema.validate(document, json.loads(resources.data("schemas", "findings.schema.json").read_text()))
    rules = {rule["id"]: rule for rule in document["rules"]}
    assert "R04" in rules and "R30" in rules and len(rules) >= 30
    assert [f["need"] for f in document["findings"] if f["rule"] == "R04"] == ["SWR_001"]
    assert rules["R04"]["clauses"][0] == "IEC 62304 5.7.1 a"
    assert (rules["R04"]["open"], rules["R04"]["checked"], rules["R04"]["status"]) == (1, 1, "applicable")
    assert rules["R01"]["open"] == 0
    assert document["summary"]["failing"] >= 1
    assert document["release"] == {"id": "REL_1", "version": "1.0.0"}


def test_junit_format_is_a_test_report(mini: Mini) -> None:
    mini.replace("tests.md", ":verifies: SWR_001, ITEM_UNIT", ":verifies: ITEM_UNIT")
    _, out, _ = run(mini, "--format", "junit")
    suite = ElementTree.fromstring(out.split("\n", 1)[1])
    failed = [case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None]
    assert "R04 unverified-requirement" in failed
    assert suite.get("tests") == str(len(list(suite.iter("testcase"))))


def test_github_annotations(mini: Mini) -> None:
    mini.replace("tests.md", ":verifies: SWR_001, ITEM_UNIT", ":verifies: ITEM_UNIT")
    _, out, _ = run(mini, "--format", "github")
    annotation = next(line for line in out.splitlines() if "R04" in line)
    assert annotation.startswith("::error file=needs/requirements.md,line=")
    assert ",title=techfile.R04 unverified-requirement::SWR_001: no test specification" in annotation


def test_accepted_gap_does_not_fail(mini: Mini) -> None:
    mini.replace("risk.md", ":new_hazards: None.\n", "")
    assert run(mini)[0] == 1
    mini.append("release.md", waiver("R14", "RC_001"))
    status, out, _ = run(mini)
    assert status == 0
    assert "techfile.R14: RC_001: records no assessment of new hazards" in out
    assert "[accepted by WAIVER_001]" in out
    assert out.strip().endswith("0 open gap(s) (0 error, 0 warning), 1 accepted")


def test_output_file(mini: Mini, tmp_path: Path) -> None:
    report = tmp_path / "out" / "report.json"
    status, out, _ = run(mini, "--format", "json", "--output", str(report))
    assert status == 0 and out == ""
    assert json.loads(report.read_text())["summary"]["open"] == 0


def test_bad_input_is_exit_two_without_traceback(mini: Mini) -> None:
    (mini.root / "needs" / "broken.md").write_text("# B\n\n```{swreq} X\n---\nid: SWR_009\n```\n")
    status, _, err = run(mini)
    assert status == 2
    assert err.startswith("techfile: error: needs/broken.md:4: option block opened with --- is never closed")
    assert "Traceback" not in err


def test_no_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--project", str(tmp_path)]) == 2
    assert "no pyproject.toml with a [tool.techfile] table" in capsys.readouterr().err
