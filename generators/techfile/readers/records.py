"""Needs from needs.json records: generated evidence and exchange files that
``needimport`` and ``techfile-evidence`` bring in."""

from __future__ import annotations

from typing import Any

from techfile.corpus import Need, normalise_links
from techfile.model.needmodel import NeedModel


def need_from_record(model: NeedModel, record: dict[str, Any], path: str, line: int) -> Need | None:
    """A need from a needs.json record (generated evidence or an exchange file)."""
    need_type = model.types.get(str(record.get("type", "")))
    if need_type is None:
        return None
    fields = {name: str(record[name]) for name in need_type.fields if record.get(name) not in (None, "", [])}
    if record.get("status"):
        fields["status"] = str(record["status"])
    if record.get("content"):
        fields["content"] = str(record["content"])
    links = {}
    for name in need_type.links:
        value = record.get(name) or []
        targets = normalise_links(value.split(",") if isinstance(value, str) else value)
        if targets:
            links[name] = targets
    source_file = fields.get("source_file")
    source_line = fields.get("source_line")
    return Need(
        str(record["id"]),
        need_type.directive,
        str(record.get("title", "")),
        source_file or path,
        int(source_line) if source_file and source_line and source_line.isdigit() else line,
        fields,
        links,
    )
