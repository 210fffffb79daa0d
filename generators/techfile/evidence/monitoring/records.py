"""The domain records of a monitoring report, as the reader hands them to the mapping."""

from __future__ import annotations

from dataclasses import dataclass

from techfile.evidence.interface import EvidenceError


class MonitoringError(EvidenceError):
    """A monitoring report that cannot be turned into monitoring results; nothing is written."""


@dataclass(frozen=True)
class Measurement:
    """One metric a report measured, by the name a monitoring rule gives it."""

    metric: str
    """``auc``, ``calibration_slope``, ``drift_share``, ``drift:<column>``."""
    value: float
    source_metric: str
    """What the library calls it (``RocAuc``, ``ValueDrift(column=prediction)``)."""


@dataclass(frozen=True)
class MonitoringReport:
    """One report: the window, the model version and the data it measured."""

    source: str
    """The file as messages and ``source_file`` name it."""
    sha256: str
    report_format: str
    """Library, format and version: ``evidently 0.7.23 snapshot (metric_result_v2)``."""
    registered_model: str
    model_version: str
    window_start: str
    window_end: str
    subgroup: str
    """``""`` for the whole population, else ``dimension=level``."""
    reference_digest: str
    current_digest: str
    measurements: tuple[Measurement, ...]

    @property
    def dimension(self) -> str:
        return self.subgroup.partition("=")[0]
