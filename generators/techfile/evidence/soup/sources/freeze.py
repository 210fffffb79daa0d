"""``pip freeze`` output: ``name==version`` lines, one per installed
distribution, no tree (every package is taken as direct runtime). Read
with the requirements reader; recognised by its lines alone."""

from __future__ import annotations

import re
from pathlib import Path

from techfile.evidence.soup.interface import Lock
from techfile.evidence.soup.sources.requirements import Requirements

_FROZEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?==\S+$")


class PipFreeze(Requirements):
    format = "pip-freeze"
    description = "pip freeze output (name==version per line)"

    def detects(self, path: Path, head: str) -> bool:
        lines = [line for line in head.splitlines()[:-1] if line.strip()]
        return bool(lines) and all(_FROZEN.match(line.strip()) for line in lines)

    def read(self, path: Path, shown: str, text: str) -> Lock:
        lock = super().read(path, shown, text)
        return Lock(self.format, lock.packages, None)
