"""The ``techfile`` command as a process: exit statuses (usage, internal
error, Ctrl-C, SIGTERM, a closed pipe), paths relative to where the reader
stands, and writes that survive being killed or raced.

Every test runs a real ``techfile`` process. The internal error is provoked
in a real process too, by a broken evidence plugin (an entry point, the way
a third-party kind is installed) or by a wrapper script that replaces one
command's handler with one that raises before it calls
:func:`techfile.cli.main`: the error path is what is under test.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sphinx.application import Sphinx
from sphinx.util.docutils import docutils_namespace

from miniproject import REPO, Mini
from sphinxbuild import add_sphinx_files
from techfile import __version__
from techfile.cli import EXIT_STATUS
from techfile.errors import TechfileError, shown_path
from techfile.fileio import temporaries, write_atomic
from techfile.sphinxext.configure import declaration_error
from techfile.sphinxext.state import Message

BIN = Path(sys.executable).parent
TECHFILE = [str(BIN / "techfile")] if (BIN / "techfile").exists() else [sys.executable, "-m", "techfile"]


def techfile(*arguments: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TECHFILE, *arguments], cwd=cwd, capture_output=True, text=True, check=False, env={**os.environ, **(env or {})})


def start(*arguments: str, cwd: Path, command: list[str] | None = None) -> subprocess.Popen[str]:
    """A ``techfile`` process in the background, with Ctrl-C at its default.

    The test runner may have been started with SIGINT ignored (a CI job in
    the background), which the child would inherit; Python only turns SIGINT
    into KeyboardInterrupt when it starts with the default action.
    """
    return subprocess.Popen(
        [*(command or TECHFILE), *arguments], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def junit_report(path: Path, cases: int) -> Path:
    """A JUnit XML report of ``cases`` passing cases: ~3 s of work per 30 000 cases, ~640 bytes of output each."""
    with path.open("w") as stream:
        stream.write(f'<?xml version="1.0"?>\n<testsuites><testsuite name="big" tests="{cases}">\n')
        for i in range(cases):
            stream.write(f'<testcase classname="tests.test_module{i % 97}" name="test_case_{i}" time="0.001"/>\n')
        stream.write("</testsuite></testsuites>\n")
    return path


def startup_seconds(cwd: Path) -> float:
    """How long ``techfile`` takes to import everything and build its parser, here and now."""
    began = time.monotonic()
    techfile("--version", cwd=cwd)
    return time.monotonic() - began


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[Any], timeout: float = 60) -> bool:
    """Poll ``condition`` until it holds (True) or the process ends first (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.001)
    raise AssertionError("timed out")


# --- exit statuses -----------------------------------------------------------


def test_help_lists_every_exit_status(tmp_path: Path) -> None:
    done = techfile("--help", cwd=tmp_path)
    assert done.returncode == 0
    assert EXIT_STATUS in done.stdout
    for status, meaning in (("0", "no open gap"), ("1", "open gaps"), ("2", "bad input or usage"), ("3", "internal error"), ("128+N", "stopped by signal N: 130 Ctrl-C")):
        assert re.search(rf"^  {re.escape(status)} +{meaning}", done.stdout, re.M), status


