"""Outputs that cannot be written, one test per case, each through a real
``techfile`` process: the exit status is 2, the one message names the output
(relative to the current folder) and the fix, and no file changed: the
previous output keeps its bytes and no temporary is left beside it.

Every failure is real, none is simulated. The tests run as root here, for
whom permission bits mean nothing, so "no write permission" is a folder (or
file) made immutable with ``chattr +i``, which refuses even root (EPERM); as
another user it is ``chmod 555`` (EACCES). The read-only and the full disk
are small tmpfs mounts (``mount -t tmpfs -o size=64k``, remounted read-only
for EROFS, filled to the last block for ENOSPC). Where the system refuses
to mount or to set the attribute, the test is skipped and says why.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from miniproject import Mini

BIN = Path(sys.executable).parent
TECHFILE = [str(BIN / "techfile")] if (BIN / "techfile").exists() else [sys.executable, "-m", "techfile"]
ROOT = os.geteuid() == 0
PERMISSION_DENIED = "operation not permitted" if ROOT else "permission denied"  # chattr +i: EPERM; chmod: EACCES
WRITE_FIX = "(fix: make its folder writable for this user, or write the output elsewhere)"


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (hidden ones, temporaries included) and its bytes."""
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def refused(root: Path, *arguments: str) -> str:
    """Run ``techfile`` in ``root``: exit 2, no traceback, no file changed; its message."""
    before = snapshot(root)
    done = subprocess.run([*TECHFILE, *arguments], cwd=root, capture_output=True, text=True, check=False)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert snapshot(root) == before
    return done.stderr


