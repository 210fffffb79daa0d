"""The needs as the checks see them, whichever reader produced them.

Two readers build a :class:`Corpus`: the Sphinx build (from sphinx-needs'
resolved data) and ``techfile check`` (from the MyST sources and the imported
needs.json files, without Sphinx). Back links and safety classes are computed
here, from the forward links, so both readers give the rules the same facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from techfile.needmodel import SAFETY_CLASSES, NeedModel


@dataclass(frozen=True)
class Need:
    id: str
    type: str
    title: str
    path: str
    """File the need is written in (or the evidence file it was generated from), relative to the project root."""
    line: int
    fields: dict[str, str]
    """Model fields with a non-empty value, plus ``status`` when set."""
    links: dict[str, tuple[str, ...]]
    """Outgoing links per link type, sorted, without duplicates."""

    def get(self, name: str) -> str | None:
        return self.fields.get(name)

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"


def normalise_links(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({value.strip() for value in values if value and value.strip()}))


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

    @cached_property
    def by_type(self) -> dict[str, list[Need]]:
        grouped: dict[str, list[Need]] = {name: [] for name in self.model.types}
        for need in self.needs.values():
            grouped.setdefault(need.type, []).append(need)
        return grouped

    @cached_property
    def _back(self) -> dict[str, dict[str, list[str]]]:
        back: dict[str, dict[str, list[str]]] = {name: {} for name in self.model.links}
        for need in self.needs.values():
            for link, targets in need.links.items():
                per_link = back.setdefault(link, {})
                for target in targets:
                    per_link.setdefault(target, []).append(need.id)
        return back

    def outgoing(self, need: Need, link: str) -> list[Need]:
        """Resolved targets of ``need``'s ``link`` links (dangling ones left out)."""
        return [self.needs[t] for t in need.links.get(link, ()) if t in self.needs]

    def incoming(self, need: Need, link: str) -> list[Need]:
        """Needs that link to ``need`` with ``link``."""
        return [self.needs[s] for s in self._back.get(link, {}).get(need.id, ())]

    # ------------------------------------------------------ safety class

    @cached_property
    def system_class(self) -> str:
        """The software system's class: the class of its `level = system` item."""
        classes = [
            need.get("safety_class")
            for need in self.by_type.get("item", ())
            if need.get("level") == "system" and need.get("safety_class") in SAFETY_CLASSES
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
            own = item.get("safety_class")
            if own in SAFETY_CLASSES:
                value = own
            else:
                parents = [p for p in self.outgoing(item, "part_of") if p.id not in seen]
                value = max((item_class(p, seen | {item.id}) for p in parents), default=self.system_class)
            classes[item.id] = value
            return value

        def highest(needs: Iterable[Need]) -> str | None:
            values = [classes.get(n.id, self.system_class) for n in needs]
            return max(values) if values else None

        def assign(need: Need, value: str | None) -> None:
            classes[need.id] = value or self.system_class

        for item in self.by_type.get("item", ()):
            item_class(item)
        for need in self.by_type.get("swreq", ()):
            assign(need, highest(self.outgoing(need, "allocated_to")))
        for need in self.by_type.get("soup", ()) + self.by_type.get("ml_model", ()):
            assign(need, highest(self.incoming(need, "uses")))
        for need in self.by_type.get("hazard", ()):
            assign(need, highest(self.outgoing(need, "arises_from")))
        for need in self.by_type.get("risk_control", ()):
            assign(need, highest(self.outgoing(need, "mitigates")))
        for need in self.by_type.get("testspec", ()):
            assign(need, highest(self.outgoing(need, "verifies")))
        for need in self.by_type.get("result", ()):
            assign(need, highest(self.outgoing(need, "verifies") + self.outgoing(need, "result_of")))
        for need in self.by_type.get("anomaly", ()):
            assign(need, highest(self.outgoing(need, "affects") + self.outgoing(need, "found_by")))
        return classes
