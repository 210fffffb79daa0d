"""The post-market surveillance report (``techfile-postmarket``): the
monitoring plan, the results per window against their thresholds (a table
coloured as a heat map: one row per rule and subgroup, one column per
window), the field events with their risk evaluation and CAPAs, and a
periodic summary per month that can feed a PSUR (EU MDR Art. 86).

Every number is read from the monitoring results ``techfile monitoring``
wrote and judged against the authored threshold of its rule, as rule PM02
judges it.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from techfile.corpus import Need
from techfile.evidence.monitoring.thresholds import beyond
from techfile.model.roles import Relation, Role
from techfile.sphinxext.views.common import label, sorted_needs, unmapped
from techfile.sphinxext.views.data import Block, Cell, Code, FieldList, Figure, Inline, NeedRef, Paragraph, Rubric, TableBuilder, Text, cell, needs

if TYPE_CHECKING:
    from techfile.sphinxext.state import Evaluated

WITHIN = "#ABEBC6"
BEYOND = "#F1948A"


def _value(state: Evaluated, need: Need | None, name: str) -> str:
    return (state.corpus.value(need, name) or "") if need is not None else ""


def _rule_of(state: Evaluated, result: Need) -> Need | None:
    found = state.corpus.outgoing(result, Relation.MEASURES, Role.MONITORING_RULE)
    return found[0] if found else None


def _beyond(state: Evaluated, result: Need) -> bool:
    rule = _rule_of(state, result)
    judged = beyond(_value(state, rule, "threshold"), _value(state, result, "metric_value")) if rule is not None else None
    return judged if judged is not None else _value(state, result, "monitor_outcome") == "beyond"


def _links(state: Evaluated, need: Need, relation: Relation) -> tuple[Inline, ...]:
    targets = state.corpus.link_targets(need, relation)
    return needs(targets) if targets else (Text("none"),)


def _plan(state: Evaluated) -> list[Block]:
    table = TableBuilder(("Rule", "Measures", "Metric", "Subgroup", "Threshold", "Alert tier", "Alerted", "Window", "Monitors", "Watches"), ("techfile-pm-plan",), "Monitoring plan")
    for rule in sorted_needs(state.corpus.by_role(Role.MONITORING_RULE)):
        table.add(
            cell(NeedRef(rule.id)), label(state, rule, "monitor_kind"), Code(_value(state, rule, "monitored_metric")), _value(state, rule, "subgroup") or "all",
            _value(state, rule, "threshold"), label(state, rule, "alert_tier"), _value(state, rule, "alerted"), _value(state, rule, "monitoring_window"),
            _links(state, rule, Relation.MONITORS), _links(state, rule, Relation.WATCHES),
        )
    if not table.rows:
        return [Paragraph((Text("No monitoring rule is declared (a `monitor` need per metric and subgroup)."),))]
    return [Rubric("Monitoring plan"), table.table()]


def _results(state: Evaluated) -> list[Block]:
    results = state.corpus.by_role(Role.MONITORING_RESULT)
    if not results:
        return [Paragraph((Text("No monitoring result in the evidence (`techfile monitoring`)."),))]
    windows = sorted({(_value(state, r, "window_start"), _value(state, r, "window_end")) for r in results})
    rows: dict[tuple[str, str, str], dict[tuple[str, str], Need]] = {}
    for result in results:
        rule = _rule_of(state, result)
        key = (rule.id if rule else "", _value(state, result, "monitored_metric"), _value(state, result, "subgroup"))
        rows.setdefault(key, {})[(_value(state, result, "window_start"), _value(state, result, "window_end"))] = result
    headers = ("Rule", "Metric", "Subgroup", "Threshold", *(f"{start} to {end}" for start, end in windows))
    table = TableBuilder(headers, ("techfile-pm-results",), "Monitoring results per window")
    for (rule_id, metric, subgroup), by_window in sorted(rows.items()):
        rule = state.corpus.get(rule_id) if rule_id else None
        cells: list[Cell | str | Inline | tuple[Inline, ...]] = [cell(NeedRef(rule_id)) if rule_id else "", Code(metric), subgroup or "all", _value(state, rule, "threshold")]
        for window in windows:
            measured = by_window.get(window)
            if measured is None:
                cells.append("not measured")
                continue
            out = _beyond(state, measured)
            number = _value(state, measured, "metric_value")
            cells.append(cell(NeedRef(measured.id, label=number), " beyond" if out else "", color=BEYOND if out else WITHIN, classes=("techfile-pm-beyond" if out else "techfile-pm-within",), value=float(number) if number else None))
        table.add(*cells)
    digests = sorted({(_value(state, r, "window_start"), _value(state, r, "current_digest"), _value(state, r, "reference_digest"), _value(state, r, "registered_model"), _value(state, r, "model_version")) for r in results if not _value(state, r, "subgroup")})
    data = TableBuilder(("Window from", "Model version", "Current data (SHA-256)", "Reference data (SHA-256)"), ("techfile-pm-data",), "Data measured")
    for start, current, reference, model, version in digests:
        data.add(start, f"{model} version {version}", Code(current[:16] + "…"), Code(reference[:16] + "…"))
    legend = Paragraph((Text("Each cell is the value measured in the window, green within the rule's threshold and red beyond it (rule PM02: a value beyond has a field event)."),))
    return [Rubric("Results per window"), legend, table.table(), *_charts(state), data.table()]


def _bounds(threshold: str) -> list[float]:
    """The numbers a threshold draws as lines (``>= 0.7``: 0.7; ``in [0.8, 1.2]``: both)."""
    from techfile.evidence.mlflow.criteria import CriterionError, parse_criteria

    try:
        parsed = parse_criteria(f"x {threshold}")
    except CriterionError:
        return []
    return [b for c in parsed for b in (c.low, c.high) if b is not None]


def chart(rule_id: str, metric: str, threshold: str, windows: list[str], series: dict[str, dict[str, tuple[float, bool]]]) -> Figure:
    """One rule's values per window as a line per subgroup level, the threshold dashed, values beyond it red (SVG, 420 x 170)."""
    width, height, left, right, top, bottom = 420, 170, 48, 12, 12, 30
    values = [v for points in series.values() for v, _ in points.values()] + _bounds(threshold)
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    pad = (high - low) * 0.1 or 0.05
    low, high = low - pad, high + pad

    def x(index: int) -> float:
        return left + (width - left - right) * (index / max(1, len(windows) - 1))

    def y(value: float) -> float:
        return top + (height - top - bottom) * (1 - (value - low) / (high - low))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{escape(rule_id)} {escape(metric)} per window">']
    parts.append(f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{height - top - bottom}" fill="none" stroke="#999"/>')
    for tick in (low + pad, high - pad):
        parts.append(f'<text x="{left - 4}" y="{y(tick) + 3:.1f}" font-size="9" text-anchor="end" fill="#555">{tick:.3g}</text>')
    for bound in _bounds(threshold):
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(bound):.1f}" y2="{y(bound):.1f}" stroke="#C0392B" stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{left - 4}" y="{y(bound) + 3:.1f}" font-size="9" text-anchor="end" fill="#C0392B">{bound:g}</text>')
    for index, window in enumerate(windows):
        parts.append(f'<text x="{x(index):.1f}" y="{height - bottom + 14}" font-size="9" text-anchor="middle">{escape(window[5:])}</text>')
    for level, points in sorted(series.items()):
        line = " ".join(f"{x(i):.1f},{y(points[w][0]):.1f}" for i, w in enumerate(windows) if w in points)
        parts.append(f'<polyline points="{line}" fill="none" stroke="{"#1F618D" if not level else "#7F8C8D"}" stroke-width="{2 if not level else 1}"><title>{escape(level or "all")}</title></polyline>')
        for i, window in enumerate(windows):
            if window in points:
                value, out = points[window]
                parts.append(f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="3" fill="{"#C0392B" if out else "#1F618D"}"><title>{escape(level or "all")} {escape(window)}: {value:g}</title></circle>')
    parts.append("</svg>")
    beyond_windows = sorted({w for points in series.values() for w, (_, out) in points.items() if out})
    alt = f"{metric} per window, threshold {threshold}; beyond in the window(s) from {', '.join(beyond_windows)}" if beyond_windows else f"{metric} per window, threshold {threshold}; within in every window"
    subgroups = [level for level in series if level]
    caption = f"{rule_id}: {metric}" + (f" per {subgroups[0].partition('=')[0]} ({len(subgroups)} level{'s' if len(subgroups) != 1 else ''})" if subgroups else "") + f", threshold {threshold}"
    return Figure("".join(parts), caption, alt)


def _charts(state: Evaluated) -> list[Block]:
    results = state.corpus.by_role(Role.MONITORING_RESULT)
    windows = sorted({_value(state, r, "window_start") for r in results})
    by_rule: dict[str, dict[str, dict[str, tuple[float, bool]]]] = {}
    for result in results:
        rule = _rule_of(state, result)
        number = _value(state, result, "metric_value")
        if rule is None or not number:
            continue
        by_rule.setdefault(rule.id, {}).setdefault(_value(state, result, "subgroup"), {})[_value(state, result, "window_start")] = (float(number), _beyond(state, result))
    figures: list[Block] = []
    for rule_id, series in sorted(by_rule.items()):
        rule = state.corpus.get(rule_id)
        figures.append(chart(rule_id, _value(state, rule, "monitored_metric"), _value(state, rule, "threshold"), windows, series))
    return figures


def _events(state: Evaluated) -> list[Block]:
    events = sorted(state.corpus.by_role(Role.FIELD_EVENT), key=lambda e: (_value(state, e, "event_date"), e.id))
    table = TableBuilder(("Event", "Date", "Kind", "Release", "Model version", "Safety-relevant", "Hazard", "Risk evaluation", "Raised by", "CAPA"), ("techfile-pm-events",), "Field events")
    for event in events:
        updated = _value(state, event, "updated_probability")
        evaluation = f"probability {_value(state, event, 'previous_probability') or '?'} -> {updated}" if updated else (_value(state, event, "risk_rationale") or "none")
        corrected_by = sorted_needs(state.corpus.incoming(event, Relation.CORRECTS, Role.CORRECTIVE_ACTION))
        capa_parts: list[Inline] = []
        for index, capa in enumerate(corrected_by):
            capa_parts.extend([Text(", ")] if index else [])
            capa_parts.extend([NeedRef(capa.id), Text(f" ({label(state, capa, 'capa_status')})")])
        raised = state.corpus.link_targets(event, Relation.RAISED_BY)
        table.add(
            cell(NeedRef(event.id)), _value(state, event, "event_date"), label(state, event, "event_kind"), _links(state, event, Relation.CONCERNS_RELEASE), _links(state, event, Relation.CONCERNS_VERSION),
            label(state, event, "safety_relevant"), _links(state, event, Relation.RISK_OF), evaluation, f"{len(raised)} result(s)" if raised else "the field", tuple(capa_parts) or (Text("none"),),
        )
    capas = TableBuilder(("CAPA", "Status", "Corrects", "Root cause", "Action", "Verification of effectiveness", "Closed on"), ("techfile-pm-capas",), "Corrective and preventive actions")
    for capa in sorted_needs(state.corpus.by_role(Role.CORRECTIVE_ACTION)):
        capas.add(cell(NeedRef(capa.id)), label(state, capa, "capa_status"), _links(state, capa, Relation.CORRECTS), _value(state, capa, "root_cause"), _value(state, capa, "action"), _value(state, capa, "effectiveness_verification") or "not verified", _value(state, capa, "closed_on"))
    blocks: list[Block] = [Rubric("Field events")]
    blocks.append(table.table() if table.rows else Paragraph((Text("No field event recorded."),)))
    blocks.append(Rubric("Corrective and preventive actions"))
    blocks.append(capas.table() if capas.rows else Paragraph((Text("No CAPA recorded."),)))
    return blocks


def _summary(state: Evaluated) -> list[Block]:
    results = state.corpus.by_role(Role.MONITORING_RESULT)
    events = state.corpus.by_role(Role.FIELD_EVENT)
    capas = state.corpus.by_role(Role.CORRECTIVE_ACTION)
    months = sorted({_value(state, r, "window_start")[:7] for r in results} | {_value(state, e, "event_date")[:7] for e in events} - {""})
    blocks: list[Block] = [Rubric("Periodic summary")]
    if not months:
        return [*blocks, Paragraph((Text("Nothing measured or recorded yet."),))]
    for month in months:
        in_month = [r for r in results if _value(state, r, "window_start").startswith(month)]
        out = sorted_needs(r for r in in_month if _beyond(state, r))
        month_events = sorted_needs(e for e in events if _value(state, e, "event_date").startswith(month))
        corrected = [c for c in capas if any(e.id in state.corpus.link_targets(c, Relation.CORRECTS) for e in month_events)]
        changed = sorted({h for e in month_events if _value(state, e, "updated_probability") for h in state.corpus.link_targets(e, Relation.RISK_OF)})
        versions = sorted({f"{_value(state, r, 'registered_model')} version {_value(state, r, 'model_version')}" for r in in_month})
        windows = sorted({_value(state, r, "window_start") for r in in_month})
        fields: list[tuple[str, tuple[Inline, ...]]] = [
            ("Model versions monitored", (Text(", ".join(versions) or "none"),)),
            ("Windows measured", (Text(f"{len(windows)} ({len(in_month)} measurements)"),)),
            ("Beyond threshold", (Text(f"{len(out)}"), *((Text(" in the windows from "), Text(", ".join(sorted({_value(state, r, 'window_start') for r in out})))) if out else ()))),
            ("Field events", needs(e.id for e in month_events) if month_events else (Text("none"),)),
            ("Safety-relevant", (Text(str(sum(1 for e in month_events if _value(state, e, "safety_relevant") == "yes"))),)),
            ("CAPAs", tuple(p for c in sorted_needs(corrected) for p in (NeedRef(c.id), Text(f" {label(state, c, 'capa_status')} "))) or (Text("none"),)),
            ("Hazards whose probability changed", needs(changed) if changed else (Text("none"),)),
        ]
        blocks.extend([Rubric(f"Period {month}"), FieldList(tuple(fields))])
    return blocks


PARTS = ("all", "plan", "results", "events", "summary")


def postmarket(state: Evaluated, options: dict[str, str]) -> list[Block]:
    if missing := unmapped(state, Role.MONITORING_RULE, Role.MONITORING_RESULT, Role.FIELD_EVENT, Role.CORRECTIVE_ACTION):
        return missing
    part = options.get("part", "all")
    blocks: list[Block] = []
    if part in ("all", "plan"):
        blocks.extend(_plan(state))
    if part in ("all", "results"):
        blocks.extend(_results(state))
    if part in ("all", "events"):
        blocks.extend(_events(state))
    if part in ("all", "summary"):
        blocks.extend(_summary(state))
    return blocks
