"""Write evidence needs as a sphinx-needs ``needs.json``, in the project's
own names.

The generators hand :class:`~techfile.evidence.interface.EvidenceNeed`
records in roles and canonical fields; the need model says which type,
field and link type the project uses for each, so ``needimport`` (and any
other needs.json reader) takes the file as it is. Output is deterministic
(sorted, no clock) and written atomically; generators never touch authored
files.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from techfile import __version__
from techfile.evidence.interface import EvidenceError, EvidenceNeed
from techfile.fileio import write_atomic
from techfile.model.needmodel import NeedModel


def record(need: EvidenceNeed, model: NeedModel) -> dict[str, object]:
    """The needs.json record of one need, in the model's type, field and link names."""
    roles = model.roles
    need_type = roles.type_of(need.role)
    if need_type is None:
        raise EvidenceError(
            f"the need model maps no type to the role {need.role.value}, so {need.id} cannot be written",
            path=model.path,
            fix=f'map one in [roles]: {need.role.value} = "<type>"',
        )
    declared = model.types[need_type]
    fields: dict[str, str] = {}
    for name, value in need.fields.items():
        own = roles.field(need.role, name)
        if own in declared.fields:
            fields[own] = value
    links: dict[str, list[str]] = {}
    for relation, targets in need.links.items():
        link = roles.link(relation)
        if link is None or link not in declared.links:
            raise EvidenceError(
                f"{need.id}: the need model has no link type for the relation {relation.value} on type {need_type}",
                path=model.path,
                fix=f'map it in [relations]: {relation.value} = "<link type>", and allow it from {need_type}',
            )
        links[link] = list(targets)
    out: dict[str, object] = {"id": need.id, "type": need_type, "title": need.title, "content": need.content}
    out.update(sorted(fields.items()))
    out.update(sorted(links.items()))
    return out


def needs_json(needs: Sequence[EvidenceNeed], model: NeedModel, *, version: str, creator: str, created: str) -> bytes:
    """The needs as a needs.json document, byte-identical for identical needs."""
    ordered = sorted(needs, key=lambda need: need.id)
    document = {
        "created": created,
        "current_version": version,
        "project": f"techfile evidence ({creator})",
        "versions": {
            version: {
                "created": created,
                "creator": {"name": f"techfile {creator}", "program": "techfile", "version": __version__},
                "needs": {need.id: record(need, model) for need in ordered},
                "needs_amount": len(ordered),
            }
        },
    }
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_needs_json(path: Path, needs: Sequence[EvidenceNeed], model: NeedModel, *, version: str, creator: str, created: str) -> None:
    write_atomic(path, needs_json(needs, model, version=version, creator=creator, created=created))

