"""``techfile monitoring``: Evidently snapshots read into monitoring results.

The fixtures in tests/fixtures/monitoring are snapshots Evidently 0.7.23
wrote for the example (``training/postmarket.py``): a quiet week, the week
that drifts and one subgroup report of it. The slow tests make a whole month
of reports with the real library, in its own environment (``make
monitoring``'s ``.venv-evidently``), and check the example with them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from example_project import evidently_python
from miniproject import REPO, Mini
from techfile.cli import main
from techfile.evidence.monitoring.reader import read_report
from techfile.evidence.monitoring.records import MonitoringError
from test_postmarket_rules import PLAN, with_postmarket

FIXTURES = REPO / "tests" / "fixtures" / "monitoring"
DRIFT_PLAN = """
```{monitor} Input drift
:id: MON_006
:monitor_kind: input_drift
:monitored_metric: drift_share
:threshold: "<= 0.3"
:monitors: MODEL_X
```

```{monitor} Prediction drift
:id: MON_007
:monitor_kind: prediction_drift
:monitored_metric: drift:prediction
:threshold: "<= 0.1"
:monitors: MODEL_X
```
"""


def report_for(m: Mini, name: str, **metadata: str) -> Path:
    """A fixture report copied into the mini project, for the mini model ``x`` version 1, its metadata changed by ``metadata``."""
    document = json.loads((FIXTURES / name).read_text())
    document["metadata"].update({"registered_model": "x", **metadata})
    path = m.root / "reports" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(document))
    return path


def mini_project(m: Mini, plan: str = PLAN + DRIFT_PLAN) -> None:
    with_postmarket(m, plan=plan, event="", reports=[])
    m.write_evidence()


def test_reader_reads_the_drifted_week() -> None:
    report = read_report(FIXTURES / "2026-02-16.json", "2026-02-16.json", 10**7)
    assert (report.registered_model, report.model_version, report.window_start, report.window_end) == ("pji-risk", "1", "2026-02-16", "2026-02-22")
    assert report.report_format == "evidently 0.7.23 snapshot (metric_result_v2)"
    assert len(report.reference_digest) == 64 and len(report.current_digest) == 64 and report.subgroup == ""
    values = {m.metric: m.value for m in report.measurements}
    assert set(values) == {"auc", "calibration_slope", "drift_share", "drift:prediction"}
    assert values["auc"] < 0.70 and values["calibration_slope"] < 0.8 and values["drift:prediction"] > 0.1
    female = read_report(FIXTURES / "2026-02-16-sex-female.json", "f.json", 10**7)
    assert female.subgroup == "sex=female" and [m.metric for m in female.measurements] == ["auc"]


def test_results_link_the_plan_and_the_version(mini: Mini) -> None:
    mini_project(mini)
    reports = [report_for(mini, n) for n in ("2026-02-09.json", "2026-02-16.json", "2026-02-16-sex-female.json")]
    output = mini.root / "needs" / "generated" / "monitoring.json"
    assert main(["monitoring", *map(str, reports), "-o", str(output), "--project", str(mini.root)]) == 0
    needs = next(iter(json.loads(output.read_text())["versions"].values()))["needs"]
    drifted = needs["MONRES_2026_02_16_001"]
    assert drifted["monitor_outcome"] == "beyond" and drifted["measures"] == ["MON_001"] and drifted["observes"] == ["MLVER_X_1"]
    assert drifted["source_file"] == "reports/2026-02-16.json" and len(drifted["source_sha256"]) == 64
    assert needs["MONRES_2026_02_09_001"]["monitor_outcome"] == "within"
    assert needs["MONRES_2026_02_16_003_FEMALE"]["subgroup"] == "sex=female"
    first = output.read_bytes()
    assert main(["monitoring", *map(str, reports), "-o", str(output), "--project", str(mini.root)]) == 0
    assert output.read_bytes() == first  # identical inputs, byte-identical output


def test_a_broken_previous_output_does_not_stop_its_regeneration(mini: Mini) -> None:
    mini_project(mini)
    mini.append("../docs/index.md", "\n```{needimport} /needs/generated/monitoring.json\n```\n")
    output = mini.root / "needs" / "generated" / "monitoring.json"
    output.write_text("{broken")
    assert main(["monitoring", str(report_for(mini, "2026-02-16.json")), "-o", str(output), "--project", str(mini.root)]) == 0
    assert "MONRES_2026_02_16_001" in output.read_text()


def test_beyond_threshold_without_field_event_fails_check_naming_the_metric(mini: Mini) -> None:
    mini_project(mini)
    reports = [report_for(mini, "2026-02-16.json")]
    from techfile.evidence.monitoring.mapping import PlanRule, monitoring_needs

    plan = [PlanRule("MON_001", "auc", "", ">= 0.70"), PlanRule("MON_002", "calibration_slope", "", "in [0.8, 1.2]"), PlanRule("MON_006", "drift_share", "", "<= 0.3"), PlanRule("MON_007", "drift:prediction", "", "<= 0.1")]
    mini.results = [*mini.results, *monitoring_needs([read_report(reports[0], "reports/2026-02-16.json", 10**7)], plan, {("x", "1"): "MLVER_X_1"})]
    texts = [f.text() for f in mini.findings() if f.rule.id == "PM02"]
    assert any("MON_001" in t and "auc = 0.601664" in t and "beyond its threshold >= 0.70" in t for t in texts), texts
    assert any("MON_007" in t and "drift:prediction = " in t for t in texts), texts


def _refused(m: Mini, report: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    output = m.root / "needs" / "generated" / "monitoring.json"
    status = main(["monitoring", str(report), "-o", str(output), "--project", str(m.root), *extra])
    err = capsys.readouterr().err
    assert status == 2, err
    assert not output.exists()
    return err


def _edited(m: Mini, name: str, edit: Any) -> Path:
    path = report_for(m, name)
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (lambda d: d.clear() or d.update({"hello": 1}), "is no monitoring report of a known format (known: Evidently snapshot)"),
        (lambda d: d.clear() or d.update({"metrics": [], "tests": []}), "an Evidently metrics-only JSON (Snapshot.json())"),
        (lambda d: next(iter(d["metric_results"].values())).update(type="evidently:metric_result_v3:SingleValue"), "not an Evidently metric_result_v2 this reader knows"),
        (lambda d: d["metadata"].pop("window_start"), "the report's metadata lacks window_start"),
        (lambda d: d["metadata"].update(model_version="7"), "monitors x version 7, which is no registered model version of the technical file (it holds: x version 1)"),
    ],
    ids=["unknown-format", "metrics-only", "unknown-version", "no-window", "unknown-model-version"],
)
def test_bad_report_is_refused_naming_the_file(mini: Mini, capsys: pytest.CaptureFixture[str], edit: Any, said: str) -> None:
    mini_project(mini)
    err = _refused(mini, _edited(mini, "2026-02-16.json", edit), capsys)
    assert "reports/2026-02-16.json" in err and said in err, err


def test_a_version_written_as_a_number_is_read_as_text(mini: Mini) -> None:
    mini_project(mini)
    path = _edited(mini, "2026-02-16.json", lambda d: d["metadata"].update(model_version=1))
    output = mini.root / "needs" / "generated" / "monitoring.json"
    assert main(["monitoring", str(path), "-o", str(output), "--project", str(mini.root)]) == 0


def test_metric_the_plan_does_not_name(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    mini_project(mini, plan=PLAN)  # no drift rules
    err = _refused(mini, report_for(mini, "2026-02-16.json"), capsys)
    assert "reports/2026-02-16.json: the report measures drift_share (DriftedColumnsCount), which no monitoring rule of the plan names" in err, err


def test_report_bigger_than_the_limit(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    mini_project(mini)
    err = _refused(mini, report_for(mini, "2026-02-16.json"), capsys, "--max-report-bytes", "1000")
    assert "reports/2026-02-16.json: the report has" in err and "more than the limit of 1000" in err, err


def test_not_json_and_duplicate_keys(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    mini_project(mini)
    path = mini.root / "reports" / "broken.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text('{"metadata": {}, "metadata": {}}')
    assert "reports/broken.json: is not JSON (the key 'metadata' is given twice)" in _refused(mini, path, capsys)


def test_deeply_nested_json_is_bad_input(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    mini_project(mini)
    path = mini.root / "reports" / "deep.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text("[" * 100_000 + "]" * 100_000)
    assert "reports/deep.json: nests its JSON too deeply" in _refused(mini, path, capsys)


def test_a_bad_report_among_good_ones_writes_nothing(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    mini_project(mini)
    good = report_for(mini, "2026-02-09.json")
    bad = _edited(mini, "2026-02-16.json", lambda d: d["metadata"].update(model_version="7"))
    output = mini.root / "needs" / "generated" / "monitoring.json"
    assert main(["monitoring", str(good), str(bad), "-o", str(output), "--project", str(mini.root)]) == 2
    assert not output.exists() and "2026-02-16.json" in capsys.readouterr().err


def test_groupby_results_are_refused(tmp_path: Path) -> None:
    document = json.loads((FIXTURES / "2026-02-16-sex-female.json").read_text())
    result = next(iter(document["metric_results"].values()))
    result["metric_value_location"]["metric"]["params"] = {"type": "evidently:metric_v2:GroupByMetric", "column_name": "sex", "label": "female"}
    path = tmp_path / "g.json"
    path.write_text(json.dumps(document))
    with pytest.raises(MonitoringError, match="one report per subgroup"):
        read_report(path, "g.json", 10**7)


@pytest.fixture(scope="session")
def month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example's month of reports, made with the real Evidently on the example's synthetic data."""
    output = tmp_path_factory.mktemp("monitoring") / "reports"
    done = subprocess.run([str(evidently_python()), str(REPO / "examples" / "pji_risk" / "training" / "postmarket.py"), "--output", str(output)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return output


@pytest.mark.slow
def test_real_month_trips_the_thresholds_in_week_3_only(month: Path) -> None:
    reports = [read_report(p, p.name, 10**7) for p in sorted(month.glob("*.json"))]
    assert len(reports) == 32
    by_week: dict[str, dict[str, float]] = {}
    for report in reports:
        for measurement in report.measurements:
            by_week.setdefault(report.window_start, {})[f"{measurement.metric}{'/' + report.subgroup if report.subgroup else ''}"] = measurement.value
    for week, values in sorted(by_week.items()):
        aucs = [v for k, v in values.items() if k.startswith("auc")]
        if week == "2026-02-16":
            assert max(aucs) < 0.65 and values["calibration_slope"] < 0.8 and values["drift:prediction"] > 0.1, values
        else:
            assert values["auc"] >= 0.70 and min(aucs) >= 0.65 and 0.8 <= values["calibration_slope"] <= 1.2 and values["drift:prediction"] <= 0.1, (week, values)


@pytest.mark.slow
def test_example_check_fails_without_its_capa_and_without_its_field_event(tmp_path: Path, month: Path) -> None:
    """Done when: deleting the CAPA fails `techfile check` naming the field event; a result beyond threshold with no field event fails it naming the metric."""
    from example_project import copy_example, make_mlflow_evidence, techfile

    root = copy_example(tmp_path / "repo")
    make_mlflow_evidence(root)
    shutil.copytree(month, root / "_build" / "evidence" / "monitoring" / "reports")
    done = techfile(root, "monitoring")
    assert done.returncode == 0 and "32 report(s), 44 result(s), 10 beyond threshold" in done.stdout, done.stderr
    assert [line for line in techfile(root, "check").stdout.splitlines() if "techfile.PM" in line] == []
    postmarket = root / "needs" / "postmarket.md"
    text = postmarket.read_text()
    postmarket.write_text(text[: text.index("```{capa}")])
    checked = techfile(root, "check")
    assert checked.returncode == 1 and "techfile.PM03: FE_001: is safety-relevant and no corrective action (CAPA) corrects it" in checked.stdout, checked.stdout[-3000:]
    postmarket.write_text(text[: text.index("## Field events")])
    checked = techfile(root, "check")
    assert checked.returncode == 1
    assert "techfile.PM02: MON_001: auc = 0.601664 (2026-02-16..2026-02-22, MONRES_2026_02_16_001) is beyond its threshold >= 0.70" in checked.stdout, checked.stdout[-3000:]
