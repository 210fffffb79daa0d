"""Read a Label Studio JSON export (Export -> JSON: a list of tasks, each
with its ``annotations``) into domain records: who labelled which task,
when, with which label, whether the annotation was cancelled (skipped) and
whether it is the ground truth.

A ground-truth annotation is read as the adjudication of its task: its
author is an adjudicator, and it is not one of the task's independent
annotations. Reading only; the agreement is :mod:`.agreement`'s business.

``completed_by`` is a user ID in Label Studio's JSON export, or a user
object (``{"id": 1, "email": ...}``) in older exports and the SDK's; the
annotator is its e-mail when there is one, else ``user <id>``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from techfile.evidence.interface import EvidenceError

_LIMIT = 200_000_000


class AnnotationEvidenceError(EvidenceError):
    """An export is not a Label Studio JSON export, or a task or annotation is incomplete; nothing is written."""


@dataclass(frozen=True)
class Annotation:
    annotation_id: str
    annotator: str
    label: str
    created_at: str
    updated_at: str
    lead_time: float | None
    cancelled: bool
    ground_truth: bool


@dataclass(frozen=True)
class Task:
    task_id: str
    annotations: tuple[Annotation, ...]

    @property
    def independent(self) -> tuple[Annotation, ...]:
        """The task's independent annotations: neither cancelled nor the ground truth, one per annotator (the latest)."""
        latest: dict[str, Annotation] = {}
        for annotation in self.annotations:
            if annotation.cancelled or annotation.ground_truth:
                continue
            kept = latest.get(annotation.annotator)
            if kept is None or (annotation.updated_at, annotation.annotation_id) > (kept.updated_at, kept.annotation_id):
                latest[annotation.annotator] = annotation
        return tuple(sorted(latest.values(), key=lambda a: a.annotator))

    @property
    def adjudication(self) -> Annotation | None:
        truths = [a for a in self.annotations if a.ground_truth and not a.cancelled]
        return max(truths, key=lambda a: (a.updated_at, a.annotation_id)) if truths else None


@dataclass(frozen=True)
class Export:
    path: Path
    sha256: str
    tasks: tuple[Task, ...]
    control: str
    """The ``from_name`` whose choices are the labels."""


def _annotator(value: Any, users: dict[int, str] | None = None) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and users and value in users:
        return users[value]
    if isinstance(value, dict):
        email = value.get("email")
        if isinstance(email, str) and email:
            return email
        value = value.get("id")
    if isinstance(value, bool) or value is None or value == "":
        return ""
    return f"user {value}" if isinstance(value, int) else str(value)


def _choices(result: Any, where: str, path: Path) -> list[tuple[str, str]]:
    if not isinstance(result, list):
        raise AnnotationEvidenceError(f"{where}: its result is not a list of regions", path=path, fix="export the project again (Export -> JSON)")
    found: list[tuple[str, str]] = []
    for region in result:
        if not isinstance(region, dict):
            raise AnnotationEvidenceError(f"{where}: a result entry is not an object", path=path, fix="export the project again (Export -> JSON)")
        value = region.get("value")
        choices = value.get("choices") if isinstance(value, dict) else None
        if isinstance(choices, list) and choices:
            found.append((str(region.get("from_name", "")), ",".join(sorted(str(c) for c in choices))))
    return found


def read_users(path: Path, shown: str) -> dict[int, str]:
    """User ID -> e-mail from Label Studio's ``/api/users/`` listing."""
    if not path.is_file():
        raise AnnotationEvidenceError(f"the Label Studio user list {shown} does not exist", path=path, fix="save GET /api/users/ of the Label Studio instance to that path, or correct `users`")
    try:
        listed = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise AnnotationEvidenceError(f"the Label Studio user list {shown} is not JSON ({str(error).splitlines()[0]})", path=path, fix="save GET /api/users/ as it answers") from None
    if not isinstance(listed, list) or not all(isinstance(u, dict) and isinstance(u.get("id"), int) and isinstance(u.get("email"), str) for u in listed):
        raise AnnotationEvidenceError(f"the Label Studio user list {shown} is not a list of users with `id` and `email`", path=path, fix="save GET /api/users/ as it answers")
    return {int(u["id"]): str(u["email"]) for u in listed}


