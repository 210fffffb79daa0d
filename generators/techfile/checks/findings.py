"""What the checks return (:class:`Gap`) and what the engine reports
(:class:`Finding`): one gap of one rule at a file and line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from techfile.checks.rules import TraceRule
from techfile.corpus import Need


@dataclass(frozen=True)
class Gap:
    """What a check returns: one missing thing."""

    message: str
    need: Need | None = None
    """The need the gap is about, when not the need being checked."""
    location: tuple[str, int] | None = None
    """Where the gap is, when it is about no need."""
    clauses: tuple[str, ...] = ()
    """The clauses this gap is about, when narrower than its rule's (C01 names one clause)."""


@dataclass(frozen=True)
class Finding:
    """One gap of one rule, located at a file and line."""

    rule: TraceRule
    path: str
    line: int
    need_id: str | None
    need_type: str | None
    safety_class: str | None
    message: str
    accepted_by: str | None = None
    """ID of the waiver that accepts this gap, if any."""
    own_clauses: tuple[str, ...] = ()
    """The clauses of this finding, when narrower than its rule's."""

    @property
    def clauses(self) -> tuple[str, ...]:
        return self.own_clauses or self.rule.clauses

    @property
    def open(self) -> bool:
        return self.accepted_by is None

    @property
    def fails(self) -> bool:
        """Whether this finding fails CI: open, and not merely informational."""
        return self.open and self.rule.severity in ("error", "warning")

    @property
    def subject_message(self) -> str:
        """``SWR_012: what is missing (clauses)``."""
        subject = f"{self.need_id}: " if self.need_id else ""
        return f"{subject}{self.message} ({'; '.join(self.clauses)})"

    def text(self) -> str:
        """``file:line: techfile.R04: SWR_012: what is missing (clauses)``."""
        return f"{self.path}:{self.line}: {self.rule.code}: {self.subject_message}"

    def sort_key(self) -> tuple[Any, ...]:
        return (self.path, self.line, self.rule.id, self.need_id or "", self.message)

    def as_dict(self) -> dict[str, Any]:
        """The finding as the findings report (findings.schema.json) writes it."""
        return {
            "rule": self.rule.id,
            "name": self.rule.name,
            "severity": self.rule.severity,
            "clauses": list(self.clauses),
            "path": self.path,
            "line": self.line,
            "need": self.need_id,
            "type": self.need_type,
            "safety_class": self.safety_class,
            "message": self.message,
            "accepted_by": self.accepted_by,
        }
