"""techfile as a user installs it: the wheel built from this repository, in
a fresh virtual environment with no checkout on the path, used in
repositories that are not this one.

* ``techfile init`` in an empty git repository gives a technical file that
  ``sphinx-build -b html`` builds and ``techfile check`` evaluates;
* the example technical file, copied out of the repository, checks clean
  and builds with ``-W`` from the wheel, with the same findings as from the
  editable install.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from miniproject import REPO
from techfile import provenance

pytestmark = pytest.mark.slow
EXAMPLE = ("conf.py", "pyproject.toml", "docs", "needs", "schemas")
IGNORED = shutil.ignore_patterns("generated", "_build", "__pycache__", "*.egg-info")


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def run(self, *command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        """A command of the virtual environment, run as a user would: no checkout on the path."""
        env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        return subprocess.run(list(command), cwd=cwd, capture_output=True, text=True, check=False, env=env, timeout=900)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("installed")
    # built from a copy of what the wheel is made of, so the build leaves nothing in the checkout
    source = base / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "generators", source / "generators", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    dist = base / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
        capture_output=True, text=True, check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = dist.glob("techfile-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # with the extra a team that records its models installs: `techfile mlflow` reads the example's training store
    done = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", f"{wheel}[mlflow,data]"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return Installed(wheel, venv)


def test_the_wheel_ships_its_data(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    for expected in (
        "techfile/data/schemas/need_model.schema.json",
        "techfile/data/schemas/trace_rules.schema.json",
        "techfile/data/schemas/risk_matrix.schema.json",
        "techfile/data/schemas/findings.schema.json",
        "techfile/data/defaults/need_model.toml",
        "techfile/data/defaults/trace_rules.toml",
        "techfile/data/defaults/risk_matrix.toml",
        "techfile/data/static/techfile.css",
        "techfile/data/scaffold/conf.py.tmpl",
        "techfile/data/scaffold/docs/rules.md",
        "techfile/data/scaffold/needs/tests.md",
        "techfile/py.typed",
    ):
        assert expected in names, expected
    assert not any(name.startswith(("generators/", "schemas/", "tests/")) for name in names)


def test_the_installed_package_is_not_the_checkout(installed: Installed, tmp_path: Path) -> None:
    done = installed.run(installed.bin("python"), "-c", "import techfile; print(techfile.__file__)", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    location = Path(done.stdout.strip())
    assert installed.venv in location.parents and REPO not in location.parents


def test_init_in_an_empty_repository_builds_and_checks(installed: Installed, tmp_path: Path) -> None:
    repository = tmp_path / "device"
    repository.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repository, check=True)
    init = installed.run(installed.bin("techfile"), "init", "--safety-class", "B", cwd=repository)
    assert init.returncode == 0, init.stderr
    assert "wrote     conf.py" in init.stdout and "wrote     pyproject.toml" in init.stdout

    build = installed.run(installed.bin("sphinx-build"), "-b", "html", "-q", ".", "_build/html", cwd=repository)
    assert build.returncode == 0, build.stderr[-3000:]
    assert "Traceback" not in build.stderr and "Unknown directive" not in build.stderr
    assert "[techfile.R05]" in build.stderr  # the real gap of a new file: no test evidence yet
    rules_page = (repository / "_build" / "html" / "docs" / "rules.html").read_text()
    assert 'id="rule-r04"' in rules_page

    check = installed.run(installed.bin("techfile"), "check", "--format", "json", cwd=repository)
    assert check.returncode == 1, check.stderr
    report = json.loads(check.stdout)
    findings_of_build = json.loads((repository / "_build" / "html" / "techfile-findings.json").read_text())["findings"]
    assert report["findings"] == findings_of_build != []
    assert {f["safety_class"] for f in report["findings"] if f["safety_class"]} == {"B"}


def test_the_example_checks_clean_and_builds_from_the_wheel(installed: Installed, tmp_path: Path) -> None:
    root = tmp_path / "pji-risk"
    root.mkdir()
    for name in EXAMPLE:
        source = REPO / name
        (shutil.copytree(source, root / name, ignore=IGNORED) if source.is_dir() else shutil.copy(source, root / name))
    # the lock file (the SOUP list's source) and the install pins exported from it, which its build environment records
    for lock in (Path("examples", "pji_risk", "uv.lock"), Path("examples", "pji_risk", "requirements.txt")):
        (root / lock).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / lock, root / lock)
    # the example device's test run, with the example's own environment; the evidence made from the wheel
    reports = root / "_build" / "evidence" / "junit"
    for level in ("unit", "integration", "system"):
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "junit_family=xunit1", f"--junitxml={reports / f'{level}.xml'}", f"tests/{level}"],
            cwd=REPO / "examples" / "pji_risk", capture_output=True, text=True, check=False,
        )
        assert done.returncode == 0, done.stdout[-3000:]
    junit = installed.run(installed.bin("techfile"), "junit", cwd=root)
    assert junit.returncode == 0, junit.stderr
    # the training run recorded with the example's environment, read back by the installed techfile mlflow
    store = root / "_build" / "evidence" / "mlflow"
    store.mkdir(parents=True)
    training = subprocess.run(
        [sys.executable, "training/train.py", "--mlflow-uri", f"sqlite:///{store / 'mlflow.db'}", "--git-commit", provenance.commit(REPO)],
        cwd=REPO / "examples" / "pji_risk", capture_output=True, text=True, check=False,
    )
    assert training.returncode == 0, training.stderr[-3000:]
    # the example's DVC pipeline reproduced with the example's environment, its repository and labels copied beside
    # (not its cache: the locked content is read from the workspace), read by the installed techfile dvc and annotations
    example = REPO / "examples" / "pji_risk"
    bin_dir = Path(sys.executable).parent
    done = subprocess.run([str(bin_dir / "dvc"), "repro", "-q"], cwd=example, capture_output=True, text=True, check=False, env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"})
    assert done.returncode == 0, done.stderr[-3000:]
    for name in (".dvc", "dvc.yaml", "dvc.lock", "data", "labels"):
        source = example / name
        (shutil.copytree(source, root / "examples" / "pji_risk" / name, ignore=shutil.ignore_patterns("cache", "tmp")) if source.is_dir() else shutil.copy(source, root / "examples" / "pji_risk" / name))
    for kind in ("dvc", "annotations", "mlflow", "soup"):
        done = installed.run(installed.bin("techfile"), kind, cwd=root)
        assert done.returncode == 0, done.stdout + done.stderr
    # the month of post-market reports, made with Evidently in its own environment, read by the installed techfile monitoring
    from example_project import evidently_python

    month = subprocess.run([str(evidently_python()), "training/postmarket.py", "--output", str(root / "_build" / "evidence" / "monitoring" / "reports")], cwd=REPO / "examples" / "pji_risk", capture_output=True, text=True, check=False)
    assert month.returncode == 0, month.stderr[-3000:]
    done = installed.run(installed.bin("techfile"), "monitoring", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    # the build environment of the release (R26); the copy is no git checkout, so the commit is the repository's
    environment = installed.run(installed.bin("techfile"), "environment", "--commit", provenance.commit(REPO), cwd=root)
    assert environment.returncode == 0, environment.stderr

    wheel_check = installed.run(installed.bin("techfile"), "check", "--format", "json", cwd=root)
    assert wheel_check.returncode == 0, wheel_check.stdout[-3000:] + wheel_check.stderr
    editable_check = subprocess.run([sys.executable, "-m", "techfile", "check", "--format", "json"], cwd=root, capture_output=True, text=True, check=False)
    assert json.loads(wheel_check.stdout)["findings"] == json.loads(editable_check.stdout)["findings"]

    build = installed.run(installed.bin("sphinx-build"), "-W", "--keep-going", "-b", "html", "-q", ".", "_build/html", cwd=root)
    assert build.returncode == 0, build.stderr[-3000:]
