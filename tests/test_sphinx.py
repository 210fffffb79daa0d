"""The Sphinx build of a small project: the same findings as ``techfile
check``, typed warnings at file:line that fail ``-W``, bad input refused
with its location, diagrams that really render."""

from __future__ import annotations

import json
import re
import shutil

import jsonschema
import pytest

from miniproject import Mini, default, pyproject, waiver
from sphinxbuild import add_sphinx_files, sphinx_build
from techfile import resources

pytestmark = pytest.mark.slow


@pytest.fixture
def site(mini: Mini) -> Mini:
    add_sphinx_files(mini.root)
    (mini.root / "pyproject.toml").write_text(pyproject('catalogue_doc = "docs/gaps"\n'))  # the rules view is on the gaps page
    (mini.root / "docs" / "index.md").write_text(
        (mini.root / "docs" / "index.md").read_text()
        + "\n```{toctree}\n:glob:\n\n../needs/*\ngaps\n```\n"
    )
    views = ["coverage", "gaps", "trace-matrix", "risk-matrix", "risk-register", "verification", "safety-classes", "rules"]
    (mini.root / "docs" / "gaps.md").write_text("# Gaps\n\n" + "".join(f"```{{techfile-{view}}}\n```\n\n" for view in views))
    mini.write_evidence()
    return mini


def cli_findings(mini: Mini) -> list[dict[str, object]]:
    return [f.as_dict() for f in mini.findings()]


def test_clean_project_builds_with_w(site: Mini) -> None:
    build = sphinx_build(site.root)
    assert build.status == 0, build.output
    assert build.findings() == []
    report = json.loads((build.outdir / "techfile-findings.json").read_text())
    jsonschema.validate(report, json.loads(resources.data("schemas", "findings.schema.json").read_text()))
    assert report["rules"][0]["url"].startswith("gaps.html#rule-") or "docs/gaps.html#rule-" in report["rules"][0]["url"]
    assert (build.outdir / "index.html").read_text().count("docs/index.html") >= 1
    gaps = (build.outdir / "docs" / "gaps.html").read_text()
    assert "0 open gap(s)" in gaps and "1/1 (100 %)" in gaps


def test_gap_fails_the_build_at_file_and_line_with_the_same_findings(site: Mini) -> None:
    site.replace("tests.md", ":verifies: SWR_001, ITEM_UNIT", ":verifies: ITEM_UNIT")
    build = sphinx_build(site.root)
    assert build.status == 1
    line = next(n for n, text in enumerate((site.root / "needs/requirements.md").read_text().splitlines(), 1) if "{swreq}" in text)
    assert f"needs/requirements.md:{line}: WARNING: SWR_001: no test specification or automated test verifies it (IEC 62304 5.7.1 a;" in build.output
    assert "[techfile.R04]" in build.output
    assert build.findings() == cli_findings(site)
    gaps = (build.outdir / "docs" / "gaps.html").read_text()
    assert "SWR_001" in gaps and "rule-r04" in gaps


def test_suppress_warnings_silences_a_rule(site: Mini) -> None:
    site.replace("risk.md", ":new_hazards: None.\n", "")
    assert sphinx_build(site.root).status == 1
    conf = site.root / "conf.py"
    conf.write_text(conf.read_text() + 'suppress_warnings = ["techfile.R14"]\n')
    build = sphinx_build(site.root)
    assert build.status == 0, build.output
    assert [f["rule"] for f in build.findings()] == ["R14"]  # still on record, not a warning


def test_waived_gap_builds_and_shows_as_accepted(site: Mini) -> None:
    site.replace("risk.md", ":new_hazards: None.\n", "")
    site.append("release.md", waiver("R14", "RC_001"))
    build = sphinx_build(site.root)
    assert build.status == 0, build.output
    assert build.findings()[0]["accepted_by"] == "WAIVER_001"
    assert "accepted by" in (build.outdir / "docs" / "gaps.html").read_text()