def test_readme_lists_the_same_exit_statuses() -> None:
    section = (REPO / "README.md").read_text().split("## The `techfile` command", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| (\d+|128\+N) \| (.+) \|$", section, re.M))
    assert list(rows) == ["0", "1", "2", "3", "128+N"]
    assert rows["0"] == "no open gap" and rows["1"] == "open gaps"
    assert "--debug" in rows["3"] and "130 Ctrl-C" in rows["128+N"] and "143 SIGTERM" in rows["128+N"]


@pytest.mark.parametrize("arguments", [("frobnicate",), ("check", "--format", "yaml"), ("check", "--no-such-option"), ("--no-such-option",)])
def test_usage_error_exits_two_with_argparse_usage(tmp_path: Path, arguments: tuple[str, ...]) -> None:
    done = techfile(*arguments, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("usage: techfile")
    assert "error:" in done.stderr and "Traceback" not in done.stderr


WRAPPER = """\
import sys

import techfile.commands.config


def run(args):
    raise RuntimeError("a bug in the config command\\nwith a second line")


techfile.commands.config.run = run
from techfile.cli import main

sys.exit(main(sys.argv[1:]))
"""


def crash_reports(folder: Path) -> list[Path]:
    return sorted(folder.glob("techfile-error-*.log"))


def one_line_internal_error(stderr: str, temp: Path) -> Path:
    """The single line of an internal error; the crash report it names."""
    line = stderr.strip().splitlines()[-1]
    assert line.startswith(f"techfile: internal error of techfile {__version__}, not a problem of your files (")
    saved = re.search(r"the full traceback is saved in (\S+); please report it with that file", line)
    assert saved, line
    report = Path(saved.group(1))
    assert report.parent == temp and report.is_file()
    return report


@pytest.mark.parametrize("arguments", [("config",), ("config", "--debug"), ("--debug", "config")])
def test_internal_error_is_one_line_naming_the_saved_traceback(tmp_path: Path, arguments: tuple[str, ...]) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    wrapper = tmp_path / "wrapper.py"
    wrapper.write_text(WRAPPER)
    done = subprocess.run([sys.executable, str(wrapper), *arguments], cwd=tmp_path, capture_output=True, text=True, check=False, env={**os.environ, "TMPDIR": str(temp)})
    assert done.returncode == 3
    assert done.stdout == ""
    report = one_line_internal_error(done.stderr, temp)
    assert "(RuntimeError: a bug in the config command)" in done.stderr
    assert crash_reports(temp) == [report]
    text = report.read_text()
    assert text.startswith(f"techfile {__version__}: internal error\ncommand: techfile {' '.join(arguments)}\n")
    assert "Traceback (most recent call last):" in text and 'raise RuntimeError("a bug in the config command' in text
    assert "packages: sphinx " in text
    if "--debug" in arguments:
        assert done.stderr.startswith("Traceback (most recent call last):")
        assert "with a second line" in done.stderr
        assert len(done.stderr.strip().splitlines()) > 3
    else:
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        assert done.stderr.rstrip().endswith("(--debug prints it here)")


def broken_plugin(folder: Path) -> dict[str, str]:
    """An installed distribution whose ``techfile.evidence`` entry point fails to load; the environment that sees it."""
    (folder / "broken_kind.py").write_text('raise ImportError("broken_kind needs a library that is not installed")\n')
    info = folder / "broken_kind-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-kind\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[techfile.evidence]\nbroken = broken_kind:KIND\n")
    return {"PYTHONPATH": os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}


@pytest.mark.parametrize("debug", [False, True])
def test_broken_evidence_plugin_is_an_internal_error(tmp_path: Path, debug: bool) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**broken_plugin(tmp_path), "TMPDIR": str(temp)}
    # the parser is built from the plugins, so --debug is honoured before the arguments are parsed
    done = techfile(*(["--debug"] if debug else []), "config", cwd=tmp_path, env=env)
    assert done.returncode == 3
    report = one_line_internal_error(done.stderr, temp)
    assert "(ImportError: broken_kind needs a library that is not installed)" in done.stderr
    assert "broken_kind.py" in report.read_text()
    assert ("Traceback (most recent call last):" in done.stderr) is debug


def test_ctrl_c_exits_130_with_one_line(tmp_path: Path) -> None:
    report = junit_report(tmp_path / "big.xml", 100_000)  # ~10 s of parsing and mapping
    output = tmp_path / "out" / "junit.json"
    pause = max(1.0, 2 * startup_seconds(tmp_path))
    process = start("junit", str(report), "-o", str(output), "--software-version", "1.0", "--commit", "abc", cwd=tmp_path)
    time.sleep(pause)
    assert process.poll() is None, "the report was read before Ctrl-C: make it larger"
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert err == "techfile: interrupted\n"
    assert out == ""
    assert not output.exists()
    assert not output.parent.exists() or temporaries(output) == []


