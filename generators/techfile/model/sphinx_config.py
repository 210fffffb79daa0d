"""A need model from any sphinx-needs project's own configuration.

For ``techfile needs`` on a project without a ``[tool.techfile]`` table:
conf.py is executed as Sphinx executes it (:meth:`sphinx.config.Config.read`,
no extension loaded), ``needs_from_toml`` is followed to the project's
ubproject.toml, and the need types, fields (``needs_fields``, or the older
``needs_extra_options``), link types (``needs_links``, ``needs_extra_links``,
and the ``links`` every sphinx-needs project has) and ID settings become a
:class:`~techfile.model.needmodel.NeedModel` and a description of what
Sphinx reads (source folder, root document, suffixes, include and exclude
patterns). A need written without an ID gets the one sphinx-needs derives.
"""

from __future__ import annotations

import hashlib
import tomllib
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from techfile.errors import TechfileError
from techfile.model.needmodel import NeedModel
from techfile.settings import Where
from techfile.tomlfile import KeyLines

# sphinx-needs' own defaults (sphinx_needs.config), for a conf.py that sets nothing
DEFAULT_TYPES = (
    ("req", "Requirement", "R_"),
    ("spec", "Specification", "S_"),
    ("impl", "Implementation", "I_"),
    ("test", "Test Case", "T_"),
    ("need", "Need", "N_"),
)
DEFAULT_ID_REGEX = "^[A-Z0-9_]{5,}"


@dataclass(frozen=True)
class AutoIds:
    """How sphinx-needs makes the ID of a need written without one."""

    length: int
    from_title: bool

    def make(self, prefix: str, title: str, content: str) -> str:
        hashed = hashlib.sha1((title or content).encode("utf-8")).hexdigest().upper()
        if self.from_title:
            hashed = title.upper().replace(" ", "_") + "_" + hashed
        return f"{prefix}{hashed[: self.length]}"


@dataclass(frozen=True)
class SphinxSources:
    """What the Sphinx build of the project reads."""

    srcdir: Path
    root_doc: str
    suffixes: tuple[str, ...]
    include_patterns: tuple[str, ...]
    exclude_patterns: tuple[str, ...]


def _read_conf(confdir: Path) -> dict[str, Any]:
    from sphinx.config import Config
    from sphinx.errors import ConfigError
    from sphinx.util.tags import Tags

    conf = confdir / "conf.py"
    if not conf.is_file():
        raise TechfileError("no [tool.techfile] table and no conf.py here", path=confdir, fix="run in a techfile or Sphinx project, or pass --project DIR")
    try:
        config = Config.read(confdir, overrides={}, tags=Tags())
    except ConfigError as exc:
        line = next((frame.lineno for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == str(conf)), None)
        cause = exc.__cause__ or exc
        line = line or next((frame.lineno for frame in traceback.extract_tb(cause.__traceback__) if frame.filename == str(conf)), None)
        raise TechfileError(f"conf.py cannot be executed: {cause}", path=conf, line=line, fix="fix conf.py (sphinx-build fails on it too)") from None
    raw: dict[str, Any] = dict(config._raw_config)
    toml_name = raw.get("needs_from_toml")
    if toml_name:
        toml_file = confdir / str(toml_name)
        try:
            table: Any = tomllib.loads(toml_file.read_text(encoding="utf-8"))
            for key in (*raw.get("needs_from_toml_table", []), "needs"):
                table = table[key]
        except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
            raise TechfileError(f"needs_from_toml {toml_name}: cannot read its [needs] table ({exc})", path=toml_file, fix="fix the file, as sphinx-needs reads it") from None
        for key, value in dict(table).items():
            raw.setdefault(f"needs_{key}", value)
    return raw


def _types(raw: dict[str, Any]) -> list[dict[str, Any]]:
    value = raw.get("needs_types")
    if value is None:
        return [{"directive": d, "title": t, "prefix": p} for d, t, p in DEFAULT_TYPES]
    if isinstance(value, Mapping):
        return [{"directive": key, **dict(entry)} for key, entry in value.items()]
    return [dict(entry) for entry in value if isinstance(entry, Mapping)]


def _named(entries: Any, key: str) -> dict[str, dict[str, Any]]:
    """A ``needs_extra_options`` / ``needs_extra_links`` list (names or mappings) as name -> declaration."""
    out: dict[str, dict[str, Any]] = {}
    for entry in entries or ():
        if isinstance(entry, str):
            out[entry] = {}
        elif isinstance(entry, Mapping) and entry.get(key):
            out[str(entry[key])] = dict(entry)
    return out


def load(confdir: Path) -> tuple[NeedModel, SphinxSources, AutoIds | None]:
    """The need model, the sources and the ID derivation of the sphinx-needs project in ``confdir``."""
    raw = _read_conf(confdir)
    types = _types(raw)
    fields = {**_named(raw.get("needs_extra_options"), "name"), **{k: dict(v or {}) for k, v in dict(raw.get("needs_fields") or {}).items()}}
    links = {"links": {"outgoing": "links outgoing", "incoming": "links incoming"}}
    links.update(_named(raw.get("needs_extra_links"), "option"))
    links.update({k: dict(v or {}) for k, v in dict(raw.get("needs_links") or {}).items()})
    for entry in types:
        fields.update({name: {} for name in dict(entry.get("fields") or {}) if name not in fields})
        links.update({name: {} for name in dict(entry.get("links") or {}) if name not in links})
    directives = [str(entry["directive"]) for entry in types if entry.get("directive")]
    data: dict[str, Any] = {
        "default_safety_class": "C",
        "id_regex": str(raw.get("needs_id_regex", DEFAULT_ID_REGEX)),
        "types": {
            str(entry["directive"]): {"title": str(entry.get("title", entry["directive"])), "prefix": str(entry.get("prefix", "")), "id_pattern": ".*", "fields": sorted(fields)}
            for entry in types
            if entry.get("directive")
        },
        "fields": {name: {"description": str(spec.get("description", ""))} for name, spec in fields.items()},
        "links": {
            name: {"outgoing": str(spec.get("outgoing", name)), "incoming": str(spec.get("incoming", f"{name} back")), "from": directives, "to": ["*"]}
            for name, spec in links.items()
        },
        "roles": {},
        "relations": {},
    }
    conf = confdir / "conf.py"
    model = NeedModel(data, {(): Where(conf, KeyLines(""), ())}, conf)
    suffix = raw.get("source_suffix", {".rst": "restructuredtext"})
    suffixes = [suffix] if isinstance(suffix, str) else list(suffix)
    if "myst_parser" in raw.get("extensions", []) and ".md" not in suffixes:
        suffixes.append(".md")
    sources = SphinxSources(
        srcdir=confdir,
        root_doc=str(raw.get("root_doc", raw.get("master_doc", "index"))),
        suffixes=tuple(s for s in suffixes if s in (".md", ".rst")),
        include_patterns=tuple(raw.get("include_patterns", ["**"])),
        exclude_patterns=tuple(raw.get("exclude_patterns", [])),
    )
    auto = None if raw.get("needs_id_required", False) else AutoIds(int(raw.get("needs_id_length", 5)), bool(raw.get("needs_id_from_title", False)))
    return model, sources, auto
