"""``techfile mlflow`` on real MLflow stores, written with MLflow's own API
(``mlflow_store.py``): a SQLite store, a file store and a tracking server
(``mlflow server`` on 127.0.0.1, started here and stopped at the end). No
mock of the client: what is read is what MLflow stored."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from miniproject import Mini
from mlflow_store import ARTIFACT_SHA256, COMMIT, DIGESTS, MODEL, Store, write_store
from techfile.cli import main
from techfile.evidence.mlflow.criteria import CriterionError, evaluate, parse_criteria
from techfile.evidence.mlflow.reader import MlflowEvidenceError, read_model

pytest.importorskip("mlflow")
# MLflow 3.17 configures its SQLAlchemy mappers with a loader SQLAlchemy deprecates: not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:mlflow")


@pytest.fixture(scope="session")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("sqlite-store")
    return write_store(f"sqlite:///{folder / 'mlflow.db'}", folder)


@pytest.fixture(scope="session")
def file_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("file-store")
    return write_store(str(folder / "mlruns"), folder)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def server(sqlite_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `mlflow server` on a free port over a copy of the SQLite store."""
    folder = tmp_path_factory.mktemp("server")
    database = folder / "mlflow.db"
    shutil.copy(sqlite_store.uri[len("sqlite:///") :], database)
    port = free_port()
    mlflow = Path(sys.executable).parent / "mlflow"
    process = subprocess.Popen(
        [str(mlflow), "server", "--host", "127.0.0.1", "--port", str(port), "--backend-store-uri", f"sqlite:///{database}", "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{uri}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mlflow server did not start on {uri}")
            time.sleep(0.3)
        yield uri
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


# ----------------------------------------------------------- what is read ---


@pytest.mark.parametrize("store_name", ["sqlite_store", "file_store"])
def test_reads_the_version_its_run_and_experiment(store_name: str, request: pytest.FixtureRequest) -> None:
    store: Store = request.getfixturevalue(store_name)
    evidence = read_model(store.uri, MODEL, alias="released")
    assert (evidence.version.version, evidence.version.aliases, evidence.version.run_id) == ("3", ("released",), store.released_run)
    assert dict(evidence.version.tags) == {"pccp_modification_id": "PCCP_RETRAIN"}
    assert evidence.version.artifact_sha256 == ARTIFACT_SHA256
    run = evidence.run
    assert (run.name, run.status, run.git_commit, run.git_repo) == ("v3-final", "FINISHED", COMMIT, "https://example.org/pji-risk.git")
    assert run.start_time.startswith("2025-12-01T") and run.end_time > run.start_time
    metrics = {m.key: (m.value, m.step) for m in run.metrics}
    assert metrics["test/auc"] == (0.742, 1)  # the final value, of the latest step
    assert metrics["test/subgroup/sex/female/n"] == (15000, 1)
    assert {d.context: d.digest for d in run.datasets} == {c: f"sha256:{d}" for c, d in DIGESTS.items()}
    assert {a.path for a in run.artifacts} == {"model/model.json", "model_card.json"}
    assert dict(run.params) == {"C": "inf", "seed": "7", "solver": "lbfgs"}
    assert evidence.parent is not None and evidence.parent.name == "v3-search"
    statuses = {r.name: r.status for r in evidence.experiment_runs}
    assert statuses == {"v1-baseline": "FINISHED", "v2-diverged": "FAILED", "v2-killed": "KILLED", "v3-search": "FINISHED", "v3-final": "FINISHED", "v3-trial": "FINISHED"}
    assert evidence.predecessor is not None and evidence.predecessor.version == "2"
    assert evidence.predecessor_run is not None and evidence.predecessor_run.status == "FAILED"


def test_a_version_behind_a_failed_run_is_read_as_it_is(sqlite_store: Store) -> None:
    evidence = read_model(sqlite_store.uri, MODEL, version="2")
    assert evidence.run.run_id == sqlite_store.failed_run and evidence.run.status == "FAILED"  # a finding (M01), not an error


def test_nested_runs(sqlite_store: Store) -> None:
    parent = read_model(sqlite_store.uri, MODEL, alias="released").parent
    assert parent is not None
    children = [r.name for r in read_model(sqlite_store.uri, MODEL, alias="released").experiment_runs if r.parent_run_id == parent.run_id]
    assert sorted(children) == ["v3-final", "v3-trial"]


@pytest.mark.slow
def test_the_server_gives_what_the_store_gives(sqlite_store: Store, server: str) -> None:
    direct = read_model(sqlite_store.uri, MODEL, alias="released")
    served = read_model(server, MODEL, alias="released")
    assert replace(served, tracking_uri=direct.tracking_uri) == direct


# ------------------------------------------------------------ the command ---


def run_command(tmp_path: Path, uri: str, *extra: str) -> tuple[int, Path]:
    output = tmp_path / "out" / "mlflow.json"
    status = main(["mlflow", "--tracking-uri", uri, "--model", MODEL, "-o", str(output), "--software-version", "1.0.0", *extra])
    return status, output


def test_command_writes_needs_and_is_byte_identical(sqlite_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    status, output = run_command(tmp_path, sqlite_store.uri, "--alias", "released", "--describes", "MODEL_PJI")
    assert status == 0, capsys.readouterr()
    first = output.read_bytes()
    needs = json.loads(first)["versions"]["1.0.0"]["needs"]
    version = needs["MLVER_PJI_RISK_3"]
    assert version["type"] == "mlversion" and version["model_artifact_sha256"] == ARTIFACT_SHA256 and version["version_of"] == ["MODEL_PJI"]
    runs = [n for n in needs.values() if n["type"] == "mlrun"]
    assert sorted(r["run_status"] for r in runs) == ["FAILED", "FINISHED", "FINISHED", "FINISHED", "FINISHED", "KILLED"]
    evaluated = next(r for r in runs if r.get("run_part") == "evaluated")
    assert json.loads(evaluated["metrics"])["test/auc"] == {"step": 1, "value": 0.742}
    assert evaluated["testing_digest"] == f"sha256:{DIGESTS['testing']}"
    assert "techfile mlflow: pji-risk version 3" in capsys.readouterr().out
    assert run_command(tmp_path, sqlite_store.uri, "--alias", "released", "--describes", "MODEL_PJI")[0] == 0
    assert output.read_bytes() == first
    assert not (tmp_path / "mlflow.db").exists()  # reading never creates a store


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (("--alias", "nope"), "has no alias 'nope'"),
        (("--version", "99"), "has no version 99"),
    ],
)
def test_unknown_version_or_alias(sqlite_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: tuple[str, ...], expected: str) -> None:
    status, output = run_command(tmp_path, sqlite_store.uri, *arguments)
    err = capsys.readouterr().err
    assert status == 2 and expected in err and "pji-risk" in err and not output.exists()


