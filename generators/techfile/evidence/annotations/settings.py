"""``[[tool.techfile.annotations]]``: Label Studio JSON exports, one annotation record per dataset, written as one needs.json."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from techfile.settings import setting

DEFAULT_OUTPUT = "needs/generated/annotations.json"


@dataclass(frozen=True)
class AnnotationInput:
    """One export: ``{ path = "labels/test.json", dataset = "DATA_TEST", protocol_version = "2.1" }``."""

    SHORTHAND: ClassVar[str] = "path"
    TABLE_NAME: ClassVar[str] = "inputs"

    path: str = setting(help="Label Studio JSON export (Export -> JSON: tasks with their annotations), relative to the project root.")
    dataset: str | None = setting(None, help="ID of the authored dataset the export labels (e.g. `DATA_TEST`); rules M11 and M12 judge its labels.")
    protocol_version: str | None = setting(None, help="Version of the labelling protocol the annotators followed; M11 compares it with the dataset's `protocol_version`.")
    users: str | None = setting(None, help="The project's users as Label Studio's `/api/users/` lists them (JSON: `id`, `email`), relative to the project root: the export names annotators by user ID, the record by e-mail.")
    label: str | None = setting(None, help="The `from_name` of the choices control whose label is the reference label; default: the only one the export uses.")


@dataclass(frozen=True)
class AnnotationJob:
    """One ``[[tool.techfile.annotations]]`` entry: exports, each one annotation record, merged into one needs.json."""

    NESTED: ClassVar[tuple[type, ...]] = (AnnotationInput,)

    output: str = setting(help="needs.json to write, relative to the project root (e.g. `needs/generated/annotations.json`).")
    inputs: tuple[AnnotationInput, ...] = setting((), help="Exports to read: paths, or tables with `path`, `dataset`, `protocol_version` and `label`.")
    software_version: str | None = setting(None, help="Version of the software the labels are for; default: `TECHFILE_SOFTWARE_VERSION`, else `git describe`.")
