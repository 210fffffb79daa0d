"""The ML rules M01-M07 on the mini project: an authored model, its
datasets and an ML requirement with acceptance criteria, and the evidence
``techfile mlflow`` maps from a model version (built here as records, so the
rules run in milliseconds; the reader is tested on real stores in
test_mlflow.py). Each rule fires on its gap and is quiet on the clean ML
setup; FIRING joins test_rules.py's catalogue of cases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from miniproject import Mini
from techfile.evidence.mlflow.criteria import parse_criteria
from techfile.evidence.mlflow.mapping import Requirement, Run, evidence_needs
from techfile.evidence.mlflow.reader import DatasetInput, Metric, ModelEvidence, ModelVersionRecord, RunRecord

Mutation = Callable[[Mini], None]

SHA = {"training": "a" * 64, "validation": "b" * 64, "testing": "c" * 64}
MODEL_SHA = "d" * 64
CRITERIA = "test_auc >= 0.70\ncalibration_slope in [0.8, 1.2]\nauc >= 0.65 for each sex with n >= 50"
METRICS = {
    "test/auc": 0.74, "test/auc/ci_low": 0.71, "test/auc/ci_high": 0.77,
    "test/calibration_slope": 1.01, "test/calibration_slope/ci_low": 0.9, "test/calibration_slope/ci_high": 1.1,
    "test/subgroup/sex/female/auc": 0.72, "test/subgroup/sex/female/n": 900,
    "test/subgroup/sex/male/auc": 0.75, "test/subgroup/sex/male/n": 900,
}
AUTHORED = f"""
```{{ml_model}} Model
:id: MODEL_X
:model_version: 1
:algorithm: logistic regression
:model_digest: {MODEL_SHA}
:trained_on: DATA_TRAIN
:evaluated_on: DATA_VALIDATION, DATA_TEST
```

```{{dataset}} Train
:id: DATA_TRAIN
:split: training
:digest: sha256:{SHA["training"]}
```

```{{dataset}} Validation
:id: DATA_VALIDATION
:split: validation
:digest: sha256:{SHA["validation"]}
```

```{{dataset}} Test
:id: DATA_TEST
:split: testing
:digest: sha256:{SHA["testing"]}
```

```{{swreq}} Discrimination
:id: SWR_002
:category: performance
:acceptance_criteria: {CRITERIA.replace(chr(10), "; ")}
```

