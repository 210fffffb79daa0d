"""``[tool.techfile]``: a bad table is refused with the file, the line and
the key (exit 2, no traceback); ``techfile config`` documents every key."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import textwrap

import pytest

from miniproject import REPO, Mini, pyproject
from techfile.cli import main
from techfile.evidence.registry import kinds
from techfile.project import Settings

JUNIT = textwrap.dedent(
    """
    [[tool.techfile.junit]]
    output = "needs/generated/junit.json"
    inputs = [{ path = "unit.xml", level = "unit" }]
    """
)


def check(mini: Mini, capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str]:
    mini.write_evidence()
    status = main(["check", "--project", str(mini.root), *arguments])
    return status, capsys.readouterr().err


def edit_pyproject(mini: Mini, old: str, new: str, extra: str = "") -> int:
    """Write [tool.techfile] with one edit; the line of the edited text."""
    text = pyproject(extra)
    assert old in text
    text = text.replace(old, new, 1)
    (mini.root / "pyproject.toml").write_text(text)
    first = new.splitlines()[-1]
    return next(n for n, line in enumerate(text.splitlines(), 1) if first in line)


def assert_refused(status: int, err: str, line: int, message: str) -> None:
    assert status == 2, err
    assert "Traceback" not in err
    assert re.match(rf"techfile: error: (\S*/)?pyproject\.toml:{line}: {re.escape(message)}", err), err
    assert err.rstrip().endswith(")") and "(fix: " in err, err


@pytest.mark.parametrize(
    ("old", "new", "extra", "message"),
    [
        ('release = "REL_1"', 'release_id = "REL_1"', "", "tool.techfile.release_id: unknown key (fix: did you mean 'release'? valid keys: "),
        ('sources = ["docs", "needs"]', 'sources = "needs"', "", "tool.techfile.sources: expected a list of strings, got a string 'needs' (fix: write a TOML array: sources = [\"needs\"])"),
        ('root_doc = "docs/index"', 'root_doc = "docs/index"\nneed_model = 5', "", "tool.techfile.need_model: expected string, got an integer 5 (fix: quote it: need_model = \"5\")"),
        ('output = "needs/generated/junit.json"', 'output = "needs/generated/junit.json"\nsoftware_versoin = "1.0.0"', JUNIT, "tool.techfile.junit[0].software_versoin: unknown key (fix: did you mean 'software_version'?"),
        ('level = "unit"', 'level = "unti"', JUNIT, "tool.techfile.junit[0].inputs[0].level: 'unti' is not one of \"unit\", \"integration\" or \"system\" (fix: did you mean 'unit'?"),
        ('root_doc = "docs/index"', 'root_doc = "docs/index"\nneed_model = "techfile:nonexistent"', "", "tool.techfile.need_model: 'techfile:nonexistent' is not a declaration techfile ships (fix: use \"techfile:default\""),
        ('root_doc = "docs/index"', 'root_doc = "docs/index"\nneed_model = "schemas/need_model.toml"', "", "tool.techfile.need_model: 'schemas/need_model.toml': no such file (fix: "),
        ('root_doc = "docs/index"', 'root_doc = "/docs/index"', "", "tool.techfile.root_doc: must be a path relative to the project root, without '..' (fix: write its path relative to the project root, without suffix: root_doc = \"docs/index\")"),
        ('sources = ["docs", "needs"]', "sources = []", "", "tool.techfile.sources: must name at least one folder (fix: list folders relative to the project root"),
    ],
    ids=["unknown-key", "string-for-list", "integer-for-string", "junit-unknown-key", "junit-bad-level", "unknown-shipped-model", "missing-model-file", "absolute-root-doc", "no-sources"],
)
def test_bad_setting_names_file_line_and_key(mini: Mini, capsys: pytest.CaptureFixture[str], old: str, new: str, extra: str, message: str) -> None:
    line = edit_pyproject(mini, old, new, extra)
    status, err = check(mini, capsys)
    if "level =" in new:  # ``techfile junit`` reads the same table the same way
        assert main(["junit", "--project", str(mini.root)]) == 2
        assert capsys.readouterr().err == err
    assert_refused(status, err, line, message)


@pytest.mark.parametrize(
    ("release", "why"),
    [("REL_9", "is not the ID of any need"), ("SWR_001", "is a swreq, not a release")],
)
def test_configured_release_must_be_a_release_need(mini: Mini, capsys: pytest.CaptureFixture[str], release: str, why: str) -> None:
    line = edit_pyproject(mini, 'release = "REL_1"', f'release = "{release}"')
    status, err = check(mini, capsys)
    assert_refused(status, err, line, f"the release under evaluation {release!r} {why} (releases: REL_1)")


def test_release_option_must_name_a_release(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    mini.append("release.md", "```{release} Release 2\n:id: REL_2\n:version: 2.0.0\n```\n")
    status, err = check(mini, capsys, "--release", "REL_3")
    assert status == 2 and "Traceback" not in err
    assert err == "techfile: error: --release 'REL_3' is not the ID of any need (releases: REL_1, REL_2) (fix: give the ID of a release need)\n"
    assert check(mini, capsys, "--release", "REL_2") == (1, "")  # evaluated: the results are for 1.0.0, not 2.0.0


def test_bad_setting_in_a_real_process_is_exit_two_without_traceback(mini: Mini) -> None:
    line = edit_pyproject(mini, 'release = "REL_1"', 'release_id = "REL_1"')
    mini.write_evidence()
    done = subprocess.run([sys.executable, "-m", "techfile", "check", "--project", str(mini.root)], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == (2, "")
    assert_refused(done.returncode, done.stderr, line, "tool.techfile.release_id: unknown key")


def config_reference(capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["config"]) == 0
    return capsys.readouterr().out


def test_config_documents_every_setting(capsys: pytest.CaptureFixture[str]) -> None:
    reference = config_reference(capsys)
    # ``extra`` is no key: it holds the evidence kinds' tables, documented below as their own tables
    keys = [f.name for f in dataclasses.fields(Settings) if f.name != "extra"]
    assert keys and "need_model" in keys
    assert reference.startswith("`[tool.techfile]`\n")
    for key in keys:
        assert re.search(rf"^\| `{key}` \| [^|]+ \| [^|]+ \| [^|]*\S[^|]* \|$", reference, re.MULTILINE), key
    for name, kind in kinds().items():
        assert f"`[[tool.techfile.{name}]]`" in reference
        for f in dataclasses.fields(kind.job_type):
            assert f"| `{f.name}` |" in reference, (name, f.name)


def test_readme_shows_the_config_reference(capsys: pytest.CaptureFixture[str]) -> None:
    """The README's settings section is `techfile config`'s output, so it cannot drift from the code."""
    reference = config_reference(capsys)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- techfile config -->", "<!-- /techfile config -->"
    assert start in readme and end in readme, f"README.md has no section between {start} and {end}; paste `techfile config` there"
    section = readme.split(start, 1)[1].split(end, 1)[0]
    assert section.strip("\n") == reference.strip("\n")
