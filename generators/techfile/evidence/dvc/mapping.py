""":class:`~techfile.evidence.dvc.reader.DvcRepoRecord` becomes needs: one
dataset version need (``DVC_<path>``) per tracked output, with DVC's hash and
its algorithm, the SHA-256 of the content (the digest MLflow runs log), size,
number of files, the stage with its command, dependencies, outputs and
parameters, and the workspace state; linked (``tracks``) to the authored
dataset the job says it versions.

Where the outputs carry record keys, each need counts its records, distinct
patients and sites and its date range, and how many patients and sites it
shares with every other keyed output of the job: counts only, never a key.

IDs come from paths, never from hashes or clocks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from techfile.evidence.dvc.reader import DvcRepoRecord, TrackedOutput
from techfile.evidence.interface import EvidenceNeed
from techfile.model.roles import Relation, Role

SEPARATOR = "; "


def slug(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_") or "X"


def dataset_version_id(path: str) -> str:
    return f"DVC_{slug(path)}"


def _overlaps(out: TrackedOutput, others: Sequence[TrackedOutput], what: str) -> str:
    mine = getattr(out.keys, what) if out.keys else frozenset()
    if not mine:
        return ""
    counts = [f"{dataset_version_id(o.path)}={len(mine & getattr(o.keys, what))}" for o in others if o is not out and o.keys and getattr(o.keys, what)]
    return SEPARATOR.join(counts)


def dataset_need(out: TrackedOutput, outputs: Sequence[TrackedOutput], repo: str, describes: str | None) -> EvidenceNeed:
    keys = out.keys
    fields = {
        "dvc_path": out.path,
        "dvc_repo": repo,
        "dvc_file": out.dvc_file,
        "hash_algorithm": out.hash_name,
        "dvc_hash": out.hash_value,
        "digest": f"sha256:{out.sha256}" if out.sha256 else "",
        "size_bytes": str(out.size) if out.size is not None else "",
        "nfiles": str(out.nfiles) if out.nfiles is not None else ("1" if not out.is_dir else ""),
        "dvc_stage": out.stage,
        "stage_cmd": out.cmd,
        "stage_deps": SEPARATOR.join(f"{path} {value}".strip() for path, value in out.deps),
        "stage_outs": SEPARATOR.join(out.siblings),
        "stage_params": SEPARATOR.join(f"{key}={value}" for key, value in out.params),
        "workspace_status": out.workspace,
        "records": str(keys.records) if keys else "",
        "distinct_patients": str(len(keys.patients)) if keys and keys.patients else "",
        "distinct_sites": str(len(keys.sites)) if keys and keys.sites else "",
        "date_from": keys.date_from if keys else "",
        "date_to": keys.date_to if keys else "",
        "patient_overlap": _overlaps(out, outputs, "patients"),
        "site_overlap": _overlaps(out, outputs, "sites"),
    }
    where = f"the stage {out.stage} of {out.dvc_file}" if out.stage else out.dvc_file
    return EvidenceNeed(
        id=dataset_version_id(out.path),
        role=Role.DATASET_VERSION,
        title=f"{out.path} ({out.hash_name} {out.hash_value[:12]})",
        content=f"DVC-tracked {'directory' if out.is_dir else 'file'} {out.path} of {repo}, locked by {where}: {out.hash_name} {out.hash_value}, SHA-256 {out.sha256 or 'unknown'}.",
        fields={k: v for k, v in fields.items() if v},
        links={Relation.TRACKS: (describes,)} if describes else {},
    )


def evidence_needs(record: DvcRepoRecord, repo: str, describes: Mapping[str, str]) -> list[EvidenceNeed]:
    """One dataset version need per tracked output; ``describes`` maps output paths to authored dataset IDs."""
    return [dataset_need(out, record.outputs, repo, describes.get(out.path)) for out in record.outputs]
