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


def annotation_records(ctx: Context, dataset: Need) -> list[Need]:
    return sorted(ctx.corpus.incoming(dataset, Relation.ANNOTATES, Role.ANNOTATION_RECORD), key=lambda n: n.id)


def _number(text: str | None) -> float | None:
    try:
        return float((text or "").strip().split()[0]) if (text or "").strip() else None
    except ValueError:
        return None


def _counts(text: str | None) -> dict[str, int]:
    found: dict[str, int] = {}
    for part in (text or "").split(";"):
        key, sep, value = part.strip().rpartition("=")
        if sep and key:
            found[key] = int(value) if value.isdigit() else 0
    return found


@check("annotation_agreement", roles=(Role.DATASET, Role.ANNOTATION_RECORD), relations=(Relation.ANNOTATES,))
def annotation_agreement(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    """M11: a dataset that declares its labelling has an annotation record whose every task has the declared number of
    independent annotators, whose agreement reaches the declared one, and whose protocol version is the declared one."""
    dataset = subject(need)
    required = _number(ctx.value(dataset, "annotators_required"))
    wanted = _number(ctx.value(dataset, "agreement_required"))
    declared_protocol = (ctx.value(dataset, "protocol_version") or "").strip()
    if required is None and wanted is None:
        return
    records = annotation_records(ctx, dataset)
    if not records:
        yield Gap(f"declares {ctx.corpus.field_name(dataset, 'annotators_required')} and has no annotation record (`techfile annotations` with `dataset = \"{dataset.id}\"`)")
        return
    for record in records:
        tasks = ctx.value(record, "tasks") or "?"
        fewest = _number(ctx.value(record, "raters_min"))
        if required is not None and (fewest is None or fewest < required):
            yield Gap(f"its labels ({record.id}, {ctx.value(record, 'source_file') or 'export'}) have {int(fewest or 0)} independent annotator(s) on some of {tasks} tasks, and {dataset.id} declares {int(required)}")
        if wanted is not None:
            value = _number(ctx.value(record, "agreement"))
            metric = ctx.value(record, "agreement_metric") or "agreement"
            if value is None:
                yield Gap(f"its labels ({record.id}) have no inter-rater agreement ({metric} undefined: fewer than two tasks with two independent annotators, or one label only), and {dataset.id} declares {wanted:g}")
            elif value < wanted:
                yield Gap(f"its labels ({record.id}) reach {metric} {value:.4f}, below the {wanted:g} {dataset.id} declares")
        recorded = (ctx.value(record, "protocol_version") or "").strip()
        if declared_protocol and recorded and recorded != declared_protocol:
            yield Gap(f"its labels ({record.id}) follow protocol version {recorded}, and {dataset.id} declares {declared_protocol}")
        if declared_protocol and not recorded:
            yield Gap(f"its labels ({record.id}) record no protocol version (`protocol_version` of the export's input), and {dataset.id} declares {declared_protocol}")


def labelling_roles(ctx: Context) -> dict[str, set[str]] | None:
    """Who the development plan assigns to labelling (``name=role; ...``), None when no plan says."""
    plans = [s for s in ctx.corpus.by_role(Role.STATEMENT) if ctx.value(s, "kind") == "development_plan" and ctx.value(s, "labelling_roles")]
    if not plans:
        return None
    found: dict[str, set[str]] = {}
    for plan in plans:
        for part in (ctx.value(plan, "labelling_roles") or "").split(";"):
            name, _, role = part.strip().partition("=")
            if name.strip():
                found.setdefault(name.strip().lower(), set()).update(r.strip().lower() for r in role.split(",") if r.strip())
    return found


@check("annotators_in_plan", roles=(Role.DATASET, Role.ANNOTATION_RECORD, Role.STATEMENT), relations=(Relation.ANNOTATES,))
def annotators_in_plan(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    """M12: every annotator and adjudicator of a dataset's labels is one the development plan assigns that role."""
    dataset = subject(need)
    records = annotation_records(ctx, dataset)
    if not records:
        return
    roles = labelling_roles(ctx)
    if roles is None:
        yield Gap("has labels, and no development plan statement names the labelling roles (`labelling_roles: name=annotator; name=adjudicator`)")
        return
    for record in records:
        for field, role in (("annotators", "annotator"), ("adjudicators", "adjudicator")):
            for person in sorted(_counts(ctx.value(record, field))):
                if role not in roles.get(person.lower(), set()):
                    held = ", ".join(sorted(roles.get(person.lower(), set()))) or "no labelling role"
                    yield Gap(f"its labels ({record.id}) were made by the {role} {person}, whom the development plan gives {held}")


def _pairs(text: str | None) -> dict[str, int]:
    return _counts(text)


@check("data_leakage", roles=(Role.ML_MODEL, Role.DATASET, Role.DATASET_VERSION), relations=(Relation.TRACKS,))
def data_leakage(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    """M13: no patient of the test set is in the training or validation set, and a declared site or temporal split holds
    (counts from the DVC versions' record keys; never a key)."""
    model = subject(need)
    authored = _authored_datasets(ctx, model)
    tests = [(d, v) for d in authored.get("testing", ()) for v in dataset_versions(ctx, d)]
    others = [(split, d, v) for split in ("training", "validation") for d in authored.get(split, ()) for v in dataset_versions(ctx, d)]
    for dataset, version in sorted(tests, key=lambda p: (p[0].id, p[1].id)):
        patients, sites = _pairs(ctx.value(version, "patient_overlap")), _pairs(ctx.value(version, "site_overlap"))
        split_by = (ctx.value(dataset, "split_by") or "").strip().lower()
        keyed = bool(ctx.value(version, "distinct_patients"))
        if split_by and not keyed and split_by == "patient":
            yield Gap(f"declares a patient split for {dataset.id}, and its DVC version {version.id} records no patient keys (`patient_key` of the [[tool.techfile.dvc]] job)")
        for split, other, other_version in others:
            shared = patients.get(other_version.id)
            if shared:
                yield Gap(f"its test set {dataset.id} shares {shared} patient(s) with its {split} dataset {other.id} ({version.id} and {other_version.id}; counts only)")
            if split_by == "site":
                if not ctx.value(version, "distinct_sites"):
                    yield Gap(f"declares a site split for {dataset.id}, and its DVC version {version.id} records no sites (`site_key` of the [[tool.techfile.dvc]] job)")
                elif sites.get(other_version.id):
                    yield Gap(f"declares a site split, and its test set {dataset.id} shares {sites[other_version.id]} site(s) with its {split} dataset {other.id}")
            if split_by == "temporal":
                starts, ends = ctx.value(version, "date_from") or "", ctx.value(other_version, "date_to") or ""
                if not starts or not ends:
                    yield Gap(f"declares a temporal split for {dataset.id}, and the DVC versions {version.id} and {other_version.id} record no dates (`date_key` of the [[tool.techfile.dvc]] job)")
                elif starts <= ends:
                    yield Gap(f"declares a temporal split, and its test set {dataset.id} starts {starts}, before its {split} dataset {other.id} ends {ends}")


PROVENANCE = ("source_systems", "collection_period", "consent_basis", "deidentification", "inclusion_criteria", "exclusion_criteria")
LABELLING = ("labelling_protocol", "protocol_version")


def _documentation_level(ctx: Context) -> str:
    levels = [ctx.value(s, "documentation_level") for s in ctx.corpus.by_role(Role.STATEMENT) if ctx.value(s, "kind") == "documentation_level"]
    return (levels[0] or "").lower() if levels else ""


@check(
    "dataset_provenance",
    roles=(Role.DATASET,),
    params={
        "fields": {"type": "array", "items": {"type": "string"}, "description": "Provenance fields every dataset states."},
        "labelled_fields": {"type": "array", "items": {"type": "string"}, "description": "Fields a labelled dataset (annotation record or `annotators_required`) states besides."},
        "enhanced_fields": {"type": "array", "items": {"type": "string"}, "description": "Fields required besides at the Enhanced documentation level."},
    },
)
def dataset_provenance(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    """M14: a dataset states where its data comes from (``fields``), a labelled one how it was labelled
    (``labelled_fields``), and at the Enhanced documentation level the further ``enhanced_fields``."""
    dataset = subject(need)
    wanted = list(rule.params.get("fields", PROVENANCE))
    labelled = bool(annotation_records(ctx, dataset)) or bool(ctx.value(dataset, "annotators_required"))
    if labelled:
        wanted += [f for f in rule.params.get("labelled_fields", LABELLING) if f not in wanted]
    if _documentation_level(ctx) == "enhanced":
        wanted += [f for f in rule.params.get("enhanced_fields", ()) if f not in wanted]
    missing = [ctx.corpus.field_name(dataset, f) for f in wanted if not (ctx.value(dataset, f) or "").strip()]
    if missing:
        yield Gap(f"states no {', '.join(missing)} (the provenance of its data{' and labels' if labelled else ''})")
