"""``[[tool.techfile.mlflow]]``: one registered model version, read from an MLflow tracking store, written as one needs.json."""

from __future__ import annotations

from dataclasses import dataclass

from techfile.settings import setting

DEFAULT_OUTPUT = "needs/generated/mlflow.json"


@dataclass(frozen=True)
class MlflowJob:
    """One ``[[tool.techfile.mlflow]]`` entry: a model version and its runs written to one needs.json."""

    output: str = setting(help="needs.json to write, relative to the project root (e.g. `needs/generated/mlflow.json`).")
    tracking_uri: str = setting(help="The tracking store: `sqlite:///path/mlflow.db` (relative to the project root), a file store directory, or a tracking server `http://host:port`; `--tracking-uri` overrides it.")
    model: str = setting(help="Name of the registered model.")
    alias: str | None = setting(None, help="Alias of the version to read (e.g. `released`); give this or `version`.")
    version: str | None = setting(None, help="Version number to read; give this or `alias`.")
    describes: str | None = setting(None, help="ID of the authored ML model need the version is a version of (e.g. `MODEL_PJI`); its `model_digest` and datasets are what rules M3 and M6 compare with.")
    requirements: tuple[str, ...] = setting((), help="IDs of the requirements whose `acceptance_criteria` are evaluated; default: every software requirement that has acceptance criteria.")
    software_version: str | None = setting(None, help="Version of the software the criterion results are for; default: `TECHFILE_SOFTWARE_VERSION`, else `git describe`.")
