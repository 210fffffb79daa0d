"""``techfile dvc`` on a real DVC repository: DVC (from PyPI) run in a
temporary git repository with a local remote, a ``dvc add``-ed raw file and a
``split`` stage whose three outputs are the training, validation and test
sets; rules M09 and M10 against the ML evidence of test_ml_rules.py, with the
run's digests the SHA-256 of the real files. Changing one byte of the locked
test set fails ``techfile check`` naming the dataset and both digests."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from miniproject import Mini
from techfile.cli import main
from test_ml_rules import evidence, run_record, with_ml

DVC = shutil.which("dvc", path=str(Path(sys.executable).parent)) or shutil.which("dvc")
pytestmark = pytest.mark.skipif(DVC is None, reason="dvc is not installed (pip install 'techfile[data]')")

SPLIT = """\
import csv, sys
rows = list(csv.DictReader(open("data/raw.csv", newline="")))
header = "patient_id,site,surgery_date,pji_1y\\n"
for name, keep in (("training", lambda i: i % 5 < 3), ("validation", lambda i: i % 5 == 3), ("testing", lambda i: i % 5 == 4)):
    with open(f"data/{name}.csv", "w", newline="") as out:
        out.write(header + "".join(f"{r['patient_id']},{r['site']},{r['surgery_date']},{r['pji_1y']}\\n" for i, r in enumerate(rows) if keep(i)))
"""
RAW = "patient_id,site,surgery_date,pji_1y\n" + "".join(f"P{i:04d},S{i % 3},2021-{1 + i % 12:02d}-{1 + i % 28:02d},{int(i % 7 == 0)}\n" for i in range(50))
INDEX_IMPORT = "\n```{needimport} /needs/generated/dvc.json\n```\n"
DVC_JOB = """
[[tool.techfile.dvc]]
output = "needs/generated/dvc.json"
repo = "."
patient_key = "patient_id"
site_key = "site"
date_key = "surgery_date"
datasets = [
  { path = "data/training.csv", describes = "DATA_TRAIN" },
  { path = "data/validation.csv", describes = "DATA_VALIDATION" },
  { path = "data/testing.csv", describes = "DATA_TEST" },
]
"""


def dvc(root: Path, *args: str) -> None:
    assert DVC is not None
    subprocess.run([DVC, *args], cwd=root, check=True, capture_output=True, env={**os.environ, "DVC_NO_ANALYTICS": "1"})


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=root, check=True, capture_output=True)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DVC repository (git, dvc init, raw data added, the split stage run, pushed to a local remote), made once."""
    root = tmp_path_factory.mktemp("dvc") / "repo"
    (root / "data").mkdir(parents=True)
    (root / "data" / "raw.csv").write_text(RAW)
    (root / "split.py").write_text(SPLIT)
    (root / "params.yaml").write_text("seed: 7\n")
    git(root, "init", "-q")
    dvc(root, "init", "-q")
    dvc(root, "add", "-q", "data/raw.csv")
    dvc(root, "stage", "add", "-q", "-n", "split", "-d", "split.py", "-d", "data/raw.csv", "-p", "seed", "-o", "data/training.csv", "-o", "data/validation.csv", "-o", "data/testing.csv", f"{sys.executable} split.py")
    dvc(root, "repro", "-q")
    remote = root.parent / "remote"
    remote.mkdir()
    dvc(root, "remote", "add", "-q", "-d", "local", str(remote))
    dvc(root, "push", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "data")
    return root


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Mini:
    """The mini project in a copy of the DVC repository, with its own copy of the remote and a [[tool.techfile.dvc]] job."""
    mini = Mini(tmp_path / "project")
    shutil.copytree(template, mini.root, symlinks=True, dirs_exist_ok=True)
    shutil.copytree(template.parent / "remote", tmp_path / "remote")
    dvc(mini.root, "remote", "modify", "local", "url", str(tmp_path / "remote"))
    (mini.root / "pyproject.toml").write_text((mini.root / "pyproject.toml").read_text() + DVC_JOB)
    (mini.root / "docs" / "index.md").write_text((mini.root / "docs" / "index.md").read_text() + INDEX_IMPORT)
    return mini


