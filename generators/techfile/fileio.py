"""Atomic file output, for every file techfile writes: the generators'
needs.json, ``techfile check --output``, ``techfile init``'s files.

What it promises:

* A reader never sees a half-written file, and a failed write leaves the
  previous file as it was: the data goes to a temporary file, is flushed to
  disk, and :func:`os.replace` renames it over the output in one step.
* Two runs writing the same output at once leave one complete output (the
  one renamed last): each writes its own temporary, and a rename is atomic.
* A write that fails is a :class:`~techfile.errors.TechfileError` naming the
  output and the fix (a file where a folder should be, no permission, a
  read-only or full disk), never a traceback.
* No temporary outlives its writer for long, whatever ends the writer.

Where the temporary lives, and why. It must be in the output's own folder:
``os.replace`` is atomic only within one file system, and the system temp
folder is often another (a tmpfs), where the rename would become a copy
that a reader can catch half-done. So a writer that dies leaves its
temporary next to the output, inside the repository, where ``git add -A``
would commit it. Its name therefore says whose it is:
``.<output name>.techfile-<pid>-<random>.tmp`` (hidden, named after its
output and the process writing it). A Python exception, Ctrl-C and, through
the command line's handler, SIGTERM and SIGHUP remove it at once. SIGKILL,
the OOM killer or a power cut give no chance to clean up, so every write
first removes the *stale* temporaries of the same output: those whose writer
is gone. A writer is gone when no process has its pid (``os.kill(pid, 0)``)
**and** nobody holds the lock the writer keeps on its temporary while it
writes (``flock``, which the kernel drops when the process dies, SIGKILL
included). Both must say so: the pid alone would remove a live writer's
temporary when the pid is of another pid namespace (two containers sharing a
volume), the lock alone in the instant between creating the temporary and
locking it. A reused pid only keeps a stale temporary until that process
ends. On Windows (no ``flock``, and ``os.kill`` would terminate the process)
stale temporaries are left alone.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import sys
from pathlib import Path

from techfile.errors import TechfileError

if sys.platform != "win32":
    import fcntl

_NAME_KEPT = 40
"""Characters of the output's name kept in its temporary's: 40 characters of
up to 4 UTF-8 bytes each, plus the pid and random part, stay under the 255
bytes a file name may have, so a long output name still gets a temporary."""
_TEMPORARY = re.compile(r"(?P<pid>\d+)-[0-9a-f]+\.tmp")


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, creating its folders.

    A symbolic link is followed (the file it points to is written, the link
    kept), as ``open(path, "w")`` would. :class:`TechfileError` when the file
    cannot be written; the previous file is then unchanged.
    """
    try:
        target = Path(os.path.realpath(path)) if path.is_symlink() else path
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(target)
        _write_and_replace(target, data)
    except OSError as exc:
        raise write_error(path, exc) from exc


def temporaries(path: Path) -> list[tuple[Path, int]]:
    """The temporaries of writes to ``path`` now on disk, each with its writer's pid."""
    prefix = _prefix(path)
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return []
    found = []
    for entry in entries:
        if entry.name.startswith(prefix) and (match := _TEMPORARY.fullmatch(entry.name, len(prefix))):
            found.append((Path(entry.path), int(match["pid"])))
    return found


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove the temporaries of writes to ``path`` whose writer is gone; those removed."""
    if sys.platform == "win32":
        return []
    removed = []
    for temporary, pid in temporaries(path):
        if pid != os.getpid() and not _process_exists(pid) and _remove_unless_locked(temporary):
            removed.append(temporary)
    return removed


def _prefix(path: Path) -> str:
    return f".{path.name[:_NAME_KEPT]}.techfile-"


_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


class _NameTaken(Exception):
    """A file with the temporary's name exists already: not ours to remove; another name is tried."""


