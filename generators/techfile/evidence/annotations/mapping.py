""":class:`~techfile.evidence.annotations.reader.Export` becomes one
annotation record need (``ANNOT_<dataset>``) linked (``annotates``) to the
authored dataset it labels: the annotators with their number of independent
annotations, the dates, the final label distribution (the adjudicated label,
else the independent annotators' unanimous one), the inter-rater agreement,
the adjudicated tasks and by whom, and the protocol version.

IDs come from the dataset (else the file name), never from counts or clocks.
"""

from __future__ import annotations

import re
from collections import Counter

from techfile.evidence.annotations.agreement import agreement
from techfile.evidence.annotations.reader import Export, Task
from techfile.evidence.interface import EvidenceNeed
from techfile.model.roles import Relation, Role

SEPARATOR = "; "
TOOL = "Label Studio"
UNRESOLVED = "(unresolved)"


def slug(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_") or "X"


def record_id(dataset: str | None, shown: str) -> str:
    return f"ANNOT_{slug(dataset.removeprefix('DATA_') if dataset else shown.rsplit('/', 1)[-1].rsplit('.', 1)[0])}"


def final_label(task: Task) -> str:
    adjudication = task.adjudication
    if adjudication is not None:
        return adjudication.label
    labels = {a.label for a in task.independent}
    return labels.pop() if len(labels) == 1 else UNRESOLVED


def _counts(counter: Counter[str]) -> str:
    return SEPARATOR.join(f"{key}={value}" for key, value in sorted(counter.items()))


def annotation_need(export: Export, shown: str, dataset: str | None, protocol_version: str | None) -> EvidenceNeed:
    tasks = export.tasks
    independent = Counter(a.annotator for task in tasks for a in task.independent)
    adjudicators = Counter(task.adjudication.annotator for task in tasks if task.adjudication is not None)
    done = [a for task in tasks for a in task.annotations if not a.cancelled]
    dates = sorted(a.created_at[:10] for a in done if a.created_at)
    raters = [len(task.independent) for task in tasks]
    disagreements = sum(1 for task in tasks if len({a.label for a in task.independent}) > 1)
    unresolved = sum(1 for task in tasks if final_label(task) == UNRESOLVED)
    found = agreement(tasks)
    leads = [a.lead_time for a in done if a.lead_time is not None]
    fields = {
        "annotation_tool": TOOL,
        "tasks": str(len(tasks)),
        "annotations": str(len(done)),
        "annotators": _counts(independent),
        "raters_min": str(min(raters)) if raters else "",
        "raters_max": str(max(raters)) if raters else "",
        "annotated_from": dates[0] if dates else "",
        "annotated_to": dates[-1] if dates else "",
        "label_distribution": _counts(Counter(final_label(task) for task in tasks)),
        "agreement_metric": found.metric,
        "agreement": f"{found.value:.4f}" if found.value is not None else "",
        "agreement_tasks": str(found.tasks),
        "adjudicated": str(sum(adjudicators.values())),
        "adjudicators": _counts(adjudicators),
        "cancelled": str(sum(1 for task in tasks for a in task.annotations if a.cancelled)),
        "protocol_version": protocol_version or "",
        "source_file": shown,
        "source_sha256": export.sha256,
    }
    metric = "Cohen's kappa" if found.metric == "cohen_kappa" else "Krippendorff's alpha"
    value = f"{found.value:.4f}" if found.value is not None else "undefined"
    lead = f"; median lead time {sorted(leads)[len(leads) // 2]:.1f} s" if leads else ""
    return EvidenceNeed(
        id=record_id(dataset, shown),
        role=Role.ANNOTATION_RECORD,
        title=f"Labels of {dataset or shown}: {len(tasks)} tasks, {len(independent)} annotator(s), {metric} {value}",
        content=f"{TOOL} export {shown} (label control {export.control or 'none'}): {len(tasks)} tasks, {len(done)} annotations by "
        f"{len(independent)} independent annotator(s), {disagreements} task(s) with disagreeing labels, {sum(adjudicators.values())} adjudicated, "
        f"{unresolved} unresolved; {metric} {value} on {found.tasks} task(s){lead}.",
        fields={k: v for k, v in fields.items() if v},
        links={Relation.ANNOTATES: (dataset,)} if dataset else {},
    )