def sha(root: Path, name: str) -> str:
    return hashlib.sha256((root / "data" / f"{name}.csv").read_bytes()).hexdigest()


def with_real_digests(m: Mini, **override: str) -> None:
    """The ML evidence of the mini project, its run logging the SHA-256 of the real split files."""
    digests = {name: sha(m.root, name) for name in ("training", "validation", "testing")}
    with_ml(m, evidence(run_record(digests={**digests, **override})))
    for name, placeholder in (("training", "a"), ("validation", "b"), ("testing", "c")):
        m.replace("requirements.md", f"sha256:{placeholder * 64}", f"sha256:{digests[name]}")


def techfile_dvc(m: Mini) -> int:
    return main(["dvc", "--project", str(m.root)])


def needs(m: Mini) -> dict[str, dict[str, str]]:
    document = json.loads((m.root / "needs" / "generated" / "dvc.json").read_text())
    found: dict[str, dict[str, str]] = next(iter(document["versions"].values()))["needs"]
    return found


def data_findings(m: Mini) -> list[str]:
    return [f.text() for f in m.findings() if f.rule.id in ("M09", "M10")]


def test_reads_stages_and_dvc_files(project: Mini) -> None:
    assert techfile_dvc(project) == 0
    found = needs(project)
    assert sorted(found) == ["DVC_DATA_RAW_CSV", "DVC_DATA_TESTING_CSV", "DVC_DATA_TRAINING_CSV", "DVC_DATA_VALIDATION_CSV"]
    test = found["DVC_DATA_TESTING_CSV"]
    assert test["type"] == "dvcdata" and test["tracks"] == ["DATA_TEST"]
    assert test["digest"] == f"sha256:{sha(project.root, 'testing')}"
    assert test["hash_algorithm"] == "md5" and test["dvc_hash"] == hashlib.md5((project.root / "data" / "testing.csv").read_bytes()).hexdigest()
    assert test["size_bytes"] == str((project.root / "data" / "testing.csv").stat().st_size) and test["nfiles"] == "1"
    assert test["dvc_stage"] == "split" and test["dvc_file"] == "dvc.lock" and "split.py" in test["stage_cmd"]
    assert "data/raw.csv " in test["stage_deps"] and test["stage_params"] == "params.yaml:seed=7"
    assert test["stage_outs"] == "data/training.csv; data/validation.csv"
    assert test["records"] == "10" and test["distinct_patients"] == "10" and test["distinct_sites"] == "3"
    assert test["patient_overlap"] == "DVC_DATA_RAW_CSV=10; DVC_DATA_TRAINING_CSV=0; DVC_DATA_VALIDATION_CSV=0"
    raw = found["DVC_DATA_RAW_CSV"]
    assert raw["dvc_file"] == "data/raw.csv.dvc" and "dvc_stage" not in raw and "tracks" not in raw
    for value in test.values():  # counts only: no patient key is written
        assert "P00" not in json.dumps(value)


def test_output_is_byte_identical(project: Mini) -> None:
    assert techfile_dvc(project) == 0
    first = (project.root / "needs" / "generated" / "dvc.json").read_bytes()
    assert techfile_dvc(project) == 0
    assert (project.root / "needs" / "generated" / "dvc.json").read_bytes() == first


