"""``techfile annotations`` on exports made by a real Label Studio (1.23.2,
from PyPI; tests/labelstudio.py drives it): the agreement figures against
worked examples (Cohen's kappa 0.4 for Cohen's 50-item example, Krippendorff's
alpha 0.743 for Krippendorff's 4-observer, 12-unit example with missing
data), the record's counts, bad input, and rules M11 and M12 end to end: an
export with one rater where two are declared fails `techfile check` naming
the dataset."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from miniproject import Mini
from techfile.cli import main
from techfile.evidence.annotations.agreement import agreement, cohen_kappa, krippendorff_alpha
from techfile.evidence.annotations.reader import AnnotationEvidenceError, read_export, read_users

FIXTURES = Path(__file__).parent / "fixtures" / "labelstudio"
PLAN = ":labelling_roles: rater.a@pji.example=annotator; rater.b@pji.example=annotator; adjudicator@pji.example=adjudicator"
DATASET = """
```{dataset} Test
:id: DATA_TEST
:split: testing
:labelling_protocol: Chart review of one-year follow-up, protocol LP-7
:protocol_version: 2.1
:annotators_required: 2
:agreement_required: 0.4
```
"""


def export(name: str) -> tuple[Path, Path]:
    return FIXTURES / f"{name}.json", FIXTURES / f"{name}.users.json"


def read(name: str):  # type: ignore[no-untyped-def]
    path, users = export(name)
    return read_export(path, path.name, None, read_users(users, users.name))


def test_cohen_kappa_worked_example() -> None:
    """Cohen's example: p_o = (20 + 15) / 50 = 0.7; p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5; kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4."""
    found = agreement(read("cohen").tasks)
    assert found.metric == "cohen_kappa" and found.tasks == 50
    assert found.value == pytest.approx(0.4, abs=1e-12)
    assert cohen_kappa(["yes"] * 25 + ["no"] * 25, ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15) == pytest.approx(0.4)


def test_krippendorff_alpha_worked_example() -> None:
    """Krippendorff (2011), section C: nominal alpha = 0.743 (unit 12, with one value, is not pairable)."""
    from labelstudio import KRIPPENDORFF_TABLE

    found = agreement(read("krippendorff").tasks)
    assert found.metric == "krippendorff_alpha" and found.tasks == 11
    assert round(found.value or 0, 3) == 0.743
    assert round(krippendorff_alpha(KRIPPENDORFF_TABLE) or 0, 3) == 0.743


def test_record_of_an_export(mini: Mini) -> None:
    path, users = export("cohen")
    output = mini.root / "needs" / "generated" / "annotations.json"
    assert main(["annotations", str(path), "--users", str(users), "--dataset", "DATA_TEST", "--protocol-version", "2.1", "-o", str(output), "--project", str(mini.root)]) == 0
    need = json.loads(output.read_text())["versions"]
    record = next(iter(need.values()))["needs"]["ANNOT_TEST"]
    assert record["type"] == "annotation" and record["annotates"] == ["DATA_TEST"]
    assert record["annotators"] == "rater.a@pji.example=50; rater.b@pji.example=50"
    assert record["adjudicated"] == "15" and record["adjudicators"] == "adjudicator@pji.example=15"
    assert record["raters_min"] == record["raters_max"] == "2" and record["tasks"] == "50" and record["annotations"] == "115"
    assert record["agreement_metric"] == "cohen_kappa" and record["agreement"] == "0.4000"
    assert record["label_distribution"] == "no=23; yes=27" and record["protocol_version"] == "2.1"
    assert record["annotated_from"] <= record["annotated_to"] and len(record["annotated_from"]) == 10
    first = output.read_bytes()
    assert main(["annotations", str(path), "--users", str(users), "--dataset", "DATA_TEST", "--protocol-version", "2.1", "-o", str(output), "--project", str(mini.root)]) == 0
    assert output.read_bytes() == first  # byte-identical on identical input


def _hostile(tmp_path: Path, document: object | str) -> Path:
    path = tmp_path / "export.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def _tasks() -> list[dict[str, object]]:
    loaded: list[dict[str, object]] = json.loads(export("cohen")[0].read_text())
    return loaded


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda: "record_id,label\nR1,yes\n", "not a Label Studio JSON export: not JSON"),
        (lambda: {"tasks": []}, "expected a list of tasks, each with `data` and `annotations`"),
        (lambda: [{"id": 1, "finding": "yes", "annotator": 2}], "expected a list of tasks"),  # JSON-MIN
        (lambda: [{**_tasks()[0], "annotations": [{k: v for k, v in a.items() if k != "completed_by"} for a in _tasks()[0]["annotations"]]}], "has no annotator (completed_by)"),  # type: ignore[union-attr]
    ],
)
def test_bad_export_is_refused_and_nothing_written(mini: Mini, tmp_path: Path, capsys: pytest.CaptureFixture[str], make, said: str) -> None:  # type: ignore[no-untyped-def]
    path = _hostile(tmp_path, make())
    output = mini.root / "needs" / "generated" / "annotations.json"
    assert main(["annotations", str(path), "--dataset", "DATA_TEST", "-o", str(output), "--project", str(mini.root)]) == 2
    err = capsys.readouterr().err
    assert "export.json" in err and said in err, err
    assert not output.exists()


