"""The need model: need types, fields, link types and the roles they play,
declared once (``techfile:default`` or a project's ``need_model.toml``,
which may extend it).

The Sphinx extension turns it into sphinx-needs configuration
(:meth:`NeedModel.sphinx_needs_config`); ``techfile check`` uses it to read
needs and to check them (ID patterns, field values, link targets); the
checks find the types they care about through :attr:`NeedModel.roles`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from techfile.errors import TechfileError
from techfile.model.layers import Layer, load_layers
from techfile.model.roles import Relation, Role, RoleMap
from techfile.settings import Where
from techfile.tomlfile import KeyLines

SAFETY_CLASSES = ("A", "B", "C")
SCHEMA = "need_model.schema.json"
ANY_TYPE = "*"


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


def _closest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f"did you mean {close[0]!r}? " if close else ""


def merge(layers: list[Layer]) -> tuple[dict[str, Any], dict[tuple[str, ...], Where]]:
    """The layers merged, and where each entity was last written.

    Tables merge key by key, a later layer winning; ``add_fields``,
    ``add_required``, ``add_from`` and ``add_to`` append to the list of the
    layer below; ``remove_types`` and ``remove_links`` take a type or link
    type out, with every reference to it.
    """
    merged: dict[str, Any] = {"types": {}, "fields": {}, "links": {}, "roles": {}, "relations": {}}
    origins: dict[tuple[str, ...], Where] = {}
    for layer in layers:
        data = layer.data
        for key in ("default_safety_class", "id_regex"):
            if key in data:
                merged[key] = data[key]
                origins[(key,)] = layer.where(key)
        for section in ("types", "fields", "links"):
            for name, spec in data.get(section, {}).items():
                target = merged[section].setdefault(name, {})
                for key, value in spec.items():
                    if key.startswith("add_"):
                        base = key[len("add_") :]
                        target[base] = list(dict.fromkeys([*target.get(base, []), *value]))
                    else:
                        target[key] = value
                origins[(section, name)] = layer.where(section, name)
        for section in ("roles", "relations"):
            for name, value in data.get(section, {}).items():
                merged[section][name] = value
                origins[(section, name)] = layer.where(section, name)
        for index, name in enumerate(data.get("remove_links", ())):
            if name not in merged["links"]:
                raise layer.where("remove_links", index).error(
                    f"remove_links names unknown link type {name!r}", fix=_closest(name, list(merged["links"])) + "remove it from the list", keyed=False
                )
            merged["links"].pop(name)
            merged["relations"] = {r: link for r, link in merged["relations"].items() if link != name}
        for index, name in enumerate(data.get("remove_types", ())):
            if name not in merged["types"]:
                raise layer.where("remove_types", index).error(
                    f"remove_types names unknown need type {name!r}", fix=_closest(name, list(merged["types"])) + "remove it from the list", keyed=False
                )
            merged["types"].pop(name)
            for link_name, link in list(merged["links"].items()):
                link["from"] = [t for t in link.get("from", []) if t != name]
                link["to"] = [t for t in link.get("to", []) if t != name]
                if not link["from"] or not link["to"]:
                    del merged["links"][link_name]
                    merged["relations"] = {r: n for r, n in merged["relations"].items() if n != link_name}
            for role, value in list(merged["roles"].items()):
                remaining = [t for t in _role_types(value) if t != name]
                if not remaining:
                    del merged["roles"][role]
                elif isinstance(value, dict):
                    merged["roles"][role] = {**value, "types": remaining}
                else:
                    merged["roles"][role] = remaining
    return merged, origins


def _role_types(value: str | list[str] | dict[str, Any]) -> list[str]:
    if isinstance(value, dict):
        value = value["types"]
    return [value] if isinstance(value, str) else list(value)


class NeedModel:
    """Need types, fields, link types and roles of the technical file."""

    def __init__(self, data: dict[str, Any], origins: dict[tuple[str, ...], Where], path: Path, layer_paths: tuple[Path, ...] = ()) -> None:
        self.path = path
        self._layer_paths = layer_paths
        """The files of the layers, the base first: an error between two entities names the later one."""
        self._origins = origins
        self._field_schemas: dict[tuple[str, str], dict[str, Any]] = {}
        for key in ("default_safety_class", "id_regex"):
            if key not in data:
                raise TechfileError(f"the need model declares no {key}", path=path, fix="extend \"techfile:default\" or declare it")
        self.default_safety_class: str = data["default_safety_class"]
        self.id_regex: str = data["id_regex"]
        self.fields = {name: FieldDef(name, spec.get("description", ""), spec.get("schema")) for name, spec in data["fields"].items()}
        self.links: dict[str, LinkType] = {}
        for name, spec in data["links"].items():
            for key in ("outgoing", "incoming", "from", "to"):
                if key not in spec:
                    raise self.where("links", name).error(f"link type {name!r} declares no {key}", fix=f"add {key} = ...", keyed=False)
            self.links[name] = LinkType(name, spec["outgoing"], spec["incoming"], tuple(spec["from"]), None if spec["to"] == [ANY_TYPE] else tuple(spec["to"]))
        self.types: dict[str, NeedType] = {}
        for name, spec in data["types"].items():
            self.types[name] = self._need_type(name, spec)
        for link in self.links.values():
            for type_name in (*link.sources, *(link.targets or ())):
                if type_name not in self.types:
                    raise self.where("links", link.name).error(
                        f"link type {link.name!r} names unknown need type {type_name!r}",
                        fix=_closest(type_name, list(self.types)) + f"declare [types.{type_name}] or remove it",
                        keyed=False,
                    )
        self.roles = self._roles(data["roles"], data["relations"])

    def where(self, *key: str) -> Where:
        """Where an entity of the model was (last) declared."""
        origin = self._origins.get(key) or self._origins.get(key[:1])
        if origin is None:
            return Where(self.path, KeyLines(""), ())
        return origin

    def _layer(self, where: Where) -> int:
        return self._layer_paths.index(where.path) if where.path in self._layer_paths else -1

    def _need_type(self, name: str, spec: dict[str, Any]) -> NeedType:
        where = self.where("types", name)
        for key in ("title", "prefix", "id_pattern"):
            if key not in spec:
                raise where.error(f"type {name!r} declares no {key}", fix=f"add {key} = ... to [types.{name}]", keyed=False)
        try:
            pattern = re.compile(spec["id_pattern"])
        except re.error as exc:
            raise where.at("id_pattern").error(f"id_pattern of {name!r} is not a regex: {exc}", keyed=False) from None
        for key in ("fields", "required", "narrow"):
            for field_name in spec.get(key, ()):
                if field_name not in self.fields:
                    raise where.at(key).error(
                        f"type {name!r} lists unknown field {field_name!r} in {key}",
                        fix=_closest(field_name, list(self.fields)) + f"declare [fields.{field_name}] or remove it",
                        keyed=False,
                    )
                if key != "fields" and field_name not in spec.get("fields", ()):
                    raise where.at(key).error(f"type {name!r} lists {field_name!r} in {key} but not in fields", keyed=False)
        return NeedType(
            directive=name,
            title=spec["title"],
            prefix=spec["prefix"],
            id_pattern=pattern,
            color=spec.get("color", "#FFFFFF"),
            description=spec.get("description", ""),
            generated=spec.get("generated", False),
            required=tuple(spec.get("required", ())),
            fields=tuple(spec.get("fields", ())),
            links=tuple(link for link, spec_ in self.links.items() if name in spec_.sources),
            narrow=spec.get("narrow", {}),
        )

    def _roles(self, roles: dict[str, Any], relations: dict[str, str]) -> RoleMap:
        types: dict[Role, tuple[str, ...]] = {}
        field_names: dict[Role, dict[str, str]] = {}
        played: dict[str, tuple[Role, Where]] = {}
        for name, value in roles.items():
            where = self.where("roles", name)
            role = Role.named(name)
            if role is None:
                raise where.error(f"{name!r} is not a role techfile knows", fix=_closest(name, [r.value for r in Role]) + "see the roles in the README", keyed=False)
            names = _role_types(value)
            for type_name in names:
                if type_name not in self.types:
                    raise where.error(f"role {name} names unknown need type {type_name!r}", fix=_closest(type_name, list(self.types)) + "declare the type or map another one", keyed=False)
                if type_name in played:
                    other, other_where = played[type_name]
                    spot = other_where if self._layer(other_where) > self._layer(where) else where
                    raise spot.error(f"type {type_name!r} plays two roles, {other.value} and {name}", fix="give each type one role", keyed=False)
                played[type_name] = (role, where)
            types[role] = tuple(names)
            if isinstance(value, dict) and value.get("fields"):
                for canonical, own in value["fields"].items():
                    if canonical not in role.fields:
                        raise where.error(f"role {name} has no field {canonical!r} to map", fix=_closest(canonical, list(role.fields)) + f"its fields are {', '.join(role.fields)}", keyed=False)
                    if not any(own in self.types[t].fields for t in names):
                        raise where.error(f"role {name} maps {canonical} to {own!r}, a field none of its types declares", keyed=False)
                field_names[role] = dict(value["fields"])
        links: dict[Relation, str] = {}
        for name, link in relations.items():
            where = self.where("relations", name)
            relation = Relation.named(name)
            if relation is None:
                raise where.error(f"{name!r} is not a relation techfile knows", fix=_closest(name, [r.value for r in Relation]) + "see the relations in the README", keyed=False)
            if link not in self.links:
                raise where.error(f"relation {name} names unknown link type {link!r}", fix=_closest(link, list(self.links)) + "declare the link type or map another one", keyed=False)
            links[relation] = link
        return RoleMap(types, links, field_names)

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
    """The need model of ``path`` and every layer it extends."""
    layers = load_layers(path, "need_model", SCHEMA)
    data, origins = merge(layers)
    return NeedModel(data, origins, path, tuple(layer.path for layer in layers))
