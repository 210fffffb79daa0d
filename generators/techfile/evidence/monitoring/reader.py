"""Read monitoring reports into :class:`MonitoringReport` records.

The interface admits one reader per report format (:data:`READERS`, tried in
order, each saying whether a parsed document is its own); Evidently's
snapshot is the first. NannyML's and whylogs' JSON results would be further
readers: the records and the mapping do not change.

**Evidently** (0.7, the ``Report``/``Snapshot`` API): the snapshot as
``Snapshot.dumps()`` writes it (what Evidently's workspace stores), with the
results in ``metric_results`` (result types ``evidently:metric_result_v2:*``)
and the report's ``metadata``, where the producer records what the report
alone cannot know: ``registered_model``, ``model_version``, ``window_start``,
``window_end``, ``reference_digest``, ``current_digest`` and, for a report
on one subgroup, ``subgroup = "sex=female"``. Evidently's metrics-only
``Snapshot.json()`` carries no metadata, so it is refused with the way to
write the snapshot. Metrics are named as the acceptance criteria name them:
``RocAuc`` is ``auc``, a custom ``CalibrationSlope`` is
``calibration_slope`` (any other metric type: its name in snake case),
``ValueDrift`` of a column ``drift:<column>``, ``DriftedColumnsCount`` the
share of drifted columns ``drift_share``. ``GroupBy`` results are refused:
Evidently 0.7.23 gives a classification metric grouped by a column the
overall value for every group (seen on the example's data), so a subgroup
is one report of its own.

Nothing of the widgets, their random IDs or the report's timestamp reaches
the records: identical measurements give identical results.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from techfile.evidence.monitoring.records import Measurement, MonitoringError, MonitoringReport

RESULT_PREFIX = "evidently:metric_result_v2:"
METRIC_PREFIX = "evidently:metric_v2:"
REQUIRED_METADATA = ("registered_model", "model_version", "window_start", "window_end", "reference_digest", "current_digest")
NAMES = {"RocAuc": "auc", "LogLoss": "log_loss", "F1Score": "f1", "DriftedColumnsCount": "drift_share", "ValueDrift": "drift"}
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
WRITE_SNAPSHOT = (
    "save the whole snapshot: `open(path, 'w').write(report.run(current, reference).dumps())`, with "
    "Report(..., metadata={'registered_model': ..., 'model_version': ..., 'window_start': 'YYYY-MM-DD', 'window_end': 'YYYY-MM-DD', "
    "'reference_digest': ..., 'current_digest': ...})"
)


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"the key {key!r} is given twice")
        found[key] = value
    return found


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


@dataclass(frozen=True)
class Source:
    """A report file: how messages name it, its bytes' SHA-256, the parsed document."""

    shown: str
    sha256: str
    document: Any


def _measurement(shown: str, metric_id: str, result: Mapping[str, Any]) -> Measurement:
    kind = str(result.get("type", ""))
    if not kind.startswith(RESULT_PREFIX):
        raise MonitoringError(f"{shown}: metric result {metric_id} is of the type {kind!r}, not an Evidently metric_result_v2 this reader knows", fix="write the report with Evidently 0.7 (the Report API of evidently>=0.7)")
    location = result.get("metric_value_location") or {}
    params = (location.get("metric") or {}).get("params") if isinstance(location, dict) else None
    if not isinstance(params, dict) or not str(params.get("type", "")).startswith(METRIC_PREFIX):
        raise MonitoringError(f"{shown}: metric result {metric_id} does not say which metric it is (metric_value_location.metric.params.type)", fix="write the report with Evidently's own Snapshot.dumps()")
    name = str(params["type"])[len(METRIC_PREFIX) :]
    if name == "GroupByMetric":
        raise MonitoringError(
            f"{shown}: metric result {metric_id} is a GroupBy result ({params.get('column_name')}={params.get('label')}); Evidently 0.7.23 gives classification metrics grouped by a column the overall value",
            fix="write one report per subgroup, on that subgroup's rows, with metadata subgroup = 'dimension=level'",
        )
    column = params.get("column")
    metric = NAMES.get(name, _snake(name)) + (f":{column}" if isinstance(column, str) and column else "")
    shown_metric = name + (f"(column={column})" if isinstance(column, str) and column else "")
    kind_name = kind[len(RESULT_PREFIX) :]
    if kind_name == "SingleValue":
        value = _number(result.get("value"))
    elif kind_name == "CountValue":
        share = result.get("share")
        value = _number(share.get("value")) if isinstance(share, dict) else None
    else:
        raise MonitoringError(f"{shown}: the metric {shown_metric} gives a {kind_name} result, which no monitoring rule can judge (one number a result)", fix="monitor a metric with a single value (RocAuc, ValueDrift, DriftedColumnsCount, a custom SingleValueMetric)")
    if value is None:
        raise MonitoringError(f"{shown}: the metric {shown_metric} has no numeric value", fix="write the report with Evidently's own Snapshot.dumps()")
    return Measurement(metric, value, shown_metric)