def test_sigterm_in_the_middle_of_a_write_exits_143_and_removes_the_temporary(tmp_path: Path) -> None:
    report = junit_report(tmp_path / "big.xml", 30_000)  # a ~20 MB needs.json
    for attempt in range(5):
        output = tmp_path / f"out{attempt}" / "junit.json"
        process = start("junit", str(report), "-o", str(output), "--software-version", "1.0", "--commit", "abc", cwd=tmp_path)
        if wait_for(lambda output=output: output.parent.exists() and bool(temporaries(output)), process):  # type: ignore[misc]
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=60)
            if output.exists():
                continue  # the signal came after the rename: the write was already complete
            assert process.returncode == 143
            assert err == "techfile: stopped by SIGTERM\n"
            assert temporaries(output) == []
            return
        process.communicate()
    pytest.fail("never caught the write in the middle in 5 attempts")


def test_closed_output_pipe_exits_141_quietly(tmp_path: Path) -> None:
    reader, writer = os.pipe()
    os.close(reader)  # the reader is gone before techfile writes: `techfile config | true`
    try:
        done = subprocess.run([*TECHFILE, "config"], cwd=tmp_path, stdout=writer, stderr=subprocess.PIPE, text=True, check=False)
    finally:
        os.close(writer)
    assert done.returncode == 141
    assert done.stderr == ""


# --- paths relative to the reader --------------------------------------------


def test_shown_path_is_relative_under_the_folder_and_as_given_elsewhere(tmp_path: Path) -> None:
    assert shown_path(tmp_path / "schemas" / "rules.toml", tmp_path) == "schemas/rules.toml"
    assert shown_path(tmp_path, tmp_path) == "."
    assert shown_path("/elsewhere/rules.toml", tmp_path) == "/elsewhere/rules.toml"
    assert shown_path("needs/a.md", tmp_path) == "needs/a.md"  # already relative: kept
    assert shown_path(tmp_path / "a.md", None) == str(tmp_path / "a.md")
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert shown_path(tmp_path / "link" / "a.md", tmp_path / "real") == "a.md"  # the folder as the OS reports it, resolved


def test_render_puts_the_relative_path_before_line_message_and_fix(tmp_path: Path) -> None:
    error = TechfileError("unknown field 'colour'", path=tmp_path / "schemas" / "need_model.toml", line=4, fix="declare it")
    assert error.render(relative_to=tmp_path) == "schemas/need_model.toml:4: unknown field 'colour' (fix: declare it)"
    assert error.render() == f"{tmp_path}/schemas/need_model.toml:4: unknown field 'colour' (fix: declare it)"
    assert TechfileError("no line", path=tmp_path / "x.toml").render(relative_to=tmp_path) == "x.toml: no line"


@pytest.fixture
def broken_model(mini: Mini) -> Path:
    """The mini project with its own need model, broken at line 4."""
    model = mini.root / "schemas" / "need_model.toml"
    model.parent.mkdir()
    model.write_text('extends = "techfile:default"\n\n[types.swreq]\nfields = ["category", "colour"]\n')
    pyproject = mini.root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("[tool.techfile]\n", '[tool.techfile]\nneed_model = "schemas/need_model.toml"\n'))
    mini.write_evidence()
    return model


@pytest.mark.parametrize(("where", "shown"), [("root", "schemas/need_model.toml"), ("parent", "project/schemas/need_model.toml"), ("outside", None)])
def test_command_shows_declaration_paths_relative_to_the_current_folder(mini: Mini, broken_model: Path, tmp_path: Path, where: str, shown: str | None) -> None:
    cwd = {"root": mini.root, "parent": mini.root.parent, "outside": tmp_path / "elsewhere"}[where]
    cwd.mkdir(exist_ok=True)
    done = techfile("check", "--project", str(mini.root), cwd=cwd)
    assert done.returncode == 2
    assert done.stderr.startswith(f"techfile: error: {shown or broken_model}:4: type 'swreq' lists unknown field 'colour' in fields")


