"""``techfile init``: a new technical file in an existing repository, as a
user starts one; never overwrites a file, and a second run changes nothing."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from techfile.checks.run import load_declarations
from techfile.cli import main
from techfile.corpus import Corpus
from techfile.project import load_project
from techfile.readers.sources import read_corpus

DOCUMENTS = {
    "index", "development_plan", "srs", "architecture", "risk_management", "soup",
    "verification", "test_records", "traceability", "release", "gaps", "rules",
}
CORE_TYPES = {"statement", "user_need", "sysreq", "swreq", "item", "hazard", "risk_control", "testspec", "soup", "release"}
NEED_MODEL_RULES = {f"N0{n}" for n in range(1, 8)}
ACTION = re.compile(r"^  (wrote|updated|unchanged|kept)\s+(\S+)(?:  \((.*)\))?$")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An empty git repository."""
    root = tmp_path / "device"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def techfile(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    status = main(list(arguments))
    out, err = capsys.readouterr()
    return status, out, err


def actions(out: str) -> dict[str, str]:
    """What init did, by file: {"conf.py": "wrote", ...}; each file is reported once."""
    found = [match.groups()[:2] for line in out.splitlines() if (match := ACTION.match(line))]
    paths = [path for _, path in found]
    assert len(paths) == len(set(paths)), out
    return {path: verb for verb, path in found}


def files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` but git's, by relative path."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.relative_to(root).parts}


def corpus(root: Path) -> Corpus:
    project = load_project(root)
    return read_corpus(project, load_declarations(project).model)


def check_json(capsys: pytest.CaptureFixture[str], root: Path) -> tuple[int, dict[str, Any], str]:
    status, out, err = techfile(capsys, "check", "--project", str(root), "--format", "json")
    return status, json.loads(out) if out else {}, err


def test_init_writes_the_technical_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = techfile(capsys, "init", str(repo))
    assert (status, err) == (0, "")
    written = files(repo)
    assert actions(out) == dict.fromkeys(written, "wrote")  # one line per file, each of them new
    assert tomllib.loads(written["pyproject.toml"].decode())["tool"]["techfile"]["release"] == "REL_0_1_0"
    assert "techfile.sphinxext" in written["conf.py"].decode()
    assert {p.removeprefix("docs/").removesuffix(".md") for p in written if p.startswith("docs/")} >= DOCUMENTS
    assert "```{techfile-rules}" in written["docs/rules.md"].decode()
    assert "```{techfile-evidence}" in written["docs/test_records.md"].decode()
    assert {"schemas/need_model.toml", "schemas/trace_rules.toml", "schemas/risk_matrix.toml"} <= set(written)
    needs = corpus(repo)
    assert {need.type for need in needs if need.path.startswith("needs/")} >= CORE_TYPES
    assert all(need.path.startswith("needs/") for need in needs)


def test_check_reports_the_missing_evidence_and_no_model_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    techfile(capsys, "init", str(repo))
    status, report, err = check_json(capsys, repo)
    assert (status, err) == (1, "")
    findings: list[dict[str, Any]] = report["findings"]
    rules = {finding["rule"] for finding in findings}
    assert {"N10", "R05"} <= rules  # no test results imported yet, so nothing passed
    assert not rules & NEED_MODEL_RULES, [f for f in findings if f["rule"] in NEED_MODEL_RULES]


def test_safety_class_and_documentation_level_reach_the_needs(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = techfile(capsys, "init", str(repo), "--safety-class", "A", "--documentation-level", "basic")
    assert status == 0 and "software safety class A, FDA documentation level basic" in out
    needs = corpus(repo)
    system = [need for need in needs if need.type == "item" and need.get("level") == "system"]
    assert [need.get("safety_class") for need in system] == ["A"]
    levels = [need.get("documentation_level") for need in needs if need.get("kind") == "documentation_level"]
    assert levels == ["basic"]
    _, report, _ = check_json(capsys, repo)
    classes = {finding["safety_class"] for finding in report["findings"] if finding["need"]}
    assert classes == {"A"}


def test_second_run_writes_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    techfile(capsys, "init", str(repo))
    first = files(repo)
    status, out, _ = techfile(capsys, "init", str(repo))
    assert status == 0
    assert actions(out) == dict.fromkeys(first, "unchanged")
    assert files(repo) == first


def test_a_file_the_user_changed_is_kept(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    techfile(capsys, "init", str(repo))
    srs = repo / "docs" / "srs.md"
    srs.write_text("# Software Requirements Specification\n\nOur own words.\n")
    status, out, _ = techfile(capsys, "init", str(repo))
    assert status == 0
    done = actions(out)
    assert done["docs/srs.md"] == "kept"
    assert {verb for path, verb in done.items() if path != "docs/srs.md"} == {"unchanged"}
    assert "  kept      docs/srs.md  (exists; not overwritten)" in out.splitlines()
    assert srs.read_text() == "# Software Requirements Specification\n\nOur own words.\n"


def run_conf(path: Path) -> dict[str, object]:
    """Execute conf.py as Sphinx does: a fresh namespace as its globals."""
    namespace: dict[str, object] = {"__file__": str(path)}
    exec(compile(path.read_bytes(), str(path), "exec"), namespace)  # the user's own conf.py
    return namespace


@pytest.mark.parametrize(
    ("conf", "extensions"),
    [
        ('project = "Pump"\nextensions = ["sphinx.ext.autodoc", "myst_parser"]\n', ["sphinx.ext.autodoc", "myst_parser", "sphinx_needs", "techfile.sphinxext"]),
        ('project = "Pump"\nhtml_theme = "alabaster"\n\n\n', ["myst_parser", "sphinx_needs", "techfile.sphinxext"]),
        ('project = "Pump"\r\nextensions = ["sphinx.ext.todo"]\r\n', ["sphinx.ext.todo", "myst_parser", "sphinx_needs", "techfile.sphinxext"]),
    ],
    ids=["with-extensions", "without-extensions", "crlf"],
)
def test_existing_conf_py_gains_the_extensions(repo: Path, capsys: pytest.CaptureFixture[str], conf: str, extensions: list[str]) -> None:
    path = repo / "conf.py"
    path.write_bytes(conf.encode())
    status, out, _ = techfile(capsys, "init", str(repo))
    assert status == 0 and actions(out)["conf.py"] == "updated"
    text = path.read_bytes()
    assert text.startswith(conf.encode())  # the user's lines, byte for byte
    assert text.count(b"\r\n") == (text.count(b"\n") if "\r\n" in conf else 0)  # the file's own line endings
    namespace = run_conf(path)
    assert namespace["extensions"] == extensions
    assert namespace["project"] == "Pump"
    status, out, _ = techfile(capsys, "init", str(repo))
    assert actions(out)["conf.py"] == "unchanged" and path.read_bytes() == text


def test_conf_py_that_lists_techfile_is_untouched(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conf = 'project = "Pump"\nextensions = ["sphinx_needs", "techfile.sphinxext"]  # ours\n'
    (repo / "conf.py").write_text(conf)
    status, out, _ = techfile(capsys, "init", str(repo))
    assert status == 0 and actions(out)["conf.py"] == "unchanged"
    assert (repo / "conf.py").read_bytes() == conf.encode()


PYPROJECT = """\
[project]
name = "pump-controller"
version = "2.1.0"
dependencies = ["numpy>=2"]

[tool.ruff]
line-length = 120
select = ["E", "F"]   # kept as written
"""


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_existing_pyproject_keeps_its_tables_and_gains_techfile(repo: Path, capsys: pytest.CaptureFixture[str], newline: str) -> None:
    original = PYPROJECT.replace("\n", newline).encode()
    path = repo / "pyproject.toml"
    path.write_bytes(original)
    status, out, _ = techfile(capsys, "init", str(repo))
    assert status == 0 and actions(out)["pyproject.toml"] == "updated"
    text = path.read_bytes()
    assert text.startswith(original)
    assert text.count(b"\r\n") == (text.count(b"\n") if newline == "\r\n" else 0)  # the file's own line endings
    data = tomllib.loads(text.decode())
    assert data["project"] == tomllib.loads(PYPROJECT)["project"]
    assert data["tool"]["ruff"] == {"line-length": 120, "select": ["E", "F"]}
    assert data["tool"]["techfile"]["need_model"] == "schemas/need_model.toml"
    assert load_project(repo).release == "REL_0_1_0"


def test_pyproject_with_techfile_is_untouched(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = PYPROJECT + '\n[tool.techfile]\nsources = ["needs"]\n'
    (repo / "pyproject.toml").write_text(original)
    status, out, _ = techfile(capsys, "init", str(repo))
    assert status == 0 and actions(out)["pyproject.toml"] == "unchanged"
    assert (repo / "pyproject.toml").read_bytes() == original.encode()


@pytest.mark.slow
def test_sphinx_build_of_the_new_technical_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    techfile(capsys, "init", str(repo))
    outdir = repo / "_build" / "html"
    # without -W: the gaps (no test evidence yet) are real warnings
    done = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", str(repo), str(outdir)], capture_output=True, text=True, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    warnings = [line for line in output.splitlines() if "WARNING:" in line or "ERROR:" in line]
    assert warnings and all(re.search(r"\[techfile\.[A-Z][0-9]+\]$", line) for line in warnings), output
    built = json.loads((outdir / "techfile-findings.json").read_text())["findings"]
    _, report, _ = check_json(capsys, repo)
    assert built == report["findings"]
    assert (outdir / "docs" / "rules.html").is_file()


@pytest.mark.parametrize(("name", "text", "message"), [("pyproject.toml", "[project\nname = 'x'\n", "pyproject.toml is not valid TOML"), ("conf.py", "extensions = [\n", "conf.py is not valid Python")])
def test_a_file_init_cannot_read_stops_it_before_it_writes_anything(repo: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, message: str) -> None:
    (repo / name).write_text(text)
    before = files(repo)
    status, _, err = techfile(capsys, "init", str(repo))
    assert status == 2 and message in err and "Traceback" not in err
    assert files(repo) == before
