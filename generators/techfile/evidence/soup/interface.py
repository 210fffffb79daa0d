"""What every dependency source reads a file into, and the interface a
source implements.

A source (one module of :mod:`~techfile.evidence.soup.sources` per format)
reads one file into :class:`Locked` records: each package as the file
records it, with the names of what it depends on, and the names the project
itself asks for (its direct runtime and direct development dependencies).
:func:`~techfile.evidence.soup.graph.resolve` turns them into
:class:`Component` records with the path that pulls each one in.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from techfile.evidence.interface import EvidenceError

#: The largest dependency file read: a lock file of tens of thousands of
#: packages is a few megabytes; a larger file is refused before it is parsed.
MAX_BYTES = 32 * 1024 * 1024


class SoupInputError(EvidenceError):
    """A dependency file cannot be read into components; nothing is written."""


@dataclass(frozen=True)
class Locked:
    """One package as a dependency file records it."""

    name: str
    version: str
    """The exact version; for a range, the range as written (then :attr:`exact` is false)."""
    line: int
    ecosystem: str = "pypi"
    dependencies: tuple[str, ...] = ()
    """Names of the packages it depends on (normalised as :func:`~techfile.evidence.soup.graph.key`)."""
    hashes: tuple[str, ...] = ()
    license: str = ""
    supplier: str = ""
    purl: str = ""
    exact: bool = True
    dev: bool | None = None
    """What the file itself says about the package (npm's ``dev``, poetry's groups); None: from the graph."""
    direct: bool | None = None
    """Whether the project asks for it itself, where the file says per package (npm's install path); None: from the roots."""
    source_file: str = ""
    """The file it is written in, when another than the one read (a ``-r`` include); empty: that one."""


@dataclass(frozen=True)
class Lock:
    """A dependency file read: its packages and what the project asks for directly."""

    format: str
    packages: tuple[Locked, ...]
    runtime_roots: tuple[str, ...] | None
    """Direct runtime dependencies by name; None: the file does not say (every package is taken as direct runtime)."""
    dev_roots: tuple[str, ...] = ()
    """Direct development dependencies (groups, extras, npm devDependencies)."""
    root_name: str = ""
    """The project the file locks, where it says."""
    included: dict[str, str] = field(default_factory=dict)
    """Other files read with it (``-r``/``-c`` includes): shown path -> SHA-256."""


@dataclass(frozen=True)
class Component:
    """One dependency of the project, resolved: what a component need records."""

    name: str
    version: str
    ecosystem: str
    source_file: str
    source_line: int
    exact: bool = True
    supplier: str = ""
    license: str = ""
    license_problem: str = ""
    purl: str = ""
    direct: bool = True
    runtime: bool = True
    path: tuple[str, ...] = ()
    """Who pulls it in, from the project down to this package's parent (empty for a direct dependency)."""
    dependencies: tuple[str, ...] = ()
    hashes: tuple[str, ...] = field(default_factory=tuple)
    format: str = ""


class DependencySource(ABC):
    """One dependency file format: how to recognise it and how to read it."""

    #: ``--format`` name.
    format: ClassVar[str]
    #: One line for ``--help`` and error messages.
    description: ClassVar[str]

    @abstractmethod
    def detects(self, path: Path, head: str) -> bool:
        """Whether ``path`` (its name, its first kilobytes ``head``) is a file of this format."""

    @abstractmethod
    def read(self, path: Path, shown: str, text: str) -> Lock:
        """The packages of the file; :class:`SoupInputError` (or the source's own subclass) naming ``shown`` and the line."""
