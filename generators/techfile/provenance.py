"""Which software version and commit the evidence is for.

An explicit value wins; then the CI environment; then git. Nothing here
reads the clock, so the same inputs give the same output.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# Commit variables of common CI systems, first match wins.
CI_COMMIT_VARIABLES = ("TECHFILE_COMMIT", "GITHUB_SHA", "CI_COMMIT_SHA", "GIT_COMMIT", "BUILD_SOURCEVERSION", "BITBUCKET_COMMIT", "CIRCLE_SHA1")
UNKNOWN = "unknown"


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = done.stdout.strip()
    return value if done.returncode == 0 and value else None


def software_version(root: Path, explicit: str | None = None) -> str:
    return explicit or os.environ.get("TECHFILE_SOFTWARE_VERSION") or _git(root, "describe", "--tags", "--always", "--dirty") or UNKNOWN


def commit(root: Path, explicit: str | None = None) -> str:
    if explicit:
        return explicit
    for variable in CI_COMMIT_VARIABLES:
        if os.environ.get(variable):
            return os.environ[variable]
    return _git(root, "rev-parse", "HEAD") or UNKNOWN
