"""The clause catalogues: one TOML file per standard, shipped in
``techfile/data/clauses`` (or a project's own file), validated against
``clause_catalogue.schema.json``.

A catalogue holds clause numbers, techfile's own short titles and where each
clause applies (software safety classes, FDA documentation levels); it never
holds a standard's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import as_file
from pathlib import Path
from typing import Any, Literal

from techfile import resources
from techfile.errors import TechfileError
from techfile.tomlfile import load

SCHEMA = "clause_catalogue.schema.json"
SHIPPED = {
    "iec-62304": "iec62304.toml",
    "iso-14971": "iso14971.toml",
    "iec-82304-1": "iec82304.toml",
    "fda-2023": "fda2023.toml",
    "eu-mdr": "eumdr.toml",
}
"""Catalogue keys ``[tool.techfile] standards`` names, and their files."""
AppliesBy = Literal["safety_class", "documentation_level", "none"]
LEVELS = ("basic", "enhanced")


@dataclass(frozen=True)
class Query:
    """One condition on the need graph a clause's evidence must meet (see the schema)."""

    kind: Literal["exists", "every", "covered"]
    subject: str
    """The role (exists, every) or the catalogue key (covered)."""
    where: tuple[tuple[str, str], ...] = ()
    has: tuple[str, ...] = ()
    linked: str | None = None
    to: str | None = None
    clauses: tuple[str, ...] = ()

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Query:
        kind: Literal["exists", "every", "covered"] = "exists" if "exists" in data else "every" if "every" in data else "covered"
        return cls(
            kind,
            data[kind],
            tuple(sorted(data.get("where", {}).items())),
            tuple(data.get("has", ())),
            data.get("linked"),
            data.get("to"),
            tuple(data.get("clauses", ())),
        )

    @property
    def text(self) -> str:
        """The query in words, as the coverage page shows it."""
        if self.kind == "covered":
            only = f" {', '.join(self.clauses)}" if self.clauses else ""
            return f"{standard_name(self.subject)}{only} covered"
        role = self.subject.replace("_", " ")
        where = "".join(f" with {name} = {value}" for name, value in self.where)
        parts = [f"{'a' if self.kind == 'exists' else 'every'} {role}{where}"]
        if self.has:
            parts.append(f"states {', '.join(self.has)}")
        if self.linked:
            parts.append(f"{self.linked.replace('_', ' ')} a {(self.to or 'need').replace('_', ' ')}")
        return " ".join(parts) if self.kind == "exists" or len(parts) == 1 else f"{parts[0]} " + " and ".join(parts[1:])


@dataclass(frozen=True)
class Clause:
    number: str
    title: str
    classes: tuple[str, ...]
    levels: tuple[str, ...]
    rules: tuple[str, ...]
    queries: tuple[Query, ...]
    line: int

    def applies(self, applies_by: AppliesBy, safety_class: str, level: str) -> bool:
        if applies_by == "safety_class":
            return safety_class in self.classes
        if applies_by == "documentation_level":
            return level in self.levels
        return True

    def scope_text(self, applies_by: AppliesBy) -> str:
        if applies_by == "safety_class":
            return ", ".join(self.classes)
        if applies_by == "documentation_level":
            return ", ".join(level.capitalize() for level in self.levels)
        return "all"


@dataclass(frozen=True)
class Catalogue:
    key: str
    name: str
    """The prefix rules cite the standard by (``IEC 62304``)."""
    title: str
    applies_by: AppliesBy
    note: str | None
    clauses: tuple[Clause, ...]
    path: Path

    def clause(self, number: str) -> Clause | None:
        return next((clause for clause in self.clauses if clause.number == number), None)

    def ref(self, clause: Clause) -> str:
        """``IEC 62304 5.7.4``: how a rule, a finding and ``addresses`` name the clause."""
        return f"{self.name} {clause.number}"


def read_catalogue(path: Path) -> Catalogue:
    """A catalogue file, validated; a duplicate clause number is an error at its line."""
    data, lines = load(path, resources.schema_path(SCHEMA))
    standard = data["standard"]
    if standard["applies_by"] == "safety_class" and any("levels" in c for c in data["clauses"]):
        raise TechfileError("a catalogue that applies by safety class gives classes, not levels", path=path, fix="remove levels")
    clauses: list[Clause] = []
    seen: set[str] = set()
    for index, entry in enumerate(data["clauses"]):
        line = lines.line_of(("clauses", index)) or 1
        if entry["number"] in seen:
            raise TechfileError(f"clause {entry['number']} is listed twice", path=path, line=line, fix="keep one entry per clause number")
        seen.add(entry["number"])
        classes, levels = tuple(entry.get("classes", ("A", "B", "C"))), tuple(entry.get("levels", LEVELS))
        clauses.append(Clause(entry["number"], entry["title"], classes, levels, tuple(entry.get("rules", ())), tuple(Query.parse(q) for q in entry.get("queries", ())), line))
    return Catalogue(standard["key"], standard["name"], standard["title"], standard["applies_by"], standard.get("note"), tuple(clauses), path)


@cache
def shipped(key: str) -> Catalogue:
    with as_file(resources.data("clauses", SHIPPED[key])) as path:
        return read_catalogue(Path(path))


def standard_name(key: str) -> str:
    """The name a shipped catalogue gives its standard (``IEC 62304``); another key as it is."""
    return shipped(key).name if key in SHIPPED else key


def catalogue(reference: str, root: Path) -> Catalogue:
    """A shipped catalogue by key, or a project's own catalogue file (a path ending ``.toml``)."""
    if reference in SHIPPED:
        return shipped(reference)
    return read_catalogue(root / reference)


_CITATION = re.compile(r"^(?P<first>[0-9A-Z]+(?:\.[0-9A-Z]+)*)(?:-(?P<last>[0-9A-Z]+(?:\.[0-9A-Z]+)*))?")


def cited_numbers(citation: str, name: str) -> tuple[str, ...]:
    """The clause numbers a rule's citation names in the standard ``name``.

    ``IEC 62304 5.7.4 a-b`` names 5.7.4; ``IEC 62304 5.4.2-5.4.4`` names
    5.4.2, 5.4.3 and 5.4.4; a citation of another standard names none.
    """
    if not citation.startswith(name + " "):
        return ()
    rest = citation[len(name) + 1 :].strip()
    found = _CITATION.match(rest)
    if found is None:
        return ()
    first, last = found["first"], found["last"]
    if last is None:
        return (first,)
    head, _, start = first.rpartition(".")
    last_head, _, end = last.rpartition(".")
    if head != last_head or not (start.isdigit() and end.isdigit()) or int(end) < int(start):
        return (first, last)
    prefix = f"{head}." if head else ""
    return tuple(f"{prefix}{number}" for number in range(int(start), int(end) + 1))