def test_command_in_a_removed_folder_shows_paths_as_given(mini: Mini, broken_model: Path, tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    process = subprocess.Popen([*TECHFILE, "check", "--project", str(mini.root)], cwd=gone, stderr=subprocess.PIPE, text=True, preexec_fn=lambda: os.rmdir(gone))
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert err.startswith(f"techfile: error: {broken_model}:4: ")


def sphinx_app(root: Path, log: io.StringIO) -> Sphinx:
    with docutils_namespace():
        app = Sphinx(str(root), str(root), str(root / "_build" / "dummy"), str(root / "_build" / "doctrees"), "dummy", status=None, warning=log, freshenv=True)
    return app


def test_sphinx_declaration_error_is_at_path_and_line_relative_to_the_project(mini: Mini, tmp_path: Path) -> None:
    add_sphinx_files(mini.root)
    mini.write_evidence()
    log = io.StringIO()
    app = sphinx_app(mini.root, log)
    no_line = TechfileError("the trace rules declare no rules", path=mini.root / "schemas" / "trace_rules.toml", fix="add [[rules]]")
    declaration_error(no_line, "no traceability rule is evaluated", app=app)
    declaration_error(TechfileError("bad key", path=mini.root / "pyproject.toml", line=7), "no rule", app=app)
    lines = re.sub(r"\x1b\[[0-9;]*m", "", log.getvalue()).splitlines()  # Sphinx colours what it logs
    assert "schemas/trace_rules.toml:1: ERROR: the trace rules declare no rules (fix: add [[rules]]); no traceability rule is evaluated [techfile.declaration]" in lines
    assert "pyproject.toml:7: ERROR: bad key; no rule [techfile.declaration]" in lines
    assert not any(".toml.rst" in line for line in lines)
    pending: list[Message] = []
    declaration_error(no_line, "later", pending, app=app)
    assert pending == [Message(True, "the trace rules declare no rules (fix: add [[rules]]); later", "declaration", "schemas/trace_rules.toml:1")]


def test_sphinx_declaration_error_without_app_is_relative_to_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    pending: list[Message] = []
    declaration_error(TechfileError("broken", path=tmp_path / "schemas" / "rules.toml"), "no rule", pending)
    declaration_error(TechfileError("broken", path="/elsewhere/rules.toml", line=3), "no rule", pending)
    declaration_error(TechfileError("broken"), "no rule", pending)
    assert [m.location for m in pending] == ["schemas/rules.toml:1", "/elsewhere/rules.toml:3", None]


# --- writes that are killed or raced -------------------------------------------

WRITER = """\
import sys
from pathlib import Path

from techfile.fileio import write_atomic

path, byte, size, times = Path(sys.argv[1]), sys.argv[2].encode(), int(sys.argv[3]), int(sys.argv[4])
go = Path(sys.argv[5]) if len(sys.argv) > 5 else None
while go is not None and not go.exists():
    pass
for _ in range(times):
    write_atomic(path, byte * size)
"""


def writer(tmp_path: Path, output: Path, byte: str, size: int, times: int = 1, go: Path | None = None) -> subprocess.Popen[bytes]:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    return subprocess.Popen([sys.executable, str(script), str(output), byte, str(size), str(times), *([str(go)] if go else [])])


def test_killed_write_leaves_a_temporary_that_the_next_write_removes(tmp_path: Path) -> None:
    size = 50_000_000
    output = tmp_path / "out" / "needs.json"
    write_atomic(output, b"previous")
    for _ in range(10):
        process = writer(tmp_path, output, "k", size)
        caught = wait_for(lambda: bool(temporaries(output)), process)
        process.kill()
        process.wait()
        if caught and output.read_bytes() == b"previous":
            break
        write_atomic(output, b"previous")  # the write finished before SIGKILL: again
    else:
        pytest.fail("never caught the write in the middle in 10 attempts")
    stale = temporaries(output)
    assert [pid for _, pid in stale] == [process.pid]  # SIGKILL leaves it: no process could clean up
    assert stale[0][0].name.startswith(f".needs.json.techfile-{process.pid}-")
    assert output.read_bytes() == b"previous"  # the output is untouched
    second = writer(tmp_path, output, "n", size)
    assert second.wait(timeout=60) == 0
    assert temporaries(output) == []
    assert output.read_bytes() == b"n" * size


def test_concurrent_writers_leave_one_complete_output(tmp_path: Path) -> None:
    output = tmp_path / "needs.json"
    payloads = {b"a" * 4_000_000, b"b" * 4_000_001}  # lengths differ too: a truncated or mixed file matches neither
    write_atomic(output, b"a" * 4_000_000)
    for round_ in range(4):
        go = tmp_path / f"go{round_}"
        processes = [writer(tmp_path, output, "a", 4_000_000, 5, go), writer(tmp_path, output, "b", 4_000_001, 5, go)]
        go.touch()
        reads = 0
        while any(p.poll() is None for p in processes):
            assert output.read_bytes() in payloads  # a reader never sees a partial file
            reads += 1
        assert [p.wait() for p in processes] == [0, 0]
        assert output.read_bytes() in payloads
        assert temporaries(output) == []
        assert reads > 0


def fake_temporary(output: Path, pid: int) -> Path:
    temporary = output.parent / f".{output.name}.techfile-{pid}-0123abcd.tmp"
    temporary.write_bytes(b"half a file")
    return temporary


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_temporary_of_a_live_writer_is_kept(tmp_path: Path) -> None:
    output = tmp_path / "needs.json"
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        live = fake_temporary(output, sleeper.pid)
        write_atomic(output, b"new")
        assert live.exists() and output.read_bytes() == b"new"
    finally:
        sleeper.kill()
        sleeper.wait()
    write_atomic(output, b"newer")
    assert not live.exists()


def test_temporary_locked_by_a_live_process_is_kept_whatever_its_pid(tmp_path: Path) -> None:
    """A writer in another pid namespace (another container on the same volume): its pid means nothing here, its lock does."""
    output = tmp_path / "needs.json"
    temporary = fake_temporary(output, dead_pid())
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'rb'); fcntl.flock(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)", str(temporary)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        write_atomic(output, b"new")
        assert temporary.exists()
    finally:
        holder.kill()
        holder.wait()
    write_atomic(output, b"newer")
    assert not temporary.exists() and output.read_bytes() == b"newer"


