"""Rule conditions written in roles, resolved against a need model.

The default rules say "a software requirement derives from a system
requirement or a user need", not "a ``swreq`` has a ``derives_from`` link to
a ``sysreq``": ``network`` and ``network_back`` keys are relations, a
``roles`` list in a ``validate`` block means "the linked need plays one of
these roles", and field names in ``local`` and ``select`` schemas are the
canonical ones of the role in context. :func:`resolve` turns such a
condition into a plain sphinx-needs schema condition in the project's own
type, link and field names, and says which roles and relations it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from techfile.model.roles import Relation, Role, RoleMap


@dataclass
class Needs:
    """Roles and relations a condition names: ``any_of`` groups need one present role each."""

    relations: set[Relation] = field(default_factory=set)
    any_of: list[tuple[Role, ...]] = field(default_factory=list)
    unknown: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    """(name, key path under the rule) of role or relation names that are not techfile's."""


def _fields(schema: dict[str, Any], roles: RoleMap, context: tuple[Role, ...]) -> dict[str, Any]:
    """A JSON schema on a need with the canonical field names of ``context`` mapped."""
    role = context[0] if context else None

    def name(canonical: str) -> str:
        return roles.field(role, canonical)

    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "required" and isinstance(value, list):
            out[key] = [name(v) for v in value]
        elif key == "properties" and isinstance(value, dict):
            out[key] = {name(k): v for k, v in value.items()}
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [_fields(part, roles, context) for part in value]
        elif key == "not" and isinstance(value, dict):
            out[key] = _fields(value, roles, context)
        else:
            out[key] = value
    return out


def _type_schema(types: list[str]) -> dict[str, Any]:
    return {"properties": {"type": {"enum": types}}, "required": ["type"]}


def resolve_validate(validate: dict[str, Any], roles: RoleMap, context: tuple[Role, ...], needs: Needs, at: tuple[str, ...] = ("validate",)) -> dict[str, Any]:
    """One ``validate`` block (at the key path ``at`` of its rule) in the project's names."""
    out: dict[str, Any] = {}
    local = validate.get("local")
    if "roles" in validate:
        named = [Role.named(n) for n in validate["roles"]]
        needs.unknown += [(n, (*at, "roles")) for n, role in zip(validate["roles"], named, strict=True) if role is None]
        context = tuple(role for role in named if role is not None)
        needs.any_of.append(context)
        types = [t for role in context for t in roles.types_of(role)]
        type_condition = _type_schema(types)
        local = type_condition if local is None else {"allOf": [type_condition, local]}
    if local is not None:
        out["local"] = _fields(local, roles, context)
    for direction in ("network", "network_back"):
        for relation_name, spec in validate.get(direction, {}).items():
            relation = Relation.named(relation_name)
            if relation is None:
                needs.unknown.append((relation_name, (*at, direction, relation_name)))
                continue
            needs.relations.add(relation)
            link = roles.link(relation)
            if link is None:
                continue
            resolved = {key: value for key, value in spec.items() if key not in ("items", "contains")}
            for part in ("items", "contains"):
                if part in spec:
                    resolved[part] = resolve_validate(spec[part], roles, context, needs, (*at, direction, relation_name, part))
            out.setdefault(direction, {})[link] = resolved
    return out


def resolve_select(select: dict[str, Any], roles: RoleMap, context: tuple[Role, ...]) -> dict[str, Any]:
    return _fields(select, roles, context)
