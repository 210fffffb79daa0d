"""The ISO 14971 risk acceptability matrix of the risk management plan
(``techfile:default`` or a project's ``risk_matrix.toml``): severity and
probability levels and the acceptability class of each combination. A file
that ``extends`` another replaces each top-level key it gives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from techfile.errors import TechfileError
from techfile.model.layers import load_layers
from techfile.tomlfile import KeyLines

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
    data: dict[str, Any] = {}
    lines = KeyLines("")
    for layer in load_layers(path, "risk_matrix", SCHEMA):
        data.update(layer.data)
        path, lines = layer.path, layer.lines  # errors below point at the layer that wrote the matrix last
    missing = [key for key in ("severity", "probability", "classes", "matrix") if key not in data]
    if missing:
        raise TechfileError(f"the risk matrix declares no {missing[0]}", path=path, fix=f"add {missing[0]} or extend \"techfile:default\"")
    severity = [Level(d["key"], d["title"], d.get("description", "")) for d in data["severity"]]
    probability = [Level(d["key"], d["title"], d.get("description", "")) for d in data["probability"]]
    classes = [RiskClass(d["key"], d["title"], d["acceptable"], d.get("color", "#FFFFFF")) for d in data["classes"]]
    class_keys = {c.key for c in classes}
    matrix = data["matrix"]
    for level in severity:
        row = matrix.get(level.key)
        line = lines.line_of(("matrix", level.key)) or lines.line_of(("matrix",))
        if row is None:
            raise TechfileError(f"matrix has no row for severity {level.key!r}", path=path, line=line)
        if len(row) != len(probability):
            raise TechfileError(
                f"matrix row {level.key!r} has {len(row)} cells, expected one per probability level ({len(probability)})",
                path=path,
                line=line,
            )
        for cell in row:
            if cell not in class_keys:
                raise TechfileError(f"matrix row {level.key!r}: unknown class {cell!r}", path=path, line=line, fix=f"use one of {sorted(class_keys)}")
    for key in matrix:
        if key not in {level.key for level in severity}:
            raise TechfileError(f"matrix row {key!r} is not a severity level", path=path, line=lines.line_of(("matrix", key)))
    return RiskMatrix(severity, probability, classes, matrix)
