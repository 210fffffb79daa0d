"""The example's data pipeline, run by DVC (``dvc.yaml``; ``dvc repro``):

* ``cohort``: the synthetic cohort (:mod:`training.synthetic`) as one
  canonical CSV, ``data/cohort.csv``: the raw data of this example;
* ``split``: the cohort read back from ``data/cohort.csv`` and assigned to the
  training, validation and test splits with the split seed, each written as
  its canonical CSV (``data/training.csv``, ``data/validation.csv``,
  ``data/test.csv``); byte for byte what :func:`synthetic.canonical_csv`
  gives, so the SHA-256 DVC's content has is the digest the MLflow run logs.
  The split also checks the test set's outcome labels against the chart
  review export (``labels/test_outcome_labels.json``, Label Studio, two
  raters and an adjudicator): a reviewed record whose final label differs
  from the outcome in the data stops the pipeline.

``python training/data.py cohort data/cohort.csv`` and
``python training/data.py split data/cohort.csv data labels/test_outcome_labels.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from training import synthetic  # noqa: E402

OUTPUTS = {"training": "training.csv", "validation": "validation.csv", "test": "test.csv"}


def write_cohort(path: Path) -> None:
    records, outcomes = synthetic.generate_cohort()
    cohort = synthetic.Split("cohort", [f"SYN-{i + 1:06d}" for i in range(len(records))], records, outcomes)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(synthetic.canonical_csv(cohort).encode("utf-8"))


def final_labels(export: Path) -> dict[str, str]:
    """record_id -> the final label of each reviewed task: the adjudicator's (ground truth), else the raters' unanimous one."""
    found: dict[str, str] = {}
    for task in json.loads(export.read_text(encoding="utf-8")):
        done = [a for a in task["annotations"] if not a.get("was_cancelled")]
        truth = [a for a in done if a.get("ground_truth")]
        labels = {c for a in (truth or done) for r in a["result"] for c in r["value"]["choices"]}
        if len(labels) == 1:
            found[task["data"]["record_id"]] = labels.pop()
    return found


def split(cohort: Path, folder: Path, export: Path) -> None:
    header, *rows = cohort.read_text(encoding="utf-8").splitlines()
    order = np.random.default_rng(synthetic.SPLIT_SEED).permutation(len(rows))
    n_training = round(len(rows) * synthetic.SPLIT_FRACTIONS["training"])
    n_validation = round(len(rows) * synthetic.SPLIT_FRACTIONS["validation"])
    bounds = {"training": (0, n_training), "validation": (n_training, n_training + n_validation), "test": (n_training + n_validation, len(rows))}
    labels = final_labels(export)
    folder.mkdir(parents=True, exist_ok=True)
    for name, (start, stop) in bounds.items():
        chosen = [rows[int(i)] for i in np.sort(order[start:stop])]
        if name == "test":
            outcome = {row.split(",", 1)[0]: ("infection" if row.rsplit(",", 1)[1] == "1" else "no_infection") for row in chosen}
            wrong = sorted(r for r, label in labels.items() if outcome.get(r) != label)
            if wrong:
                raise SystemExit(f"{export}: {len(wrong)} reviewed record(s) are not test records or disagree with the test set's outcome")
        (folder / OUTPUTS[name]).write_bytes(("\n".join([header, *chosen]) + "\n").encode("utf-8"))


def main(argv: list[str]) -> int:
    if argv[:1] == ["cohort"] and len(argv) == 2:
        write_cohort(Path(argv[1]))
        return 0
    if argv[:1] == ["split"] and len(argv) == 4:
        split(Path(argv[1]), Path(argv[2]), Path(argv[3]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