@pytest.fixture(autouse=True)
def crash_reports_apart(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Crash reports of a case that fails as an internal error go to a temp folder of the test session, not to /tmp."""
    monkeypatch.setenv("TMPDIR", str(tmp_path_factory.mktemp("crash-reports")))


@pytest.fixture
def project(mini: Mini) -> Path:
    mini.write_evidence()
    return mini.root


@contextlib.contextmanager
def unwritable(path: Path) -> Iterator[None]:
    """``path`` (a folder or a file) that this process cannot change, even as root."""
    if ROOT:
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"chattr +i is refused here ({done.stderr.strip()}), and root ignores permission bits")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)


@pytest.fixture
def disk(project: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs mounted in the project, with an earlier report on it."""
    folder = project / "disk"
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        (folder / "report.json").write_text('{"previous": true}\n')
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> None:
    """Write to ``folder``'s file system until it has no block left."""
    with (folder / "filler").open("wb", buffering=0) as stream:
        try:
            while True:
                stream.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    with pytest.raises(OSError, match="No space left"), (folder / "probe").open("wb", buffering=0) as probe:
        probe.write(b"x")
    (folder / "probe").unlink()


def junit_report(folder: Path) -> Path:
    report = folder / "report.xml"
    report.write_text('<testsuite name="s">' + "".join(f'<testcase classname="t" name="test_{i}"/>' for i in range(500)) + "</testsuite>\n")
    return report


# --- a file where a folder should be ------------------------------------------------


def test_output_under_a_regular_file(project: Path) -> None:
    (project / "out").write_text("a file\n")
    err = refused(project, "check", "--output", str(project / "out" / "report.txt"))
    assert err == "techfile: error: out/report.txt: cannot write the file: 'out' in its path is a file, not a folder (fix: move the file 'out' away, or write the output elsewhere)\n"


def test_output_deeper_under_a_regular_file(project: Path) -> None:
    (project / "out").write_text("a file\n")
    err = refused(project, "check", "--output", "out/sub/report.txt")
    assert err == "techfile: error: out/sub/report.txt: cannot write the file: 'out' in its path is a file, not a folder (fix: move the file 'out' away, or write the output elsewhere)\n"


def test_output_is_a_folder(project: Path) -> None:
    err = refused(project, "check", "--output", "docs")
    assert err == "techfile: error: docs: cannot write the file: it is a folder (fix: name a file, not a folder, as the output)\n"


def test_generator_output_under_a_regular_file(project: Path) -> None:
    junit_report(project)
    (project / "needs" / "generated" / "junit.json").mkdir()
    (project / "needs" / "generated" / "junit.json" / "x").write_text("in the way\n")
    err = refused(project, "junit", "report.xml", "-o", "needs/generated/junit.json/", "--software-version", "1", "--commit", "abc")
    assert err.startswith("techfile: error: needs/generated/junit.json: cannot write the file: it is a folder")


# --- no permission ---------------------------------------------------------------------


def test_output_in_a_folder_without_write_permission(project: Path) -> None:
    folder = project / "reports"
    folder.mkdir()
    (folder / "report.txt").write_text("the previous report\n")
    with unwritable(folder):
        err = refused(project, "check", "--output", str(folder / "report.txt"))
    assert err == (
        f"techfile: error: reports/report.txt: cannot write the file: {PERMISSION_DENIED} "
        f"(techfile writes a temporary file in its folder, then renames it over the file) {WRITE_FIX}\n"
    )


def test_new_folder_for_output_in_a_folder_without_write_permission(project: Path) -> None:
    folder = project / "reports"
    folder.mkdir()
    with unwritable(folder):
        err = refused(project, "check", "--output", "reports/2026/report.txt")
    assert err.startswith(f"techfile: error: reports/2026/report.txt: cannot write the file: {PERMISSION_DENIED} ")
    assert err.endswith(f"{WRITE_FIX}\n")


def test_init_into_a_folder_without_write_permission(tmp_path: Path) -> None:
    repository = tmp_path / "repository"
    repository.mkdir()
    with unwritable(repository):
        err = refused(tmp_path, "init", "repository")
    assert err.startswith(f"techfile: error: repository/conf.py: cannot write the file: {PERMISSION_DENIED} ")
    assert err.endswith(f"{WRITE_FIX}\n")
    assert os.listdir(repository) == []


@pytest.mark.skipif(not ROOT, reason="a file that cannot be replaced in a writable folder needs chattr +i, which needs root")
def test_init_update_of_a_conf_py_that_cannot_be_replaced(tmp_path: Path) -> None:
    conf = tmp_path / "conf.py"
    conf.write_text('project = "x"\n')
    with unwritable(conf):
        err = refused(tmp_path, "init", ".")
    assert err.startswith(f"techfile: error: conf.py: cannot write the file: {PERMISSION_DENIED} ")
    assert not [name for name in os.listdir(tmp_path) if name != "conf.py"]


# --- read-only and full disks -------------------------------------------------------------


def test_output_on_a_read_only_file_system(project: Path, disk: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    err = refused(project, "check", "--format", "json", "--output", "disk/report.json")
    assert err == "techfile: error: disk/report.json: cannot write the file: its file system is read-only (fix: write the output to a writable folder)\n"


def test_output_on_a_full_disk(project: Path, disk: Path) -> None:
    fill(disk)
    err = refused(project, "check", "--format", "json", "--output", "disk/report.json")
    assert err == (
        "techfile: error: disk/report.json: cannot write the file: no space left on its disk (the previous file, if any, is unchanged) "
        "(fix: free some space on that disk, or write the output elsewhere)\n"
    )


def test_generator_output_on_a_full_disk(project: Path, disk: Path) -> None:
    junit_report(project)
    (disk / "junit.json").write_text('{"previous": true}\n')
    fill(disk)
    err = refused(project, "junit", "report.xml", "-o", str(disk / "junit.json"), "--software-version", "1", "--commit", "abc")
    assert err.startswith("techfile: error: disk/junit.json: cannot write the file: no space left on its disk")


def test_generator_output_larger_than_the_disk(project: Path, disk: Path) -> None:
    """Space for the file's start but not its end: the write fails in the middle, the temporary goes."""
    junit_report(project)  # 500 results: about 300 KiB of needs.json on a 64 KiB disk
    err = refused(project, "junit", "report.xml", "-o", "disk/junit.json", "--software-version", "1", "--commit", "abc")
    assert err.startswith("techfile: error: disk/junit.json: cannot write the file: no space left on its disk")


# --- names ------------------------------------------------------------------------------------


def test_output_name_too_long(project: Path) -> None:
    err = refused(project, "check", "--output", "r" * 300 + ".txt")
    assert err == f"techfile: error: {'r' * 300}.txt: cannot write the file: its name is too long (fix: choose a shorter name)\n"
