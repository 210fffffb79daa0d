"""``techfile impact --base REF`` on a real git history, and the writer's
loop it closes: a requirement changed in a commit is listed with its suspect
incoming links and its tests; the check fails until the links are reviewed;
``techfile new`` adds a need the impact lists as added."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from miniproject import Mini
from techfile.cli import main


def git(root: Path, *arguments: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.org", *arguments], cwd=root, check=True, capture_output=True, text=True)
    return done.stdout


def commit(mini: Mini, message: str) -> None:
    git(mini.root, "add", "-A")
    git(mini.root, "commit", "-q", "-m", message)


@pytest.fixture
def history(mini: Mini) -> Mini:
    mini.write_evidence()
    (mini.root / ".gitignore").write_text("needs/generated/\n")
    git(mini.root, "init", "-q")
    assert main(["review", "--project", str(mini.root), "--all"]) == 0
    commit(mini, "reviewed technical file")
    return mini


def run(mini: Mini, capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main([*arguments, "--project", str(mini.root)])
    out, err = capsys.readouterr()
    return status, out, err


def test_a_changed_requirement_lists_its_suspect_links_and_tests_until_reviewed(history: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    history.replace("requirements.md", "```{swreq} Software requirement", "```{swreq} Software requirement, stricter")
    commit(history, "SWR_001 changed")
    status, out, _ = run(history, capsys, "impact", "--base", "HEAD~1", "--format", "json")
    report = json.loads(out)
    assert status == 0 and report["base"] == "HEAD~1" and len(report["base_commit"]) == 40
    assert [(c["id"], c["changed"]) for c in report["changed"]] == [("SWR_001", ["content"])]
    assert report["added"] == report["removed"] == []
    assert [(s["from"], s["to"]) for s in report["suspect_links"]] == [("TEST_001", "SWR_001")]
    assert [(t["id"], t["because"]) for t in report["tests"]] == [("TEST_001", ["SWR_001"])]
    assert {d["path"] for d in report["documents"]} >= {"needs/requirements.md", "needs/tests.md"}
    markdown = run(history, capsys, "impact", "--base", "HEAD~1")[1]
    assert "**0 added, 1 changed, 0 removed; 1 suspect link(s); 1 test(s) to run again" in markdown
    assert "| `TEST_001` | `SWR_001` |" in markdown and "### Tests to run again" in markdown

    assert run(history, capsys, "check")[0] == 1  # L01 at TEST_001
    assert run(history, capsys, "review", "SWR_001")[0] == 0
    status, out, _ = run(history, capsys, "check")
    assert status == 0, out
    assert json.loads(run(history, capsys, "impact", "--base", "HEAD~1", "--format", "json")[1])["suspect_links"] == []


def test_added_and_removed_needs(history: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(history, capsys, "new", "swreq", "Audit trail")[0] == 0
    history.replace("requirements.md", "```{user_need} Need", "```{user_need} Need, reworded")
    commit(history, "new requirement")
    report = json.loads(run(history, capsys, "impact", "--base", "HEAD~1", "--format", "json")[1])
    assert [n["id"] for n in report["added"]] == ["SWR_002"]
    assert [c["id"] for c in report["changed"]] == ["UN_001"]
    # the chain UN_001 <- SYS_001 <- SWR_001 <- TEST_001: its test is run again
    assert ("TEST_001", ["UN_001"]) in [(t["id"], t["because"]) for t in report["tests"]]
    assert [(s["from"], s["to"]) for s in report["suspect_links"]] == [("SYS_001", "UN_001")]
    removed = history.root / "needs" / "requirements.md"
    text = removed.read_text()
    removed.write_text(text[: text.index("```{swreq} Audit trail")])
    commit(history, "removed again")
    report = json.loads(run(history, capsys, "impact", "--base", "HEAD~1", "--format", "json")[1])
    assert [n["id"] for n in report["removed"]] == ["SWR_002"]


def test_a_base_that_does_not_exist_is_exit_2(history: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(history, capsys, "impact", "--base", "no-such-branch")
    assert (status, out) == (2, "") and "--base 'no-such-branch' is not a commit of this repository" in err


def test_outside_git_is_exit_2(mini: Mini, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    mini.write_evidence()
    status, _, err = run(mini, capsys, "impact", "--base", "HEAD")
    assert status == 2 and "is not in a git checkout" in err


def test_a_technical_file_new_since_the_base_is_all_added(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    git(mini.root, "init", "-q")
    (mini.root / "README").write_text("device\n")
    git(mini.root, "add", "README")
    git(mini.root, "commit", "-q", "-m", "before techfile")
    mini.write_evidence()
    report = json.loads(run(mini, capsys, "impact", "--base", "HEAD", "--format", "json")[1])
    assert {"SWR_001", "TEST_001", "REL_1"} <= {n["id"] for n in report["added"]} and report["changed"] == []