def test_unknown_model(sqlite_store: Store) -> None:
    with pytest.raises(MlflowEvidenceError, match="has no registered model 'missing'"):
        read_model(sqlite_store.uri, "missing", alias="released")


def test_unreachable_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    uri = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    status, output = run_command(tmp_path, uri, "--alias", "released")
    assert status == 2 and f"the tracking server {uri} is not reachable" in capsys.readouterr().err and not output.exists()
    assert time.monotonic() - started < 10


def test_missing_sqlite_store_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "absent.db"
    with pytest.raises(MlflowEvidenceError, match="does not exist"):
        read_model(f"sqlite:///{path}", MODEL, alias="released")
    assert not path.exists()


def test_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    path.write_text("not a database\n")
    with pytest.raises(MlflowEvidenceError, match="is not a SQLite database"):
        read_model(f"sqlite:///{path}", MODEL, alias="released")


def test_truncated_sqlite(sqlite_store: Store, tmp_path: Path) -> None:
    source = Path(sqlite_store.uri[len("sqlite:///") :]).read_bytes()
    path = tmp_path / "truncated.db"
    path.write_bytes(source[: len(source) // 3])
    with pytest.raises(MlflowEvidenceError, match="damaged or truncated"):
        read_model(f"sqlite:///{path}", MODEL, alias="released")


def _hostile_copy(store: Store, tmp_path: Path, text: str) -> str:
    copy = tmp_path / "mlruns"
    shutil.copytree(store.uri, copy)
    meta = next(p for p in sorted(copy.rglob("meta.yaml")) if "models" not in p.parts)
    meta.write_text(meta.read_text() + text)
    return str(copy)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("payload: !!python/object/apply:os.system ['echo owned']\n", "Python object tag"),
        ("a: &a ['x', 'x', 'x', 'x', 'x']\nb: &b [*a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b]\n", "anchors or aliases"),
    ],
)
def test_hostile_file_store_is_refused(file_store: Store, tmp_path: Path, text: str, expected: str) -> None:
    uri = _hostile_copy(file_store, tmp_path, text)
    with pytest.raises(MlflowEvidenceError, match=expected) as caught:
        read_model(uri, MODEL, alias="released")
    assert "meta.yaml" in caught.value.message


