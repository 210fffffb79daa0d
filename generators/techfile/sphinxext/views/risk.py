"""The ISO 14971 risk views: the definitions of the severity and
probability levels and of the acceptability classes, the severity x
probability matrix with the hazards in each cell, and the risk register
with the argument for every residual risk that is not plainly acceptable
and the anomalies behind tests that did not pass."""

from __future__ import annotations

from typing import TYPE_CHECKING

from techfile.checks import verification
from techfile.corpus import Need
from techfile.model.riskmatrix import Level, RiskClass, RiskMatrix
from techfile.model.roles import Relation, Role
from techfile.sphinxext.views.common import (
    anomalies_of,
    assess,
    field_title,
    label,
    needs_parts,
    prose,
    sorted_needs,
    titled,
    unmapped,
)
from techfile.sphinxext.views.data import (
    Block,
    Cell,
    Emphasis,
    Inline,
    NeedRef,
    Strong,
    TableBuilder,
    Text,
    cell,
    needs,
)

if TYPE_CHECKING:
    from techfile.sphinxext.state import Evaluated


def _levels(state: Evaluated, residual: bool) -> dict[tuple[str, str], list[str]]:
    """Hazard IDs per (severity, probability); after control, a residual level replaces the initial one."""
    value = state.corpus.value
    cells: dict[tuple[str, str], list[str]] = {}
    for hazard in sorted_needs(state.corpus.by_role(Role.HAZARD)):
        severity, probability = value(hazard, "severity"), value(hazard, "probability")
        if residual:
            severity = value(hazard, "residual_severity") or severity
            probability = value(hazard, "residual_probability") or probability
        cells.setdefault((severity or "", probability or ""), []).append(hazard.id)
    return cells


def risk_matrix(state: Evaluated, options: dict[str, str]) -> list[Block]:
    """Severity x probability grid, most severe first, coloured by risk class, before or after control."""
    if missing := unmapped(state, Role.HAZARD):
        return missing
    matrix = state.declarations.matrix
    residual = options.get("stage", "initial") == "residual"
    cells = _levels(state, residual)
    title = "Risk matrix after risk control" if residual else "Risk matrix before risk control"
    table = TableBuilder(("Severity \\ Probability", *(p.title for p in matrix.probability)), ("techfile-risk-matrix",), title)
    for severity in reversed(matrix.severity):
        row: list[Cell] = [cell(severity.title)]
        for probability in matrix.probability:
            risk_class = matrix.classify(severity.key, probability.key)
            hazards = cells.get((severity.key, probability.key), [])
            parts: tuple[Inline, ...] = (Emphasis(risk_class.title if risk_class else "?"), *((Text(": "), *needs(hazards)) if hazards else ()))
            if risk_class is None:
                row.append(Cell(parts))
            else:
                row.append(Cell(parts, (f"techfile-risk-{risk_class.key}",), color=risk_class.color))
        table.add(*row)
    return [table.table()]


def _class_meaning(matrix: RiskMatrix, risk_class: RiskClass) -> str:
    """What a class asks for, from its place in the policy: the best class, an acceptable one after reduction, or not acceptable."""
    best = next(iter(matrix.classes.values()))
    if risk_class is best:
        return "Acceptable without further risk reduction."
    if risk_class.acceptable:
        return "Acceptable once reduced as far as possible: the register names the controls that reduce it (ISO 14971 7.1, 7.4)."
    return "Not acceptable: acceptable only with a benefit-risk analysis that shows the benefit outweighs it (ISO 14971 7.4)."


def _level_table(levels: list[Level], title: str, header: str) -> Block:
    table = TableBuilder((header, "Definition"), ("techfile-risk-levels",), title)
    for level in reversed(levels):
        table.add(cell(Strong(level.title)), level.description or "")
    return table.table()


def risk_levels(state: Evaluated, options: dict[str, str]) -> list[Block]:
    """The policy's scales: each severity and probability level with its definition, and each acceptability class."""
    matrix = state.declarations.matrix
    classes = TableBuilder(("Risk class", "Meaning"), ("techfile-risk-classes",), "Risk acceptability classes")
    for risk_class in matrix.classes.values():
        classes.add(cell(Strong(risk_class.title), color=risk_class.color), _class_meaning(matrix, risk_class))
    return [
        _level_table(matrix.severity, "Severity levels", "Severity"),
        _level_table(matrix.probability, "Probability levels", "Probability"),
        classes.table(),
    ]


def _level_title(levels: list[Level], key: str | None) -> str:
    return next((level.title for level in levels if level.key == key), key or "?")


def _sp(state: Evaluated, severity: str | None, probability: str | None) -> str:
    matrix = state.declarations.matrix
    return f"{_level_title(matrix.severity, severity)} / {_level_title(matrix.probability, probability)}"


def _risk_cell(risk_class: RiskClass | None, levels: str | None = None) -> Cell:
    """The risk class, coloured; with ``levels``, the severity and probability that give it, below."""
    if risk_class is None:
        return cell(Emphasis("not estimated"), *((Text(f" ({levels})"),) if levels else ()))
    if levels:
        return cell(Strong(risk_class.title), Text(f" ({levels})"), classes=(f"techfile-risk-{risk_class.key}",), color=risk_class.color)
    return cell(risk_class.title, classes=(f"techfile-risk-{risk_class.key}",), color=risk_class.color)


def _verified(state: Evaluated, hazard: Need) -> list[Need]:
    """The controls of a hazard and the requirements implementing them: what its tests verify."""
    corpus = state.corpus
    controls = corpus.incoming(hazard, Relation.MITIGATES, Role.RISK_CONTROL)
    return [*controls, *(r for c in controls for r in corpus.incoming(c, Relation.IMPLEMENTS, Role.SOFTWARE_REQUIREMENT))]


