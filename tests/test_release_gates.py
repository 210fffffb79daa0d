"""Release gates (R16, R26, R27, R28, R31) and the build environment as
evidence (`techfile environment`).

Each rule fires on the gap it names and is quiet where there is none, on the
mini project (``miniproject.py``), whose release is complete: it links the
residual-risk evaluation STMT_RISK, names its risk management report, gives
its archive tag and links the build environment ENV_BUILD. ``FIRING`` joins
the catalogue-wide cases of ``test_rules.py``.
"""

from __future__ import annotations

import hashlib
import json
import platform
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from miniproject import COMMIT, Mini, environment, pyproject, result
from techfile.checks.findings import Finding
from techfile.cli import main
from techfile.evidence.environment.reader import find_lock_files, image_problem, parse_image
from techfile.evidence.interface import EvidenceNeed
from techfile.evidence.registry import kinds
from techfile.model.roles import Role

Mutation = Callable[[Mini], None]
DIGEST = "sha256:" + "ab" * 32


def _with_commit(need: EvidenceNeed, commit: str) -> EvidenceNeed:
    return EvidenceNeed(need.id, need.role, need.title, need.content, {**need.fields, "commit": commit}, need.links)


def _no_residual_risk_evaluation(m: Mini) -> None:
    m.replace("release.md", ":residual_risk_evaluation: STMT_RISK\n", "")


def _no_archive_tag(m: Mini) -> None:
    m.replace("release.md", ":archive_tag: v1.0.0\n", "")


def _untested_version(m: Mini) -> None:
    m.results = [result(), result("RES_TWO", version="0.9.0")]


def _change_request(fields: str, released_in: str = "REL_1", need_id: str = "CR_001") -> str:
    return f"""
```{{change_request}} Change
:id: {need_id}
:released_in: {released_in}
{fields}
```
"""


COMPLETE_CR = ":pull_request: org/repo#42\n:safety_impact: None on risk controls.\n:regression_analysis: Unit tests re-run.\n:approved_by: QA\n:approved_on: 2026-01-01"


def _incomplete_change_request(m: Mini) -> None:
    m.append("release.md", _change_request(COMPLETE_CR.replace(":regression_analysis: Unit tests re-run.\n", "")))


def _evidence_of_other_commit(m: Mini) -> None:
    m.results = [_with_commit(result(), "fedcba9876543210fedcba9876543210fedcba98")]


# rule -> (mutation, need the finding is about, text in the message); test_rules.py runs these too
FIRING: dict[str, tuple[Mutation, str | None, str]] = {
    "R16": (_no_residual_risk_evaluation, "REL_1", "links no overall residual-risk evaluation"),
    "R26": (_no_archive_tag, "REL_1", "records no archive_tag"),
    "R27": (_untested_version, "REL_1", "1 test result(s) (RES_TWO) are for version 0.9.0, which has no row"),
    "R28": (_incomplete_change_request, "CR_001", "is released in REL_1 but lacks regression_analysis"),
    "R31": (_evidence_of_other_commit, "REL_1", "1 of 2 evidence records that name a commit (1 test_result: RES_ONE) are for commit fedcba987654, not 0123456789ab"),
}


def gaps(m: Mini, rule_id: str) -> list[str]:
    return [f"{f.need_id}: {f.message}" for f in m.findings() if f.rule.id == rule_id and f.open]


@pytest.mark.parametrize("rule_id", sorted(FIRING))
def test_gate_fires(mini: Mini, rule_id: str) -> None:
    mutate, need_id, text = FIRING[rule_id]
    mutate(mini)
    found = gaps(mini, rule_id)
    assert any(line.startswith(f"{need_id}: ") and text in line for line in found), found


@pytest.mark.parametrize("rule_id", sorted(FIRING))
def test_gate_quiet_on_complete_release(mini: Mini, rule_id: str) -> None:
    assert gaps(mini, rule_id) == []


# ------------------------------------------------------------------ R16 ---


def test_r16_fires_without_risk_management_report(mini: Mini) -> None:
    mini.replace("release.md", ":risk_management_report: docs/index\n", "")
    assert gaps(mini, "R16") == ["REL_1: names no risk management report: give risk_management_report (the document of the report, e.g. docs/risk_management)"]


