"""Read a registered model version, its run and its experiment from an
MLflow tracking store into domain records, through MLflow's own client
(``mlflow.MlflowClient``) only: one code path for a SQLite store, a file
store and a tracking server over HTTP.

Before the client sees a store, the store is checked the way MLflow would
not: a SQLite URI must name an existing SQLite database that passes
``PRAGMA quick_check`` (MLflow would create an empty one in its place), a
file store's YAML files must load with ``yaml.safe_load`` and use no
anchors or aliases (a Python object tag or a YAML bomb is refused), and a
server must answer ``/health``. Reading only: what the records mean for the
technical file is :mod:`~techfile.evidence.mlflow.mapping`'s business.

The full SHA-256 of a dataset is read from the input tag ``sha256`` (MLflow
keeps at most 36 characters of a dataset digest in a database store), else
the MLflow digest is all there is.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from techfile.evidence.interface import EvidenceError


class MlflowEvidenceError(EvidenceError):
    """An MLflow store, model, version or alias cannot be read; nothing is written."""


GIT_COMMIT_TAG = "mlflow.source.git.commit"
GIT_REPO_TAG = "mlflow.source.git.repoURL"
PARENT_TAG = "mlflow.parentRunId"
RUN_NAME_TAG = "mlflow.runName"
CONTEXT_TAG = "mlflow.data.context"
SHA256_TAG = "sha256"
_YAML_LIMIT = 1_000_000
_PAGE = 500
_HEALTH_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class DatasetInput:
    name: str
    digest: str
    """``sha256:<hex>`` from the input tag ``sha256``, else MLflow's own digest."""
    source_type: str
    source: str
    context: str
    """``training``, ``validation``, ``testing`` (the ``mlflow.data.context`` tag), or empty."""
    tags: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Metric:
    key: str
    value: float
    step: int


