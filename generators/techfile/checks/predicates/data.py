"""Data provenance (M09-M14): the authored datasets of an ML model, the
dataset versions ``techfile dvc`` read from a DVC lock (``tracks``), the
annotation records ``techfile annotations`` read from a Label Studio export
(``annotates``), and the MLflow run the model version was evaluated in.

The checks start from the authored model or dataset, so a finding points at
the file and line a writer can fix. A DVC version links to an MLflow run by
digest: the SHA-256 of the locked content is the digest the run logged.

A project without DVC (no dataset version in the evidence) is not checked
against DVC: M09 and M10 then have nothing to compare and stay quiet, and
M01-M03 still judge the run against the authored digests.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from techfile.checks.findings import Gap
from techfile.checks.predicates.ml import CONTEXTS, _authored_datasets, _digest, _named, run_of, versions
from techfile.checks.predicates.registry import check, subject
from techfile.checks.rules import TraceRule
from techfile.corpus import Need
from techfile.model.roles import Relation, Role

if TYPE_CHECKING:
    from techfile.checks.engine import Context

SPLIT_CONTEXT = {"training": "training", "validation": "validation", "testing": "testing"}


def dataset_versions(ctx: Context, dataset: Need) -> list[Need]:
    return sorted(ctx.corpus.incoming(dataset, Relation.TRACKS, Role.DATASET_VERSION), key=lambda n: n.id)


def _uses_dvc(ctx: Context) -> bool:
    return bool(ctx.corpus.by_role(Role.DATASET_VERSION))


def _logged(ctx: Context, run: Need, context: str) -> set[str]:
    return {_digest(d) for d in (ctx.value(run, f"{context}_digest") or "").split(";") if d.strip()}


def _shown(ctx: Context, version: Need) -> str:
    return f"{version.id} ({ctx.value(version, 'dvc_path') or '?'}, {ctx.value(version, 'hash_algorithm') or 'hash'} {ctx.value(version, 'dvc_hash') or '?'})"


@check("dvc_test_locked", roles=(Role.ML_MODEL, Role.DATASET, Role.DATASET_VERSION), relations=(Relation.TRACKS, Relation.VERSION_OF, Relation.EVALUATED_IN))
def dvc_test_locked(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    """M09: each declared dataset's DVC version is the data the evaluated version used (same SHA-256), the lock holds in
    the workspace, and the locked test set is not the locked training or validation set."""
    if not _uses_dvc(ctx):
        return
    model = subject(need)
    authored = _authored_datasets(ctx, model)
    locked: dict[str, dict[str, Need]] = {}
    for split in CONTEXTS:
        for dataset in sorted(authored.get(split, ()), key=lambda n: n.id):
            found = dataset_versions(ctx, dataset)
            if not found:
                yield Gap(f"its {split} dataset {dataset.id} has no DVC-tracked version (a `[[tool.techfile.dvc]]` dataset that `describes` it)")
                continue
            for version in found:
                digest = _digest(ctx.value(version, "digest"))
                locked.setdefault(split, {})[digest] = dataset
                declared = _digest(ctx.value(dataset, "digest"))
                if declared and digest and declared != digest:
                    yield Gap(f"its {split} dataset {dataset.id} declares sha256:{declared}, and its DVC version {_shown(ctx, version)} locks sha256:{digest}")
                if ctx.value(version, "workspace_status") == "modified":
                    yield Gap(f"the workspace copy of {ctx.value(version, 'dvc_path')} ({dataset.id}) differs from what {ctx.value(version, 'dvc_file') or 'its lock'} locks: run `dvc status`, then restore it (`dvc checkout`) or lock it again")
                for mlversion in versions(ctx, model):
                    run = run_of(ctx, mlversion)
                    if run is None:
                        continue
                    logged = _logged(ctx, run, split)
                    if digest and logged and digest not in logged:
                        shown = ", ".join(f"sha256:{d}" for d in sorted(logged))
                        verb = {"testing": "tested on", "training": "trained on", "validation": "validated on"}[split]
                        yield Gap(f"the locked {split} dataset {dataset.id} is sha256:{digest} in DVC ({_shown(ctx, version)}), and {_named(ctx, mlversion)} was {verb} {shown}")
    tests = locked.get("testing", {})
    for split in ("training", "validation"):
        for digest, dataset in sorted(locked.get(split, {}).items()):
            if digest and digest in tests:
                yield Gap(f"its locked test set {tests[digest].id} is the same data as its {split} dataset {dataset.id} (sha256:{digest} in DVC)")


@check("dvc_inputs_tracked", roles=(Role.ML_MODEL, Role.ML_RUN, Role.DATASET_VERSION), relations=(Relation.VERSION_OF, Relation.EVALUATED_IN))
def dvc_inputs_tracked(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    """M10: every dataset input of the evaluated run (by digest) is a dataset version DVC tracks."""
    if not _uses_dvc(ctx):
        return
    model = subject(need)
    tracked = {_digest(ctx.value(v, "digest")) for v in ctx.corpus.by_role(Role.DATASET_VERSION) if ctx.value(v, "digest")}
    for mlversion in versions(ctx, model):
        run = run_of(ctx, mlversion)
        if run is None:
            continue
        for context in CONTEXTS:
            for digest in sorted(_logged(ctx, run, context) - tracked):
                yield Gap(f"the {context} input sha256:{digest} of {_named(ctx, mlversion)} (run {ctx.value(run, 'run_id')}) matches no dataset version DVC tracks (run `techfile dvc`, or track the data with `dvc add`)")
