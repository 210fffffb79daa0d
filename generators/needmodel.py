"""The need model: need types, fields and link types, declared once in
``schemas/need_model.toml``.

``conf.py`` turns it into sphinx-needs configuration
(:meth:`NeedModel.sphinx_needs_config`); ``techfile check`` uses it to read
MyST needs and to check them (ID patterns, field values, link targets).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from techfile.errors import TechfileError
from techfile.tomlfile import KeyLines, load

SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "need_model.schema.json"
SAFETY_CLASSES = ("A", "B", "C")


@dataclass(frozen=True)
class FieldDef:
    name: str
    description: str
    schema: dict[str, Any] | None


@dataclass(frozen=True)
class LinkType:
    name: str
    outgoing: str
    incoming: str
    sources: tuple[str, ...]
    targets: tuple[str, ...] | None  # None: any type

    @property
    def back(self) -> str:
        """Name of the incoming-link list, as sphinx-needs names it."""
        return f"{self.name}_back"


@dataclass(frozen=True)
class NeedType:
    directive: str
    title: str
    prefix: str
    id_pattern: re.Pattern[str]
    color: str
    description: str
    generated: bool
    required: tuple[str, ...]
    fields: tuple[str, ...]
    links: tuple[str, ...]
    narrow: dict[str, dict[str, Any]] = field(default_factory=dict)


class NeedModel:
    """Need types, fields and link types of the technical file."""

    def __init__(self, data: dict[str, Any], path: Path, lines: KeyLines) -> None:
        self.path = path
        self._field_schemas: dict[tuple[str, str], dict[str, Any]] = {}
        self.default_safety_class: str = data["default_safety_class"]
        self.id_regex: str = data["id_regex"]
        self.fields = {
            name: FieldDef(name, spec["description"], spec.get("schema"))
            for name, spec in data["fields"].items()
        }
        self.links = {
            name: LinkType(
                name,
                spec["outgoing"],
                spec["incoming"],
                tuple(spec["from"]),
                None if spec["to"] == ["*"] else tuple(spec["to"]),
            )
            for name, spec in data["links"].items()
        }
        self.types: dict[str, NeedType] = {}
        for index, spec in enumerate(data["types"]):
            where = lines.line_of(("types", index))
            try:
                pattern = re.compile(spec["id_pattern"])
            except re.error as exc:
                raise TechfileError(f"id_pattern of {spec['directive']!r} is not a regex: {exc}", path=path, line=where) from None
            links = tuple(name for name, link in self.links.items() if spec["directive"] in link.sources)
            self.types[spec["directive"]] = NeedType(
                directive=spec["directive"],
                title=spec["title"],
                prefix=spec["prefix"],
                id_pattern=pattern,
                color=spec.get("color", "#FFFFFF"),
                description=spec.get("description", ""),
                generated=spec.get("generated", False),
                required=tuple(spec.get("required", ())),
                fields=tuple(spec.get("fields", ())),
                links=links,
                narrow=spec.get("narrow", {}),
            )
            self._check_type(spec, index, lines)
        for link in self.links.values():
            for name in (*link.sources, *(link.targets or ())):
                if name not in self.types:
                    raise TechfileError(
                        f"link type {link.name!r} names unknown need type {name!r}",
                        path=path,
                        line=lines.line_of(("links", link.name)),
                        fix=f"declare [[types]] directive = {name!r} or remove it",
                    )

    def _check_type(self, spec: dict[str, Any], index: int, lines: KeyLines) -> None:
        directive = spec["directive"]
        for key in ("fields", "required", "narrow"):
            for name in spec.get(key, ()):
                if name not in self.fields:
                    raise TechfileError(
                        f"type {directive!r} lists unknown field {name!r} in {key}",
                        path=self.path,
                        line=lines.line_of(("types", index, key)),
                        fix=f"declare [fields.{name}] or remove it",
                    )
                if key != "fields" and name not in spec.get("fields", ()):
                    raise TechfileError(
                        f"type {directive!r} lists {name!r} in {key} but not in fields",
                        path=self.path,
                        line=lines.line_of(("types", index, key)),
                    )

    # ------------------------------------------------------------ queries

    def field_schema(self, need_type: str, name: str) -> dict[str, Any]:
        """JSON schema of a field on a type: the field's schema narrowed by the type.

        The same dict is returned on every call, so compiled validators are reused.
        """
        key = (need_type, name)
        if key not in self._field_schemas:
            # sphinx-needs needs a type for every field; all techfile fields are strings.
            base = {"type": "string", **(self.fields[name].schema or {})}
            narrow = self.types[need_type].narrow.get(name)
            self._field_schemas[key] = base if narrow is None else {**base, **narrow}
        return self._field_schemas[key]

    @cached_property
    def directives(self) -> frozenset[str]:
        return frozenset(self.types)

    # ------------------------------------------------------- sphinx-needs

    def sphinx_needs_config(self) -> dict[str, Any]:
        """Configuration values for sphinx-needs 9 (no deprecated names).

        Fields and link types are declared on the types that use them, so
        sphinx-needs refuses a field or link written on another type
        (``needs.undeclared_for_type``) and a link to a type not in ``to``
        (``needs.link_target_type``), with file and line.
        """
        described_fields: set[str] = set()
        described_links: set[str] = set()
        types: list[dict[str, Any]] = []
        for need_type in self.types.values():
            fields: dict[str, Any] = {}
            for name in need_type.fields:
                declaration: dict[str, Any] = {"nullable": True}
                if name not in described_fields:
                    declaration["description"] = self.fields[name].description
                    described_fields.add(name)
                declaration["schema"] = self.field_schema(need_type.directive, name)
                fields[name] = declaration
            links: dict[str, Any] = {}
            for name in need_type.links:
                link = self.links[name]
                declaration = {}
                if link.targets is not None:
                    declaration["target_types"] = list(link.targets)
                if name not in described_links:
                    declaration.update(outgoing=link.outgoing, incoming=link.incoming)
                    described_links.add(name)
                links[name] = declaration
            types.append(
                {
                    "directive": need_type.directive,
                    "title": need_type.title,
                    "prefix": need_type.prefix,
                    "color": need_type.color,
                    "style": "node",
                    "fields": fields,
                    "links": links,
                }
            )
        return {
            "needs_types": types,
            "needs_id_required": True,
            "needs_id_regex": self.id_regex,
            "needs_flow_link_types": list(self.links),
        }


def load_need_model(path: Path) -> NeedModel:
    data, lines = load(path, SCHEMA)
    return NeedModel(data, path, lines)
