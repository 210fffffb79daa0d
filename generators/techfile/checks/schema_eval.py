"""Evaluate sphinx-needs schema-validation conditions (``select``,
``validate.local``, ``validate.network``, ``validate.network_back``) on a
:class:`~techfile.corpus.Corpus`, with the semantics sphinx-needs documents:
compiled as sphinx-needs compiles them (formats checked, patterns in the
Rust ``regex`` dialect: :func:`~techfile.model.jsonschemas.compile_schema`);
``local`` is a JSON schema on the need's fields (links as lists of IDs),
``network`` follows the need's outgoing links of a type and ``network_back``
its incoming ones; ``items`` must hold for every linked need, ``contains``
for at least ``minContains`` (default 1) and at most ``maxContains``.

Links to needs that do not exist are left to rule N04, not counted here.
"""

from __future__ import annotations

from typing import Any

from techfile.corpus import Corpus, Need
from techfile.model.jsonschemas import compile_schema

# Compiled validators by schema object; the schema is kept with its validator
# so its id cannot be reused while the entry lives. Schemas come from the
# loaded declarations and live as long as they do; each was compiled once
# already when its declaration loaded (techfile.model.jsonschemas), so a
# schema that does not compile is an error at its line, not here.
_COMPILED: dict[int, tuple[dict[str, Any], Any]] = {}


def matches(schema: dict[str, Any], instance: Any) -> bool:
    entry = _COMPILED.get(id(schema))
    if entry is None or entry[0] is not schema:
        entry = _COMPILED[id(schema)] = (schema, compile_schema(schema))
    return bool(entry[1].is_valid(instance))


class NeedDicts:
    """The JSON view of each need that schemas are evaluated on, built once."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self._cache: dict[str, dict[str, Any]] = {}

    def __getitem__(self, need: Need) -> dict[str, Any]:
        cached = self._cache.get(need.id)
        if cached is None:
            cached = {"id": need.id, "type": need.type, "title": need.title, **need.fields}
            for link, targets in need.links.items():
                cached[link] = list(targets)
            self._cache[need.id] = cached
        return cached


def satisfies(validate: dict[str, Any], need: Need, dicts: NeedDicts) -> bool:
    """Whether ``need`` satisfies a ``validate`` condition."""
    local = validate.get("local")
    if local is not None and not matches(local, dicts[need]):
        return False
    corpus = dicts.corpus
    for direction, follow in (("network", corpus.linked), ("network_back", corpus.linking)):
        for link, spec in validate.get(direction, {}).items():
            linked = follow(need, link)
            items = spec.get("items")
            if items is not None and not all(satisfies(items, other, dicts) for other in linked):
                return False
            contains = spec.get("contains")
            if contains is not None:
                count = sum(1 for other in linked if satisfies(contains, other, dicts))
                if count < spec.get("minContains", 1):
                    return False
                if "maxContains" in spec and count > spec["maxContains"]:
                    return False
    return True