def _not_passed(state: Evaluated, hazard: Need) -> list[Need]:
    """Results of the hazard's tests that did not pass (skipped, failed, error)."""
    corpus = state.corpus
    results: list[Need] = []
    for need in _verified(state, hazard):
        for spec in verification.test_specs(corpus, need):
            results += verification.spec_results(corpus, spec)
        results += verification.direct_results(corpus, need)
    return [r for r in sorted_needs(results) if corpus.value(r, "result") != verification.PASSED]


def _anomalies(state: Evaluated, hazard: Need, result: Need) -> list[Need]:
    """The anomalies that explain a result: found by it (or its specification), else affecting the hazard's items or requirements."""
    corpus = state.corpus
    found = anomalies_of(state, result)
    if found:
        return found
    affected = {i.id for i in corpus.outgoing(hazard, Relation.ARISES_FROM)} | {n.id for n in _verified(state, hazard)}
    return sorted_needs(a for a in corpus.by_role(Role.ANOMALY) if affected & set(corpus.link_targets(a, Relation.AFFECTS)))


def _notes(state: Evaluated, hazard: Need, residual: RiskClass | None) -> Cell:
    """The argument for a residual risk that is not plainly acceptable, and the anomalies behind tests that did not pass."""
    corpus = state.corpus
    matrix = state.declarations.matrix
    best = next(iter(matrix.classes.values()))
    parts: list[Inline] = []
    benefit = corpus.value(hazard, "benefit_risk")
    controls = sorted_needs(corpus.incoming(hazard, Relation.MITIGATES, Role.RISK_CONTROL))
    if benefit:
        parts += [Strong(f"{field_title(state, Role.HAZARD, 'benefit_risk')}: "), *prose(benefit)]
    elif residual is not None and residual is not best:
        if residual.acceptable and controls:
            parts += [Strong("Reduced as far as possible"), Text(" by ")]
            for index, control in enumerate(controls):
                option = label(state, control, "option")
                parts += [*([Text(", ")] if index else []), NeedRef(control.id), Text(f" ({option.lower()})" if option else "")]
            parts.append(Text(f"; {residual.title.lower()} remains: acceptable under the policy once reduced (ISO 14971 7.1, 7.4)."))
        elif residual.acceptable:
            parts += [Strong("No risk control"), Text(f" reduces this {residual.title.lower()} risk, and no benefit-risk analysis is recorded.")]
        else:
            parts += [Strong("Not acceptable"), Text(": no benefit-risk analysis is recorded (ISO 14971 7.4).")]
    acceptance = corpus.value(hazard, "risk_acceptance")
    if acceptance:
        parts += [*([Text(" ")] if parts else []), Strong(f"{field_title(state, Role.HAZARD, 'risk_acceptance')}: "), *prose(acceptance)]
    for result in _not_passed(state, hazard):
        outcome = corpus.value(result, "result") or "no outcome"
        specs = corpus.outgoing(result, Relation.RESULT_OF, Role.TEST_SPECIFICATION)
        parts += [*([Text(" ")] if parts else []), Strong(f"Test {outcome}: "), NeedRef(result.id)]
        if specs:
            parts += [Text(" of "), *needs_parts(s.id for s in specs)]
        anomalies = _anomalies(state, hazard, result)
        if anomalies:
            parts.append(Text(", explained by "))
            for index, anomaly in enumerate(anomalies):
                resolution = label(state, anomaly, "resolution")
                parts += [*([Text(", ")] if index else []), NeedRef(anomaly.id), Text(f" {anomaly.title}" + (f" ({resolution.lower()})" if resolution else ""))]
                rationale = corpus.value(anomaly, "rationale") or corpus.value(anomaly, "safety_impact")
                if rationale:
                    parts += [Text(": "), *prose(rationale.rstrip(". "))]
        else:
            parts += [Text(", "), Strong("no anomaly records why")]
        parts.append(Text("."))
    return Cell(tuple(parts))


def risk_register(state: Evaluated, options: dict[str, str]) -> list[Block]:
    if missing := unmapped(state, Role.HAZARD):
        return missing
    corpus = state.corpus
    value = corpus.value
    # Five columns, so that the register reads at 1024 px without scrolling: the harm
    # goes with its situation, the severity and probability with the class they give.
    headers = (
        f"{field_title(state, Role.HAZARD, 'hazardous_situation')} and {field_title(state, Role.HAZARD, 'harm').lower()}",
        "Initial risk",
        "Risk controls",
        "Residual risk",
        "Residual-risk argument and open test results",
    )
    table = TableBuilder(headers, ("techfile-risk-register",), "Risk register", widths=(32, 13, 9, 13, 33))
    for hazard in sorted_needs(corpus.by_role(Role.HAZARD)):
        initial, residual = assess(state, hazard)
        severity, probability = value(hazard, "severity"), value(hazard, "probability")
        controls = sorted_needs(corpus.incoming(hazard, Relation.MITIGATES, Role.RISK_CONTROL))
        situation, harm = value(hazard, "hazardous_situation") or "", value(hazard, "harm") or ""
        table.add(
            cell(
                *titled(state, hazard.id),
                *((Text(": "), *prose(situation)) if situation else ()),
                *((Text(" "), Strong(f"{field_title(state, Role.HAZARD, 'harm')}: "), *prose(harm)) if harm else ()),
            ),
            _risk_cell(initial, _sp(state, severity, probability)),
            cell(*needs_parts(c.id for c in controls)) if controls else cell(Emphasis("none")),
            _risk_cell(residual, _sp(state, value(hazard, "residual_severity") or severity, value(hazard, "residual_probability") or probability)),
            _notes(state, hazard, residual),
        )
    return [table.table()]