@dataclass(frozen=True)
class Artifact:
    path: str
    size: int | None


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    name: str
    experiment_id: str
    status: str
    start_time: str
    end_time: str
    lifecycle: str
    git_commit: str = ""
    git_repo: str = ""
    parent_run_id: str = ""
    params: tuple[tuple[str, str], ...] = ()
    metrics: tuple[Metric, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    datasets: tuple[DatasetInput, ...] = ()
    artifacts: tuple[Artifact, ...] = ()

    def metric_values(self) -> dict[str, float]:
        return {metric.key: metric.value for metric in self.metrics}


@dataclass(frozen=True)
class ModelVersionRecord:
    name: str
    version: str
    aliases: tuple[str, ...]
    stage: str
    status: str
    source: str
    run_id: str
    created: str
    tags: tuple[tuple[str, str], ...] = ()
    artifact_files: tuple[tuple[str, str], ...] = ()
    """(path under the version's source, SHA-256) of each file of the model artifact."""

    @property
    def artifact_sha256(self) -> str:
        """The SHA-256 of the model artifact: of its one file, else of the sorted ``sha256  path`` manifest of its files."""
        if len(self.artifact_files) == 1:
            return self.artifact_files[0][1]
        if not self.artifact_files:
            return ""
        manifest = "".join(f"{digest}  {path}\n" for path, digest in self.artifact_files)
        return hashlib.sha256(manifest.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ModelEvidence:
    """Everything read for one model version."""

    tracking_uri: str
    experiment_name: str
    version: ModelVersionRecord
    run: RunRecord
    parent: RunRecord | None
    children: tuple[RunRecord, ...]
    experiment_runs: tuple[RunRecord, ...]
    """Every run of the experiment, the failed and killed ones included, by start time and ID."""
    predecessor: ModelVersionRecord | None = None
    predecessor_run: RunRecord | None = None
    other_versions: tuple[ModelVersionRecord, ...] = field(default_factory=tuple)


def iso(milliseconds: int | None) -> str:
    """A store timestamp (ms since the epoch) in UTC, ``2026-12-01T15:00:00.123Z``; empty when absent."""
    if milliseconds is None:
        return ""
    moment = datetime.fromtimestamp(milliseconds / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{milliseconds % 1000:03d}Z"


# ------------------------------------------------------------ the store ---


def _sqlite_path(uri: str) -> Path:
    return Path(unquote(uri[len("sqlite:///") :])) if uri.startswith("sqlite:///") else Path(unquote(urlparse(uri).path))


def check_sqlite(uri: str) -> None:
    path = _sqlite_path(uri)
    if not path.is_file():
        raise MlflowEvidenceError(f"the tracking store {uri} does not exist ({path} is not a file)", fix="name the SQLite file training logged to (sqlite:///path/to/mlflow.db)")
    with path.open("rb") as handle:
        header = handle.read(16)
    if header != b"SQLite format 3\x00":
        raise MlflowEvidenceError(f"the tracking store {uri} is not a SQLite database ({path} does not start with the SQLite header)", fix="name the SQLite file MLflow wrote, or a file store directory, or a tracking server (http://host:port)")
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            problems = [row[0] for row in connection.execute("PRAGMA quick_check").fetchall()]
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise MlflowEvidenceError(f"the tracking store {uri} is damaged or truncated: {error}", fix="restore the store from its backup, or log the training run again") from None
    if problems != ["ok"]:
        raise MlflowEvidenceError(f"the tracking store {uri} is damaged or truncated: {'; '.join(problems[:3])}", fix="restore the store from its backup, or log the training run again")
    if not {"runs", "experiments", "registered_models", "model_versions"} <= tables:
        raise MlflowEvidenceError(f"the SQLite database {uri} is not an MLflow tracking store (no runs, experiments or model registry tables)", fix="name the store training logged to")


def _yaml_problem(path: Path) -> str | None:
    """Why a file store's YAML file is refused, None when it is plain data."""
    import yaml  # PyYAML comes with MLflow (and myst-parser)

    if path.stat().st_size > _YAML_LIMIT:
        return f"is larger than {_YAML_LIMIT} bytes"
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, (yaml.AliasToken, yaml.AnchorToken)):
                return "uses YAML anchors or aliases (a YAML bomb expands them without bound)"
            if isinstance(token, yaml.TagToken):
                handle, suffix = token.value
                if (handle or "").startswith("!!python") or "python/" in (suffix or "") or handle == "!":
                    return f"carries the tag {handle}{suffix} (a Python object tag constructs code, not data)"
        yaml.safe_load(text)
    except yaml.YAMLError as error:
        return f"is not plain YAML data: {str(error).splitlines()[0]}"
    return None


def check_file_store(uri: str) -> Path:
    path = Path(unquote(urlparse(uri).path)) if uri.startswith("file:") else Path(uri)
    if not path.is_dir():
        raise MlflowEvidenceError(f"the tracking store {uri} does not exist ({path} is not a directory)", fix="name the directory training logged to (file:///path/to/mlruns), or a sqlite:/// or http:// URI")
    for meta in sorted(path.rglob("*.yaml")):
        problem = _yaml_problem(meta)
        if problem:
            raise MlflowEvidenceError(f"the file store {uri} is refused: {meta} {problem}", path=meta, fix="restore the store's meta files as MLflow wrote them; techfile reads plain YAML only")
    return path


def check_server(uri: str) -> None:
    health = uri.rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(health, timeout=_HEALTH_TIMEOUT_S) as response:  # http(s) only: check_store dispatches on the scheme
            if response.status != 200:
                raise MlflowEvidenceError(f"the tracking server {uri} answers {health} with HTTP {response.status}", fix="start the server, or name another --tracking-uri")
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise MlflowEvidenceError(f"the tracking server {uri} is not reachable ({reason})", fix="start it (mlflow server --host 127.0.0.1 --port N ...), or name the store itself (sqlite:///path/mlflow.db)") from None


def check_store(uri: str) -> str:
    """Check the store behind ``uri`` before the client opens it; the URI the client is given."""
    scheme = urlparse(uri).scheme
    if scheme == "sqlite":
        check_sqlite(uri)
        return uri
    if scheme in ("http", "https"):
        check_server(uri)
        # the client retries an unreachable server for minutes by default
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
        return uri
    if scheme in ("", "file"):
        path = check_file_store(uri)
        os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # read only; MLflow 3 asks for it to open a file store at all
        return path.resolve().as_uri()
    raise MlflowEvidenceError(f"the tracking URI {uri} has the scheme {scheme!r}, which techfile does not read", fix="name a SQLite store (sqlite:///path/mlflow.db), a file store (file:///path/mlruns) or a server (http://host:port)")


# ------------------------------------------------------------ the client ---


def _client(uri: str) -> Any:
    try:
        import mlflow
    except ImportError:
        raise MlflowEvidenceError("MLflow is not installed, so no tracking store can be read", fix="pip install 'techfile[mlflow]'") from None
    for name in ("alembic", "mlflow"):  # migrations and store notices are not this command's output
        logging.getLogger(name).setLevel(logging.WARNING)
    # some registry calls of a file store open the process's default tracking store, which is a
    # new ./mlflow.db in the current directory: point the default at the store being read
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)


def _sorted_pairs(mapping: Any) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), str(v)) for k, v in dict(mapping or {}).items()))