@pytest.mark.slow  # writing the 200 runs takes MLflow some 12 s; reading them, well under a second
def test_two_hundred_runs_in_seconds(tmp_path: Path) -> None:
    store = write_store(f"sqlite:///{tmp_path / 'mlflow.db'}", tmp_path, runs=200)
    started = time.monotonic()
    evidence = read_model(store.uri, MODEL, alias="released")
    elapsed = time.monotonic() - started
    assert len(evidence.experiment_runs) == 206
    assert sum(1 for r in evidence.experiment_runs if r.status == "FAILED") == 1 + 20
    assert elapsed < 5, elapsed
    print(f"read 206 runs in {elapsed:.2f} s")


def test_mlflow_missing_is_a_clear_error(tmp_path: Path, sqlite_store: Store) -> None:
    code = f"import sys; sys.modules['mlflow'] = None\nfrom techfile.evidence.mlflow.reader import read_model\nread_model({sqlite_store.uri!r}, 'pji-risk', alias='released')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ}, check=False)
    assert "MLflow is not installed" in done.stderr and "techfile[mlflow]" in done.stderr


# -------------------------------------------------------- criteria grammar ---


def test_criteria_forms() -> None:
    parsed = parse_criteria("test_auc >= 0.70; calibration_slope in [0.8, 1.2]\nauc.ci_lower >= 0.68\nauc >= 0.65 for each sex, age_band with n >= 50")
    assert [c.text for c in parsed] == ["test_auc >= 0.70", "calibration_slope in [0.8, 1.2]", "auc.ci_lower >= 0.68", "auc >= 0.65 for each sex, age_band with n >= 50"]
    assert [c.key() for c in parsed] == ["test/auc", "test/calibration_slope", "test/auc/ci_low", "test/auc"]
    assert parsed[3].dimensions == ("sex", "age_band") and parsed[3].min_n == 50
    assert parse_criteria("validation_auc > 0.7")[0].key() == "validation/auc"
    assert parse_criteria("test/subgroup/site/a/auc >= 0.6")[0].key() == "test/subgroup/site/a/auc"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("auc >= __import__('os')", "expected a number"),
        ("auc", "expected a comparison"),
        ("auc in [1.2, 0.8]", "is empty"),
        ("auc.ci_middle >= 0.5", "ci_lower or ci_upper"),
        ("auc >= 0.6 for each", "a subgroup dimension"),
        ("auc >= 0.6 for each sex with n >= 2.5", "whole number"),
        ("auc >= 0.6 0.7", "`for each ...`"),
        ("auc >= 0.6 $", "`for each ...`"),
    ],
)
def test_criteria_errors(text: str, expected: str) -> None:
    with pytest.raises(CriterionError, match=expected):
        parse_criteria(text)


def test_evaluation_on_metrics() -> None:
    (criterion,) = parse_criteria("auc >= 0.65 for each sex with n >= 50")
    results = evaluate(criterion, {"test/subgroup/sex/f/auc": 0.7, "test/subgroup/sex/f/n": 60, "test/subgroup/sex/m/auc": 0.6, "test/subgroup/sex/m/n": 60, "test/subgroup/sex/x/auc": 0.1, "test/subgroup/sex/x/n": 3})
    assert [(e.subgroup, e.outcome) for e in results] == [(("sex", "f"), "passed"), (("sex", "m"), "failed"), (("sex", "x"), "skipped")]
    (bound,) = parse_criteria("auc.ci_upper <= 0.9")
    assert evaluate(bound, {"test/auc_ci_high": 0.8})[0].outcome == "passed"  # the file store's spelling
    assert evaluate(bound, {})[0].outcome == "error"


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.sampled_from([">=", "<=", ">", "<", "=="]))
def test_criterion_holds_as_written(threshold: float, value: float, operator: str) -> None:
    (criterion,) = parse_criteria(f"auc {operator} {threshold!r}")
    expected = {">=": value >= threshold, "<=": value <= threshold, ">": value > threshold, "<": value < threshold, "==": value == threshold}[operator]
    assert criterion.low == threshold and criterion.holds(value) is expected


# ------------------------------------------------- in a project, end to end ---