def test_task_without_annotator_names_task_and_annotation(tmp_path: Path) -> None:
    tasks = _tasks()[:3]
    annotations = tasks[2]["annotations"]
    assert isinstance(annotations, list)
    del annotations[1]["completed_by"]
    path = _hostile(tmp_path, tasks)
    with pytest.raises(AnnotationEvidenceError) as raised:
        read_export(path, "export.json")
    assert f"task {tasks[2]['id']} (the 3. task), annotation {annotations[1]['id']} has no annotator" in raised.value.message


def labelled(m: Mini, name: str, plan: str = PLAN, dataset: str = DATASET) -> None:
    """The mini project with the dataset DATA_TEST labelled by the export ``name`` ([[tool.techfile.annotations]])."""
    labels = m.root / "labels"
    labels.mkdir(exist_ok=True)
    path, users = export(name)
    shutil.copy(path, labels / "export.json")
    shutil.copy(users, labels / "users.json")
    pyproject = m.root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[[tool.techfile.annotations]]\noutput = "needs/generated/annotations.json"\ninputs = [{ path = "labels/export.json", users = "labels/users.json", dataset = "DATA_TEST", protocol_version = "2.1" }]\n')
    index = m.root / "docs" / "index.md"
    index.write_text(index.read_text() + "\n```{needimport} /needs/generated/annotations.json\n```\n")
    m.replace("statements.md", ":kind: development_plan", f":kind: development_plan\n{plan}")
    m.append("requirements.md", dataset)
    assert main(["annotations", "--project", str(m.root)]) == 0


def rule_lines(m: Mini, capsys: pytest.CaptureFixture[str], rule: str) -> list[str]:
    m.write_evidence()
    capsys.readouterr()
    main(["check", "--project", str(m.root)])
    return [line for line in capsys.readouterr().out.splitlines() if rule in line]


def test_m11_m12_quiet_on_two_raters_and_adjudicator(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    labelled(mini, "cohen")
    assert rule_lines(mini, capsys, "M11") == [] and rule_lines(mini, capsys, "M12") == []


def test_m11_one_rater_where_two_are_declared_fails_check(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    """The done-when case."""
    labelled(mini, "one_rater", plan=":labelling_roles: rater.a@pji.example=annotator")
    mini.write_evidence()
    capsys.readouterr()
    assert main(["check", "--project", str(mini.root)]) == 1
    lines = [line for line in capsys.readouterr().out.splitlines() if "M11" in line]
    assert any("DATA_TEST" in line and "1 independent annotator(s)" in line and "DATA_TEST declares 2" in line for line in lines), lines


def test_m11_agreement_below_the_declared(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    labelled(mini, "cohen", dataset=DATASET.replace(":agreement_required: 0.4", ":agreement_required: 0.6"))
    lines = rule_lines(mini, capsys, "M11")
    assert any("reach cohen_kappa 0.4000, below the 0.6 DATA_TEST declares" in line for line in lines), lines


def test_m11_protocol_version_differs(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    labelled(mini, "cohen", dataset=DATASET.replace(":protocol_version: 2.1", ":protocol_version: 3.0"))
    assert any("follow protocol version 2.1, and DATA_TEST declares 3.0" in line for line in rule_lines(mini, capsys, "M11"))


def test_m12_adjudicator_not_in_plan(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    labelled(mini, "cohen", plan=":labelling_roles: rater.a@pji.example=annotator; rater.b@pji.example=annotator")
    lines = rule_lines(mini, capsys, "M12")
    assert any("the adjudicator adjudicator@pji.example, whom the development plan gives no labelling role" in line for line in lines), lines


def test_m12_plan_without_labelling_roles(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    labelled(mini, "cohen", plan="")
    assert any("no development plan statement names the labelling roles" in line for line in rule_lines(mini, capsys, "M12"))


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("LABEL_STUDIO"), reason="LABEL_STUDIO names no label-studio executable (see tests/labelstudio.py)")
def test_fresh_exports_from_a_running_label_studio_give_the_figures() -> None:
    """Label Studio started on 127.0.0.1, the worked examples labelled through its API, exported, read: the same figures."""
    from labelstudio import cohen_example, krippendorff_example, make_export, server

    with server(os.environ["LABEL_STUDIO"]) as base:
        for (tasks, votes), control, labels, metric, figure in (
            (cohen_example(), "finding", ("yes", "no"), "cohen_kappa", 0.4),
            (krippendorff_example(), "grade", ("1", "2", "3", "4", "5"), "krippendorff_alpha", 0.743),
        ):
            exported, users = make_export(base, control, control, labels, tasks, votes)
            path = Path(os.environ.get("TMPDIR", "/tmp")) / f"techfile-ls-{control}.json"
            path.write_text(json.dumps(exported))
            found = agreement(read_export(path, path.name, None, {u["id"]: u["email"] for u in users}).tasks)
            assert found.metric == metric and round(found.value or 0, 3) == figure