def test_r16_fires_for_a_report_that_is_no_document(mini: Mini) -> None:
    mini.replace("release.md", ":risk_management_report: docs/index", ":risk_management_report: docs/rmr")
    assert gaps(mini, "R16") == ["REL_1: names the risk management report docs/rmr, which is no document of the technical file: give its docname (risk_management_report: docs/risk_management)"]


def test_r16_fires_for_a_statement_of_another_kind(mini: Mini) -> None:
    mini.replace("release.md", ":residual_risk_evaluation: STMT_RISK", ":residual_risk_evaluation: STMT_LEVEL")
    assert any("it links STMT_LEVEL (documentation_level), of another kind" in line for line in gaps(mini, "R16"))


def test_r16_quiet_for_a_report_named_with_its_suffix(mini: Mini) -> None:
    mini.replace("release.md", ":risk_management_report: docs/index", ":risk_management_report: docs/index.md")
    assert gaps(mini, "R16") == []


def test_gates_check_only_the_release_under_evaluation(mini: Mini) -> None:
    """An earlier release is a row of the version history, released under its own gates."""
    mini.append("release.md", "```{release} Release 0.9\n:id: REL_0_9\n:version: 0.9.0\n```\n")
    mini.replace("release.md", ":risk_management_report: docs/index\n", ":risk_management_report: docs/index\n:previous: REL_0_9\n:changes_assessed: First release after 0.9.\n")
    found = [f for f in mini.findings() if f.rule.id in FIRING]
    assert [f.text() for f in found] == []


# ------------------------------------------------------------------ R26 ---


def test_r26_fires_without_build_environment_for_class_b(mini: Mini) -> None:
    mini.replace("release.md", ":build_environment: ENV_BUILD\n", ":commit: " + COMMIT + "\n")
    assert gaps(mini, "R26") == ["REL_1: links no build environment: generate it in the build (`techfile environment`, need ENV_BUILD) and link it (build_environment: ENV_BUILD)"]


def test_r26_quiet_without_build_environment_for_class_a(mini: Mini) -> None:
    mini.replace("architecture.md", ":safety_class: B", ":safety_class: A")
    mini.replace("release.md", ":build_environment: ENV_BUILD\n", ":commit: " + COMMIT + "\n")
    assert gaps(mini, "R26") == []


def test_r26_fires_when_environment_is_not_generated(mini: Mini) -> None:
    mini.environments = []
    found = gaps(mini, "R26")
    assert any("links the build environment ENV_BUILD, which is not in the technical file" in line for line in found), found
    assert any("records no commit" in line for line in found), found


def test_r26_fires_without_any_known_commit(mini: Mini) -> None:
    mini.environments = [environment(commit="unknown")]
    assert gaps(mini, "R26") == [
        "REL_1: records no commit nor does its build environment ENV_BUILD: give commit, or generate the build environment (`techfile environment`) in the build of the tagged commit, in git or CI"
    ]


def test_r26_fires_for_environment_of_another_version(mini: Mini) -> None:
    mini.environments = [environment(version="1.0.1")]
    assert any("build environment ENV_BUILD is for version 1.0.1, the release is 1.0.0" in line for line in gaps(mini, "R26"))


def test_r26_fires_for_environment_of_another_commit_than_the_release_gives(mini: Mini) -> None:
    mini.replace("release.md", ":archive_tag: v1.0.0\n", ":archive_tag: v1.0.0\n:commit: " + "f" * 40 + "\n")
    assert any("is for commit 0123456789ab, the release gives commit ffffffffffff" in line for line in gaps(mini, "R26"))


def test_r26_fires_for_a_lock_file_changed_after_the_environment(mini: Mini) -> None:
    lock = mini.root / "requirements.txt"
    lock.write_text("numpy==2.0.0\n")
    recorded = hashlib.sha256(b"numpy==1.0.0\n").hexdigest()
    mini.environments = [environment(lock_files=f"requirements.txt sha256:{recorded}")]
    found = gaps(mini, "R26")
    assert any("records requirements.txt with SHA-256 " + recorded[:12] in line and "the lock file changed after the environment was recorded" in line for line in found), found
    mini.environments = [environment(lock_files=f"requirements.txt sha256:{hashlib.sha256(lock.read_bytes()).hexdigest()}")]
    assert gaps(mini, "R26") == []


