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
from techfile.model.jsonschemas import field_problem
from techfile.model.layers import Layer, load_layers
from techfile.model.roles import Relation, Role, RoleMap
from techfile.settings import Where
from techfile.tomlfile import KeyLines

SAFETY_CLASSES = ("A", "B", "C")
SCHEMA = "need_model.schema.json"
ANY_TYPE = "*"
SPHINX_NEEDS_CORE = frozenset(
    {
        "id", "docname", "lineno", "lineno_content", "title", "status", "tags", "collapse", "hide", "layout", "style",
        "arch", "is_import", "is_external", "external_url", "external_css", "type", "type_name", "type_prefix",
        "type_color", "type_style", "is_modified", "modifications", "is_need", "is_part", "parts", "id_parent",
        "id_complete", "jinja_content", "template", "pre_template", "post_template", "content", "pre_content",
        "post_content", "has_dead_links", "has_forbidden_dead_links", "constraints", "constraints_results",
        "constraints_passed", "constraints_error", "doctype", "sections", "section_name", "signature", "parent_need",
        "parent_needs",
    }
)
"""The core fields and core link types of sphinx-needs 9 (``NeedsCoreFields``,
``CORE_LINK_TYPES``; a test keeps the two in step). sphinx-needs ignores a
need type's declaration of one of them as a field or a link type, with a
warning that names no file, so the need model refuses them where they are
written."""
OWN_CORE_FIELDS = frozenset({"status"})
"""Core fields a need type may declare as a field of its own: sphinx-needs
lets a type narrow a nullable string core field, and techfile reads it."""


@dataclass(frozen=True)
class FieldDef:
    name: str
    description: str
    schema: dict[str, Any] | None
    title: str = ""
    """What the field is called where it is shown (a column header, a label); its name with spaces when not declared."""
    labels: dict[str, str] = field(default_factory=dict)
    """What each value of the field's enum is called where it is shown."""

    def __post_init__(self) -> None:
        if not self.title:
            object.__setattr__(self, "title", humanise(self.name))

    def label(self, value: str) -> str:
        """The value as a reader sees it: its declared label, else the value itself."""
        return self.labels.get(value, value)

    @property
    def enum(self) -> tuple[str, ...]:
        values = (self.schema or {}).get("enum")
        return tuple(values) if isinstance(values, list) else ()


def humanise(name: str) -> str:
    """``time_s`` -> ``Time s``: a name as a header when nothing better is declared."""
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


REVIEWED = "reviewed"
"""The field holding a need's link review stamps (``TARGET@fingerprint, ...``): see :mod:`techfile.fingerprints`."""


@dataclass(frozen=True)
class LinkType:
    name: str
    outgoing: str
    incoming: str
    sources: tuple[str, ...]
    targets: tuple[str, ...] | None  # None: any type
    title: str = ""
    """Header of a column of the link's targets; ``outgoing`` with a capital when not declared."""
    incoming_title: str = ""
    """Header of a column of the needs linking here; ``incoming`` with a capital when not declared."""

    def __post_init__(self) -> None:
        if not self.title:
            object.__setattr__(self, "title", humanise(self.outgoing))
        if not self.incoming_title:
            object.__setattr__(self, "incoming_title", humanise(self.incoming))

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
        _check_field_schemas(layer)
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
                    elif key == "labels":
                        # value by value: a project relabels one value, or labels one it adds to the enum
                        target[key] = {**target.get(key, {}), **value}
                        for label in value:
                            origins[(section, name, key, label)] = layer.where(section, name, key, label)
                    else:
                        target[key] = value
                        if key == "schema":
                            origins[(section, name, key)] = layer.where(section, name, key)
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


def _check_field_schemas(layer: Layer) -> None:
    """Every field schema and narrowing ``layer`` writes compiles as sphinx-needs compiles it.

    Checked per layer, where each was written; the need model's JSON schema
    has already checked their shape, and a narrowing only replaces keys of
    that shape, so their merge compiles when both do.
    """
    for name, spec in layer.data.get("fields", {}).items():
        if "schema" in spec:
            _compiles(layer.where("fields", name, "schema"), name, spec["schema"], f"the schema of field {name!r}")
    for type_name, spec in layer.data.get("types", {}).items():
        for name, narrow in spec.get("narrow", {}).items():
            _compiles(layer.where("types", type_name, "narrow", name), name, narrow, f"type {type_name!r} narrows field {name!r}, but")


