"""The interface every evidence generator implements, and the needs.json
it writes.

A generator (JUnit today; MLflow, lock files, SBOMs, vulnerability scans
next) reads its inputs into :class:`EvidenceNeed` records and hands them to
:func:`write_needs_json`: sphinx-needs' exchange format, so ``needimport``
and any other needs.json reader take it as is. Output is deterministic
(sorted, no clock) and written atomically; generators never touch authored
files.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from techfile import __version__
from techfile.errors import TechfileError
from techfile.fileio import write_atomic


class EvidenceError(TechfileError):
    """An evidence input cannot be turned into needs; nothing is written."""


@dataclass(frozen=True)
class EvidenceNeed:
    id: str
    type: str
    title: str
    content: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    links: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def record(self) -> dict[str, object]:
        record: dict[str, object] = {"id": self.id, "type": self.type, "title": self.title, "content": self.content}
        record.update(sorted(self.fields.items()))
        record.update((name, list(targets)) for name, targets in sorted(self.links.items()))
        return record


class EvidenceSource(ABC):
    """One kind of evidence input (one module per kind)."""

    #: Short name, used in the output's ``creator`` and in messages.
    name: str

    @abstractmethod
    def read(self) -> list[EvidenceNeed]:
        """All needs of the inputs; raise :class:`EvidenceError` on bad input."""


def needs_json(needs: Sequence[EvidenceNeed], *, version: str, creator: str, created: str) -> bytes:
    """The needs as a needs.json document, byte-identical for identical needs."""
    ordered = sorted(needs, key=lambda need: need.id)
    document = {
        "created": created,
        "current_version": version,
        "project": f"techfile evidence ({creator})",
        "versions": {
            version: {
                "created": created,
                "creator": {"name": f"techfile {creator}", "program": "techfile", "version": __version__},
                "needs": {need.id: need.record() for need in ordered},
                "needs_amount": len(ordered),
            }
        },
    }
    return (json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")


def write_needs_json(path: Path, needs: Sequence[EvidenceNeed], *, version: str, creator: str, created: str) -> None:
    write_atomic(path, needs_json(needs, version=version, creator=creator, created=created))