def test_r26_archive_digest_must_be_a_sha256(mini: Mini) -> None:
    mini.replace("release.md", ":archive_tag: v1.0.0\n", ":archive_tag: v1.0.0\n:archive_sha256: not-a-digest\n")
    assert any(f.rule.id == "N03" and f.need_id == "REL_1" and "archive_sha256" in f.message for f in mini.findings())


# ------------------------------------------------------------------ R27 ---


def _later_release(m: Mini, fields: str = ":previous: REL_1\n:changes_assessed: Fixes.\n") -> None:
    m.append("release.md", f"```{{release}} Release 2\n:id: REL_2\n:version: 2.0.0\n{fields}```\n")


def test_r27_fires_when_a_later_release_follows(mini: Mini) -> None:
    _later_release(mini)
    assert any('is not the last row of the version history: REL_2 follow it (previous); evaluate the newest release (release = "REL_2"' in line for line in gaps(mini, "R27"))


def test_r27_fires_without_changes_assessed(mini: Mini) -> None:
    _later_release(mini, ":previous: REL_1\n")
    mini.replace("release.md", ":archive_tag: v1.0.0\n", ":archive_tag: v1.0.0\n:previous: REL_2\n")
    found = gaps(mini, "R27")
    assert any("follows REL_2 but gives no changes_assessed" in line for line in found), found
    assert any("the version history loops" in line for line in found), found


def test_r27_fires_for_a_release_that_follows_none(mini: Mini) -> None:
    mini.append("release.md", "```{release} Release 0.9\n:id: REL_0_9\n:version: 0.9.0\n```\n")
    assert gaps(mini, "R27") == ["REL_1: follows no earlier release, though the version history has 1 other row(s) (REL_0_9): link the one it follows (previous)"]


def test_r27_quiet_for_a_tested_version_with_a_row(mini: Mini) -> None:
    mini.append("release.md", "```{release} Release 0.9\n:id: REL_0_9\n:version: 0.9.0\n```\n")
    mini.replace("release.md", ":archive_tag: v1.0.0\n", ":archive_tag: v1.0.0\n:previous: REL_0_9\n:changes_assessed: Two fixes.\n")
    mini.results = [result(), result("RES_TWO", version="0.9.0")]
    assert gaps(mini, "R27") == []


# ------------------------------------------------------------------ R28 ---


def test_r28_quiet_for_a_complete_change_request(mini: Mini) -> None:
    mini.append("release.md", _change_request(COMPLETE_CR))
    assert gaps(mini, "R28") == []


def test_r28_names_every_missing_field(mini: Mini) -> None:
    mini.append("release.md", _change_request(""))
    assert gaps(mini, "R28") == ["CR_001: is released in REL_1 but lacks pull_request, safety_impact, regression_analysis, approved_by, approved_on"]


def test_r28_quiet_for_change_requests_of_other_releases_or_not_released(mini: Mini) -> None:
    mini.append("release.md", "```{release} Release 0.9\n:id: REL_0_9\n:version: 0.9.0\n```\n")
    mini.append("release.md", _change_request("", released_in="REL_0_9"))
    mini.append("release.md", "```{change_request} Pending\n:id: CR_002\n```\n")
    assert gaps(mini, "R28") == []


def test_r28_fires_for_approval_after_the_release_date(mini: Mini) -> None:
    mini.replace("release.md", ":version: 1.0.0\n", ":version: 1.0.0\n:release_date: 2025-12-01\n")
    mini.append("release.md", _change_request(COMPLETE_CR))
    assert gaps(mini, "R28") == ["CR_001: was approved on 2026-01-01, after the release date 2025-12-01 of REL_1: a change is approved before it is released"]


def test_r28_pull_request_must_be_a_url_or_reference(mini: Mini) -> None:
    mini.append("release.md", _change_request(COMPLETE_CR.replace("org/repo#42", "see the PR")))
    assert any(f.rule.id == "N03" and f.need_id == "CR_001" and "pull_request" in f.message for f in mini.findings())


# ------------------------------------------------------------------ R31 ---


def test_r31_quiet_for_abbreviated_and_unknown_commits(mini: Mini) -> None:
    mini.results = [_with_commit(result(), COMMIT[:10]), _with_commit(result("RES_TWO"), "unknown")]
    assert gaps(mini, "R31") == []


