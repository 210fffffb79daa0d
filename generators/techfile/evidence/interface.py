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

A kind also says what its source files alone determine of the records it
writes (:meth:`EvidenceKind.regenerate`): the evidence integrity check asks
it to regenerate a record from the file it names and compares, so a record
hand-edited after it was generated (a failed result turned ``passed``) is a
finding, in the build and in ``techfile check`` alike.
"""

from __future__ import annotations

import argparse
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
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
    #: The roles of the needs it writes. The integrity check asks the kinds
    #: of a need's role to regenerate it: the role is what both readers (the
    #: Sphinx build and ``techfile check``) keep of every record, whatever the
    #: project's model calls its types and fields.
    roles: ClassVar[tuple[Role, ...]] = ()
    #: The canonical fields (of its role) that the source file alone
    #: determines, compared on regeneration besides the title and content.
    #: Not the fields that come from elsewhere (the job, the run, the
    #: authored specifications): those regenerating cannot prove.
    derived_fields: ClassVar[tuple[str, ...]] = ()

    def outputs(self, project: Project) -> list[str]:
        """The evidence files (relative to the project root) the project's jobs of this kind write: each job's ``output``."""
        return [job.output for job in project.evidence_jobs(self.name)]

    @abstractmethod
    def add_command(self, commands: argparse._SubParsersAction[Any]) -> None:
        """Register ``techfile <name>``; its handler returns the exit status."""

    def regenerate(self, source: Path, shown: str) -> Mapping[str, EvidenceNeed] | None:
        """What this kind writes from the file ``source`` alone, by need ID.

        Each need carries the title, the content and the
        :attr:`derived_fields` the file determines (empty ones left out, as
        they are written), and no links. ``shown`` is how the file is named
        in messages and in ``source_file``. Raise :class:`EvidenceError` when
        the file is not (or no longer) an input of this kind. None: the kind
        cannot regenerate its records (then only their digest is checked).
        """
        return None


class EvidenceSource(ABC):
    """One input of a kind, read into domain records and mapped to needs."""

    @abstractmethod
    def read(self) -> Sequence[EvidenceNeed]:
        """All needs of the inputs; raise :class:`EvidenceError` (or the kind's own subclass) on bad input."""