def test_only_temporaries_of_the_same_output_are_removed(tmp_path: Path) -> None:
    output = tmp_path / "needs.json"
    pid = dead_pid()
    mine, other = fake_temporary(output, pid), fake_temporary(tmp_path / "other.json", pid)
    unrelated = tmp_path / ".needs.json.12345.tmp"  # not a name techfile gives: never touched
    unrelated.write_bytes(b"someone's")
    write_atomic(output, b"new")
    assert not mine.exists() and other.exists() and unrelated.exists()


def test_write_follows_a_symbolic_link_and_keeps_it(tmp_path: Path) -> None:
    real = tmp_path / "real" / "needs.json"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "needs.json"
    link.symlink_to(real)
    write_atomic(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"


def test_write_keeps_the_permissions_of_the_file_and_gives_a_new_one_the_umask(tmp_path: Path) -> None:
    kept = tmp_path / "conf.py"
    kept.write_text("old")
    kept.chmod(0o750)
    write_atomic(kept, b"new")
    assert kept.stat().st_mode & 0o777 == 0o750
    umask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "new.json", b"{}")
    finally:
        os.umask(umask)
    assert (tmp_path / "new.json").stat().st_mode & 0o777 == 0o644  # as open() gives, not mkstemp's 0600


def test_long_output_name_still_gets_a_temporary(tmp_path: Path) -> None:
    output = tmp_path / ("é" * 120 + ".json")  # 245 bytes: a valid name, too long with a suffix added
    write_atomic(output, b"{}")
    assert output.read_bytes() == b"{}"


def test_main_in_process_restores_the_signal_handlers() -> None:
    from techfile.cli import main

    before = signal.getsignal(signal.SIGTERM)
    assert main(["config"]) == 0
    assert signal.getsignal(signal.SIGTERM) is before
