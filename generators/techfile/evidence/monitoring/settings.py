"""``[[tool.techfile.monitoring]]``: monitoring reports read into monitoring results, written as one needs.json."""

from __future__ import annotations

from dataclasses import dataclass

from techfile.settings import setting

DEFAULT_OUTPUT = "needs/generated/monitoring.json"
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


def _positive(value: int) -> str | None:
    return None if value > 0 else f"{value} is not a positive number of bytes"


@dataclass(frozen=True)
class MonitoringJob:
    """One ``[[tool.techfile.monitoring]]`` entry: the reports of a monitoring period written to one needs.json."""

    output: str = setting(help="needs.json to write, relative to the project root (e.g. `needs/generated/monitoring.json`).")
    reports: tuple[str, ...] = setting((), help="Monitoring reports (Evidently snapshots, `Snapshot.dumps()`), relative to the project root; glob patterns are expanded and sorted.")
    model: str | None = setting(None, help="ID of the authored ML model whose monitoring plan (`monitor` needs linked `monitors`) the reports are judged against; default: every monitoring rule of the project.")
    max_report_bytes: int = setting(DEFAULT_MAX_BYTES, help="A report larger than this is refused before it is read (bytes).", check=_positive, fix="give a positive number of bytes")
    software_version: str | None = setting(None, help="Version recorded in the needs.json; default: `TECHFILE_SOFTWARE_VERSION`, else `git describe`.")
