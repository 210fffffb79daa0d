"""``[[tool.techfile.dvc]]``: the datasets a DVC repository tracks (``dvc.lock`` and ``.dvc`` files), written as one needs.json."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from techfile.settings import setting

DEFAULT_OUTPUT = "needs/generated/dvc.json"


@dataclass(frozen=True)
class DvcDataset:
    """One tracked output that versions an authored dataset: ``{ path = "data/test.csv", describes = "DATA_TEST" }``."""

    SHORTHAND: ClassVar[str] = "path"
    TABLE_NAME: ClassVar[str] = "datasets"

    path: str = setting(help="Path of the DVC-tracked output, relative to the DVC repository root (e.g. `data/test.csv`).")
    describes: str | None = setting(None, help="ID of the authored dataset need this output is the version of (e.g. `DATA_TEST`); rules M09-M14 compare the two.")


@dataclass(frozen=True)
class DvcJob:
    """One ``[[tool.techfile.dvc]]`` entry: every output of a DVC repository's stages and ``.dvc`` files as dataset versions."""

    NESTED: ClassVar[tuple[type, ...]] = (DvcDataset,)

    output: str = setting(help="needs.json to write, relative to the project root (e.g. `needs/generated/dvc.json`).")
    repo: str = setting(".", help="The DVC repository root (the folder with `.dvc/`), relative to the project root.")
    datasets: tuple[DvcDataset, ...] = setting((), help="Tracked outputs that version authored datasets: paths with `describes`. Every output of the repository is written; these are linked (`tracks`).")
    patient_key: str | None = setting(None, help="CSV column of a patient identifier in the tracked CSV files: the leakage rule M13 counts patients shared between splits (counts only, never the keys).")
    site_key: str | None = setting(None, help="CSV column of the site of a record: M13 checks a declared site split.")
    date_key: str | None = setting(None, help="CSV column of an ISO date of a record: M13 checks a declared temporal split.")
    software_version: str | None = setting(None, help="Version of the software the datasets are for; default: `TECHFILE_SOFTWARE_VERSION`, else `git describe`.")