def _datasets(run: Any) -> tuple[DatasetInput, ...]:
    inputs = getattr(run, "inputs", None)
    found: list[DatasetInput] = []
    for entry in getattr(inputs, "dataset_inputs", None) or ():
        tags = {tag.key: tag.value for tag in entry.tags or ()}
        dataset = entry.dataset
        full = tags.get(SHA256_TAG, "")
        digest = f"sha256:{full}" if full and not full.startswith("sha256:") else (full or str(dataset.digest or ""))
        found.append(
            DatasetInput(
                name=str(dataset.name or ""),
                digest=digest,
                source_type=str(dataset.source_type or ""),
                source=str(dataset.source or ""),
                context=tags.get(CONTEXT_TAG, ""),
                tags=tuple(sorted((k, v) for k, v in tags.items() if k not in (CONTEXT_TAG,))),
            )
        )
    return tuple(sorted(found, key=lambda d: (d.context, d.name, d.digest)))


def _artifacts(client: Any, run_id: str, path: str | None = None) -> Iterator[Artifact]:
    for info in client.list_artifacts(run_id, path):
        if info.is_dir:
            yield from _artifacts(client, run_id, info.path)
        else:
            yield Artifact(info.path, info.file_size)


def _run(client: Any, raw: Any, *, full: bool) -> RunRecord:
    info, data = raw.info, raw.data
    tags = dict(data.tags or {})
    metrics: tuple[Metric, ...] = ()
    artifacts: tuple[Artifact, ...] = ()
    if full:
        finals = []
        for key in sorted(data.metrics or {}):
            history = client.get_metric_history(info.run_id, key)
            # the final value is the one of the latest step (then the latest timestamp), as MLflow shows it
            last = max(history, key=lambda m: (m.step, m.timestamp, m.value)) if history else None
            finals.append(Metric(key, float(last.value if last else data.metrics[key]), int(last.step if last else 0)))
        metrics = tuple(finals)
        artifacts = tuple(sorted(_artifacts(client, info.run_id), key=lambda a: a.path))
    else:
        metrics = tuple(Metric(key, float(value), 0) for key, value in sorted((data.metrics or {}).items()))
    return RunRecord(
        run_id=info.run_id,
        name=str(info.run_name or tags.get(RUN_NAME_TAG, "")),
        experiment_id=str(info.experiment_id),
        status=str(info.status),
        start_time=iso(info.start_time),
        end_time=iso(info.end_time),
        lifecycle=str(info.lifecycle_stage or ""),
        git_commit=tags.get(GIT_COMMIT_TAG, ""),
        git_repo=tags.get(GIT_REPO_TAG, ""),
        parent_run_id=tags.get(PARENT_TAG, ""),
        params=_sorted_pairs(data.params),
        metrics=metrics,
        tags=tuple(sorted((k, v) for k, v in tags.items())),
        datasets=_datasets(raw),
        artifacts=artifacts,
    )


def _all_runs(client: Any, experiment_id: str) -> list[Any]:
    from mlflow.entities import ViewType

    found: list[Any] = []
    token = None
    while True:
        page = client.search_runs([experiment_id], run_view_type=ViewType.ALL, max_results=_PAGE, page_token=token, order_by=["attributes.start_time ASC"])
        found.extend(page)
        token = getattr(page, "token", None)
        if not token:
            return found


def _source_path(version: Any, run: Any) -> str:
    """The model artifact's path under its run's artifact root."""
    source = str(version.source or "")
    prefix = f"runs:/{run.info.run_id}/"
    if source.startswith(prefix):
        return source[len(prefix) :].strip("/")
    root = str(run.info.artifact_uri or "").rstrip("/")
    if root and source.startswith(root + "/"):
        return source[len(root) + 1 :].strip("/")
    return ""


def _artifact_files(client: Any, version: Any, run: Any) -> tuple[tuple[str, str], ...]:
    path = _source_path(version, run)
    if not path:
        return ()
    with tempfile.TemporaryDirectory(prefix="techfile-mlflow-") as folder:
        local = Path(client.download_artifacts(run.info.run_id, path, folder))
        files = [local] if local.is_file() else sorted(p for p in local.rglob("*") if p.is_file())
        base = local.parent if local.is_file() else local
        return tuple((p.relative_to(base).as_posix(), hashlib.sha256(p.read_bytes()).hexdigest()) for p in files)


