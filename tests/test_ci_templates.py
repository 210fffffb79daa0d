"""The CI pipelines ``techfile init --ci`` writes: valid YAML that builds the
evidence, posts the impact, checks with annotations and keeps HTML and PDF."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from techfile.cli import main


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "device"
    root.mkdir()
    return root


def test_github_workflow(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(repo), "--ci", "github"]) == 0
    assert "wrote     .github/workflows/techfile.yml" in capsys.readouterr().out
    workflow = yaml.safe_load((repo / ".github" / "workflows" / "techfile.yml").read_text())
    assert set(workflow[True]) == {"pull_request", "push"}  # YAML 1.1 reads the key `on` as true
    steps = workflow["jobs"]["techfile"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    assert "techfile check --format github" in runs and "techfile junit" in runs
    assert 'techfile impact --base "origin/${{ github.base_ref }}" --output impact.md' in runs and "gh pr comment" in runs
    assert "python -m sphinx -b html -W --keep-going . _build/html" in runs and "techfile pdf --output _build/pdf/technical-file.pdf" in runs
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and "_build/pdf" in upload["with"]["path"]
    checkout = steps[0]
    assert checkout["uses"].startswith("actions/checkout") and checkout["with"]["fetch-depth"] == 0
    # the impact comment comes before the check, which fails the job on a gap
    names = [step.get("name", step.get("uses")) for step in steps]
    assert names.index("Comment the impact on the pull request") < names.index("Check (annotations at file and line)")


def test_gitlab_pipeline(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(repo), "--ci", "gitlab"]) == 0
    pipeline = yaml.safe_load((repo / ".gitlab-ci.yml").read_text())["techfile"]
    script = "\n".join(pipeline["script"])
    assert "techfile impact --base \"origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME\" --output impact.md" in script
    assert "techfile check --format junit --output _build/techfile-check.xml" in script and "exit ${status:-0}" in script
    assert pipeline["artifacts"]["when"] == "always" and pipeline["artifacts"]["reports"]["junit"] == "_build/techfile-check.xml"
    assert pipeline["variables"]["GIT_DEPTH"] == "0"


def test_an_existing_pipeline_is_kept(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / ".gitlab-ci.yml").write_text("build:\n  script: [make]\n")
    assert main(["init", str(repo), "--ci", "gitlab"]) == 0
    assert "kept      .gitlab-ci.yml" in capsys.readouterr().out
    assert (repo / ".gitlab-ci.yml").read_text() == "build:\n  script: [make]\n"