```{{pccp}} Retraining on new data
:id: PCCP_RETRAIN
:modification_kind: retraining
:allowed_changes: training_data
:fixed_params: solver, C
:acceptance_ref: SWR_002
```
"""


def run_record(run_id: str = "1" * 32, status: str = "FINISHED", metrics: dict[str, float] | None = None, digests: dict[str, str] | None = None, params: tuple[tuple[str, str], ...] = (("C", "inf"), ("solver", "lbfgs")), commit: str = "0" * 40) -> RunRecord:
    return RunRecord(
        run_id=run_id, name="train", experiment_id="1", status=status, start_time="2026-01-01T00:00:00.000Z", end_time="2026-01-01T00:01:00.000Z", lifecycle="active",
        git_commit=commit, params=params,
        metrics=tuple(Metric(k, v, 0) for k, v in sorted((metrics or METRICS).items())),
        datasets=tuple(DatasetInput(f"pji-{c}", f"sha256:{d}", "code", "synthetic.py", c) for c, d in sorted((digests or SHA).items())),
    )


def evidence(run: RunRecord | None = None, artifact: str = MODEL_SHA, version: str = "1", predecessor: tuple[ModelVersionRecord, RunRecord] | None = None, tags: tuple[tuple[str, str], ...] = ()) -> ModelEvidence:
    run = run or run_record()
    record = ModelVersionRecord("x", version, ("released",), "None", "READY", "runs:/r/model", run.run_id, "2026-01-01T00:02:00.000Z", tags, (("model.json", artifact),))
    return ModelEvidence("sqlite:///mlflow.db", "x-training", record, run, None, (), (run,), predecessor[0] if predecessor else None, predecessor[1] if predecessor else None)


def with_ml(m: Mini, found: ModelEvidence | None = None, criteria: str = CRITERIA) -> None:
    m.append("requirements.md", AUTHORED.replace(CRITERIA.replace("\n", "; "), criteria.replace("\n", "; ")))
    requirements = [Requirement("SWR_002", tuple(parse_criteria(criteria)))]
    m.results = [*m.results, *evidence_needs(found or evidence(), requirements, Run("1.0.0"), "MODEL_X")]


def _failed_run(m: Mini) -> None:
    with_ml(m, evidence(run_record(status="FAILED")))


def _test_is_training(m: Mini) -> None:
    with_ml(m, evidence(run_record(digests={**SHA, "testing": SHA["training"]})))


def _unlocked_test(m: Mini) -> None:
    with_ml(m, evidence(run_record(digests={**SHA, "testing": "e" * 64})))


def _criterion_not_met(m: Mini) -> None:
    with_ml(m, evidence(run_record(metrics={**METRICS, "test/auc": 0.66})))


def _small_subgroup(m: Mini) -> None:
    with_ml(m, evidence(run_record(metrics={**METRICS, "test/subgroup/sex/female/n": 30})))


def _other_artifact(m: Mini) -> None:
    with_ml(m, evidence(artifact="f" * 64))


def _out_of_plan(m: Mini) -> None:
    previous = run_record("2" * 32, params=(("C", "1.0"), ("solver", "lbfgs")))
    first = ModelVersionRecord("x", "1", (), "None", "READY", "runs:/p/model", previous.run_id, "2025-01-01T00:00:00.000Z", (), (("model.json", "9" * 64),))
    with_ml(m, evidence(version="2", predecessor=(first, previous), tags=(("pccp_modification_id", "PCCP_RETRAIN"),)))


FIRING: dict[str, tuple[Mutation, str | None, str]] = {
    "M01": (_failed_run, "MODEL_X", "which is FAILED, not FINISHED"),
    "M02": (_test_is_training, "MODEL_X", "tests on its training data"),
    "M03": (_unlocked_test, "MODEL_X", "not the locked DATA_TEST"),
    "M04": (_criterion_not_met, "SWR_002", "test/auc = 0.66 does not meet >= 0.7"),
    "M05": (_small_subgroup, "SWR_002", "sex=female has n=30, below n >= 50"),
    "M06": (_other_artifact, "MODEL_X", "deploys the artifact dddddddddddd"),
    "M07": (_out_of_plan, "MODEL_X", "changes the param C (1.0 -> inf) from version 1, outside PCCP_RETRAIN"),
}

ML_RULES = sorted(FIRING)


def ml_findings(m: Mini) -> list[str]:
    return [f.text() for f in m.findings() if f.rule.id in ML_RULES]


def test_clean_ml_setup_is_quiet(mini: Mini) -> None:
    with_ml(mini)
    assert ml_findings(mini) == []


def test_in_plan_retraining_is_quiet(mini: Mini) -> None:
    previous = run_record("2" * 32, digests={**SHA, "training": "7" * 64})
    first = ModelVersionRecord("x", "1", (), "None", "READY", "runs:/p/model", previous.run_id, "2025-01-01T00:00:00.000Z", (), (("model.json", "9" * 64),))
    with_ml(mini, evidence(version="2", predecessor=(first, previous), tags=(("pccp_modification_id", "PCCP_RETRAIN"),)))
    assert ml_findings(mini) == []


def test_change_without_modification_needs_new_submission(mini: Mini) -> None:
    previous = run_record("2" * 32)
    first = ModelVersionRecord("x", "1", (), "None", "READY", "runs:/p/model", previous.run_id, "2025-01-01T00:00:00.000Z", (), ())
    with_ml(mini, evidence(version="2", predecessor=(first, previous)))
    assert any("names no PCCP modification" in text and "new submission" in text and "the change fits PCCP_RETRAIN" in text for text in ml_findings(mini))


def test_retraining_on_other_test_data_is_out_of_plan(mini: Mini) -> None:
    previous = run_record("2" * 32, digests={**SHA, "testing": "8" * 64})
    first = ModelVersionRecord("x", "1", (), "None", "READY", "runs:/p/model", previous.run_id, "2025-01-01T00:00:00.000Z", (), ())
    with_ml(mini, evidence(version="2", predecessor=(first, previous), tags=(("pccp_modification_id", "PCCP_RETRAIN"),)))
    assert any("changes its testing data from version 1" in text for text in ml_findings(mini))


def test_m01_run_without_git_commit(mini: Mini) -> None:
    with_ml(mini, evidence(run_record(commit="")))
    assert any("has no git commit" in text for text in ml_findings(mini))


def test_m01_model_without_evidence(mini: Mini) -> None:
    with_ml(mini)
    mini.results = [n for n in mini.results if not n.id.startswith(("MLVER_", "MLRUN_", "RES_ML_"))]
    assert any("has no registered model version" in text for text in ml_findings(mini))


def test_m04_metric_never_logged_is_a_finding(mini: Mini) -> None:
    with_ml(mini, criteria=CRITERIA + "\nbrier <= 0.1")
    assert any("metric test/brier was never logged" in text and "x version 1" in text for text in ml_findings(mini))


def test_m04_needs_confidence_interval(mini: Mini) -> None:
    metrics = {k: v for k, v in METRICS.items() if not k.startswith("test/auc/")}
    with_ml(mini, evidence(run_record(metrics=metrics)))
    assert any("test/auc has no confidence interval" in text for text in ml_findings(mini))


def test_m04_bad_grammar_points_at_requirement(mini: Mini) -> None:
    mini.append("requirements.md", """
        ```{swreq} Bad criteria
        :id: SWR_003
        :category: performance
        :acceptance_criteria: auc >= __import__('os')
        ```
        """)
    found = [f for f in mini.findings() if f.rule.id == "M04" and f.need_id == "SWR_003"]
    assert found and "expected a number" in found[0].message and "requirements.md" in found[0].text()


def test_m05_limitation_stated_is_quiet(mini: Mini) -> None:
    _small_subgroup(mini)
    mini.append("requirements.md", """
        ```{anomaly} Small female subgroup
        :id: ANOM_009
        :resolution: deferred
        :affects: SWR_002

        The test set holds too few records in sex=female to judge it (limitation stated in the model card).
        ```
        """)
    assert [t for t in ml_findings(mini) if "M05" in t] == []


def test_m05_dimension_never_logged(mini: Mini) -> None:
    with_ml(mini, criteria="auc >= 0.65 for each site")
    texts = ml_findings(mini)
    assert any("M05" in t and "site has no subgroup n and metrics" in t for t in texts), texts



def test_model_report_shows_the_evidence_numbers(mini: Mini) -> None:
    """The report view reads the numbers from the evidence: criteria with their values, subgroups with n, the lineage."""
    from techfile.checks.engine import evaluate, find_release
    from techfile.checks.run import load_declarations
    from techfile.project import load_project
    from techfile.readers.sources import read_corpus
    from techfile.sphinxext.state import Evaluated
    from techfile.sphinxext.views import VIEWS
    from techfile.sphinxext.views.data import FieldList, Table

    _small_subgroup(mini)
    mini.write_evidence()
    project = load_project(mini.root)
    declarations = load_declarations(project)
    corpus = read_corpus(project, declarations.model)
    state = Evaluated(project, declarations, corpus, evaluate(corpus, declarations.rules, declarations.matrix, release=find_release(corpus, None)))
    blocks = VIEWS["ml-report"].build(state, {})
    tables = {block.title: block for block in blocks if isinstance(block, Table)}
    overall = tables["Metrics against the acceptance criteria"]
    assert [(row[1].parts[0].text, row[3].parts[0].text, row[4].parts[0].text) for row in overall.rows] == [("test_auc >= 0.70", "0.74", "passed"), ("calibration_slope in [0.8, 1.2]", "1.01", "passed")]
    subgroups = [(row[2].parts[0].text, row[3].parts[0].text) for row in tables["Subgroups"].rows]
    assert subgroups == [("sex=female", "30"), ("sex=male", "900")]
    card = next(block for block in blocks if isinstance(block, FieldList))
    lineage = dict(card.fields)["Lineage"]
    assert any(getattr(part, "text", "") == "0" * 40 for part in lineage)


def test_m04_a_result_edited_to_passed_is_found(mini: Mini) -> None:
    _criterion_not_met(mini)
    mini.results = [replace(n, fields={**n.fields, "result": "passed"}) if n.id == "RES_ML_SWR_002_1" else n for n in mini.results]
    texts = ml_findings(mini)
    assert any("RES_ML_SWR_002_1 says passed, and the run's metrics give failed" in t for t in texts), texts