def _compiles(where: Where, name: str, schema: dict[str, Any], what: str) -> None:
    problem = field_problem(name, {"type": "string", **schema})
    if problem is not None:
        raise where.at(*problem.path).error(f"{what}: {problem.message}", fix=problem.fix, keyed=False)


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
                raise TechfileError(f"the need model declares no {key}", path=path, line=1, fix="extend \"techfile:default\" or declare it")
        self.default_safety_class: str = data["default_safety_class"]
        self.id_regex: str = data["id_regex"]
        self._compile("id_regex", self.id_regex, self.where("id_regex"))
        self.fields = {
            name: FieldDef(name, spec.get("description", ""), spec.get("schema"), spec.get("title", ""), dict(spec.get("labels", {})))
            for name, spec in data["fields"].items()
        }
        self._check_labels()
        self._check_names(data)
        self.links: dict[str, LinkType] = {}
        for name, spec in data["links"].items():
            for key in ("outgoing", "incoming", "from", "to"):
                if key not in spec:
                    raise self.where("links", name).error(f"link type {name!r} declares no {key}", fix=f"add {key} = ...", keyed=False)
            self.links[name] = LinkType(
                name, spec["outgoing"], spec["incoming"], tuple(spec["from"]), None if spec["to"] == [ANY_TYPE] else tuple(spec["to"]),
                spec.get("title", ""), spec.get("incoming_title", ""),
            )
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

    @staticmethod
    def _compile(what: str, pattern: str, where: Where) -> re.Pattern[str]:
        """A regular expression of the model (Python's, as sphinx-needs reads ``needs_id_regex``)."""
        try:
            return re.compile(pattern)
        except re.error as exc:
            raise where.error(f"{what} {pattern!r} is not a regular expression: {exc}", fix="write a Python regular expression (https://docs.python.org/3/library/re.html)", keyed=False) from None

    def _check_labels(self) -> None:
        """A label names a value of the field's enum: one for a value that cannot occur is a typo.

        A label written below the layer that last wrote the enum (the
        default's label of a value a project's enum leaves out) is dropped,
        not refused: the project cannot edit that file.
        """
        for definition in self.fields.values():
            if not definition.enum:
                continue
            schema_layer = self._layer(self.where("fields", definition.name, "schema"))
            for value in list(definition.labels):
                if value in definition.enum:
                    continue
                where = self._origins.get(("fields", definition.name, "labels", value)) or self.where("fields", definition.name)
                if self._layer(where) < schema_layer:
                    del definition.labels[value]
                    continue
                close = difflib.get_close_matches(value, list(definition.enum), n=1)
                raise where.error(
                    f"field {definition.name!r} labels {value!r}, which is not a value of its enum ({', '.join(definition.enum)})",
                    fix=(f"did you mean {close[0]!r}? " if close else "") + "label a value of the enum, or remove the label",
                    keyed=False,
                )

    # ------------------------------------------------------------ labels

    def field_title(self, name: str) -> str:
        """What the field ``name`` (the project's name) is called where it is shown."""
        definition = self.fields.get(name)
        return definition.title if definition is not None else humanise(name)

    def value_label(self, name: str, value: str) -> str:
        """What the value of field ``name`` is called where it is shown."""
        definition = self.fields.get(name)
        return definition.label(value) if definition is not None else value

    def _check_names(self, data: dict[str, Any]) -> None:
        """Field and link type names sphinx-needs would ignore, refused where they are written.

        A name of a sphinx-needs core field, or one name both a field and a
        link type (or a link type's ``<name>_back`` list), makes sphinx-needs
        drop the declaration with a warning that names no file.
        """
        names: dict[str, tuple[str, str]] = {}
        for section, kind in (("links", "link type"), ("fields", "field")):
            for name in data[section]:
                where = self.where(section, name)
                if name in SPHINX_NEEDS_CORE and not (section == "fields" and name in OWN_CORE_FIELDS):
                    raise where.error(f"{kind} {name!r} has the name of a sphinx-needs core field, which sphinx-needs would not let a need type declare", fix=f"rename the {kind}, e.g. to {name}_", keyed=False)
                for own in (name, f"{name}_back") if section == "links" else (name,):
                    if own in names:
                        other_kind, other = names[own]
                        raise where.error(f"{kind} {name!r} clashes with {other_kind} {other!r}: sphinx-needs gives each need one value per name", fix=f"rename the {kind}", keyed=False)
                    names[own] = (kind, name)

    def _layer(self, where: Where) -> int:
        return self._layer_paths.index(where.path) if where.path in self._layer_paths else -1

    def _need_type(self, name: str, spec: dict[str, Any]) -> NeedType:
        where = self.where("types", name)
        for key in ("title", "prefix", "id_pattern"):
            if key not in spec:
                raise where.error(f"type {name!r} declares no {key}", fix=f"add {key} = ... to [types.{name}]", keyed=False)
        pattern = self._compile(f"id_pattern of {name!r}", spec["id_pattern"], where.at("id_pattern"))
        for key in ("fields", "required", "narrow"):
            for field_name in spec.get(key, ()):
                if field_name not in self.fields:
                    raise where.at(key).error(
                        f"type {name!r} lists unknown field {field_name!r} in {key}",
                        fix=_closest(field_name, list(self.fields)) + f"declare [fields.{field_name}] or remove it",
                        keyed=False,
                    )
                if key != "fields" and field_name not in spec.get("fields", ()):
                    spot = where.at("fields") if (*where.prefix, "fields") in where.lines.lines else where.at(key)
                    raise spot.error(f"type {name!r} lists {field_name!r} in {key} but not in fields", fix=f"add {field_name!r} to its fields (add_fields = [{field_name!r}]), or remove it from {key}", keyed=False)
        return NeedType(
            directive=name,
            title=spec["title"],
            prefix=spec["prefix"],
            id_pattern=pattern,
            color=spec.get("color", "#FFFFFF"),
            description=spec.get("description", ""),
            generated=spec.get("generated", False),
            required=tuple(spec.get("required", ())),
            # every authored type carries the review stamps of its links (techfile review) when the model declares the field
            fields=tuple(spec.get("fields", ())) + ((REVIEWED,) if REVIEWED in self.fields and not spec.get("generated", False) and REVIEWED not in spec.get("fields", ()) else ()),
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
                        raise where.error(f"role {name} maps {canonical} to {own!r}, a field none of its types declares", fix=_closest(own, sorted({f for t in names for f in self.types[t].fields})) + f"add {own!r} to the fields of {' or '.join(names)}", keyed=False)
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
