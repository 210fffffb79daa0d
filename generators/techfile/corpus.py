"""The needs as the checks see them, whichever reader produced them.

Two readers build a :class:`Corpus`: the Sphinx build (from sphinx-needs'
resolved data) and ``techfile check`` (from the MyST and reStructuredText
sources and the imported needs.json files, without Sphinx). Back links and
safety classes are computed here, from the forward links, so both readers
give the rules the same facts.

Queries take roles and relations (:mod:`techfile.model.roles`), never type
or link names: the need model says which of the project's types play them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from techfile.errors import TechfileError
from techfile.model.needmodel import SAFETY_CLASSES, NeedModel
from techfile.model.roles import Relation, Role


@dataclass(frozen=True)
class Need:
    id: str
    type: str
    title: str
    path: str
    """File the need is written in (or the evidence file it was generated from), relative to the project root."""
    line: int
    fields: dict[str, str]
    """Model fields with a non-empty value, plus ``status`` and ``content`` when set."""
    links: dict[str, tuple[str, ...]]
    """Outgoing links per link type, sorted, without duplicates."""
    origin: tuple[str, int] | None = None
    """Where sphinx-needs places the need, when not at ``path:line``: (the including
    document, the line) for a need in an included file, (the importing document,
    the directive's line) for an imported one."""

    def get(self, name: str) -> str | None:
        return self.fields.get(name)

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"


def normalise_links(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({value.strip() for value in values if value and value.strip()}))


@dataclass(frozen=True)
class EvidenceImport:
    """A place that imports generated evidence, and whether the file was there."""

    path: str
    line: int
    file: str
    """The evidence file, relative to the project root."""
    found: bool


@dataclass
class Corpus:
    model: NeedModel
    needs: dict[str, Need] = field(default_factory=dict)
    duplicates: list[tuple[Need, Need]] = field(default_factory=list)
    """(first, second) definitions of the same ID; only the first is kept."""
    undeclared: list[tuple[Need, str]] = field(default_factory=list)
    """(need, name) of fields or links written on a type that does not declare them."""
    unidentified: list[tuple[str, int, str]] = field(default_factory=list)
    """(path, line, type) of needs written without an ID."""
    evidence: list[EvidenceImport] = field(default_factory=list)
    """The ``techfile-evidence`` imports of configured evidence files."""
    problems: list[TechfileError] = field(default_factory=list)
    """Sources the reader refused (bad input), each with its location."""

    def add(self, need: Need) -> None:
        first = self.needs.get(need.id)
        if first is not None:
            self.duplicates.append((first, need))
            return
        self.needs[need.id] = need

    def __iter__(self) -> Iterator[Need]:
        return iter(self.needs.values())

    def __len__(self) -> int:
        return len(self.needs)

    def get(self, need_id: str) -> Need | None:
        return self.needs.get(need_id)

    # ------------------------------------------------------------ roles

    def role_of(self, need: Need) -> Role | None:
        return self.model.roles.role_of(need.type)

    def plays(self, need: Need, role: Role) -> bool:
        return self.model.roles.role_of(need.type) is role

    def value(self, need: Need, name: str) -> str | None:
        """The need's value of the field the checks call ``name`` (mapped to the project's name)."""
        return need.fields.get(self.model.roles.field(self.role_of(need), name))

    def field_name(self, need: Need, name: str) -> str:
        """The project's name of the field the checks call ``name``, for messages."""
        return self.model.roles.field(self.role_of(need), name)

    @cached_property
    def by_type(self) -> dict[str, list[Need]]:
        grouped: dict[str, list[Need]] = {name: [] for name in self.model.types}
        for need in self.needs.values():
            grouped.setdefault(need.type, []).append(need)
        return grouped

    def by_role(self, role: Role) -> list[Need]:
        return [need for name in self.model.roles.types_of(role) for need in self.by_type.get(name, ())]

    @cached_property
    def _back(self) -> dict[str, dict[str, list[str]]]:
        back: dict[str, dict[str, list[str]]] = {name: {} for name in self.model.links}
        for need in self.needs.values():
            for link, targets in need.links.items():
                per_link = back.setdefault(link, {})
                for target in targets:
                    per_link.setdefault(target, []).append(need.id)
        return back

    def linked(self, need: Need, link: str) -> list[Need]:
        """Resolved targets of ``need``'s links of the link type ``link`` (dangling ones left out)."""
        return [self.needs[t] for t in need.links.get(link, ()) if t in self.needs]

    def linking(self, need: Need, link: str) -> list[Need]:
        """Needs that link to ``need`` with the link type ``link``."""
        return [self.needs[s] for s in self._back.get(link, {}).get(need.id, ())]

    def outgoing(self, need: Need, relation: Relation, role: Role | None = None) -> list[Need]:
        """Resolved targets of ``need``'s links of ``relation`` (dangling ones left out), of ``role`` if given."""
        link = self.model.roles.link(relation)
        found = self.linked(need, link) if link else []
        return found if role is None else [other for other in found if self.plays(other, role)]

    def incoming(self, need: Need, relation: Relation, role: Role | None = None) -> list[Need]:
        """Needs that link to ``need`` with ``relation``, of ``role`` if given."""
        link = self.model.roles.link(relation)
        found = self.linking(need, link) if link else []
        return found if role is None else [other for other in found if self.plays(other, role)]

    def link_targets(self, need: Need, relation: Relation) -> tuple[str, ...]:
        """IDs ``need`` links to with ``relation``, resolved or not."""
        link = self.model.roles.link(relation)
        return need.links.get(link, ()) if link else ()

    # ------------------------------------------------------ safety class

    @cached_property
    def system_class(self) -> str:
        """The software system's class: the class of its `level = system` item."""
        classes = [
            value
            for need in self.by_role(Role.SOFTWARE_ITEM)
            if self.value(need, "level") == "system" and (value := self.value(need, "safety_class")) in SAFETY_CLASSES
        ]
        return max(classes) if classes else self.model.default_safety_class

    def safety_class(self, need: Need) -> str:
        """Effective IEC 62304 class of a need, inherited as 4.3 says.

        An item has its own class or its parent's (``part_of``), the system's
        at the top; a requirement has the highest class of the items it is
        allocated to; tests, results, hazards, controls, SOUP and anomalies
        take the highest class of what they are about. Anything unrelated to
        an item has the system's class.
        """
        return self._classes.get(need.id, self.system_class)

    @cached_property
    def _classes(self) -> dict[str, str]:
        classes: dict[str, str] = {}

        def item_class(item: Need, seen: frozenset[str] = frozenset()) -> str:
            if item.id in classes:
                return classes[item.id]
            own = self.value(item, "safety_class")
            if own in SAFETY_CLASSES:
                value = own
            else:
                parents = [p for p in self.outgoing(item, Relation.PART_OF) if p.id not in seen]
                value = max((item_class(p, seen | {item.id}) for p in parents), default=self.system_class)
            classes[item.id] = value
            return value

        def highest(needs: Iterable[Need]) -> str | None:
            values = [classes.get(n.id, self.system_class) for n in needs]
            return max(values) if values else None

        def assign(role: Role, *relations: tuple[Relation, bool]) -> None:
            """Each need of ``role`` takes the highest class of what its relations reach (``True``: incoming)."""
            for need in self.by_role(role):
                reached = [other for relation, back in relations for other in (self.incoming(need, relation) if back else self.outgoing(need, relation))]
                classes[need.id] = highest(reached) or self.system_class

        for item in self.by_role(Role.SOFTWARE_ITEM):
            item_class(item)
        # in dependency order: what a later role inherits from is assigned first
        assign(Role.SOFTWARE_REQUIREMENT, (Relation.ALLOCATED_TO, False))
        assign(Role.SOUP_ITEM, (Relation.USES, True))
        assign(Role.ML_MODEL, (Relation.USES, True))
        assign(Role.HAZARD, (Relation.ARISES_FROM, False))
        assign(Role.RISK_CONTROL, (Relation.MITIGATES, False))
        assign(Role.TEST_SPECIFICATION, (Relation.VERIFIES, False))
        assign(Role.TEST_RESULT, (Relation.VERIFIES, False), (Relation.RESULT_OF, False))
        assign(Role.ANOMALY, (Relation.AFFECTS, False), (Relation.FOUND_BY, False))
        return classes