def test_r31_uses_the_release_commit_over_the_environment(mini: Mini) -> None:
    other = "f" * 40
    mini.replace("release.md", ":archive_tag: v1.0.0\n", f":archive_tag: v1.0.0\n:commit: {other}\n")
    mini.results = [_with_commit(result(), other)]
    assert gaps(mini, "R31") == ["REL_1: 1 of 2 evidence records that name a commit (1 build_environment: ENV_BUILD) are for commit 0123456789ab, not ffffffffffff, its commit: that evidence is from another build; regenerate it from the release commit"]


def test_r31_fires_when_no_evidence_is_for_the_release_version(mini: Mini) -> None:
    mini.results = [result(version="1.0.0rc1")]
    assert "REL_1: no evidence is for its version 1.0.0: the 1 test results are for 1.0.0rc1; run the tests on the release and regenerate the evidence" in gaps(mini, "R31")


def test_r31_quiet_without_test_results(mini: Mini) -> None:
    mini.results = []
    assert gaps(mini, "R31") == []


# ------------------------------------------------------- techfile environment ---


def run(root: Path, *arguments: str) -> int:
    return main(["environment", "--project", str(root), *arguments])


def written(root: Path, name: str = "needs/generated/environment.json") -> dict[str, str]:
    document = json.loads((root / name).read_text())
    needs = document["versions"][document["current_version"]]["needs"]
    assert list(needs) == ["ENV_BUILD"]
    record: dict[str, str] = needs["ENV_BUILD"]
    return record


@pytest.fixture()
def project(mini: Mini) -> Path:
    (mini.root / "examples").mkdir()
    (mini.root / "examples" / "requirements.txt").write_text("numpy==2.4.6\n")
    (mini.root / "Dockerfile").write_text("FROM python:3.12-slim\n")
    return mini.root


