"""Layered declarations: a project's need model and rules ``extends =
"techfile:default"`` and say only what differs; a mistake in a layer is an
error at that layer's file and line."""

from __future__ import annotations

import dataclasses
import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from miniproject import MODEL, Mini, default, pyproject
from techfile.checks.rules import RuleStatus, TraceRule, load_rules
from techfile.cli import main
from techfile.errors import TechfileError
from techfile.model.needmodel import NeedModel, load_need_model
from techfile.model.roles import Relation, Role

DEFAULT_RULES = load_rules(default("trace_rules"), MODEL)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def layered(mini: Mini, need_model: str | None = None, trace_rules: str | None = None) -> None:
    """The mini project with its own schemas/need_model.toml and/or schemas/trace_rules.toml."""
    settings = ""
    for kind, text in (("need_model", need_model), ("trace_rules", trace_rules)):
        if text is not None:
            write(mini.root / "schemas" / f"{kind}.toml", text)
            settings += f'{kind} = "schemas/{kind}.toml"\n'
    (mini.root / "pyproject.toml").write_text(pyproject(settings))


def check_report(mini: Mini, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    mini.write_evidence()
    status = main(["check", "--project", str(mini.root), "--format", "json"])
    out, err = capsys.readouterr()
    assert err == "" and status in (0, 1), err
    return status, json.loads(out)


def found(mini: Mini) -> set[tuple[str, str | None]]:
    return {(finding.rule.id, finding.need_id) for finding in mini.findings()}


# ------------------------------------------------------------ need model


PROBABILITY_BASIS = """\
    extends = "techfile:default"

    [types.hazard]
    add_fields = ["probability_basis"]
    color = "#FF0000"

    [fields.probability_basis]
    description = "What the probability estimate rests on."
    """


def test_add_fields_declares_a_field_on_an_existing_type(mini: Mini) -> None:
    layered(mini, need_model=PROBABILITY_BASIS)
    model = load_need_model(mini.root / "schemas" / "need_model.toml")
    hazard, base = model.types["hazard"], MODEL.types["hazard"]
    declared = [name for name in hazard.fields if name != "reviewed"]  # every authored type also carries the review stamps
    assert declared == [*(name for name in base.fields if name != "reviewed"), "probability_basis"] and "reviewed" in hazard.fields
    assert (hazard.color, hazard.title, hazard.prefix, hazard.required) == ("#FF0000", base.title, base.prefix, base.required)
    assert "probability_basis" not in model.types["risk_control"].fields
    needs_types = {t["directive"]: t for t in model.sphinx_needs_config()["needs_types"]}
    assert needs_types["hazard"]["fields"]["probability_basis"]["description"] == "What the probability estimate rests on."
    assert set(needs_types["hazard"]["fields"]) == set(base.fields) | {"probability_basis"}
    # on a need: declared there, so not an undeclared field (N07), and read
    mini.replace("risk.md", ":probability: probable\n", ":probability: probable\n:probability_basis: Registry data 2020-2024.\n")
    assert ("N07", "HAZ_001") not in found(mini)


def test_a_field_not_added_is_undeclared(mini: Mini) -> None:
    mini.replace("risk.md", ":probability: probable\n", ":probability: probable\n:probability_basis: Registry data.\n")
    assert ("N07", "HAZ_001") in found(mini)


USABILITY = """\
    extends = "techfile:default"

    [types.usability_req]
    title = "Usability requirement"
    prefix = "USE_"
    id_pattern = "^USE_[0-9]{3,}$"
    fields = ["category"]

    [links.derives_from]
    add_from = ["usability_req"]

    [links.verifies]
    add_to = ["usability_req"]
    """


def test_a_new_type_joins_existing_links(mini: Mini) -> None:
    layered(mini, need_model=USABILITY)
    model = load_need_model(mini.root / "schemas" / "need_model.toml")
    assert model.links["derives_from"].sources == (*MODEL.links["derives_from"].sources, "usability_req")
    assert model.links["derives_from"].targets == MODEL.links["derives_from"].targets
    assert model.links["verifies"].targets == (*(MODEL.links["verifies"].targets or ()), "usability_req")
    assert model.types["usability_req"].links == ("derives_from",)
    needs_types = {t["directive"]: t for t in model.sphinx_needs_config()["needs_types"]}
    assert needs_types["usability_req"]["links"]["derives_from"]["target_types"] == ["sysreq", "user_need"]
    assert "usability_req" in needs_types["testspec"]["links"]["verifies"]["target_types"]
    mini.append(
        "requirements.md",
        """
        ```{usability_req} Readable at arm's length
        :id: USE_001
        :derives_from: UN_001
        ```

        ```{usability_req} Wrongly traced
        :id: USE_002
        :derives_from: TEST_001
        ```
        """,
    )
    mini.replace("tests.md", ":verifies: SWR_001, ITEM_UNIT", ":verifies: SWR_001, ITEM_UNIT, USE_001")
    gaps = found(mini)
    assert not {gap for gap in gaps if gap[1] == "USE_001"}
    assert ("N05", "TEST_001") not in gaps
    assert ("N05", "USE_002") in gaps  # derives_from still only reaches system requirements and user needs


NO_ML = """\
    extends = "techfile:default"
    remove_types = ["ml_model", "dataset", "component"]
    """


def test_remove_types_takes_out_their_links_and_roles(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    layered(mini, need_model=NO_ML)
    model = load_need_model(mini.root / "schemas" / "need_model.toml")
    assert not {"ml_model", "dataset", "component"} & set(model.types)
    assert set(MODEL.links) - set(model.links) == {"trained_on", "evaluated_on", "version_of", "tracks", "annotates", "monitors"}  # monitors: monitor -> ml_model
    assert model.links["uses"].targets == ("soup",)
    for role in (Role.ML_MODEL, Role.DATASET, Role.DEPENDENCY_COMPONENT):
        assert not model.roles.has(role), role
    assert model.roles.link(Relation.TRAINED_ON) is None and model.roles.link(Relation.USES) == "uses"
    rules = load_rules(default("trace_rules"), model)
    assert rules["R17"].status is RuleStatus.NOT_APPLICABLE
    assert "role dependency_component" in rules["R17"].reason
    # and the ML rules that start from the removed ml_model (M04, M05 start from requirements), and S01-S05 with the SOUP and SBOM evidence
    assert [rule.id for rule in rules.values() if not rule.applicable] == ["R17", "S01", "S02", "S03", "S04", "S05", "M01", "M02", "M03", "M06", "M07", "M09", "M10", "M11", "M12", "M13", "M14", "PM01"]
    # a project without dependency evidence checks cleanly with that model
    mini.components = []
    status, report = check_report(mini, capsys)
    statuses = {rule["id"]: (rule["status"], rule["reason"]) for rule in report["rules"]}
    assert statuses["R17"] == ("not applicable", "the need model maps no role dependency_component")
    assert (status, report["findings"]) == (0, [])


def test_ids_may_grow_beyond_three_digits(mini: Mini) -> None:
    pattern = MODEL.types["swreq"].id_pattern
    assert pattern.fullmatch("SWR_1000") and not pattern.fullmatch("SWR_1")
    for file in ("requirements.md", "tests.md"):
        mini.replace(file, "SWR_001", "SWR_1000")
    assert not {gap for gap in found(mini) if gap[0].startswith("N")}
    for file in ("requirements.md", "tests.md"):
        mini.replace(file, "SWR_1000", "SWR_1")
    assert ("N01", "SWR_1") in found(mini)


# ----------------------------------------------------------------- rules


def rule_values(rule: TraceRule) -> dict[str, object]:
    return {f.name: getattr(rule, f.name) for f in dataclasses.fields(rule)}


def test_overriding_a_rule_key_changes_only_that_key(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    layered(mini, trace_rules='extends = "techfile:default"\n\n[[rules]]\nid = "R14"\nseverity = "warning"\n')
    path = mini.root / "schemas" / "trace_rules.toml"
    rules = load_rules(path, MODEL)
    assert list(rules) == list(DEFAULT_RULES)
    before, after = rule_values(DEFAULT_RULES["R14"]), rule_values(rules["R14"])
    assert {key for key in before if before[key] != after[key]} == {"severity", "path", "line"}
    assert (after["severity"], after["path"], after["line"]) == ("warning", path, line_of(path, "[[rules]]"))
    assert all(rule_values(rules[rule_id]) == rule_values(DEFAULT_RULES[rule_id]) for rule_id in rules if rule_id != "R14")
    mini.replace("risk.md", ":new_hazards: None.\n", "")
    _, report = check_report(mini, capsys)
    assert [(f["rule"], f["severity"]) for f in report["findings"]] == [("R14", "warning")]


def test_disabled_rule_is_kept_with_its_reason_and_reports_nothing(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    mini.replace("statements.md", ":kind: development_plan", ":kind: intended_use")
    assert ("R30", None) in found(mini)
    layered(mini, trace_rules='extends = "techfile:default"\n\n[disable]\nR30 = "The plan is a QMS document, SOP-12"\n')
    rules = load_rules(mini.root / "schemas" / "trace_rules.toml", MODEL)
    assert (rules["R30"].status, rules["R30"].reason) == (RuleStatus.DISABLED, "The plan is a QMS document, SOP-12")
    status, report = check_report(mini, capsys)
    # disabling R30 does not write the plan: the clause's own query still asks for one (C01)
    assert (status, [(f["rule"], f["clauses"]) for f in report["findings"]]) == (1, [("C01", ["IEC 62304 5.1.1"])])
    r30 = next(rule for rule in report["rules"] if rule["id"] == "R30")
    assert (r30["status"], r30["reason"]) == ("disabled", "The plan is a QMS document, SOP-12")


def test_disabling_an_undeclared_rule_is_an_error_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "trace_rules.toml", 'extends = "techfile:default"\n\n[disable]\nR30 = "Plan in the QMS"\nR99 = "No such rule"\n')
    with pytest.raises(TechfileError, match="disables rule R99, which is not declared") as error:
        load_rules(path, MODEL)
    assert (error.value.path, error.value.line) == (str(path), line_of(path, "R99 ="))


REFINES_MODEL = """\
    extends = "techfile:default"

    [types.swreq]
    add_fields = ["method"]

    [fields.method]
    description = "How the requirement is verified."

    [links.refines]
    outgoing = "refines"
    incoming = "is refined by"
    from = ["swreq"]
    to = ["sysreq", "user_need"]

    [relations]
    derives_from = "refines"

    [roles.software_requirement]
    types = ["swreq"]
    fields = { verification_method = "method" }
    """

METHOD_RULE = """\
    extends = "techfile:default"

    [[rules]]
    id = "P01"
    name = "requirement-method-and-source"
    title = "Software requirements state how they are verified and refine a system requirement"
    clauses = ["IEC 62304 5.2.1", "IEC 62304 5.7.1"]
    classes = ["A", "B", "C"]
    severity = "error"
    roles = ["software_requirement"]
    message = "states no verification method or refines no system requirement"
    description = "Written in roles: the software requirement's verification_method, derived from a system requirement."
    [rules.validate.local]
    required = ["verification_method"]
    [rules.validate.network.derives_from]
    contains = { roles = ["system_requirement"] }
    minContains = 1
    """


def test_project_rule_in_roles_resolves_to_the_projects_names(mini: Mini) -> None:
    layered(mini, need_model=REFINES_MODEL, trace_rules=METHOD_RULE)
    model = load_need_model(mini.root / "schemas" / "need_model.toml")
    rule = load_rules(mini.root / "schemas" / "trace_rules.toml", model)["P01"]
    assert rule.applicable and rule.types == ("swreq",)
    assert rule.validate == {
        "local": {"required": ["method"]},
        "network": {"refines": {"minContains": 1, "contains": {"local": {"properties": {"type": {"enum": ["sysreq"]}}, "required": ["type"]}}}},
    }
    mini.replace("requirements.md", ":derives_from: SYS_001\n:allocated_to:", ":refines: SYS_001\n:method: test\n:allocated_to:")
    assert not found(mini)
    mini.replace("requirements.md", ":method: test\n", "")
    # P01 cites a clause the mini's catalogue lists (C01): a project rule's gap is its clause's too
    assert found(mini) == {("P01", "SWR_001"), ("C01", None)}


# ---------------------------------------------------------------- errors


def new_type(missing: str) -> str:
    keys = {"title": 'title = "Usability requirement"', "prefix": 'prefix = "USE_"', "id_pattern": 'id_pattern = "^USE_[0-9]{3,}$"'}
    return 'extends = "techfile:default"\n\n[types.usability_req]\n' + "\n".join(text for key, text in keys.items() if key != missing) + "\n"


@pytest.mark.parametrize(
    ("files", "at", "needle", "message"),
    [
        ({"a.toml": 'extends = "b.toml"\n', "b.toml": '# b\n\nextends = "a.toml"\n'}, "b.toml", "extends", "extends forms a cycle"),
        ({"a.toml": '# mine\nextends = "base/need_model.toml"\n'}, "a.toml", "extends", "base/need_model.toml: no such file"),
        ({"a.toml": new_type("title")}, "a.toml", "[types.usability_req]", "type 'usability_req' declares no title"),
        ({"a.toml": new_type("prefix")}, "a.toml", "[types.usability_req]", "type 'usability_req' declares no prefix"),
        ({"a.toml": new_type("id_pattern")}, "a.toml", "[types.usability_req]", "type 'usability_req' declares no id_pattern"),
        ({"a.toml": 'extends = "techfile:default"\n\n[roles]\nml_model = "mlmodel"\n'}, "a.toml", "ml_model =", "role ml_model names unknown need type 'mlmodel' (fix: did you mean 'ml_model'?"),
        ({"a.toml": 'extends = "techfile:default"\n\n[roles]\ndataset = "ml_model"\n'}, "a.toml", "dataset =", "type 'ml_model' plays two roles, ml_model and dataset"),
        ({"a.toml": 'extends = "techfile:default"\n\n[roles]\nml_model = "dataset"\n'}, "a.toml", "ml_model =", "type 'dataset' plays two roles, ml_model and dataset"),
        ({"a.toml": 'extends = "techfile:default"\n\n[roles.hazard]\ntypes = ["hazard"]\nfields = { severity = "sev" }\n'}, "a.toml", "[roles.hazard]", "role hazard maps severity to 'sev', a field none of its types declares"),
        ({"a.toml": 'extends = "techfile:default"\n\nremove_types = ["ml_model", "datset"]\n'}, "a.toml", "remove_types", "remove_types names unknown need type 'datset' (fix: did you mean 'dataset'?"),
    ],
    ids=["extends-cycle", "extends-missing", "type-without-title", "type-without-prefix", "type-without-id-pattern", "role-unknown-type", "two-roles", "two-roles-other-way", "role-field-undeclared", "remove-unknown-type"],
)
def test_layer_error_names_its_file_and_line(tmp_path: Path, files: dict[str, str], at: str, needle: str, message: str) -> None:
    for name, text in files.items():
        write(tmp_path / name, text)
    with pytest.raises(TechfileError) as error:
        load_need_model(tmp_path / "a.toml")
    assert message in error.value.render()
    assert (Path(error.value.path or "").resolve(), error.value.line) == ((tmp_path / at).resolve(), line_of(tmp_path / at, needle))


def test_default_model_is_what_the_layers_start_from() -> None:
    """The tests above compare with the shipped model: it must be the one a project extends."""
    assert isinstance(MODEL, NeedModel) and MODEL.path == default("need_model")
    assert {"ml_model", "dataset", "component", "hazard", "swreq"} <= set(MODEL.types)


def test_a_rule_key_is_reported_in_the_layer_that_wrote_it(tmp_path: Path) -> None:
    """A bad key in a lower layer of the project is reported there, though a layer above overrides another key of the rule."""
    write(tmp_path / "base.toml", 'extends = "techfile:default"\n\n[[rules]]\nid = "R30"\nparams = { kinds = "development_plan" }\n')
    write(tmp_path / "top.toml", 'extends = "base.toml"\n\n[[rules]]\nid = "R30"\nseverity = "warning"\n')
    with pytest.raises(TechfileError, match=re.escape("rule R30: params.kinds: 'development_plan' is not of type 'array'")) as error:
        load_rules(tmp_path / "top.toml", MODEL)
    assert (Path(error.value.path or "").name, error.value.line) == ("base.toml", 5)


def test_levels_replaced_without_a_matrix_are_reported_at_the_levels(tmp_path: Path) -> None:
    from techfile.model.riskmatrix import load_risk_matrix

    path = write(tmp_path / "risk_matrix.toml", 'extends = "techfile:default"\n\n[[severity]]\nkey = "low"\ntitle = "Low"\n\n[[severity]]\nkey = "high"\ntitle = "High"\n')
    with pytest.raises(TechfileError, match=re.escape("severity 'low' has no row in the matrix of techfile:defaults/risk_matrix.toml")) as error:
        load_risk_matrix(path)
    assert (error.value.path, error.value.line, error.value.fix) == (str(path), 4, "give this file its own [matrix], with one row per severity level")
