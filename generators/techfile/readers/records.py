"""Needs from needs.json records: generated evidence and exchange files that
``needimport`` and ``techfile-evidence`` bring in.

A record is read as sphinx-needs 9.1 imports it in a build
(``needimport`` -> ``ingest_need_record``), so ``techfile check`` sees the
needs the build sees:

* a record sphinx-needs refuses ("Need '<id>' could not be imported", a
  ``needs.import_need`` warning that fails ``-W``) is a
  :class:`~techfile.errors.TechfileError` here: a ``type`` that is missing,
  not a string or not a type of the need model; a ``title`` that is missing
  or not a string; a ``content`` or ``status`` that is not a string; a field
  of the type whose value is not a string (a number, a list, an object); a
  link of the type that is neither a string nor a list of strings. A
  ``null`` field, status or link is no value, as in sphinx-needs (a ``null``
  content it refuses, and so does this reader);
* a link given as one string is split at commas, as sphinx-needs coerces it;
* keys the type does not declare are ignored (sphinx-needs warns and drops
  them);
* a ``source_line`` that is not a line number in ASCII digits (``"²"``,
  which ``str.isdigit`` accepts and ``int`` refuses) is a string like any
  other, as sphinx-needs takes it: the need is then located at the import,
  like a record without ``source_line``, and the integrity rule finds the
  difference from its source file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from techfile.corpus import Need, normalise_links
from techfile.errors import TechfileError
from techfile.model.needmodel import NeedModel

_LINE_NUMBER = re.compile(r"[0-9]+")


def line_number(value: str | None) -> int | None:
    """``value`` as a line number (1 or more, ASCII digits only), else None.

    ``str.isdigit`` is not enough: it accepts ``"²"`` and other digits that
    ``int`` refuses. The Sphinx build's reader should locate needs with this
    same test, so both readers put a need at the same place.
    """
    if value is None or not _LINE_NUMBER.fullmatch(value):
        return None
    number = int(value)
    return number if number >= 1 else None


@dataclass(frozen=True)
class RecordFile:
    """The needs.json file records are read from, for messages that name it."""

    path: Path
    """The file, to find a record's line in."""
    shown: str
    """The file as messages name it (relative to the project root)."""
    id_prefix: str = ""
    """The ``id_prefix`` of the import: the file's keys lack it."""

    def line_of(self, need_id: str) -> int | None:
        """The line of the record keyed ``need_id`` (``"<id>": {``), None if not found."""
        key = need_id.removeprefix(self.id_prefix)
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        found = re.search(re.escape(json.dumps(key, ensure_ascii=False)) + r"\s*:\s*\{", text)
        if found is None:
            found = re.search(re.escape(json.dumps(key)) + r"\s*:\s*\{", text)  # a writer that escapes non-ASCII
        return text.count("\n", 0, found.start()) + 1 if found else None


class RecordError(TechfileError):
    """A needs.json record sphinx-needs would not import."""


_KINDS: dict[type, str] = {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object"}


def _described(value: Any) -> str:
    """A JSON value for a message: its kind and (shortened) how the file writes it."""
    if value is None:
        return "null"
    written = json.dumps(value, ensure_ascii=False, default=str)
    return f"{_KINDS.get(type(value), type(value).__name__)} ({written if len(written) <= 60 else written[:59] + '…'})"


class _Reader:
    """Reads one record, raising :class:`RecordError` where it is."""

    def __init__(self, record: dict[str, Any], path: str, line: int, source: RecordFile | None) -> None:
        self.record = record
        self.id = str(record.get("id", ""))
        self.path = path
        self.line = line
        self.source = source

    def error(self, what: str, fix: str) -> RecordError:
        imported = f"{self.path}:{self.line}"
        if self.source is None:
            return RecordError(f"the needs.json record {self.id} imported here: {what}", path=self.path, line=self.line, fix=fix)
        return RecordError(f"record {self.id} (imported at {imported}): {what}", path=self.source.shown, line=self.source.line_of(self.id), fix=fix)

    def text(self, name: str, *, nullable: bool = True) -> str | None:
        """The string value of ``name`` (None when absent, or null and ``nullable``)."""
        value = self.record.get(name)
        if value is None and (nullable or name not in self.record):
            return None
        if not isinstance(value, str):
            raise self.error(
                f"{name} is {_described(value)}, not a string; sphinx-needs does not import it",
                f"write {name} as a string, or regenerate the file with its generator",
            )
        return value

    def links(self, name: str) -> tuple[str, ...]:
        value = self.record.get(name)
        if value is None:
            return ()
        if isinstance(value, str):
            return normalise_links(value.split(","))
        if isinstance(value, list) and all(isinstance(target, str) for target in value):
            return normalise_links(value)
        raise self.error(
            f"link {name} is {_described(value)}, not a list of need IDs; sphinx-needs does not import it",
            f'write {name} as a list of IDs (["ID_1", "ID_2"]), or regenerate the file with its generator',
        )


def need_from_record(model: NeedModel, record: dict[str, Any], path: str, line: int, source: RecordFile | None = None) -> Need:
    """A need from a needs.json record (generated evidence or an exchange file).

    ``path`` and ``line`` are where it is imported (the ``needimport`` or
    ``techfile-evidence`` directive); ``source``, when given, is the
    needs.json file, which errors then name with the record's line.
    Raises :class:`RecordError` for a record sphinx-needs would not import
    (see the module's docstring).
    """
    reader = _Reader(record, path, line, source)
    type_name = reader.text("type", nullable=False) or ""
    need_type = model.types.get(type_name)
    if need_type is None:
        raise reader.error(
            f"type {type_name!r} is not a type of the need model (types: {', '.join(sorted(model.types))})",
            "import needs of the model's types only, or declare the type in the need model",
        )
    title = reader.text("title", nullable=False)
    if title is None:
        raise reader.error("has no title; sphinx-needs does not import it", "give the record a title")
    fields: dict[str, str] = {}
    for name in need_type.fields:
        value = reader.text(name)
        if value:
            fields[name] = value
    status = reader.text("status")
    if status:
        fields["status"] = status
    content = reader.text("content", nullable=False)
    if content:
        fields["content"] = content
    links = {name: targets for name in need_type.links if (targets := reader.links(name))}
    source_file = fields.get("source_file")
    source_line = line_number(fields.get("source_line"))
    located = bool(source_file and source_line)
    return Need(reader.id, need_type.directive, title, source_file if located and source_file else path, source_line if located and source_line else line, fields, links)