def test_environment_records_interpreter_locks_image_and_dockerfile(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = run(project, "--image", f"python:3.12-slim@{DIGEST}", "--dockerfile", str(project / "Dockerfile"), "--software-version", "1.0.0", "--commit", COMMIT)
    assert status == 0, capsys.readouterr().err
    record = written(project)
    assert record["type"] == "environment"
    assert record["python_version"] == platform.python_version()
    assert record["python_implementation"] == platform.python_implementation()
    assert platform.system() in record["platform"] and platform.machine() in record["platform"]
    assert record["lock_files"] == "examples/requirements.txt sha256:" + hashlib.sha256(b"numpy==2.4.6\n").hexdigest()
    assert (record["image"], record["image_digest"]) == ("python:3.12-slim", DIGEST)
    assert (record["dockerfile"], record["dockerfile_sha256"]) == ("Dockerfile", hashlib.sha256(b"FROM python:3.12-slim\n").hexdigest())
    assert (record["software_version"], record["commit"]) == ("1.0.0", COMMIT)
    assert "ENV_BUILD" in capsys.readouterr().out


def test_environment_output_is_byte_identical(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    output = project / "needs" / "generated" / "environment.json"
    assert run(project, "--software-version", "1.0.0", "--commit", COMMIT) == 0
    first = output.read_bytes()
    assert run(project, "--software-version", "1.0.0", "--commit", COMMIT) == 0
    assert output.read_bytes() == first
    assert b'"created": ""' in first  # no clock
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    assert run(project, "--software-version", "1.0.0", "--commit", COMMIT) == 0
    assert b'"created": "2026-01-01T00:00:00Z"' in output.read_bytes()


@pytest.mark.parametrize(
    ("image", "said"),
    [
        ("python:3.12-slim", "without its digest"),
        ("python:3.12-slim@sha256:abc", "not 64 lowercase hex digits"),
        ("python@md5:" + "a" * 32, "not sha256:<64 hex digits>"),
        ("Python:3.12@" + DIGEST, "is not an image reference"),
        ("python@sha256:" + "AB" * 32, "not 64 lowercase hex digits"),
    ],
)
def test_environment_refuses_an_image_without_a_valid_digest(project: Path, capsys: pytest.CaptureFixture[str], image: str, said: str) -> None:
    assert run(project, "--image", image) == 2
    error = capsys.readouterr().err
    assert "--image" in error and said in error and "REF@sha256:<64 hex digits>" in error, error
    assert not (project / "needs" / "generated" / "environment.json").exists()


def test_image_references_accepted() -> None:
    for reference in ("python@" + DIGEST, "ghcr.io/org/build-image:2026.1@" + DIGEST, "localhost:5000/a/b_c@" + DIGEST):
        assert image_problem(reference) is None, reference
        assert parse_image(reference).digest == DIGEST


def test_environment_refuses_a_bad_image_in_pyproject_at_its_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text(pyproject('\n[[tool.techfile.environment]]\noutput = "needs/generated/environment.json"\nimage = "python:3.12"\n'))
    assert run(project) == 2
    error = capsys.readouterr().err
    assert "pyproject.toml:9:" in error and "tool.techfile.environment[0].image" in error and "fix:" in error.lower(), error


def test_environment_refuses_a_missing_lock_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(project, "--lock", str(project / "poetry.lock")) == 2
    error = capsys.readouterr().err
    assert "poetry.lock" in error and "does not exist" in error, error
    (project / "pyproject.toml").write_text(pyproject('\n[[tool.techfile.environment]]\noutput = "needs/generated/environment.json"\nlocks = ["uv.lock"]\n'))
    assert run(project) == 2
    assert "pyproject.toml:9:" in capsys.readouterr().err


def test_environment_writes_atomically_and_reads_every_job_first(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad second job leaves the first job's output as it was; no temporary is left; a folder as output is exit 2."""
    (project / "pyproject.toml").write_text(pyproject(textwrap.dedent("""
        [[tool.techfile.environment]]
        output = "needs/generated/environment.json"
        software_version = "1.0.0"

        [[tool.techfile.environment]]
        output = "needs/generated/other.json"
        dockerfile = "Dockerfile.missing"
        """)))
    previous = b"previous\n"
    output = project / "needs" / "generated" / "environment.json"
    output.write_bytes(previous)
    assert run(project) == 2
    assert "Dockerfile.missing" in capsys.readouterr().err
    assert output.read_bytes() == previous
    (project / "pyproject.toml").write_text(pyproject())
    assert run(project, "--commit", COMMIT) == 0
    assert [p.name for p in output.parent.iterdir() if p.name.endswith(".tmp")] == []
    (project / "folder.json").mkdir()
    assert run(project, "-o", str(project / "folder.json")) == 2
    assert "it is a folder" in capsys.readouterr().err


def test_lock_files_found_outside_hidden_and_excluded_folders(project: Path) -> None:
    for folder in (".venv", "_build", "node_modules"):
        (project / folder).mkdir()
        (project / folder / "requirements.txt").write_text("x\n")
    (project / "uv.lock").write_text("")
    from techfile.project import load_project

    loaded = load_project(project)
    assert [p.relative_to(project).as_posix() for p in find_lock_files(project, loaded.excluded)] == ["examples/requirements.txt", "uv.lock"]


def test_generated_environment_satisfies_the_gates(mini: Mini, project: Path) -> None:
    """The need `techfile environment` writes is the one the release links: R26 and R31 quiet on it."""
    mini.environments = []
    mini.write_evidence()
    assert run(project, "--software-version", "1.0.0", "--commit", COMMIT) == 0
    findings = [f for f in mini_findings_keeping(mini) if f.rule.id in ("R26", "R31", "N10", "N11")]
    assert [f.text() for f in findings] == []


def mini_findings_keeping(mini: Mini) -> list[Finding]:
    """The findings with the evidence on disk as it is (Mini.findings rewrites every file it writes)."""
    from techfile.checks.run import check_corpus, load_declarations
    from techfile.project import load_project
    from techfile.readers.sources import read_corpus

    project = load_project(mini.root)
    declarations = load_declarations(project)
    return check_corpus(project, declarations, read_corpus(project, declarations.model)).findings


def test_environment_is_an_evidence_kind_whose_missing_output_is_n10(mini: Mini) -> None:
    kind = kinds()["environment"]
    assert kind.roles == (Role.BUILD_ENVIRONMENT,)
    (mini.root / "pyproject.toml").write_text(pyproject('\n[[tool.techfile.environment]]\noutput = "needs/generated/env.json"\n'))
    index = mini.root / "docs" / "index.md"
    index.write_text(index.read_text() + "\n```{techfile-evidence}\n```\n")
    assert any(f.rule.id == "N10" and "needs/generated/env.json does not exist yet" in f.message for f in mini.findings())
