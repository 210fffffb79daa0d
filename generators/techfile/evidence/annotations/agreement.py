"""Inter-rater agreement of the independent annotations of an export, with
kept libraries: Cohen's kappa (scikit-learn's ``cohen_kappa_score``) when
the same two annotators labelled every rated task, else Krippendorff's alpha
for nominal data (the ``krippendorff`` package), which takes any number of
annotators and tasks that not everyone labelled.

Only tasks with at least two independent annotations are rated: a task one
annotator labelled says nothing about agreement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from techfile.evidence.annotations.reader import AnnotationEvidenceError, Task

COHEN = "cohen_kappa"
KRIPPENDORFF = "krippendorff_alpha"


@dataclass(frozen=True)
class Agreement:
    metric: str
    value: float | None
    """None when fewer than two tasks have two independent annotations, or every label is the same (undefined)."""
    tasks: int


def cohen_kappa(first: Sequence[str], second: Sequence[str]) -> float | None:
    try:
        from sklearn.metrics import cohen_kappa_score
    except ImportError:
        raise AnnotationEvidenceError("scikit-learn is not installed, so Cohen's kappa cannot be computed", fix="pip install 'techfile[data]'") from None
    if len(set(first) | set(second)) < 2:
        return None
    return float(cohen_kappa_score(list(first), list(second)))


def krippendorff_alpha(table: Sequence[Sequence[str | None]]) -> float | None:
    """``table``: one row per annotator, one column per task, None where the annotator did not label it."""
    try:
        import krippendorff
        import numpy as np
    except ImportError:
        raise AnnotationEvidenceError("krippendorff is not installed, so Krippendorff's alpha cannot be computed", fix="pip install 'techfile[data]'") from None
    labels = sorted({value for row in table for value in row if value is not None})
    if len(labels) < 2:
        return None
    codes = {label: index for index, label in enumerate(labels)}
    data = np.array([[np.nan if value is None else float(codes[value]) for value in row] for row in table], dtype=float)
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def agreement(tasks: Sequence[Task]) -> Agreement:
    rated = [task for task in tasks if len(task.independent) >= 2]
    annotators = sorted({a.annotator for task in rated for a in task.independent})
    if len(annotators) == 2 and all(len(task.independent) == 2 for task in rated):
        first = [task.independent[0].label for task in rated]
        second = [task.independent[1].label for task in rated]
        return Agreement(COHEN, cohen_kappa(first, second) if len(rated) >= 2 else None, len(rated))
    by_task = [{a.annotator: a.label for a in task.independent} for task in rated]
    table = [[labels.get(annotator) for labels in by_task] for annotator in annotators]
    return Agreement(KRIPPENDORFF, krippendorff_alpha(table) if len(rated) >= 2 else None, len(rated))