def _project(mini: Mini, store: Store, criteria: str) -> None:
    from miniproject import pyproject

    job = f'\n[[tool.techfile.mlflow]]\noutput = "needs/generated/mlflow.json"\ntracking_uri = "{store.uri}"\nmodel = "{MODEL}"\nalias = "released"\nsoftware_version = "1.0.0"\n'
    (mini.root / "pyproject.toml").write_text(pyproject(job))
    index = mini.root / "docs" / "index.md"
    index.write_text(index.read_text() + "\n```{needimport} /needs/generated/mlflow.json\n```\n")
    mini.append("requirements.md", f"""
        ```{{swreq}} Discrimination
        :id: SWR_002
        :category: performance
        :acceptance_criteria: {criteria}
        ```
        """)


def test_a_broken_criterion_fails_the_check_naming_requirement_and_metric(sqlite_store: Store, mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    _project(mini, sqlite_store, "test_auc >= 0.80; auc.ci_lower >= 0.68")
    assert main(["mlflow", "--project", str(mini.root)]) == 0, capsys.readouterr().err
    assert "2 criterion result(s) (1 passed, 1 failed" in capsys.readouterr().out
    findings = mini.findings()
    m04 = [f.text() for f in findings if f.rule.id == "M04"]
    assert len(m04) == 1 and "SWR_002" in m04[0] and "test/auc = 0.742" in m04[0] and "does not meet >= 0.8" in m04[0] and "requirements.md:" in m04[0], m04
    # the criterion result is a test result like any other: R05 judges it too
    assert any(f.rule.id == "R05" and f.need_id == "SWR_002" and "RES_ML_SWR_002_1 failed" in f.message for f in findings)


def test_a_criterion_that_does_not_parse_is_an_error_at_its_requirement(sqlite_store: Store, mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    _project(mini, sqlite_store, "test_auc >= high")
    assert main(["mlflow", "--project", str(mini.root)]) == 2
    err = capsys.readouterr().err
    assert "requirements.md:" in err and "SWR_002" in err and "expected a number" in err
    assert not (mini.root / "needs" / "generated" / "mlflow.json").exists()


@pytest.mark.slow  # two stores written by MLflow: about 13 s each
@pytest.mark.parametrize(
    ("released_params", "expected"),
    [
        (None, None),  # version 3 retrained with version 2's estimator and settings: inside PCCP_RETRAIN
        ({"solver": "saga", "C": "inf", "seed": "7"}, "changes the param solver (lbfgs -> saga) from version 2, outside PCCP_RETRAIN"),
    ],
)
def test_pccp_tells_in_plan_retraining_from_an_out_of_plan_change_on_a_real_store(
    tmp_path: Path, mini: Mini, capsys: pytest.CaptureFixture[str], released_params: dict[str, str] | None, expected: str | None
) -> None:
    """Version 3 and its predecessor as MLflow's client reads them from a SQLite store, judged by M07 against the declared plan."""
    from miniproject import pyproject

    store = write_store(f"sqlite:///{tmp_path / 'mlflow.db'}", tmp_path, released_params=released_params)
    job = f'\n[[tool.techfile.mlflow]]\noutput = "needs/generated/mlflow.json"\ntracking_uri = "{store.uri}"\nmodel = "{MODEL}"\nalias = "released"\ndescribes = "MODEL_X"\nsoftware_version = "1.0.0"\n'
    (mini.root / "pyproject.toml").write_text(pyproject(job))
    index = mini.root / "docs" / "index.md"
    index.write_text(index.read_text() + "\n```{needimport} /needs/generated/mlflow.json\n```\n")
    mini.append("requirements.md", """
        ```{ml_model} Model
        :id: MODEL_X
        :model_version: 3
        :algorithm: logistic regression
        ```

        ```{swreq} Discrimination
        :id: SWR_002
        :category: performance
        :acceptance_criteria: test_auc >= 0.70
        ```

        ```{pccp} Retraining on new data
        :id: PCCP_RETRAIN
        :modification_kind: retraining
        :allowed_changes: training_data
        :fixed_params: solver, C
        :acceptance_ref: SWR_002
        ```
        """)
    assert main(["mlflow", "--project", str(mini.root)]) == 0, capsys.readouterr().err
    m07 = [f.text() for f in mini.findings() if f.rule.id == "M07"]
    if expected is None:
        assert m07 == []
    else:
        assert len(m07) == 1 and expected in m07[0] and "MODEL_X" in m07[0], m07

