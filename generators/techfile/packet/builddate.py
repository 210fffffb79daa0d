"""The packet's build date: ``SOURCE_DATE_EPOCH``, else the commit's time, never the clock.

The HTML's control blocks, the PDF's title page and the workbook take the
date the same way but fall back to today; a packet cannot, since it could
then not be rebuilt to the same bytes. While the packet is built,
``SOURCE_DATE_EPOCH`` is set to the date chosen here, so every date inside
the packet is the manifest's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from techfile import provenance
from techfile.errors import TechfileError


@dataclass(frozen=True)
class BuildDate:
    epoch: int
    source: str
    """``SOURCE_DATE_EPOCH`` or ``commit``."""

    @property
    def iso(self) -> str:
        return dt.datetime.fromtimestamp(self.epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------ facts


def build_date(root: Path, commit: str) -> BuildDate:
    """``SOURCE_DATE_EPOCH``, else the commit's time; no clock: a packet must be rebuildable to the byte."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        if not epoch.isdigit():
            raise TechfileError(
                f"SOURCE_DATE_EPOCH={epoch!r} is not a time in seconds since 1970-01-01 UTC",
                fix="set it to an integer, e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct), or unset it",
            )
        return BuildDate(int(epoch), "SOURCE_DATE_EPOCH")
    revision = commit if commit != provenance.UNKNOWN else "HEAD"
    try:
        done = subprocess.run(["git", "log", "-1", "--format=%ct", revision, "--"], cwd=root, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        done = None
    if done is not None and done.returncode == 0 and done.stdout.strip().isdigit():
        return BuildDate(int(done.stdout.strip()), "commit")
    raise TechfileError(
        "no build date: SOURCE_DATE_EPOCH is not set and git gives no commit date here; a release packet never takes today's date, "
        "since it could then not be rebuilt to the same bytes",
        path=root,
        fix="build from a git checkout, or set SOURCE_DATE_EPOCH (seconds since 1970-01-01 UTC)",
    )


@contextlib.contextmanager
def source_date_epoch(epoch: int) -> Iterator[None]:
    """Every date the builds print (control blocks, title page, workbook) is the packet's build date."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def working_tree(root: Path) -> str:
    """Whether the files built are the commit's: ``clean``, ``modified`` or ``not a git checkout``."""
    try:
        done = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "not a git checkout"
    if done.returncode != 0:
        return "not a git checkout"
    return "modified" if done.stdout.strip() else "clean"
