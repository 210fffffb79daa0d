"""Drive a real Label Studio (the ``label-studio`` package from PyPI) to make
the annotation exports the tests and the example read: start it on
127.0.0.1 with a throw-away data directory, create the annotators, a project
with a choices control, the tasks and each annotator's annotations through
its REST API, export the project as JSON (Export -> JSON) with the user
list, and stop it.

Label Studio is not a dependency of techfile or its tests (it pins its own
Django stack, about 1 GB): it runs from its own virtual environment, named
by ``LABEL_STUDIO`` (the ``label-studio`` executable)::

    python3 -m venv /tmp/ls && /tmp/ls/bin/pip install label-studio
    LABEL_STUDIO=/tmp/ls/bin/label-studio python tests/labelstudio.py

writes ``tests/fixtures/labelstudio/*.json`` and the example's export; the
slow test in test_annotations.py does it again when ``LABEL_STUDIO`` is set.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TOKEN = "0123456789abcdef0123456789abcdef"
ADMIN = "admin@pji.example"
FIXTURES = Path(__file__).parent / "fixtures" / "labelstudio"


@dataclass(frozen=True)
class Vote:
    """One annotation to make: who, which label (None: skipped), whether it is the ground truth (the adjudication)."""

    annotator: str
    label: str | None
    ground_truth: bool = False
    lead_time: float = 10.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def server(executable: str) -> Iterator[str]:
    """A Label Studio on 127.0.0.1 with its own data directory; its base URL. Stopped (by its own pid) on exit."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="techfile-ls-") as data:
        env = {**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": data, "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true", "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "false"}
        command = [executable, "start", "--host", "127.0.0.1", "--port", str(port), "--no-browser", "--username", ADMIN, "--password", "techfile-test-only", "--user-token", TOKEN]
        with open(Path(data) / "server.log", "wb") as log:
            process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
            base = f"http://127.0.0.1:{port}"
            try:
                deadline = time.monotonic() + 180
                while True:
                    try:
                        with urllib.request.urlopen(f"{base}/health", timeout=2):
                            break
                    except OSError:
                        if process.poll() is not None or time.monotonic() > deadline:
                            raise RuntimeError(f"Label Studio did not start: {(Path(data) / 'server.log').read_text(errors='replace')[-2000:]}") from None
                        time.sleep(1)
                yield base
            finally:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _call(base: str, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode("utf-8") if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers={"Authorization": f"Token {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        text = response.read()
    return json.loads(text) if text else None


def label_config(control: str, labels: Sequence[str]) -> str:
    choices = "".join(f'<Choice value="{label}"/>' for label in labels)
    return f'<View><Text name="record" value="$summary"/><Choices name="{control}" toName="record" choice="single">{choices}</Choices></View>'


def make_export(base: str, title: str, control: str, labels: Sequence[str], tasks: Sequence[dict[str, str]], votes: Sequence[Sequence[Vote]]) -> tuple[list[Any], list[Any]]:
    """A project with ``tasks`` and each task's ``votes`` made in Label Studio; its JSON export and its users."""
    users = {user["email"]: user["id"] for user in _call(base, "GET", "/api/users/")}
    for email in sorted({v.annotator for task in votes for v in task} - set(users)):
        name, _, _ = email.partition("@")
        created = _call(base, "POST", "/api/users/", {"email": email, "username": email, "first_name": name.split(".")[0].title(), "last_name": name.split(".")[-1].title()})
        users[email] = created["id"]
    project = _call(base, "POST", "/api/projects/", {"title": title, "label_config": label_config(control, labels)})
    _call(base, "POST", f"/api/projects/{project['id']}/import", list(tasks))
    listed = _call(base, "GET", f"/api/tasks/?project={project['id']}&page_size={len(tasks) + 1}")
    ids = [task["id"] for task in sorted(listed["tasks"], key=lambda t: t["inner_id"])]
    for task_id, task_votes in zip(ids, votes, strict=True):
        for vote in task_votes:
            result = [] if vote.label is None else [{"from_name": control, "to_name": "record", "type": "choices", "value": {"choices": [vote.label]}}]
            _call(base, "POST", f"/api/tasks/{task_id}/annotations/", {"result": result, "completed_by": users[vote.annotator], "ground_truth": vote.ground_truth, "was_cancelled": vote.label is None, "lead_time": vote.lead_time})
    export = _call(base, "GET", f"/api/projects/{project['id']}/export?exportType=JSON")
    members = sorted(({"id": u["id"], "email": u["email"], "first_name": u["first_name"], "last_name": u["last_name"]} for u in _call(base, "GET", "/api/users/")), key=lambda u: u["id"])
    return sorted(export, key=lambda t: t["id"]), members


# ---------------------------------------------------------- the exports ---

RATER_A, RATER_B, RATER_C, RATER_D = "rater.a@pji.example", "rater.b@pji.example", "rater.c@pji.example", "rater.d@pji.example"
ADJUDICATOR = "adjudicator@pji.example"


def cohen_example() -> tuple[list[dict[str, str]], list[list[Vote]]]:
    """Cohen's worked example (Wikipedia, "Cohen's kappa"): 50 items, both yes 20, A yes B no 5, A no B yes 10, both no 15:
    p_o = 0.7, p_e = 0.5, kappa = 0.4. The adjudicator decides the 15 disagreements."""
    pairs = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10 + [("no", "no")] * 15
    tasks = [{"record_id": f"R{i:03d}", "summary": f"record {i}"} for i in range(len(pairs))]
    votes = [[Vote(RATER_A, a), Vote(RATER_B, b)] + ([Vote(ADJUDICATOR, a if i % 2 else b, ground_truth=True)] if a != b else []) for i, (a, b) in enumerate(pairs)]
    return tasks, votes


# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C: 4 observers, 12 units,
# values 1-5, missing data; nominal alpha = 0.743.
KRIPPENDORFF_TABLE = [
    ("1", "2", "3", "3", "2", "1", "4", "1", "2", None, None, None),
    ("1", "2", "3", "3", "2", "2", "4", "1", "2", "5", None, "3"),
    (None, "3", "3", "3", "2", "3", "4", "2", "2", "5", "1", None),
    ("1", "2", "3", "3", "2", "4", "4", "1", "2", "5", "1", None),
]


def krippendorff_example() -> tuple[list[dict[str, str]], list[list[Vote]]]:
    raters = (RATER_A, RATER_B, RATER_C, RATER_D)
    tasks = [{"record_id": f"U{unit + 1:02d}", "summary": f"unit {unit + 1}"} for unit in range(12)]
    votes = [[Vote(rater, row[unit]) for rater, row in zip(raters, KRIPPENDORFF_TABLE, strict=True) if row[unit] is not None] for unit in range(12)]
    return tasks, votes


def one_rater() -> tuple[list[dict[str, str]], list[list[Vote]]]:
    tasks = [{"record_id": f"R{i:03d}", "summary": f"record {i}"} for i in range(10)]
    return tasks, [[Vote(RATER_A, "yes" if i % 3 else "no")] for i in range(10)]


def example_labels(root: Path, infections: int = 60, others: int = 140) -> tuple[list[dict[str, str]], list[list[Vote]]]:
    """The example device's outcome labels: chart review of a sample of the sequestered test split, enriched for
    infections (the first ``infections`` records with the outcome and the first ``others`` without, by record id), by two
    raters and an adjudicator. The raters' judgement is simulated from the synthetic outcome (rater A misreads one chart in
    40, rater B one in 25, deterministically); the adjudicator decides every disagreement, and decides for the outcome."""
    sys.path.insert(0, str(root / "examples" / "pji_risk"))
    from training import synthetic

    test = synthetic.generate_splits()["test"]
    pairs = list(zip(test.record_ids, (int(o) for o in test.outcomes), strict=True))
    sample = sorted([p for p in pairs if p[1]][:infections] + [p for p in pairs if not p[1]][:others])
    tasks, votes = [], []
    for index, (record_id, outcome) in enumerate(sample):
        truth = "infection" if outcome else "no_infection"
        other = "no_infection" if outcome else "infection"
        a = other if index % 40 == 7 else truth
        b = other if index % 25 == 3 else truth
        tasks.append({"record_id": record_id, "summary": f"test record {record_id}: one-year follow-up chart"})
        task_votes = [Vote(RATER_A, a, lead_time=30.0 + index % 17), Vote(RATER_B, b, lead_time=25.0 + index % 13)]
        if a != b:
            task_votes.append(Vote(ADJUDICATOR, truth, ground_truth=True, lead_time=60.0))
        votes.append(task_votes)
    return tasks, votes


def write(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def main() -> int:
    executable = os.environ.get("LABEL_STUDIO", "label-studio")
    root = Path(__file__).resolve().parents[1]
    with server(executable) as base:
        for name, (tasks, votes), control, labels in (
            ("cohen", cohen_example(), "finding", ("yes", "no")),
            ("krippendorff", krippendorff_example(), "grade", ("1", "2", "3", "4", "5")),
            ("one_rater", one_rater(), "finding", ("yes", "no")),
        ):
            export, users = make_export(base, name, control, labels, tasks, votes)
            write(FIXTURES / f"{name}.json", export)
            write(FIXTURES / f"{name}.users.json", users)
        tasks, votes = example_labels(root)
        export, users = make_export(base, "PJI-Risk test outcome labels", "pji_1y", ("infection", "no_infection"), tasks, votes)
        write(root / "examples" / "pji_risk" / "labels" / "test_outcome_labels.json", export)
        write(root / "examples" / "pji_risk" / "labels" / "users.json", users)
    return 0


if __name__ == "__main__":
    sys.exit(main())