def _write_and_replace(target: Path, data: bytes) -> None:
    """Write through a new temporary, removed whatever interrupts the write.

    The name is chosen before the file is created and removed by name on any
    exception, so that a signal arriving just after the file is created (a
    Python handler runs between any two bytecodes) cannot leave it behind.
    Removing by name is safe: the name holds this process's pid, which no
    other live writer has.
    """
    for _ in range(100):
        temporary = target.parent / f"{_prefix(target)}{os.getpid()}-{secrets.token_hex(4)}.tmp"
        try:
            _write_through(temporary, target, data)
            return
        except _NameTaken:
            continue
        except BaseException:
            with contextlib.suppress(OSError):  # the error to report is the one that stopped the write
                temporary.unlink(missing_ok=True)
            raise
    raise FileExistsError(errno.EEXIST, "no free name for a temporary file", str(target.parent))


def _write_through(temporary: Path, target: Path, data: bytes) -> None:
    try:
        # the permissions open() gives (0666 less the umask), not mkstemp's 0600
        handle = os.open(temporary, _FLAGS, 0o666)
    except FileExistsError:
        raise _NameTaken from None
    with os.fdopen(handle, "wb") as stream:
        if sys.platform != "win32":
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX)
            _keep_mode(target, stream.fileno())
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    # the lock goes with the close; until the rename, the live pid still marks the temporary as ours
    os.replace(temporary, target)
    _sync_folder(target.parent)


def _keep_mode(target: Path, handle: int) -> None:
    """An output that exists keeps its permissions (an executable conf.py stays executable)."""
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return
    os.fchmod(handle, mode)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; a file system that cannot sync a folder is not an error."""
    if sys.platform == "win32":
        return
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _process_exists(pid: int) -> bool:
    if pid <= 0:
        return False  # never a writer's pid; os.kill(0, 0) would signal our own process group
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OverflowError, ValueError):
        return False  # beyond any pid
    except OSError:
        return True  # EPERM: it exists, and is another user's
    return True


def _remove_unless_locked(temporary: Path) -> bool:
    """Remove ``temporary`` unless a live writer holds its lock; a file that cannot be opened is left."""
    try:
        handle = os.open(temporary, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a writer holds it
        except OSError:
            pass  # a file system without flock (ENOLCK): the dead pid decides alone
        temporary.unlink()
        return True
    except OSError:
        return False  # gone already (another writer cleaned it), or the folder is not writable
    finally:
        os.close(handle)


def write_error(path: Path, exc: OSError) -> TechfileError:
    """Why ``path`` could not be written, and what to do, as a :class:`TechfileError` at ``path``."""
    code = exc.errno
    if isinstance(exc, IsADirectoryError) or _kind(path) == "folder":
        return TechfileError("cannot write the file: it is a folder", path=path, fix="name a file, not a folder, as the output")
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        blocker = _file_in_the_way(path)
        name = repr(blocker.name) if blocker else "a part"
        return TechfileError(
            f"cannot write the file: {name} in its path is a file, not a folder",
            path=path,
            fix=f"move the file {name} away, or write the output elsewhere",
        )
    if code == errno.EROFS:
        return TechfileError("cannot write the file: its file system is read-only", path=path, fix="write the output to a writable folder")
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return TechfileError(
            "cannot write the file: no space left on its disk (the previous file, if any, is unchanged)",
            path=path,
            fix="free some space on that disk, or write the output elsewhere",
        )
    if isinstance(exc, PermissionError):
        return TechfileError(
            f"cannot write the file: {_reason(exc)} (techfile writes a temporary file in its folder, then renames it over the file)",
            path=path,
            fix="make its folder writable for this user, or write the output elsewhere",
        )
    if code == errno.ENAMETOOLONG:
        return TechfileError("cannot write the file: its name is too long", path=path, fix="choose a shorter name")
    return TechfileError(f"cannot write the file: {_reason(exc)}", path=path, fix="check the path, and that its folder exists and is writable")


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def _file_in_the_way(path: Path) -> Path | None:
    """The nearest folder of ``path`` that exists but is not a folder."""
    for parent in path.parents:
        kind = _kind(parent)
        if kind is not None:
            return None if kind == "folder" else parent
    return None


def _kind(path: Path) -> str | None:
    """What is at ``path``: "folder", "other", or None when nothing is (or it cannot be looked at: a name too long)."""
    try:
        return "folder" if stat.S_ISDIR(os.stat(path).st_mode) else "other"
    except OSError:
        return "other" if os.path.lexists(path) else None
