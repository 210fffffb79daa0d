"""End to end on the example device: its real test run becomes evidence,
the technical file builds with -W, every document shows its needs, the
standalone check agrees with the build, and removing the only test of a
class B requirement fails both at that requirement's file and line."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from example_project import techfile
from sphinxbuild import Build, sphinx_build

pytestmark = pytest.mark.slow


def test_builds_clean_with_w(example: tuple[Path, Build]) -> None:
    _, build = example
    assert build.status == 0, build.output
    assert (build.outdir / "index.html").exists()
    assert all(f["accepted_by"] for f in build.findings())  # no open gap, only accepted ones


def test_needs_json_has_every_type_and_resolved_links(example: tuple[Path, Build]) -> None:
    _, build = example
    needs = json.loads((build.outdir / "needs.json").read_text())["versions"][""]["needs"]
    types = {need["type"] for need in needs.values()}
    assert {"statement", "user_need", "sysreq", "swreq", "item", "hazard", "risk_control", "testspec", "result",
            "soup", "component", "anomaly", "release", "ml_model", "dataset"} <= types
    counts = {t: sum(1 for n in needs.values() if n["type"] == t) for t in types}
    assert counts["swreq"] >= 15 and counts["hazard"] >= 5 and counts["testspec"] >= 10 and counts["user_need"] + counts["sysreq"] >= 5
    links = ("derives_from", "allocated_to", "implements", "part_of", "uses", "arises_from", "mitigates", "verifies", "result_of", "found_by", "affects", "discloses", "trained_on", "evaluated_on", "waives")
    for need in needs.values():
        for link in links:
            for target in need.get(link) or []:
                assert target in needs, f"{need['id']} {link} {target}"
                assert need["id"] in needs[target][f"{link}_back"]
    results = [n for n in needs.values() if n["type"] == "result"]
    assert results and all(n["software_version"] == "1.0.0" for n in results)
    assert all(n["result_of"] or n["verifies"] for n in results if "test_output_decimal" not in n["title"])


PAGES = {
    "development_plan": ["STMT_DEVELOPMENT_PLAN", "STMT_SAFETY_CLASS"],
    "srs": [f"SWR_{n:03d}" for n in range(1, 16)] + ["SYS_001", "UN_005"],
    "architecture": ["ITEM_SYSTEM", "ITEM_VALIDATION", "ITEM_REPORT", "_images/plantuml-", "inherited from"],
    "risk_management": ["HAZ_001", "HAZ_005", "RC_001", "RC_005", "Unacceptable", "Acceptable"],
    "soup": ["SOUP_PYTHON", "SOUP_NUMPY", "SOUP_SCIKIT_LEARN", "2.4.6", "COMP_NUMPY_2_4_6", "COMP_JOBLIB_1_6_0"],
    "verification": ["TEST_001", "TEST_012", "RES_", "passed"],
    "traceability": ["UN_001", "SYS_001", "SWR_001", "TEST_001", "HAZ_001", "RC_001"],
    "release": ["REL_1_0_0", "ANOM_001"],
    "ml_model": ["MODEL_PJI", "DATA_TEST"],
    "gaps": ["0 open gap(s)"],
    "rules": ['id="rule-r04"', 'id="rule-r30"', "IEC 62304 5.7.4 a-b"],
}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_each_document_shows_its_needs(example: tuple[Path, Build], page: str) -> None:
    _, build = example
    html = (build.outdir / "docs" / f"{page}.html").read_text()
    missing = [text for text in PAGES[page] if text not in html]
    assert not missing, f"{page}.html lacks {missing}"


def test_architecture_diagram_is_a_real_diagram(example: tuple[Path, Build]) -> None:
    _, build = example
    html = (build.outdir / "docs" / "architecture.html").read_text()
    image = re.search(r'src="\.\./(_images/plantuml-[0-9a-f]+\.svg)"', html)
    assert image, "no PlantUML image on the architecture page"
    svg = (build.outdir / image.group(1)).read_text()
    assert "Graphviz" not in svg and "ITEM_VALIDATION" in svg and "ITEM_MODEL" in svg and "<path" in svg


def test_check_agrees_with_the_build(example: tuple[Path, Build]) -> None:
    root, build = example
    done = techfile(root, "check", "--format", "json")
    assert done.returncode == 0, done.stdout[-2000:]
    assert json.loads(done.stdout)["findings"] == build.findings()


def test_removing_the_only_test_of_a_class_b_requirement_fails(example: tuple[Path, Build], tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(example[0], root)
    shutil.rmtree(root / "_build" / "html")
    tests = root / "needs" / "tests.md"
    text = tests.read_text()
    tests.write_text(re.sub(r"```\{testspec\} Model integrity check\n.*?\n```\n", "", text, flags=re.S))
    assert techfile(root, "junit").returncode == 0
    lines = (root / "needs" / "software_requirements.md").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "{swreq} Model integrity at start" in text)
    expected = f"needs/software_requirements.md:{line}: techfile.R04: SWR_008: no test specification or automated test verifies it (IEC 62304 5.7.1 a; IEC 62304 5.7.4 a-b; FDA SW VI.H)"

    done = techfile(root, "check")
    assert done.returncode == 1
    assert expected in done.stdout

    build = sphinx_build(root)
    assert build.status == 1
    assert f"needs/software_requirements.md:{line}: WARNING: SWR_008: no test specification or automated test verifies it (IEC 62304 5.7.1 a;" in build.output
    assert "[techfile.R04]" in build.output


def test_techfile_needs_equals_the_builds_needs_json(example: tuple[Path, Build], tmp_path: Path) -> None:
    """What techfile check reads is what sphinx-needs records, need for need (tests/test_parity.py proves it on generated trees)."""
    from test_parity import differences

    root, build = example
    done = techfile(root, "needs", "-o", str(tmp_path / "needs.json"))
    assert done.returncode == 0, done.stderr
    ours = json.loads((tmp_path / "needs.json").read_text())["versions"][""]["needs"]
    theirs = json.loads((build.outdir / "needs.json").read_text())["versions"][""]["needs"]
    assert len(ours) > 250 and differences(ours, theirs) == []


def test_model_report_shows_the_numbers_of_the_mlflow_store(example: tuple[Path, Build]) -> None:
    """The ML model report's figures are the training run's, as MLflow's own client reads them from the example's store."""
    from mlflow.tracking import MlflowClient

    root, build = example
    store = f"sqlite:///{root / '_build' / 'evidence' / 'mlflow' / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=store, registry_uri=store)
    version = client.get_model_version_by_alias("pji-risk", "released")
    metrics = client.get_run(version.run_id).data.metrics
    html = (build.outdir / "docs" / "ml_model.html").read_text()
    report = html.split('id="model-report"', 1)[1]
    for key in ("test/auc", "test/auc/ci_low", "test/calibration_slope", "test/subgroup/sex/female/auc", "test/subgroup/age_band/under_65/auc"):
        assert f"{metrics[key]:.6g}" in report, key
    for key in ("test/subgroup/sex/female/n", "test/subgroup/joint/knee/n"):
        assert f">{int(metrics[key])}<" in report, key
    assert version.run_id in report and "MLVER_PJI_RISK_1" in report