def read_export(path: Path, shown: str, control: str | None = None, users: dict[int, str] | None = None) -> Export:
    """The tasks of one export; ``control`` picks the choices control whose label counts, ``users`` names user IDs."""
    import hashlib

    if not path.is_file():
        raise AnnotationEvidenceError(f"the Label Studio export {shown} does not exist", path=path, fix="export the project (Export -> JSON) to that path, or correct `path`")
    data = path.read_bytes()
    if len(data) > _LIMIT:
        raise AnnotationEvidenceError(f"the Label Studio export {shown} is larger than {_LIMIT} bytes", path=path, fix="export one dataset's tasks per file")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise AnnotationEvidenceError(f"{shown} is not a Label Studio JSON export: not JSON ({str(error).splitlines()[0]})", path=path, fix="export the project with Export -> JSON (not CSV, TSV or JSON-MIN)") from None
    if not isinstance(document, list) or not all(isinstance(t, dict) and isinstance(t.get("annotations"), list) and "data" in t for t in document):
        raise AnnotationEvidenceError(f"{shown} is not a Label Studio JSON export: expected a list of tasks, each with `data` and `annotations`", path=path, fix="export the project with Export -> JSON (JSON-MIN and CSV drop the annotators)")
    raw_tasks: list[tuple[str, list[tuple[str, dict[str, Any], list[tuple[str, str]]]]]] = []
    controls: set[str] = set()
    for index, task in enumerate(document):
        task_id = str(task.get("id", f"#{index}"))
        entries = []
        for position, annotation in enumerate(task["annotations"]):
            if not isinstance(annotation, dict):
                raise AnnotationEvidenceError(f"task {task_id} (the {index + 1}. task): annotation {position + 1} is not an object", path=path, fix="export the project again (Export -> JSON)")
            annotation_id = str(annotation.get("id", f"#{position}"))
            where = f"task {task_id} (the {index + 1}. task), annotation {annotation_id}"
            if not _annotator(annotation.get("completed_by"), users):
                raise AnnotationEvidenceError(f"{where} has no annotator (completed_by)", path=path, fix="export from Label Studio itself, which records who completed each annotation; an annotation without its annotator cannot count as independent")
            choices = _choices(annotation.get("result", []), where, path)
            controls.update(name for name, _ in choices)
            entries.append((annotation_id, annotation, choices))
        raw_tasks.append((task_id, entries))
    chosen = control
    if chosen is None:
        if len(controls) > 1:
            raise AnnotationEvidenceError(f"{shown} labels with several choices controls ({', '.join(sorted(controls))})", path=path, fix="name the one whose label is the reference label: `label = \"<from_name>\"`")
        chosen = next(iter(controls), "")
    elif controls and chosen not in controls:
        raise AnnotationEvidenceError(f"{shown} has no choices control {chosen!r} (it has: {', '.join(sorted(controls))})", path=path, fix="name one of them in `label`")
    tasks: list[Task] = []
    for task_id, entries in raw_tasks:
        annotations = []
        for annotation_id, annotation, choices in entries:
            cancelled = bool(annotation.get("was_cancelled", False))
            labels = [label for name, label in choices if name == chosen]
            if not labels and not cancelled:
                raise AnnotationEvidenceError(f"task {task_id}, annotation {annotation_id} ({_annotator(annotation.get('completed_by'), users)}) has no {chosen or 'choices'} label and is not cancelled", path=path, fix="complete or skip the annotation in Label Studio, then export again")
            lead = annotation.get("lead_time")
            annotations.append(
                Annotation(
                    annotation_id=annotation_id,
                    annotator=_annotator(annotation.get("completed_by"), users),
                    label=labels[0] if labels else "",
                    created_at=str(annotation.get("created_at") or ""),
                    updated_at=str(annotation.get("updated_at") or annotation.get("created_at") or ""),
                    lead_time=float(lead) if isinstance(lead, (int, float)) and not isinstance(lead, bool) else None,
                    cancelled=cancelled,
                    ground_truth=bool(annotation.get("ground_truth", False)),
                )
            )
        tasks.append(Task(task_id, tuple(annotations)))
    return Export(path, hashlib.sha256(data).hexdigest(), tuple(sorted(tasks, key=lambda t: (len(t.task_id), t.task_id))), chosen)