def test_locked_content_comes_from_the_cache_or_the_remote(project: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    (project.root / "data" / "testing.csv").unlink()
    assert techfile_dvc(project) == 0  # the cache holds the locked content
    assert needs(project)["DVC_DATA_TESTING_CSV"]["workspace_status"] == "missing"
    shutil.rmtree(project.root / ".dvc" / "cache")
    output = project.root / "needs" / "generated" / "dvc.json"
    before = output.read_bytes()
    assert techfile_dvc(project) == 2
    err = capsys.readouterr().err
    assert "data/testing.csv" in err and "neither in the DVC cache nor in the workspace" in err and "dvc pull" in err
    assert output.read_bytes() == before  # nothing written
    dvc(project.root, "pull", "-q")  # the local remote restores it
    assert techfile_dvc(project) == 0 and needs(project)["DVC_DATA_TESTING_CSV"]["workspace_status"] == "unchanged"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("stages: [unclosed\n", "not plain YAML data"),
        ('a: &a ["x","x"]\nb: &b [*a,*a]\nc: &c [*b,*b]\nstages: {}\n', "anchors or aliases"),
        ("stages: !!python/object/apply:os.system ['true']\n", "Python object tag"),
    ],
)
def test_bad_lock_is_refused_and_nothing_written(project: Mini, capsys: pytest.CaptureFixture[str], text: str, said: str) -> None:
    (project.root / "dvc.lock").write_text(text)
    assert techfile_dvc(project) == 2
    err = capsys.readouterr().err
    assert "dvc.lock" in err and said in err
    assert not (project.root / "needs" / "generated" / "dvc.json").exists()


def test_unknown_dataset_path_is_bad_input(project: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = project.root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"data/testing.csv"', '"data/test.csv"'))
    assert techfile_dvc(project) == 2
    err = capsys.readouterr().err
    assert "data/test.csv" in err and "no dvc.lock stage or .dvc file" in err and "data/testing.csv" in err


def test_not_a_dvc_repository(project: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.rmtree(project.root / ".dvc")
    assert techfile_dvc(project) == 2
    assert "is not a DVC repository" in capsys.readouterr().err


def test_m09_m10_quiet_on_the_locked_data(project: Mini) -> None:
    assert techfile_dvc(project) == 0
    with_real_digests(project)
    assert data_findings(project) == []


def test_m09_one_byte_of_the_test_set_fails_check(project: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    """The done-when case: one byte of the locked test set changed and locked again; `techfile check` names the dataset and both digests."""
    with_real_digests(project)
    evaluated = sha(project.root, "testing")
    path = project.root / "data" / "testing.csv"
    data = bytearray(path.read_bytes())
    data[-2] = ord("1") if data[-2] != ord("1") else ord("0")
    path.write_bytes(bytes(data))
    dvc(project.root, "commit", "-q", "-f", "split")
    locked = sha(project.root, "testing")
    assert techfile_dvc(project) == 0
    project.write_evidence()
    capsys.readouterr()
    assert main(["check", "--project", str(project.root)]) == 1
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "M09" in line and "DATA_TEST" in line and "was tested on" in line)
    assert f"sha256:{locked}" in line and f"sha256:{evaluated}" in line, line


def test_m09_workspace_differs_from_lock(project: Mini) -> None:
    assert techfile_dvc(project) == 0
    with_real_digests(project)
    with (project.root / "data" / "testing.csv").open("a") as handle:
        handle.write("P9999,S9,2022-01-01,0\n")
    assert techfile_dvc(project) == 0
    texts = data_findings(project)
    assert any("M09" in t and "workspace copy of data/testing.csv (DATA_TEST) differs" in t for t in texts), texts


def test_m09_test_set_is_training_set(project: Mini) -> None:
    shutil.copy(project.root / "data" / "training.csv", project.root / "data" / "testing.csv")
    dvc(project.root, "commit", "-q", "-f", "split")
    assert techfile_dvc(project) == 0
    with_real_digests(project)
    texts = data_findings(project)
    assert any("locked test set DATA_TEST is the same data as its training dataset DATA_TRAIN" in t for t in texts), texts


def test_m10_input_matching_no_dataset(project: Mini) -> None:
    assert techfile_dvc(project) == 0
    with_real_digests(project, validation="e" * 64)
    texts = data_findings(project)
    assert any("M10" in t and f"the validation input sha256:{'e' * 64}" in t and "matches no dataset version DVC tracks" in t for t in texts), texts


def test_yaml_bomb_in_a_dvc_file_is_refused(project: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    (project.root / "data" / "raw.csv.dvc").write_text('a: &a ["x","x"]\nb: &b [*a,*a]\nouts: *b\n')
    assert techfile_dvc(project) == 2
    err = capsys.readouterr().err
    assert "data/raw.csv.dvc" in err and "anchors or aliases" in err
    assert not (project.root / "needs" / "generated" / "dvc.json").exists()
