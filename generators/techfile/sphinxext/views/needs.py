"""``{techfile-needs}``: the needs of one role as a table that reads like a
document: each need's ID with its title, then the columns asked for, headed
and labelled as the need model declares them (``title``, ``labels``).

``:columns:`` names, separated by commas:

* a field, by its canonical name (``category``, ``severity``; a project
  that maps the field to a name of its own is read through the mapping);
* a relation (``derives_from``): the needs it links to; ``<relation>_back``
  (``verifies_back``): the needs that link here; a link type's own name
  works too;
* ``statement``: the need's content (the "shall" of a requirement);
  ``status``; ``class``: the effective IEC 62304 safety class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from techfile.corpus import Need
from techfile.model.needmodel import NeedModel, humanise
from techfile.model.roles import Relation, Role
from techfile.sphinxext.views.common import label, needs_parts, prose, sorted_needs, titled, unmapped
from techfile.sphinxext.views.data import Block, Cell, Emphasis, TableBuilder, cell

if TYPE_CHECKING:
    from techfile.sphinxext.state import Evaluated

SPECIAL = {"statement": "Statement", "status": "Status", "class": "Safety class"}


@dataclass(frozen=True)
class Column:
    name: str
    header: str
    kind: str
    """``statement``, ``status``, ``class``, ``field``, ``out`` (links) or ``in`` (back links)."""
    link: str | None = None


def plural(title: str) -> str:
    """``Software requirement`` -> ``Software requirements``, ``Software anomaly`` -> ``Software anomalies``."""
    if title.endswith("y") and title[-2:-1] not in "aeiou":
        return title[:-1] + "ies"
    return title if title.endswith("s") else title + "s"


def _link(model: NeedModel, name: str) -> str | None:
    relation = Relation.named(name)
    if relation is not None:
        return model.roles.link(relation)
    return name if name in model.links else None


def resolve(model: NeedModel, role: Role, text: str) -> tuple[list[Column], list[str]]:
    """The columns ``text`` names for needs of ``role``, and a problem for each name that is none."""
    columns: list[Column] = []
    problems: list[str] = []
    types = model.roles.types_of(role)
    fields = {name for t in types for name in model.types[t].fields}
    for raw in text.split(","):
        name = raw.strip()
        if not name:
            continue
        if name in SPECIAL:
            columns.append(Column(name, SPECIAL[name], name))
            continue
        back = name.endswith("_back")
        link = _link(model, name.removesuffix("_back") if back else name)
        if link is not None:
            definition = model.links[link]
            columns.append(Column(name, definition.incoming_title if back else definition.title, "in" if back else "out", link))
            continue
        own = model.roles.field(role, name)
        if own in fields:
            columns.append(Column(name, model.field_title(own), "field"))
            continue
        known = ", ".join(sorted({*fields, *SPECIAL, *(r.value for r in Relation if model.roles.link(r))}))
        problems.append(f"column {name!r} is no field of {' or '.join(types) or role.value}, no relation and none of {', '.join(SPECIAL)} (known: {known})")
        columns.append(Column(name, humanise(name), "field"))
    return columns, problems


def check(model: NeedModel, options: dict[str, str]) -> list[str]:
    """What is wrong with the directive's options, for a warning at its line."""
    role = Role.named(options.get("role", ""))
    if role is None:
        return ["give the role of the needs to show: :role: software_requirement (a role of the README)"]
    if not model.roles.has(role):
        return []  # the view says so on the page
    return resolve(model, role, options.get("columns", ""))[1]


def _value(state: Evaluated, need: Need, column: Column) -> Cell:
    corpus = state.corpus
    if column.kind == "statement":
        content = need.fields.get("content") or ""
        return cell(*prose(content)) if content else cell(Emphasis("no statement"))
    if column.kind == "status":
        return cell(need.fields.get("status") or "")
    if column.kind == "class":
        return cell(corpus.safety_class(need))
    if column.kind in ("out", "in") and column.link is not None:
        linked = corpus.linked(need, column.link) if column.kind == "out" else corpus.linking(need, column.link)
        return cell(*needs_parts(n.id for n in sorted_needs(linked)))
    model = state.declarations.model
    value = corpus.value(need, column.name)
    if value is None:
        return cell()
    definition = model.fields.get(corpus.field_name(need, column.name))
    if definition is not None and definition.enum:
        return cell(label(state, need, column.name))
    return cell(*prose(value))


def needs_table(state: Evaluated, options: dict[str, str]) -> list[Block]:
    role = Role.named(options.get("role", ""))
    if role is None:
        return []
    if missing := unmapped(state, role):
        return missing
    model = state.declarations.model
    columns, _ = resolve(model, role, options.get("columns", ""))
    types = model.roles.types_of(role)
    kind = " / ".join(model.types[t].title for t in types)
    title = options.get("title") or plural(kind)
    table = TableBuilder((kind, *(c.header for c in columns)), ("techfile-needs", f"techfile-needs-{role.value.replace('_', '-')}"), title)
    for need in sorted_needs(state.corpus.by_role(role)):
        table.add(cell(*titled(state, need.id)), *(_value(state, need, c) for c in columns))
    return [table.table()]
