"""Read the datasets a DVC repository tracks into domain records, through
DVC's own library (``dvc.repo.Repo``: its index of stages from ``dvc.yaml``
and ``dvc.lock`` and of single-output ``.dvc`` files).

Before DVC sees a repository, its metafiles are checked the way DVC would
not: ``dvc.lock``, ``dvc.yaml``, ``params.yaml`` and every ``.dvc`` file must
load as plain YAML with no anchors or aliases (DVC's YAML loader expands a
YAML bomb; the MLflow reader's check is reused).

Each output's content is read from the DVC cache by the hash the lock
records (else from the workspace when its MD5 is that hash), and its SHA-256
computed: the digest the MLflow run logged for the dataset (tag ``sha256``)
is a SHA-256, DVC's own hash an MD5, and the two meet only through the
content. A directory output's SHA-256 is that of the sorted
``sha256  path`` manifest of its files, as for a model artifact.

Where the job names record-key columns (patient, site, date), each CSV
output's keys are read into sets; the mapping writes only their counts and
overlaps, never a key (they may be personal data).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from techfile.evidence.interface import EvidenceError

_CSV_LIMIT = 2_000_000_000  # a CSV larger than this is not read for keys


class DvcEvidenceError(EvidenceError):
    """A DVC repository, its lock or a tracked output cannot be read; nothing is written."""


@dataclass(frozen=True)
class Keys:
    """The record keys of one CSV output, in memory only: the needs carry counts."""

    records: int
    patients: frozenset[str] = frozenset()
    sites: frozenset[str] = frozenset()
    date_from: str = ""
    date_to: str = ""


@dataclass(frozen=True)
class TrackedOutput:
    """One output of a stage or a ``.dvc`` file, as the lock records it."""

    path: str
    """Relative to the DVC repository root, POSIX."""
    hash_name: str
    hash_value: str
    size: int | None
    nfiles: int | None
    is_dir: bool
    dvc_file: str
    """The metafile that locks it: ``dvc.lock`` or ``data/raw.csv.dvc``."""
    stage: str
    """The stage name (``split``), empty for a ``.dvc`` file."""
    cmd: str = ""
    deps: tuple[tuple[str, str], ...] = ()
    """(path, hash) of each dependency of its stage."""
    params: tuple[tuple[str, str], ...] = ()
    """(``file:key``, value) of each parameter of its stage."""
    siblings: tuple[str, ...] = ()
    """The other outputs of its stage."""
    sha256: str = ""
    workspace: str = "unchanged"
    """``unchanged``, ``modified`` (the workspace file differs from the lock) or ``missing``."""
    keys: Keys | None = None


@dataclass(frozen=True)
class DvcRepoRecord:
    root: Path
    outputs: tuple[TrackedOutput, ...] = field(default_factory=tuple)
    metafiles: tuple[tuple[str, str], ...] = ()
    """(path, SHA-256) of ``dvc.lock`` and every ``.dvc`` file read."""


# ------------------------------------------------------- the metafiles ---


def _metafiles(root: Path) -> Iterator[Path]:
    for name in ("dvc.lock", "dvc.yaml", "params.yaml"):
        if (root / name).is_file():
            yield root / name
    for path in sorted(root.rglob("*.dvc")):
        parts = path.relative_to(root).parts
        if path.is_file() and not any(p in (".dvc", ".git") or p.startswith(".venv") for p in parts[:-1]):
            yield path


def check_metafiles(root: Path) -> list[Path]:
    """Every DVC metafile of the repository, each refused unless it is plain YAML data."""
    from techfile.evidence.mlflow.reader import _yaml_problem

    if not (root / ".dvc").is_dir():
        raise DvcEvidenceError(f"{root} is not a DVC repository (no .dvc directory)", path=root, fix="name the folder where `dvc init` was run (repo = ...), or run `dvc init` there")
    found = list(_metafiles(root))
    for path in found:
        problem = _yaml_problem(path)
        if problem:
            raise DvcEvidenceError(f"the DVC metafile {path.name} {problem}", path=path, fix="restore the file as DVC wrote it (`git checkout` it, then `dvc repro` or `dvc commit`); techfile reads plain YAML only")
    return found


# --------------------------------------------------------- the content ---


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _content(repo: Any, root: Path, out: TrackedOutput) -> tuple[bytes | None, str]:
    """The locked content of a file output (cache, else the workspace when its MD5 is the lock's), and the workspace state."""
    workspace = root / out.path
    state = "missing"
    if workspace.is_file():
        state = "unchanged" if _md5(workspace) == out.hash_value else "modified"
    cached = Path(repo.cache.local.oid_to_path(out.hash_value)) if out.hash_value else None
    if cached is not None and cached.is_file():
        return cached.read_bytes(), state
    if state == "unchanged":
        return workspace.read_bytes(), state
    return None, state


def _dir_sha256(repo: Any, root: Path, out: TrackedOutput) -> tuple[str, str]:
    listing = Path(repo.cache.local.oid_to_path(out.hash_value))
    if not listing.is_file():
        return "", "missing" if not (root / out.path).is_dir() else "unchanged"
    try:
        entries = json.loads(listing.read_text(encoding="utf-8"))
    except ValueError:
        raise DvcEvidenceError(f"the DVC cache's listing of {out.path} ({out.hash_value}) is not JSON", path=listing, fix="run `dvc pull` or `dvc fetch` to restore the cache") from None
    manifest: list[str] = []
    for entry in sorted(entries, key=lambda e: str(e.get("relpath", ""))):
        cached = Path(repo.cache.local.oid_to_path(str(entry.get("md5", ""))))
        if not cached.is_file():
            return "", "missing"
        manifest.append(f"{_sha256(cached.read_bytes())}  {entry.get('relpath')}\n")
    return _sha256("".join(manifest).encode("utf-8")), "unchanged"


def _keys(data: bytes, path: str, patient: str | None, site: str | None, date: str | None) -> Keys | None:
    if not (patient or site or date) or not path.endswith(".csv") or len(data) > _CSV_LIMIT:
        return None
    reader = csv.DictReader(io.StringIO(data.decode("utf-8", errors="replace")))
    columns = set(reader.fieldnames or ())
    wanted = [c for c in (patient, site, date) if c]
    if not any(c in columns for c in wanted):
        return None
    patients: set[str] = set()
    sites: set[str] = set()
    dates: list[str] = []
    records = 0
    for row in reader:
        records += 1
        if patient and row.get(patient):
            patients.add(row[patient])
        if site and row.get(site):
            sites.add(row[site])
        if date and row.get(date):
            dates.append(row[date])
    return Keys(records, frozenset(patients), frozenset(sites), min(dates) if dates else "", max(dates) if dates else "")


# ------------------------------------------------------------ the repo ---


def _relative(path: str, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def _hash(entry: Any) -> tuple[str, str]:
    info = entry.hash_info
    value = info.value if info is not None else None
    return (str(info.name or ""), value if isinstance(value, str) else "")


def _params(dep: Any) -> list[tuple[str, str]]:
    value = dep.hash_info.value if dep.hash_info is not None else None
    if not isinstance(value, dict):
        return []
    return [(f"{dep.def_path}:{key}", json.dumps(v, sort_keys=True) if not isinstance(v, str) else v) for key, v in sorted(value.items())]


def read_repo(root: Path, *, patient_key: str | None = None, site_key: str | None = None, date_key: str | None = None) -> DvcRepoRecord:
    """Every output the repository's lock and ``.dvc`` files record, with its content's SHA-256."""
    root = root.resolve()
    metafiles = check_metafiles(root)
    try:
        from dvc.exceptions import DvcException
        from dvc.repo import Repo
    except ImportError:
        raise DvcEvidenceError("DVC is not installed, so no DVC repository can be read", fix="pip install 'techfile[data]'") from None
    logging.getLogger("dvc").setLevel(logging.ERROR)
    try:
        repo = Repo(str(root))
    except DvcException as error:
        raise DvcEvidenceError(f"DVC cannot open the repository {root}: {' '.join(str(error).split())[:300]}", path=root, fix="run `dvc doctor` there") from None
    try:
        try:
            stages = list(repo.index.stages)
        except DvcException as error:
            raise DvcEvidenceError(f"DVC cannot read the stages of {root}: {' '.join(str(error).split())[:300]}", path=root / "dvc.lock", fix="restore dvc.yaml and dvc.lock as DVC wrote them, then `dvc status`") from None
        outputs: list[TrackedOutput] = []
        for stage in stages:
            is_pipeline = type(stage).__name__ == "PipelineStage"
            dvc_file = "dvc.lock" if is_pipeline else _relative(stage.path, root)
            deps: list[tuple[str, str]] = []
            params: list[tuple[str, str]] = []
            for dep in stage.deps:
                if type(dep).__name__ == "ParamsDependency":
                    params.extend(_params(dep))
                else:
                    deps.append((_relative(dep.fs_path, root), _hash(dep)[1]))
            paths = [_relative(out.fs_path, root) for out in stage.outs]
            for out, path in zip(stage.outs, paths, strict=True):
                name, value = _hash(out)
                if not value:
                    raise DvcEvidenceError(f"{dvc_file} records no hash for the output {path}" + (f" of the stage {stage.name}" if is_pipeline else ""), path=root / dvc_file, fix="run `dvc repro` (a stage) or `dvc commit` so the lock records the output")
                meta = out.meta
                record = TrackedOutput(
                    path=path, hash_name=name, hash_value=value, size=meta.size if meta else None, nfiles=meta.nfiles if meta else None,
                    is_dir=value.endswith(".dir"), dvc_file=dvc_file, stage=stage.name if is_pipeline else "", cmd=str(getattr(stage, "cmd", "") or "") if is_pipeline else "",
                    deps=tuple(sorted(deps)), params=tuple(sorted(params)), siblings=tuple(sorted(p for p in paths if p != path)),
                )
                outputs.append(_with_content(repo, root, record, patient_key, site_key, date_key))
    finally:
        repo.close()
    shown = tuple((_relative(str(p), root), _sha256(p.read_bytes())) for p in metafiles if p.name != "params.yaml" and p.name != "dvc.yaml")
    return DvcRepoRecord(root, tuple(sorted(outputs, key=lambda o: o.path)), shown)


def _with_content(repo: Any, root: Path, out: TrackedOutput, patient: str | None, site: str | None, date: str | None) -> TrackedOutput:
    from dataclasses import replace

    if out.is_dir:
        digest, state = _dir_sha256(repo, root, out)
        if not digest:
            raise DvcEvidenceError(f"the content of {out.path} (locked in {out.dvc_file} as {out.hash_name} {out.hash_value}) is neither in the DVC cache nor in the workspace", path=root / out.dvc_file, fix="run `dvc pull` (or `dvc repro`) so the locked data is present")
        return replace(out, sha256=digest, workspace=state)
    data, state = _content(repo, root, out)
    if data is None:
        change = " (the workspace file differs from the lock)" if state == "modified" else ""
        raise DvcEvidenceError(
            f"the content of {out.path} (locked in {out.dvc_file} as {out.hash_name} {out.hash_value}) is neither in the DVC cache nor in the workspace{change}",
            path=root / out.dvc_file,
            fix="run `dvc pull` to fetch the locked data, or `dvc repro`/`dvc commit` to lock the data now in the workspace",
        )
    return replace(out, sha256=_sha256(data), workspace=state, keys=_keys(data, out.path, patient, site, date))