BAD_INPUT = {
    "unknown type": (("requirements.md", "```{user_need} Need", "```{user_nede} Need"), r"needs/requirements.md:3: (WARNING|ERROR): Unknown directive type: 'user_nede'"),
    "bad enum": (("architecture.md", ":safety_class: B", ":safety_class: D"), r"needs/architecture.md:3: WARNING: ITEM_SYS: safety_class is 'D', expected one of A, B, C .*\[techfile.N03\]"),
    "duplicate ID": (("release.md", ":risk_management_report: docs/index\n```\n", ":risk_management_report: docs/index\n```\n\n```{release} Again\n:id: REL_1\n:version: 1.0.0\n```\n"), r"needs/release.md:12: WARNING: Need could not be created: A need with ID 'REL_1' already exists"),
    "dangling link": (("requirements.md", ":derives_from: SYS_001", ":derives_from: SYS_404"), r"needs/requirements.md:\d+: WARNING: Need 'SWR_001' has unknown outgoing link 'SYS_404'"),
    "wrong link type": (("tests.md", ":verifies: SWR_001, ITEM_UNIT", ":verifies: SWR_001, ITEM_UNIT, HAZ_001"), r"needs/tests.md:3: WARNING: Need 'TEST_001' link 'HAZ_001' in field 'verifies': target need type 'hazard' is not one of"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_fails_with_file_and_line(site: Mini, case: str) -> None:
    (file, old, new), expected = BAD_INPUT[case]
    site.replace(file, old, new)
    build = sphinx_build(site.root, "html")
    assert build.status != 0
    assert re.search(expected, build.output.replace(str(site.root) + "/", "")), build.output


def test_diagram_that_did_not_render_fails_the_build(site: Mini) -> None:
    """Laid out with dot on a machine without Graphviz, PlantUML draws "Cannot find Graphviz"
    and exits 0; the guard turns that into a warning at the diagram, so -W fails."""
    if shutil.which("dot"):
        pytest.skip("Graphviz is installed here: dot lays the diagram out")
    page = site.root / "docs" / "diagram.md"
    page.write_text("# Diagram\n\n```{uml}\n@startuml\ncomponent A\ncomponent B\nA --> B\n@enduml\n```\n")
    index = site.root / "docs" / "index.md"
    index.write_text(index.read_text().replace("gaps\n```", "gaps\ndiagram\n```"))
    assert sphinx_build(site.root).status == 0  # Smetana, the default, needs no dot
    shutil.rmtree(site.root / "_build")  # sphinxcontrib-plantuml reuses an image it has drawn before
    build = sphinx_build(site.root, env={"TECHFILE_PLANTUML_LAYOUT": "dot"})
    assert build.status == 1
    assert "PlantUML drew an error instead of the diagram" in build.output
    assert re.search(r"docs/diagram.md:\d+: WARNING: error while running plantuml", build.output.replace(str(site.root) + "/", "")), build.output


def test_needs_builder_gives_the_same_findings(site: Mini) -> None:
    site.replace("risk.md", ":residual_probability: remote\n", "")
    build = sphinx_build(site.root, "needs")
    assert build.findings() == cli_findings(site) != []
    needs = json.loads((build.outdir / "needs.json").read_text())["versions"][""]["needs"]
    assert needs["RES_ONE"]["result_of"] == ["TEST_001"] and needs["TEST_001"]["result_of_back"] == ["RES_ONE"]


def test_generated_corpus_same_findings_in_sphinx_and_check(site: Mini) -> None:
    """Thousands of needs with gaps of many rules: the Sphinx build and techfile check agree."""
    from generated_corpus import generate

    count = generate(site, groups=200)
    assert count > 3000  # 200 slices of 12 authored needs, plus results and components
    cli = cli_findings(site)
    assert len({f["rule"] for f in cli}) >= 10, sorted({f["rule"] for f in cli})
    build = sphinx_build(site.root, "needs")
    assert build.findings() == cli


def test_sphinx_needs_validator_agrees_on_schema_rules(site: Mini) -> None:
    """The rules written as sphinx-needs schema conditions, handed to sphinx-needs' own
    validator, flag exactly the needs techfile's evaluator flags."""
    from generated_corpus import generate
    from miniproject import MODEL, default
    from techfile.checks.rules import load_rules, sphinx_needs_schemas

    generate(site, groups=200)
    site.write_evidence()
    rules = load_rules(default("trace_rules"), MODEL)
    (site.root / "schemas.json").write_text(json.dumps(sphinx_needs_schemas(rules)))
    conf = site.root / "conf.py"
    conf.write_text(conf.read_text() + '\nneeds_schema_definitions_from_json = "schemas.json"\nsuppress_warnings = ["sn_schema_violation"]\n')
    build = sphinx_build(site.root, "needs")
    report = json.loads((build.outdir / "schema_violations.json").read_text())["validation_warnings"]
    theirs = {(need, w["details"]["schema_path"].split("[")[0]) for need, warnings in report.items() for w in warnings}
    schema_rules = {rule.id for rule in rules.values() if rule.validate is not None}
    ours = {(f["need"], f["rule"]) for f in build.findings() if f["rule"] in schema_rules}
    assert len(ours) > 20 and {rule for _, rule in ours} >= {"R01", "R07", "R10", "R14", "R18"}
    assert theirs == ours


def test_broken_rule_declaration_stops_the_build_with_its_location(site: Mini) -> None:
    rules = site.root / "trace_rules.toml"
    rules.write_text(default("trace_rules").read_text().replace('check = "verified"', 'check = "verifed"'))
    pyproject = site.root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("[tool.techfile]\n", '[tool.techfile]\ntrace_rules = "trace_rules.toml"\n'))
    build = sphinx_build(site.root)
    assert build.status == 1
    line = next(n for n, text in enumerate(rules.read_text().splitlines(), 1) if 'check = "verifed"' in text)
    assert f"trace_rules.toml:{line}: ERROR: rule R04: names unknown check 'verifed'" in build.output
    assert "[techfile.declaration]" in build.output
    assert "Traceback" not in build.output
