"""The revision history of the technical file's sources, from git.

A small typed API over ``git`` run as a subprocess (no library): every
function takes the folder the project lives in (any folder inside the
checkout), and paths may be absolute or relative to it.

A history is never guessed: a folder that is not a git checkout, git
missing, or a shallow clone (whose oldest commits are absent, so every
history would silently stop at the clone's depth) raise
:class:`HistoryUnavailable`, which says why and how to fix it. Its ``kind``
tells them apart: ``not-a-checkout`` is legitimate (a build from a tarball)
where the others are a build that could have shown the history and did not.

Nothing here reads the clock: the same commit gives the same history.
:func:`history` asks ``git log`` once per call and remembers the answer for
the commit checked out (``HEAD``), so asking again for the same files in the
same build costs nothing.
"""

from __future__ import annotations

import datetime
import functools
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from techfile.errors import TechfileError

#: The fix of a shallow clone, as every message about one says it.
UNSHALLOW_FIX = "fetch the whole history: `git fetch --unshallow`, or in GitHub Actions `actions/checkout` with `fetch-depth: 0`"
NOT_A_CHECKOUT = "not-a-checkout"
GIT_MISSING = "git-missing"
SHALLOW = "shallow"
GIT_FAILED = "git-failed"

# Variables that point git at another repository than the folder it runs in
# (a git hook sets GIT_DIR and GIT_INDEX_FILE): the folder's own wins.
_REPOSITORY_VARIABLES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_SHALLOW_FILE",
    "GIT_GRAFT_FILE",
    "GIT_REPLACE_REF_BASE",
)
_TIMEOUT = 60
_FIELD, _RECORD = "\x1f", "\x00"


class HistoryUnavailable(TechfileError):
    """No trustworthy revision history for ``root``: ``kind`` (one of the constants above), ``reason`` and ``fix``."""

    def __init__(self, kind: str, reason: str, *, fix: str, path: str | Path | None = None) -> None:
        self.kind = kind
        self.reason = reason
        super().__init__(reason, path=path, fix=fix)

    @property
    def legitimate(self) -> bool:
        """Whether a build may say so without a warning (a build not of a git checkout)."""
        return self.kind == NOT_A_CHECKOUT


@dataclass(frozen=True)
class Revision:
    """One commit that touched the files asked about."""

    commit: str
    short: str
    #: ``YYYY-MM-DD``, the committer date in UTC.
    date: str
    author: str
    subject: str


@dataclass(frozen=True)
class Checkout:
    """What one ``git rev-parse`` says of the checkout around a folder."""

    #: The top of the work tree, resolved.
    top: Path
    shallow: bool
    #: The commit checked out, None before the first commit.
    head: str | None


# ------------------------------------------------------------------ running git


