""":class:`~techfile.evidence.monitoring.records.MonitoringReport` records
become monitoring-result needs: one per measurement, linked to the monitoring
rule of the plan that names its metric and subgroup (``measures``) and to the
registered model version monitored (``observes``).

A measurement no rule of the plan names, or a report for a model version the
technical file does not hold, is an error: a result that belongs to nothing
would sit in the file unjudged. IDs come from the window, the rule and the
subgroup, never from clocks or outcomes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from techfile.evidence.interface import EvidenceNeed
from techfile.evidence.monitoring.records import MonitoringError, MonitoringReport
from techfile.evidence.monitoring.thresholds import beyond
from techfile.model.roles import Relation, Role


def slug(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_") or "X"


@dataclass(frozen=True)
class PlanRule:
    """An authored monitoring rule of the plan, as the mapping needs it."""

    id: str
    metric: str
    subgroup: str
    """The dimension (``sex``), or ``""``."""
    threshold: str


def result_id(report: MonitoringReport, rule: PlanRule) -> str:
    level = f"_{slug(report.subgroup.partition('=')[2])}" if report.subgroup else ""
    return f"MONRES_{slug(report.window_start)}_{slug(rule.id.removeprefix('MON_'))}{level}"


def _outcome(threshold: str, value: float) -> str:
    return "beyond" if beyond(threshold, repr(value)) else "within"


def monitoring_needs(reports: Sequence[MonitoringReport], plan: Sequence[PlanRule], versions: Mapping[tuple[str, str], str]) -> list[EvidenceNeed]:
    """Every result of the reports; ``versions``: (registered model, version) -> the version need's ID."""
    rules = {(rule.metric, rule.subgroup): rule for rule in plan}
    needs: dict[str, EvidenceNeed] = {}
    for report in reports:
        version = versions.get((report.registered_model, report.model_version))
        if version is None:
            known = ", ".join(f"{m} version {v}" for m, v in sorted(versions)) or "none"
            raise MonitoringError(
                f"{report.source}: the report monitors {report.registered_model} version {report.model_version}, which is no registered model version of the technical file (it holds: {known})",
                fix="run `techfile mlflow` for the version in the field first, or correct the report's metadata registered_model and model_version",
            )
        for measurement in report.measurements:
            rule = rules.get((measurement.metric, report.dimension))
            if rule is None:
                where = f" per {report.dimension}" if report.dimension else ""
                named = ", ".join(f"{m} per {s}" if s else m for m, s in sorted(rules)) or "nothing"
                raise MonitoringError(
                    f"{report.source}: the report measures {measurement.metric}{where} ({measurement.source_metric}), which no monitoring rule of the plan names (the plan names: {named})",
                    fix=f"add a monitoring rule (a `monitor` need with monitored_metric {measurement.metric}{' and subgroup ' + report.dimension if report.dimension else ''}), or leave the metric out of the report",
                )
            need_id = result_id(report, rule)
            if need_id in needs:
                raise MonitoringError(f"{report.source}: a second report measures {measurement.metric} for the window starting {report.window_start}{' for ' + report.subgroup if report.subgroup else ''}", fix="give each window one report per subgroup")
            value = f"{measurement.value:.6g}"
            outcome = _outcome(rule.threshold, measurement.value)
            where = f" for {report.subgroup}" if report.subgroup else ""
            fields = {
                "monitored_metric": measurement.metric,
                "subgroup": report.subgroup,
                "metric_value": value,
                "threshold": rule.threshold,
                "monitor_outcome": outcome,
                "window_start": report.window_start,
                "window_end": report.window_end,
                "reference_digest": report.reference_digest,
                "current_digest": report.current_digest,
                "registered_model": report.registered_model,
                "model_version": report.model_version,
                "report_format": report.report_format,
                "source_file": report.source,
                "source_sha256": report.sha256,
            }
            needs[need_id] = EvidenceNeed(
                id=need_id,
                role=Role.MONITORING_RESULT,
                title=f"{measurement.metric}{where} {report.window_start}..{report.window_end}: {value} ({outcome})",
                content=f"{measurement.source_metric} = {value} in {report.source}, threshold {rule.threshold}: {outcome}.",
                fields={k: v for k, v in fields.items() if v},
                links={Relation.MEASURES: (rule.id,), Relation.OBSERVES: (version,)},
            )
    return [needs[key] for key in sorted(needs)]