def _evidently(source: Source) -> MonitoringReport | None:
    document = source.document
    if not isinstance(document, dict):
        return None
    if set(document) == {"metrics", "tests"}:
        raise MonitoringError(f"{source.shown}: an Evidently metrics-only JSON (Snapshot.json()), which does not record the model version, window or data digests", fix=WRITE_SNAPSHOT)
    if "metric_results" not in document or "metadata" not in document:
        return None
    results, metadata = document["metric_results"], document["metadata"]
    if not isinstance(results, dict) or not isinstance(metadata, dict):
        raise MonitoringError(f"{source.shown}: metric_results and metadata of an Evidently snapshot are objects", fix=WRITE_SNAPSHOT)
    # a version written as a number (model_version=3) is the version "3"; anything else must be text
    metadata = {k: str(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in metadata.items()}
    missing = [key for key in REQUIRED_METADATA if not isinstance(metadata.get(key), str) or not metadata[key].strip()]
    if missing:
        raise MonitoringError(f"{source.shown}: the report's metadata lacks {', '.join(missing)} (as text)", fix=WRITE_SNAPSHOT)
    for key in ("window_start", "window_end"):
        if not DATE.match(metadata[key]):
            raise MonitoringError(f"{source.shown}: metadata {key} {metadata[key]!r} is not a date YYYY-MM-DD", fix="write the window's first and last day as YYYY-MM-DD")
    subgroup = metadata.get("subgroup", "")
    if not isinstance(subgroup, str) or (subgroup and not re.fullmatch(r"[A-Za-z0-9_]+=\S+", subgroup)):
        raise MonitoringError(f"{source.shown}: metadata subgroup {subgroup!r} is not `dimension=level`", fix="write e.g. subgroup = 'sex=female', or leave it out for the whole population")
    order = document.get("top_level_metrics") or sorted(results)
    if not isinstance(order, list) or any(not isinstance(i, str) or i not in results for i in order):
        raise MonitoringError(f"{source.shown}: top_level_metrics names results the snapshot does not hold", fix="write the report with Evidently's own Snapshot.dumps()")
    measurements = tuple(_measurement(source.shown, metric_id, results[metric_id]) for metric_id in order if isinstance(results[metric_id], dict))
    if not measurements:
        raise MonitoringError(f"{source.shown}: the report measured nothing", fix="add the metrics of the monitoring plan to the Report")
    version = metadata.get("evidently_version")
    library = f"evidently {version}" if isinstance(version, str) and version else "evidently"
    return MonitoringReport(
        source=source.shown,
        sha256=source.sha256,
        report_format=f"{library} snapshot (metric_result_v2)",
        registered_model=metadata["registered_model"].strip(),
        model_version=metadata["model_version"].strip(),
        window_start=metadata["window_start"],
        window_end=metadata["window_end"],
        subgroup=subgroup,
        reference_digest=metadata["reference_digest"].strip().lower().removeprefix("sha256:"),
        current_digest=metadata["current_digest"].strip().lower().removeprefix("sha256:"),
        measurements=measurements,
    )


READERS: tuple[tuple[str, Callable[[Source], MonitoringReport | None]], ...] = (("Evidently snapshot", _evidently),)
"""The report formats, tried in order: each returns None for a document that is not its own."""


def read_report(path: Path, shown: str, max_bytes: int) -> MonitoringReport:
    """One report file; :class:`MonitoringError` naming ``shown`` when it is too big, not JSON or of no known format."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise MonitoringError(f"{shown}: cannot be read ({error.strerror})", fix="name an existing report file") from None
    if size > max_bytes:
        raise MonitoringError(f"{shown}: the report has {size} bytes, more than the limit of {max_bytes}", fix="split the report per window or subgroup, or raise max_report_bytes in [[tool.techfile.monitoring]]")
    data = path.read_bytes()
    try:
        document = json.loads(data.decode("utf-8"), object_pairs_hook=_refuse_duplicates, parse_constant=lambda name: math.nan)
    except UnicodeDecodeError:
        raise MonitoringError(f"{shown}: is not UTF-8 text", fix="give the JSON report the monitoring library wrote") from None
    except ValueError as error:
        raise MonitoringError(f"{shown}: is not JSON ({error})", fix="give the JSON report the monitoring library wrote") from None
    except RecursionError:
        raise MonitoringError(f"{shown}: nests its JSON too deeply to be a monitoring report", fix="give the JSON report the monitoring library wrote") from None
    source = Source(shown, hashlib.sha256(data).hexdigest(), document)
    for _, reader in READERS:
        report = reader(source)
        if report is not None:
            return report
    formats = ", ".join(name for name, _ in READERS)
    raise MonitoringError(f"{shown}: is no monitoring report of a known format (known: {formats})", fix=WRITE_SNAPSHOT)
