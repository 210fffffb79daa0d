"""The data provenance rules M09-M14 on the mini project: the ML setup of
test_ml_rules.py plus the dataset versions ``techfile dvc`` maps from a DVC
lock and the annotation records ``techfile annotations`` maps from a Label
Studio export (built here as records, so the rules run in milliseconds; the
readers are tested on a real DVC repository in test_dvc.py and on exports in
test_annotations.py). Each rule fires on its gap and is quiet on the clean
setup; FIRING joins test_rules.py's catalogue of cases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from miniproject import Mini
from techfile.evidence.annotations.mapping import annotation_need
from techfile.evidence.annotations.reader import read_export, read_users
from techfile.evidence.dvc.mapping import evidence_needs as dvc_needs
from techfile.evidence.dvc.reader import DvcRepoRecord, Keys, TrackedOutput
from test_ml_rules import SHA, evidence, run_record, with_ml

Mutation = Callable[[Mini], None]

SPLITS = {"training": "DATA_TRAIN", "validation": "DATA_VALIDATION", "testing": "DATA_TEST"}


def output(split: str, sha: str | None = None, workspace: str = "unchanged", patients: range | None = None) -> TrackedOutput:
    keys = Keys(len(patients), frozenset(f"P{i}" for i in patients)) if patients is not None else None
    return TrackedOutput(f"data/{split}.csv", "md5", split[0] * 32, 100, 1, False, "dvc.lock", "split", "python split.py", sha256=sha or SHA[split], workspace=workspace, keys=keys)


PROVENANCE = """
:source_systems: Hospital information system of the sites
:collection_period: 2015-01-01..2022-12-31
:consent_basis: Ethics approval EK-1 with waiver of consent
:deidentification: Pseudonymised at the sites (keyed hash), dates shifted
:inclusion_criteria: Adults with elective hip or knee arthroplasty
:exclusion_criteria: Follow-up shorter than one year""".rstrip()


def with_dvc(m: Mini, outputs: list[TrackedOutput] | None = None, run_digests: dict[str, str] | None = None, provenance: str = PROVENANCE) -> None:
    with_ml(m, evidence(run_record(digests=run_digests)) if run_digests else None)
    for split in SPLITS:
        m.replace("requirements.md", f":split: {split}", f":split: {split}{provenance}")
    found = outputs if outputs is not None else [output(split) for split in SPLITS]
    names = {out.path: out.path.split("/")[1].removesuffix(".csv") for out in found}
    describes = {path: SPLITS[name] for path, name in names.items() if name in SPLITS}
    m.results = [*m.results, *dvc_needs(DvcRepoRecord(m.root, tuple(found)), ".", describes)]


def data_findings(m: Mini) -> list[str]:
    return [f.text() for f in m.findings() if f.rule.id in FIRING]


def _test_set_changed(m: Mini) -> None:
    with_dvc(m, [output("training"), output("validation"), output("testing", "9" * 64)])


def _untracked_input(m: Mini) -> None:
    with_dvc(m, [output("training"), output("validation"), output("testing")], run_digests={**SHA, "validation": "e" * 64})


LABELS = Path(__file__).parent / "fixtures" / "labelstudio"
PLAN = ":labelling_roles: rater.a@pji.example=annotator; rater.b@pji.example=annotator; adjudicator@pji.example=adjudicator"
LABELLING = "\n:labelling_protocol: Chart review LP-7\n:protocol_version: 2.1\n:annotators_required: 2\n:agreement_required: 0.4"


def with_labels(m: Mini, export: str = "cohen", plan: str = PLAN, labelling: str = LABELLING) -> None:
    """The ML and DVC setup, DATA_TEST labelled by a Label Studio export (one of tests/fixtures/labelstudio)."""
    with_dvc(m)
    m.replace("requirements.md", ":split: testing", ":split: testing" + labelling)
    m.replace("statements.md", ":kind: development_plan", f":kind: development_plan\n{plan}")
    users = read_users(LABELS / f"{export}.users.json", "users.json")
    m.results = [*m.results, annotation_need(read_export(LABELS / f"{export}.json", f"labels/{export}.json", None, users), f"labels/{export}.json", "DATA_TEST", "2.1")]


def _one_rater(m: Mini) -> None:
    with_labels(m, "one_rater")


def _adjudicator_not_in_plan(m: Mini) -> None:
    with_labels(m, plan=PLAN.replace("; adjudicator@pji.example=adjudicator", ""))


def _shared_patients(m: Mini) -> None:
    with_dvc(m, [output("training", patients=range(0, 60)), output("validation", patients=range(60, 80)), output("testing", patients=range(77, 100))])


def _no_provenance(m: Mini) -> None:
    with_dvc(m, provenance="")


FIRING: dict[str, tuple[Mutation, str | None, str]] = {
    "M09": (_test_set_changed, "MODEL_X", f"the locked testing dataset DATA_TEST is sha256:{'9' * 64} in DVC"),
    "M10": (_untracked_input, "MODEL_X", f"the validation input sha256:{'e' * 64}"),
    "M11": (_one_rater, "DATA_TEST", "have 1 independent annotator(s) on some of 10 tasks, and DATA_TEST declares 2"),
    "M13": (_shared_patients, "MODEL_X", "its test set DATA_TEST shares 3 patient(s) with its validation dataset DATA_VALIDATION"),
    "M14": (_no_provenance, "DATA_TEST", "states no source_systems, collection_period, consent_basis, deidentification, inclusion_criteria, exclusion_criteria"),
    "M12": (_adjudicator_not_in_plan, "DATA_TEST", "the adjudicator adjudicator@pji.example, whom the development plan gives no labelling role"),
}


def test_clean_data_setup_is_quiet(mini: Mini) -> None:
    with_labels(mini)
    assert data_findings(mini) == []


def test_m09_names_the_dataset_and_both_digests(mini: Mini) -> None:
    _test_set_changed(mini)
    texts = [t for t in data_findings(mini) if "M09" in t and "was tested on" in t]
    assert texts and "DATA_TEST" in texts[0] and f"sha256:{'9' * 64}" in texts[0] and f"sha256:{SHA['testing']}" in texts[0], texts


def test_m09_dataset_without_dvc_version(mini: Mini) -> None:
    with_dvc(mini, [output("training"), output("validation")])
    assert any("its testing dataset DATA_TEST has no DVC-tracked version" in t for t in data_findings(mini))


def test_without_dvc_evidence_m09_m10_are_quiet(mini: Mini) -> None:
    with_ml(mini)
    assert [t for t in data_findings(mini) if "M09" in t or "M10" in t] == []


def test_m13_disjoint_patients_are_quiet(mini: Mini) -> None:
    with_dvc(mini, [output("training", patients=range(0, 60)), output("validation", patients=range(60, 80)), output("testing", patients=range(80, 100))])
    assert [t for t in data_findings(mini) if "M13" in t] == []


def test_m13_never_lists_a_key(mini: Mini) -> None:
    _shared_patients(mini)
    texts = [t for t in data_findings(mini) if "M13" in t]
    assert texts and not any("P77" in t or "P78" in t for t in texts)


def _keyed(split: str, sites: set[str], dates: tuple[str, str]) -> TrackedOutput:
    out = output(split, patients=range({"training": 0, "validation": 100, "testing": 200}[split], {"training": 50, "validation": 150, "testing": 250}[split]))
    assert out.keys is not None
    return replace(out, keys=replace(out.keys, sites=frozenset(sites), date_from=dates[0], date_to=dates[1]))


def test_m13_site_split_shares_a_site(mini: Mini) -> None:
    with_dvc(mini, [_keyed("training", {"S1", "S2"}, ("2015-01-01", "2019-12-31")), _keyed("validation", {"S3"}, ("2015-01-01", "2019-12-31")), _keyed("testing", {"S2", "S4"}, ("2020-01-01", "2022-12-31"))])
    mini.replace("requirements.md", ":split: testing", ":split: testing\n:split_by: site")
    texts = [t for t in data_findings(mini) if "M13" in t]
    assert any("declares a site split, and its test set DATA_TEST shares 1 site(s) with its training dataset DATA_TRAIN" in t for t in texts), texts
    assert not any("validation dataset" in t for t in texts)


def test_m13_temporal_split_overlaps(mini: Mini) -> None:
    with_dvc(mini, [_keyed("training", {"S1"}, ("2015-01-01", "2020-06-30")), _keyed("validation", {"S1"}, ("2015-01-01", "2019-12-31")), _keyed("testing", {"S1"}, ("2020-01-01", "2022-12-31"))])
    mini.replace("requirements.md", ":split: testing", ":split: testing\n:split_by: temporal")
    texts = [t for t in data_findings(mini) if "M13" in t]
    assert texts == [t for t in texts if "starts 2020-01-01, before its training dataset DATA_TRAIN ends 2020-06-30" in t] and len(texts) == 1, texts


def test_m14_labelled_dataset_needs_its_protocol(mini: Mini) -> None:
    with_labels(mini, labelling="\n:annotators_required: 2")
    texts = [t for t in data_findings(mini) if "M14" in t]
    assert any("DATA_TEST" in t and "states no labelling_protocol, protocol_version" in t for t in texts), texts


def test_model_report_shows_the_data_lineage(mini: Mini) -> None:
    """The report's data section: raw data -> dataset versions -> annotation -> run -> model version -> validation, each
    step a link to its evidence, and the labels' agreement."""
    from techfile.checks.engine import evaluate, find_release
    from techfile.checks.run import load_declarations
    from techfile.project import load_project
    from techfile.readers.sources import read_corpus
    from techfile.sphinxext.state import Evaluated
    from techfile.sphinxext.views import VIEWS
    from techfile.sphinxext.views.data import NeedRef, Table

    with_dvc(mini, [replace(output("testing"), deps=(("data/raw.csv", "r" * 32),)), output("training"), output("validation"), TrackedOutput("data/raw.csv", "md5", "r" * 32, 10, 1, False, "data/raw.csv.dvc", "", sha256="f" * 64)])
    mini.replace("requirements.md", ":split: testing", ":split: testing" + LABELLING)
    mini.replace("statements.md", ":kind: development_plan", f":kind: development_plan\n{PLAN}")
    users = read_users(LABELS / "cohen.users.json", "users.json")
    mini.results = [*mini.results, annotation_need(read_export(LABELS / "cohen.json", "labels/cohen.json", None, users), "labels/cohen.json", "DATA_TEST", "2.1")]
    mini.write_evidence()
    project = load_project(mini.root)
    declarations = load_declarations(project)
    corpus = read_corpus(project, declarations.model)
    state = Evaluated(project, declarations, corpus, evaluate(corpus, declarations.rules, declarations.matrix, release=find_release(corpus, None)))
    tables = {block.title or "": block for block in VIEWS["ml-report"].build(state, {}) if isinstance(block, Table)}
    lineage = next(table for title, table in tables.items() if title.startswith("Data lineage"))
    steps = [row[0].parts[0].text for row in lineage.rows]  # type: ignore[union-attr]
    assert steps == ["Raw data", "Dataset version (training)", "Dataset version (validation)", "Dataset version (testing)", "Annotation", "Run", "Model version", "Validation"], steps
    linked = [part.need_id for row in lineage.rows for part in row[1].parts if isinstance(part, NeedRef)]
    assert linked[:2] == ["DVC_DATA_RAW_CSV", "DVC_DATA_TRAINING_CSV"] and "ANNOT_TEST" in linked and "MLVER_X_1" in linked
    assert any("logged by the run" in part.text for row in lineage.rows for part in row[3].parts if hasattr(part, "text"))  # type: ignore[union-attr]
    annotations = tables["Annotation records"]
    assert [part.text for part in annotations.rows[0][4].parts] == ["Cohen's kappa 0.4000"]  # type: ignore[union-attr]