def _version(client: Any, raw: Any, run: Any | None) -> ModelVersionRecord:
    return ModelVersionRecord(
        name=str(raw.name),
        version=str(raw.version),
        aliases=tuple(sorted(raw.aliases or ())),
        stage=str(raw.current_stage or ""),
        status=str(raw.status or ""),
        source=str(raw.source or ""),
        run_id=str(raw.run_id or ""),
        created=iso(raw.creation_timestamp),
        tags=_sorted_pairs(raw.tags),
        artifact_files=_artifact_files(client, raw, run) if run is not None else (),
    )


def _mlflow_error(error: Exception) -> str:
    return " ".join(str(error).split())[:300]


def read_model(uri: str, model: str, *, alias: str | None = None, version: str | None = None) -> ModelEvidence:
    """The registered version of ``model`` (by ``alias`` or ``version``) and everything around it."""
    if (alias is None) == (version is None):
        raise MlflowEvidenceError("name the model version by exactly one of --alias and --version", fix="add --alias released, or --version 3")
    opened = check_store(uri)
    client = _client(opened)
    from mlflow.exceptions import MlflowException

    wanted = f"alias {alias!r}" if alias is not None else f"version {version}"
    try:
        registered = client.get_registered_model(model)
    except MlflowException as error:
        raise MlflowEvidenceError(f"the tracking store {uri} has no registered model {model!r} ({_mlflow_error(error)})", fix="name a registered model (mlflow models are listed by MlflowClient().search_registered_models())") from None
    try:
        raw_version = client.get_model_version_by_alias(model, alias) if alias is not None else client.get_model_version(model, version)
    except MlflowException as error:
        known = ", ".join(sorted(registered.aliases or {})) if alias is not None else ""
        hint = f"its aliases: {known}" if known else "list its versions with MlflowClient().search_model_versions()"
        raise MlflowEvidenceError(f"the registered model {model!r} in {uri} has no {wanted} ({_mlflow_error(error)})", fix=hint) from None
    if not raw_version.run_id:
        raise MlflowEvidenceError(f"version {raw_version.version} of {model!r} in {uri} names no run", fix="register the version from its training run (create_model_version(..., run_id=...))")
    try:
        raw_run = client.get_run(raw_version.run_id)
    except MlflowException as error:
        raise MlflowEvidenceError(f"version {raw_version.version} of {model!r} in {uri} names the run {raw_version.run_id}, which the store does not have ({_mlflow_error(error)})", fix="restore the run, or register the version from a run the store has") from None
    run = _run(client, raw_run, full=True)
    experiment = client.get_experiment(raw_run.info.experiment_id)
    every = _all_runs(client, raw_run.info.experiment_id)
    summaries = {raw.info.run_id: _run(client, raw, full=False) for raw in every}
    parent = None
    if run.parent_run_id:
        parent_raw = next((raw for raw in every if raw.info.run_id == run.parent_run_id), None)
        parent = _run(client, parent_raw, full=True) if parent_raw is not None else None
    children = tuple(sorted((_run(client, raw, full=True) for raw in every if summaries[raw.info.run_id].parent_run_id == run.run_id), key=lambda r: (r.start_time, r.run_id)))
    versions = sorted(client.search_model_versions(f"name = '{model}'"), key=lambda v: int(v.version))
    record = _version(client, raw_version, raw_run)
    predecessor = predecessor_run = None
    earlier = [v for v in versions if int(v.version) < int(raw_version.version)]
    if earlier:
        previous = earlier[-1]
        previous_raw = client.get_run(previous.run_id) if previous.run_id else None
        predecessor = _version(client, previous, previous_raw)
        predecessor_run = _run(client, previous_raw, full=True) if previous_raw is not None else None
    others = tuple(_version(client, v, None) for v in versions if str(v.version) != record.version)
    return ModelEvidence(
        tracking_uri=uri,
        experiment_name=str(experiment.name),
        version=record,
        run=run,
        parent=parent,
        children=children,
        experiment_runs=tuple(sorted(summaries.values(), key=lambda r: (r.start_time, r.run_id))),
        predecessor=predecessor,
        predecessor_run=predecessor_run,
        other_versions=others,
    )


def shown_uri(uri: str, root: Path) -> str:
    """A store URI as messages and records show it: a local store relative to the project root."""
    for prefix in ("sqlite:///", "file://"):
        if uri.startswith(prefix):
            path = Path(unquote(uri[len(prefix) :] if prefix == "sqlite:///" else urlparse(uri).path))
            try:
                return prefix + path.resolve().relative_to(root.resolve()).as_posix() if prefix == "file://" else "sqlite:///" + path.resolve().relative_to(root.resolve()).as_posix()
            except ValueError:
                return uri
    return uri