def _environment() -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in _REPOSITORY_VARIABLES}
    env["GIT_OPTIONAL_LOCKS"] = "0"  # git status must not rewrite the index of the checkout being built
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.pop("GIT_PAGER", None)
    return env


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``git args`` in ``root``; HistoryUnavailable when git cannot be run at all."""
    command = ["git", "-c", "core.quotepath=off", "-c", "log.showSignature=false", "-c", "color.ui=never", *args]
    try:
        return subprocess.run(command, cwd=root, capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=_TIMEOUT, env=_environment(), check=False)
    except FileNotFoundError as error:
        if not Path(root).is_dir():
            raise HistoryUnavailable(NOT_A_CHECKOUT, f"{root} is not a folder", fix="build from the project's folder", path=root) from error
        if _looks_like_checkout(Path(root)):
            raise HistoryUnavailable(
                GIT_MISSING, "git is not installed, so the revision history cannot be read", fix="install git (and put it on PATH) where the technical file is built", path=root
            ) from error
        raise _not_a_checkout(root) from error
    except (OSError, subprocess.TimeoutExpired) as error:
        raise HistoryUnavailable(GIT_FAILED, f"git could not be run: {error}", fix="check that git runs in this folder (`git status`)", path=root) from error


def _looks_like_checkout(root: Path) -> bool:
    """Without git: whether ``root`` or a folder above it holds ``.git`` (up to GIT_CEILING_DIRECTORIES)."""
    ceilings = {Path(c).resolve() for c in os.environ.get("GIT_CEILING_DIRECTORIES", "").split(os.pathsep) if c}
    folder = root.resolve()
    while True:
        if (folder / ".git").exists():
            return True
        if folder.parent == folder or folder.parent in ceilings:
            return False
        folder = folder.parent


def _not_a_checkout(root: Path | str) -> HistoryUnavailable:
    return HistoryUnavailable(NOT_A_CHECKOUT, "this build is not of a git checkout", fix="build from a git clone of the project to show the revision history", path=root)


def _failed(root: Path, done: subprocess.CompletedProcess[str], what: str) -> HistoryUnavailable:
    said = [line.strip() for line in done.stderr.strip().splitlines() if line.strip()]
    if any("safe.directory" in line for line in said):  # a checkout owned by another user (a CI container)
        fix = next((line for line in said if line.startswith("git config")), "git config --global --add safe.directory <the checkout>")
        return HistoryUnavailable(GIT_FAILED, f"git could not {what}: {said[0].removeprefix('fatal: ')}", fix=f"trust the checkout: `{fix}`", path=root)
    detail = f": {said[-1].removeprefix('fatal: ')}" if said else ""
    return HistoryUnavailable(GIT_FAILED, f"git could not {what}{detail}", fix="check that `git log` works in this folder", path=root)


# ------------------------------------------------------------------ the checkout


def checkout(root: Path) -> Checkout:
    """The checkout around ``root``; HistoryUnavailable when there is none or git cannot say."""
    root = Path(root)
    done = _git(root, "rev-parse", "--is-inside-work-tree", "--is-shallow-repository", "--show-toplevel")
    lines = done.stdout.splitlines()
    if done.returncode != 0 or not lines or lines[0].strip() != "true":
        if done.returncode != 0 and "not a git repository" not in done.stderr.lower():
            raise _failed(root, done, "read the checkout")
        raise _not_a_checkout(root)
    if len(lines) < 3:  # git older than 2.15 knows no --is-shallow-repository
        raise _failed(root, done, "tell whether this is a shallow clone (git 2.15 or newer is needed)")
    top = Path(lines[2].strip()).resolve()
    found = _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    head = found.stdout.strip() if found.returncode == 0 and found.stdout.strip() else None
    return Checkout(top=top, shallow=lines[1].strip() == "true", head=head)


def is_repository(root: Path) -> bool:
    """Whether ``root`` lies inside a git work tree (False too when git is missing and no ``.git`` is found)."""
    try:
        checkout(root)
    except HistoryUnavailable as error:
        if error.kind == GIT_MISSING:
            return True
        if error.kind == NOT_A_CHECKOUT:
            return False
        raise
    return True


def is_shallow(root: Path) -> bool:
    """``git rev-parse --is-shallow-repository``; HistoryUnavailable when ``root`` is not a checkout."""
    return checkout(root).shallow


def head(root: Path) -> str | None:
    """The commit checked out; None before the first commit, outside a checkout, or without git."""
    try:
        return checkout(root).head
    except HistoryUnavailable:
        return None


# ------------------------------------------------------------------ history


def _relative(top: Path, root: Path, paths: Sequence[Path | str]) -> tuple[str, ...]:
    """The paths as git pathspecs relative to the top of the work tree, in order, once each; those outside dropped."""
    out: list[str] = []
    for path in paths:
        given = Path(path)
        absolute = given if given.is_absolute() else Path(root) / given
        try:
            relative = absolute.resolve().relative_to(top)
        except ValueError:
            continue
        text = relative.as_posix()
        if text not in out:
            out.append(text)
    return tuple(out)


def complete(root: Path) -> Checkout:
    """The checkout around ``root`` when its whole history is there; HistoryUnavailable otherwise (a shallow clone too)."""
    found = checkout(Path(root))
    if found.shallow:
        raise HistoryUnavailable(SHALLOW, "this build is of a shallow clone, whose history is cut off", fix=UNSHALLOW_FIX, path=root)
    return found


def history(root: Path, paths: Sequence[Path | str], limit: int | None = None) -> list[Revision]:
    """The commits that touched any of ``paths``, newest first (at most ``limit``; None or 0: all).

    The first path's renames are followed (``git log --follow``: a document
    moved to another name keeps its history); git follows one file only, so
    the other paths (a document's includes) count from where they got their
    present names. Paths outside the checkout are left out; none left, or no
    commit yet: no revisions.

    HistoryUnavailable when ``root`` is not a checkout, git is missing, or
    the clone is shallow: a shallow clone's history ends at the clone's
    depth, which is a wrong history, not a shorter one.
    """
    root = Path(root)
    found = complete(root)
    pathspecs = _relative(found.top, root, paths)
    if found.head is None or not pathspecs:
        return []
    count = limit if limit and limit > 0 else 0
    followed = _log(found.top, found.head, pathspecs[:1], True, count)
    if len(pathspecs) == 1:
        return [revision for _, revision in followed]
    merged = _merge(_log(found.top, found.head, pathspecs, False, count), followed)
    return merged[:count] if count else merged


def _merge(first: tuple[tuple[int, Revision], ...], second: tuple[tuple[int, Revision], ...]) -> list[Revision]:
    """Two newest-first logs as one, each commit once; on the same date ``first``'s order wins."""
    out: list[Revision] = []
    seen: set[str] = set()
    i = j = 0
    while i < len(first) or j < len(second):
        if j >= len(second) or (i < len(first) and first[i][0] >= second[j][0]):
            revision = first[i][1]
            i += 1
        else:
            revision = second[j][1]
            j += 1
        if revision.commit not in seen:
            seen.add(revision.commit)
            out.append(revision)
    return out


@functools.lru_cache(maxsize=4096)
def _log(top: Path, head: str, pathspecs: tuple[str, ...], follow: bool, limit: int) -> tuple[tuple[int, Revision], ...]:
    """One ``git log`` of the commit ``head`` (part of the key: a new commit, a new answer), with each commit's time."""
    args = ["log", "-z", "--no-color", "--encoding=UTF-8", "--use-mailmap", "--abbrev=10"]
    args.append(f"--format=%H{_FIELD}%h{_FIELD}%ct{_FIELD}%aN{_FIELD}%s")
    if follow:
        args.append("--follow")
    if limit > 0:
        args.append(f"--max-count={limit}")
    args += [head, "--", *(f":(literal){p}" for p in pathspecs)]
    done = _git(top, *args)
    if done.returncode != 0:
        raise _failed(top, done, "read the history")
    revisions = []
    for record in done.stdout.split(_RECORD):
        record = record.strip("\n")
        if not record:
            continue
        commit, short, stamp, author, subject = (record.split(_FIELD) + [""] * 5)[:5]
        seconds = int(stamp) if stamp.isascii() and stamp.isdigit() else 0
        revisions.append((seconds, Revision(commit=commit, short=short, date=_utc_date(stamp), author=author, subject=subject)))
    return tuple(revisions)


def _utc_date(stamp: str) -> str:
    try:
        return datetime.datetime.fromtimestamp(int(stamp), datetime.UTC).date().isoformat()
    except (ValueError, OverflowError, OSError):
        return ""


def uncommitted(root: Path, paths: Sequence[Path | str]) -> bool:
    """Whether the work tree (or the index) differs from HEAD for any of ``paths``: changed, added, removed or untracked.

    Files git ignores are not counted. HistoryUnavailable as for :func:`history`.
    """
    root = Path(root)
    found = checkout(root)
    pathspecs = _relative(found.top, root, paths)
    if not pathspecs:
        return False
    done = _git(found.top, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignore-submodules=none", "--", *(f":(literal){p}" for p in pathspecs))
    if done.returncode != 0:
        raise _failed(found.top, done, "compare the work tree with HEAD")
    return bool(done.stdout.strip("\x00\n"))


def changes(root: Path) -> frozenset[Path]:
    """Every file of the checkout whose work tree (or index) differs from HEAD, untracked ones too: absolute, resolved.

    One ``git status`` for the whole checkout, so a build asks once and not
    once per document. Files git ignores are not counted. A rename counts
    both names. HistoryUnavailable as for :func:`history`.
    """
    found = checkout(Path(root))
    done = _git(found.top, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignore-submodules=none")
    if done.returncode != 0:
        raise _failed(found.top, done, "compare the work tree with HEAD")
    out: set[Path] = set()
    records = iter(done.stdout.split("\x00"))
    for record in records:
        if len(record) < 4:
            continue
        out.add(found.top / record[3:])
        if "R" in record[:2] or "C" in record[:2]:
            origin = next(records, "")
            if origin:
                out.add(found.top / origin)
    return frozenset(out)


def tracked(root: Path) -> frozenset[Path]:
    """Every file of HEAD's index (``git ls-files``): absolute, resolved. HistoryUnavailable as for :func:`history`."""
    found = checkout(Path(root))
    done = _git(found.top, "ls-files", "-z", "--full-name")
    if done.returncode != 0:
        raise _failed(found.top, done, "list the files of the checkout")
    return frozenset(found.top / name for name in done.stdout.split("\x00") if name)
