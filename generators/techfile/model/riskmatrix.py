"""The ISO 14971 risk acceptability matrix of the risk management plan
(``techfile:default`` or a project's ``risk_matrix.toml``): severity and
probability levels and the acceptability class of each combination. A file
that ``extends`` another replaces each top-level key it gives."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from techfile import resources
from techfile.errors import TechfileError
from techfile.model.layers import Layer, load_layers

SCHEMA = "risk_matrix.schema.json"


@dataclass(frozen=True)
class Level:
    key: str
    title: str
    description: str


@dataclass(frozen=True)
class RiskClass:
    key: str
    title: str
    acceptable: bool
    color: str


class RiskMatrix:
    def __init__(self, severity: list[Level], probability: list[Level], classes: list[RiskClass], cells: dict[str, list[str]]) -> None:
        self.severity = severity
        self.probability = probability
        self.classes = {risk_class.key: risk_class for risk_class in classes}
        self._cells = {
            (s, p.key): self.classes[cells[s][column]]
            for s in cells
            for column, p in enumerate(probability)
        }

    def classify(self, severity: str | None, probability: str | None) -> RiskClass | None:
        """The class of a (severity, probability) pair; None when either is not a level."""
        return self._cells.get((severity or "", probability or ""))

    def assess(self, get: Callable[[str], str | None]) -> tuple[RiskClass | None, RiskClass | None]:
        """(initial, residual) class of a hazard whose fields ``get`` reads; without
        residual levels the residual risk is the initial risk."""
        severity, probability = get("severity"), get("probability")
        return self.classify(severity, probability), self.classify(get("residual_severity") or severity, get("residual_probability") or probability)

    def is_severity(self, key: str | None) -> bool:
        return any(level.key == key for level in self.severity)

    def is_probability(self, key: str | None) -> bool:
        return any(level.key == key for level in self.probability)


def load_risk_matrix(path: Path) -> RiskMatrix:
    """The matrix of ``path`` and the layers it extends; each error at the layer that wrote the key."""
    data: dict[str, Any] = {}
    written: dict[str, Layer] = {}
    for layer in load_layers(path, "risk_matrix", SCHEMA):
        data.update(layer.data)
        written.update(dict.fromkeys(layer.data, layer))
    missing = [key for key in ("severity", "probability", "classes", "matrix") if key not in data]
    if missing:
        raise TechfileError(f"the risk matrix declares no {missing[0]}", path=path, line=1, fix=f"add {missing[0]} or extend \"techfile:default\"")
    severity = _levels(data, written, "severity")
    probability = _levels(data, written, "probability")
    classes = [RiskClass(d["key"], d["title"], d["acceptable"], d.get("color", "#FFFFFF")) for d in data["classes"]]
    _unique(written["classes"], "classes", [c.key for c in classes])
    _check_matrix(data["matrix"], written, severity, probability, [c.key for c in classes])
    return RiskMatrix(severity, probability, classes, data["matrix"])


def _levels(data: dict[str, Any], written: dict[str, Layer], key: str) -> list[Level]:
    levels = [Level(d["key"], d["title"], d.get("description", "")) for d in data[key]]
    _unique(written[key], key, [level.key for level in levels])
    return levels


def _unique(layer: Layer, key: str, keys: list[str]) -> None:
    """Each level or class key once: a hazard names it, and two would be one cell."""
    for index, name in enumerate(keys):
        if name in keys[:index]:
            raise layer.where(key, index, "key").error(f"key {name!r} is already the key of {key}[{keys.index(name)}]", fix=f"give each of {key} its own key", keyed=False)


def _check_matrix(matrix: dict[str, list[str]], written: dict[str, Layer], severity: list[Level], probability: list[Level], class_keys: list[str]) -> None:
    """One row per severity level, one cell per probability level, each a class.

    A row missing because a later layer replaced the levels but not the
    matrix is reported at those levels: that is the file to complete.
    """
    layer = written["matrix"]
    levels = [level.key for level in severity]
    for index, level in enumerate(severity):
        row = matrix.get(level.key)
        if row is None:
            if written["severity"] is not layer:
                raise written["severity"].where("severity", index, "key").error(
                    f"severity {level.key!r} has no row in the matrix of {resources.shown(layer.path) or layer.path}", fix="give this file its own [matrix], with one row per severity level", keyed=False
                )
            raise layer.where("matrix").error(f"matrix has no row for severity {level.key!r}", fix=f"add {level.key} = [...] with one class per probability level", keyed=False)
        where = layer.where("matrix", level.key)
        if len(row) != len(probability):
            names = ", ".join(p.key for p in probability)
            raise where.error(f"matrix row {level.key!r} has {len(row)} cells, expected one per probability level ({len(probability)})", fix=f"give one class for each of {names}, in that order", keyed=False)
        for cell in row:
            if cell not in class_keys:
                close = difflib.get_close_matches(cell, class_keys, n=1)
                raise where.error(f"matrix row {level.key!r}: unknown class {cell!r}", fix=(f"did you mean {close[0]!r}? " if close else "") + f"use one of {class_keys}", keyed=False)
    for key in matrix:
        if key not in levels:
            close = difflib.get_close_matches(key, levels, n=1)
            raise layer.where("matrix", key).error(f"matrix row {key!r} is not a severity level", fix=(f"did you mean {close[0]!r}? " if close else "") + f"the levels are {', '.join(levels)}", keyed=False)
