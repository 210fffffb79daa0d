"""Find the evidence kinds: every subpackage of :mod:`techfile.evidence`
that exposes ``KIND``, and every ``techfile.evidence`` entry point of
another installed distribution."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from importlib.metadata import entry_points

import techfile.evidence
from techfile.evidence.interface import EvidenceKind


@cache
def kinds() -> dict[str, EvidenceKind]:
    """Evidence kinds by name, built-in ones first, each sorted by name."""
    found: dict[str, EvidenceKind] = {}
    for module in sorted(pkgutil.iter_modules(techfile.evidence.__path__), key=lambda m: m.name):
        if not module.ispkg:
            continue
        kind = getattr(importlib.import_module(f"techfile.evidence.{module.name}"), "KIND", None)
        if isinstance(kind, EvidenceKind):
            found[kind.name] = kind
    for point in sorted(entry_points(group="techfile.evidence"), key=lambda p: p.name):
        kind = point.load()
        if isinstance(kind, EvidenceKind) and kind.name not in found:
            found[kind.name] = kind
    return found
