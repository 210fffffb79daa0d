"""The post-market rules PM01-PM05 on the mini project with its ML model
(test_ml_rules.py): a monitoring plan for the released version, results as
``techfile monitoring`` maps them from reports (built here as records, so the
rules run in milliseconds; the reader is tested on real Evidently reports in
test_monitoring.py), a field event and its CAPA. Each rule fires on its gap
and is quiet on the clean setup; FIRING joins test_rules.py's catalogue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from miniproject import Mini
from techfile.evidence.monitoring.mapping import PlanRule, monitoring_needs
from techfile.evidence.monitoring.records import Measurement, MonitoringReport
from test_ml_rules import evidence, with_ml

Mutation = Callable[[Mini], None]

PLAN = """
```{monitor} AUC in the field
:id: MON_001
:monitor_kind: performance
:monitored_metric: auc
:threshold: ">= 0.70"
:alert_tier: critical
:alerted: Clinical safety officer
:monitoring_window: weekly
:monitors: MODEL_X
:watches: HAZ_001
```

```{monitor} Calibration in the field
:id: MON_002
:monitor_kind: calibration
:monitored_metric: calibration_slope
:threshold: in [0.8, 1.2]
:alert_tier: warning
:alerted: ML engineer
:monitors: MODEL_X
:watches: SWR_002
```

```{monitor} AUC per sex
:id: MON_003
:monitor_kind: subgroup_metric
:monitored_metric: auc
:subgroup: sex
:threshold: ">= 0.65"
:alert_tier: critical
:alerted: Clinical safety officer
:monitors: MODEL_X
:watches: HAZ_001
```
"""

EVENT = """
```{field_event} AUC drop in week 3
:id: FE_001
:event_kind: drift_alarm
:event_date: 2026-02-22
:safety_relevant: yes
:concerns_release: REL_1
:concerns_version: MLVER_X_1
:raised_by: MONRES_2026_02_15_001
:risk_of: HAZ_001
:previous_probability: probable
:risk_rationale: The drop is confined to one site's referral mix; the probability of the hazard is unchanged.

The AUC of week 3 fell below 0.70.
```

