"""The interface every evidence kind implements, and the records it hands
on.

An evidence kind (JUnit today; MLflow, lock files, SBOMs, vulnerability
reports next) is one subpackage of :mod:`techfile.evidence` (or a
distribution's ``techfile.evidence`` entry point) that exposes ``KIND``, an
:class:`EvidenceKind`. It keeps two things apart, as pip-audit keeps its
dependency sources apart from its output formats:

* reading its input into domain records of its own (a test case, a locked
  dependency, a model version), with its own error type; and
* mapping those records to :class:`EvidenceNeed` records, written in roles
  and relations (:mod:`techfile.model.roles`), which
  :mod:`techfile.evidence.needsjson` writes in the project's own type, field
  and link names.

The kind declares its ``[[tool.techfile.<name>]]`` table as a settings
dataclass (validated and documented like ``[tool.techfile]``), the evidence
files its jobs write (which a ``techfile-evidence`` directive imports) and
its ``techfile <name>`` subcommand. Adding a kind is adding a folder.
"""

from __future__ import annotations

import argparse
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from techfile.errors import TechfileError
from techfile.model.roles import Relation, Role

if TYPE_CHECKING:
    from techfile.project import Project


class EvidenceError(TechfileError):
    """An evidence input cannot be turned into needs; nothing is written."""


@dataclass(frozen=True)
class EvidenceNeed:
    """One need a generator produces, in roles and canonical field names."""

    id: str
    role: Role
    title: str
    content: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    links: dict[Relation, tuple[str, ...]] = field(default_factory=dict)


class EvidenceKind(ABC):
    """One kind of evidence: its settings table, its outputs, its command."""

    #: ``[[tool.techfile.<name>]]`` and ``techfile <name>``.
    name: ClassVar[str]
    #: The settings dataclass of one job of the table.
    job_type: ClassVar[type]
    #: One line for ``techfile --help``.
    summary: ClassVar[str]

    @abstractmethod
    def outputs(self, project: Project) -> list[str]:
        """The evidence files (relative to the project root) the project's jobs of this kind write."""

    @abstractmethod
    def add_command(self, commands: argparse._SubParsersAction[Any]) -> None:
        """Register ``techfile <name>``; its handler returns the exit status."""


class EvidenceSource(ABC):
    """One input of a kind, read into domain records and mapped to needs."""

    @abstractmethod
    def read(self) -> Sequence[EvidenceNeed]:
        """All needs of the inputs; raise :class:`EvidenceError` (or the kind's own subclass) on bad input."""