```{capa} Recalibrate for the new referral mix
:id: CAPA_001
:capa_status: closed
:investigation: Compared the week-3 batch with the reference: the age mix shifted.
:root_cause: A new referring site with older patients.
:action: Site-specific review of scores above 10 %.
:effectiveness_verification: AUC of weeks 4-5 back above 0.72 (MONRES_2026_02_22_001).
:closed_on: 2026-03-10
:corrects: FE_001
```
"""

RULES = [PlanRule("MON_001", "auc", "", ">= 0.70"), PlanRule("MON_002", "calibration_slope", "", "in [0.8, 1.2]"), PlanRule("MON_003", "auc", "sex", ">= 0.65")]


def report(start: str, end: str, auc: float, subgroup: str = "", slope: float = 1.0) -> MonitoringReport:
    measures = (Measurement("auc", auc, "RocAuc"),) if subgroup else (Measurement("auc", auc, "RocAuc"), Measurement("calibration_slope", slope, "CalibrationSlope"))
    return MonitoringReport(f"reports/{start}{subgroup}.json", "e" * 64, "evidently 0.7.23 snapshot (metric_result_v2)", "x", "1", start, end, subgroup, "a" * 64, "f" * 64, measures)


REPORTS = [
    report("2026-02-08", "2026-02-14", 0.74),
    report("2026-02-08", "2026-02-14", 0.73, "sex=female"),
    report("2026-02-15", "2026-02-21", 0.62),
    report("2026-02-15", "2026-02-21", 0.66, "sex=female"),
    report("2026-02-22", "2026-02-28", 0.73),
]


def with_postmarket(m: Mini, plan: str = PLAN, event: str = EVENT, reports: list[MonitoringReport] | None = None) -> None:
    with_ml(m)
    m.results = [*m.results, *monitoring_needs(REPORTS if reports is None else reports, RULES, {("x", "1"): "MLVER_X_1"})]
    m.append("postmarket.md", plan + event)


def _no_subgroup_monitor(m: Mini) -> None:
    with_postmarket(m, plan=PLAN.split("```{monitor} AUC per sex")[0], reports=[r for r in REPORTS if not r.subgroup])


def _no_field_event(m: Mini) -> None:
    with_postmarket(m, event="")


def _no_capa(m: Mini) -> None:
    with_postmarket(m, event=EVENT.split("```{capa}")[0])


def _capa_unverified(m: Mini) -> None:
    with_postmarket(m, event="\n".join(line for line in EVENT.splitlines() if not line.startswith(":effectiveness_verification:")))


def _probability_not_shown(m: Mini) -> None:
    with_postmarket(m, event=EVENT.replace(":previous_probability: probable\n", ":previous_probability: probable\n:updated_probability: frequent\n"))


FIRING: dict[str, tuple[Mutation, str | None, str]] = {
    "PM01": (_no_subgroup_monitor, "MODEL_X", "does not measure auc per sex, which the acceptance criteria of SWR_002 name"),
    "PM02": (_no_field_event, "MON_001", "auc = 0.62 (2026-02-15..2026-02-21, MONRES_2026_02_15_001) is beyond its threshold >= 0.70"),
    "PM03": (_no_capa, "FE_001", "is safety-relevant and no corrective action (CAPA) corrects it"),
    "PM04": (_capa_unverified, "CAPA_001", "is closed without effectiveness_verification"),
    "PM05": (_probability_not_shown, "HAZ_001", "the field event FE_001 updated it to 'frequent'"),
}

PM_RULES = sorted(FIRING)


def pm_findings(m: Mini) -> list[str]:
    return [f.text() for f in m.findings() if f.rule.id in PM_RULES]


def test_clean_postmarket_setup_is_quiet(mini: Mini) -> None:
    with_postmarket(mini)
    assert pm_findings(mini) == []


def test_every_rule_fires_on_its_gap(mini: Mini) -> None:
    for rule_id, (mutate, need_id, text) in FIRING.items():
        fresh = Mini(mini.root.parent / rule_id)
        mutate(fresh)
        own = [f for f in fresh.findings() if f.rule.id == rule_id]
        assert any(f.need_id == need_id and text in f.message for f in own), (rule_id, [f.text() for f in own])


def test_pm01_model_without_any_plan(mini: Mini) -> None:
    with_ml(mini)
    assert any("PM01" in t and "no monitoring rule monitors the model" in t for t in pm_findings(mini))


def test_pm01_unreleased_version_needs_no_plan(mini: Mini) -> None:
    found = evidence()
    with_ml(mini, replace(found, version=replace(found.version, aliases=())))
    assert [t for t in pm_findings(mini) if "PM01" in t] == []


def test_pm02_a_result_edited_to_within_is_still_beyond(mini: Mini) -> None:
    with_postmarket(mini, event="")
    mini.results = [replace(n, fields={**n.fields, "monitor_outcome": "within"}) if n.id == "MONRES_2026_02_15_001" else n for n in mini.results]
    assert any("PM02" in t and "auc = 0.62" in t for t in pm_findings(mini))


def test_pm02_subgroup_beyond_names_the_subgroup(mini: Mini) -> None:
    reports = [*REPORTS[:3], report("2026-02-15", "2026-02-21", 0.61, "sex=female")]
    with_postmarket(mini, reports=reports)
    assert any("PM02" in t and "MON_003" in t and "auc for sex=female = 0.61" in t for t in pm_findings(mini))


def test_pm03_release_and_version_must_exist(mini: Mini) -> None:
    with_postmarket(mini, event=EVENT.replace(":concerns_release: REL_1", ":concerns_release: REL_9").replace(":concerns_version: MLVER_X_1", ":concerns_version: MLVER_X_7"))
    texts = pm_findings(mini)
    assert any("concerns the release REL_9, which is no release" in t for t in texts), texts
    assert any("concerns the model version MLVER_X_7, which is no model version" in t for t in texts), texts


def test_pm03_needs_a_risk_evaluation(mini: Mini) -> None:
    with_postmarket(mini, event="\n".join(line for line in EVENT.splitlines() if not line.startswith(":risk_rationale:")))
    assert any("neither an updated probability of its hazard nor a rationale" in t for t in pm_findings(mini))


def test_pm03_not_safety_relevant_needs_no_capa(mini: Mini) -> None:
    with_postmarket(mini, event=EVENT.split("```{capa}")[0].replace(":safety_relevant: yes", ":safety_relevant: no"))
    assert pm_findings(mini) == []


def test_pm04_open_capa_is_quiet(mini: Mini) -> None:
    with_postmarket(mini, event="\n".join(line for line in EVENT.splitlines() if not line.startswith((":effectiveness_verification:", ":closed_on:"))).replace(":capa_status: closed", ":capa_status: open"))
    assert pm_findings(mini) == []


def test_pm05_quiet_when_the_risk_file_shows_the_change(mini: Mini) -> None:
    _probability_not_shown(mini)
    mini.replace("risk.md", ":probability: probable\n", ":probability: frequent\n:probability_change: probable -> frequent: FE_001 (2026-02-22)\n")
    assert [t for t in pm_findings(mini) if "PM05" in t] == []


def test_pm05_change_not_named(mini: Mini) -> None:
    _probability_not_shown(mini)
    mini.replace("risk.md", ":probability: probable\n", ":probability: frequent\n")
    assert any("PM05" in t and "does not show the change of its probability by the field event FE_001 (probable -> frequent)" in t for t in pm_findings(mini))


def test_postmarket_report_shows_the_results_against_their_thresholds(mini: Mini) -> None:
    """The view reads the numbers from the evidence and judges them against the authored thresholds: the heat map, the events, the summary."""
    from techfile.checks.engine import evaluate, find_release
    from techfile.checks.run import load_declarations
    from techfile.project import load_project
    from techfile.readers.sources import read_corpus
    from techfile.sphinxext.state import Evaluated
    from techfile.sphinxext.views import VIEWS
    from techfile.sphinxext.views.data import FieldList, Table

    with_postmarket(mini)
    mini.write_evidence()
    project = load_project(mini.root)
    declarations = load_declarations(project)
    corpus = read_corpus(project, declarations.model)
    state = Evaluated(project, declarations, corpus, evaluate(corpus, declarations.rules, declarations.matrix, release=find_release(corpus, None)))
    blocks = VIEWS["postmarket"].build(state, {})
    tables = {block.title: block for block in blocks if isinstance(block, Table)}
    assert [row[0].plain for row in tables["Monitoring plan"].rows] == ["MON_001", "MON_002", "MON_003"]
    heat = tables["Monitoring results per window"]
    assert heat.headers[4:] == ("2026-02-08 to 2026-02-14", "2026-02-15 to 2026-02-21", "2026-02-22 to 2026-02-28")
    auc = next(row for row in heat.rows if row[0].plain == "MON_001")
    assert [c.plain for c in auc[4:]] == ["0.74", "0.62 beyond", "0.73"] and auc[5].color == "#F1948A" and auc[4].color == "#ABEBC6"
    events = tables["Field events"].rows
    assert events[0][0].plain == "FE_001" and events[0][-1].plain == "CAPA_001 (Closed)"
    summary = dict(next(b for b in blocks if isinstance(b, FieldList)).fields)
    assert "".join(getattr(p, "text", "") for p in summary["Beyond threshold"]).startswith("1")
    assert VIEWS["postmarket"].build(state, {"part": "plan"})[0].__class__.__name__ == "Rubric"
    from techfile.sphinxext.views.data import Figure

    figures = [b for b in blocks if isinstance(b, Figure)]
    assert [f.caption for f in figures] == ["MON_001: auc, threshold >= 0.70", "MON_002: calibration_slope, threshold in [0.8, 1.2]", "MON_003: auc per sex (1 level), threshold >= 0.65"]
    assert figures[0].alt == "auc per window, threshold >= 0.70; beyond in the window(s) from 2026-02-15"
    assert figures[0].svg.startswith("<svg ") and figures[0].svg.count("<circle") == 3 and 'fill="#C0392B"' in figures[0].svg
    assert VIEWS["postmarket"].build(state, {}) == blocks  # the same evidence, the same chart
