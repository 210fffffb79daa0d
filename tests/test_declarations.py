"""The need model, the rule declarations and the risk matrix load, and bad
declarations give an error with file and line, never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from miniproject import MODEL, default
from techfile.checks.rules import load_rules
from techfile.errors import TechfileError
from techfile.model.needmodel import load_need_model
from techfile.model.riskmatrix import load_risk_matrix


def edited(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """A copy of the shipped default ``name`` with one edit."""
    text = default(name.removesuffix(".toml")).read_text()
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1))
    return path


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_need_model_has_the_types_of_the_technical_file() -> None:
    assert {"statement", "user_need", "sysreq", "swreq", "item", "hazard", "risk_control", "testspec", "result",
            "soup", "anomaly", "release", "ml_model", "dataset", "waiver", "component"} <= set(MODEL.types)
    assert MODEL.field_schema("item", "safety_class")["enum"] == ["A", "B", "C"]
    assert MODEL.field_schema("risk_control", "option")["enum"] == ["inherent_safety_by_design", "protective_measure", "information_for_safety"]
    assert MODEL.field_schema("item", "level")["enum"] == ["system", "item", "unit"]
    assert MODEL.field_schema("testspec", "level")["enum"] == ["unit", "integration", "system"]
    for need_type in MODEL.types.values():
        assert need_type.id_pattern.pattern.startswith(f"^{need_type.prefix}")


def test_sphinx_needs_config_declares_links_on_their_source_types() -> None:
    config = MODEL.sphinx_needs_config()
    types = {t["directive"]: t for t in config["needs_types"]}
    assert set(types["testspec"]["links"]) == {"verifies"}
    assert types["testspec"]["links"]["verifies"]["target_types"] == ["swreq", "sysreq", "risk_control", "item", "user_need"]
    assert "target_types" not in types["waiver"]["links"]["waives"]
    described = [t["links"][name] for t in config["needs_types"] for name in t["links"] if "outgoing" in t["links"][name]]
    assert len(described) == len(MODEL.links)  # display names given once per link type
    assert all(field["schema"]["type"] == "string" for t in config["needs_types"] for field in t["fields"].values())


@pytest.mark.parametrize(
    ("name", "old", "new", "message", "needle"),
    [
        ("need_model.toml", 'fields = ["kind", "documentation_level", "addresses", "labelling_roles"]', 'fields = ["kind", "colour"]', "unknown field 'colour'", 'fields = ["kind", "colour"]'),
        ("need_model.toml", 'to = ["dataset"]', 'to = ["datasets"]', "unknown need type 'datasets'", "[links.trained_on]"),
        ("need_model.toml", 'color = "#BFD8D2"', 'color = "teal"', r"types/swreq/color: 'teal' does not match", 'color = "teal"'),
        ("need_model.toml", "[types.swreq]", "[types._swreq]", r"'_swreq' does not match", "[types._swreq]"),
        ("need_model.toml", 'software_requirement = "swreq"', 'software_requirement = "swerq"', r"role software_requirement names unknown need type 'swerq'", 'software_requirement = "swerq"'),
        ("need_model.toml", 'hazard = "hazard"\nrisk_control', 'hazards = "hazard"\nrisk_control', r"'hazards' is not a role techfile knows .*did you mean 'hazard'", 'hazards = "hazard"'),
        ("need_model.toml", 'verifies = "verifies"', 'verifies = "verify"', r"relation verifies names unknown link type 'verify'", 'verifies = "verify"'),
        ("need_model.toml", 'default_safety_class = "C"', 'default_safety_class = C', "not valid TOML", "default_safety_class = C"),
        ("trace_rules.toml", 'check = "verified"', 'check = "verifed"', "names unknown check 'verifed'", 'check = "verifed"'),
        ("trace_rules.toml", 'roles = ["software_requirement"]\nmessage = "derives', 'roles = ["software_requirment"]\nmessage = "derives', "selects unknown role 'software_requirment'", 'roles = ["software_requirment"]'),
        ("trace_rules.toml", 'severity = "error"\nroles = ["system_requirement"]', 'severity = "fatal"\nroles = ["system_requirement"]', "'fatal' is not one of", 'severity = "fatal"'),
        ("trace_rules.toml", '[rules.validate.network.derives_from]', '[rules.validate.network.derived_from]', "'derived_from', which is neither a role nor a relation", "[rules.validate.network.derived_from]"),
        ("risk_matrix.toml", 'minor        = ["acceptable", "acceptable", "acceptable", "alarp", "alarp"]', 'minor        = ["acceptable", "alarp"]', "matrix row 'minor' has 2 cells", 'minor        = ["acceptable", "alarp"]'),
    ],
)
def test_bad_declaration_names_file_and_line(tmp_path: Path, name: str, old: str, new: str, message: str, needle: str) -> None:
    path = edited(tmp_path, name, old, new)
    with pytest.raises(TechfileError) as error:
        if name == "need_model.toml":
            load_need_model(path)
        elif name == "trace_rules.toml":
            load_rules(path, MODEL)
        else:
            load_risk_matrix(path)
    text = error.value.render()
    assert re.search(message, text), text
    assert error.value.path == str(path)
    assert error.value.line == line_of(path, needle), text


def test_duplicate_rule_id_points_at_the_second(tmp_path: Path) -> None:
    path = edited(tmp_path, "trace_rules.toml", 'id = "R02"', 'id = "R01"')
    with pytest.raises(TechfileError, match="rule R01: is declared twice") as error:
        load_rules(path, MODEL)
    assert error.value.line == line_of(path, 'name = "uncovered-system-requirement"') - 1


def test_risk_matrix_classifies() -> None:
    matrix = load_risk_matrix(default("risk_matrix"))
    assert matrix.classify("critical", "probable").key == "unacceptable"
    assert matrix.classify("critical", "improbable").key == "acceptable"
    assert matrix.classify("serious", "occasional").key == "alarp"
    assert matrix.classify("serious", None) is None


def test_key_lines_skip_multi_line_values_and_read_quoted_keys() -> None:
    """Lines inside a multi-line string or array are values, not keys or headers; quoted and dotted keys are keys."""
    from techfile.tomlfile import KeyLines

    lines = KeyLines(
        'description = """\n[types.fake]\nfake = 1\n"""\n'  # 1-4
        'fields = [\n  "a",\n  ["b"]\n]\n'  # 5-8
        '[types."sys.arch"]\n'  # 9
        '"odd key" = 1\n'  # 10
        "validate.local = { required = [] }\n"  # 11
        "[[rules]]\n[rules.validate.network.verifies]\nminContains = 1\n"  # 12-14
    )
    assert ("types", "fake") not in lines.lines and ("fake",) not in lines.lines and ("b",) not in lines.lines
    assert lines.line_of(("fields", 1)) == 5
    assert lines.line_of(("types", "sys.arch", "odd key")) == 10
    assert lines.line_of(("types", "sys.arch", "validate", "local", "required")) == 11
    assert lines.line_of(("rules", 0, "validate")) == 13  # implied by the header below it
    assert lines.line_of(("rules", 0, "validate", "network", "verifies", "minContains")) == 14


def test_not_utf8_names_the_line_of_the_byte(tmp_path: Path) -> None:
    from techfile.tomlfile import decode

    with pytest.raises(TechfileError) as error:
        decode(b'a = 1\nb = "ok"\nc = "\xc3("\n', tmp_path / "x.toml")
    assert (error.value.line, error.value.fix) == (3, "save the file as UTF-8")
    assert error.value.message == "byte 0xc3 at column 6 is not UTF-8 (invalid continuation byte)"


def test_field_values_are_checked_as_sphinx_needs_checks_them() -> None:
    """Formats are validated and patterns are Rust regular expressions, in techfile check as in sphinx-needs."""
    from techfile.checks.schema_eval import matches

    date = {"type": "string", "format": "date"}
    assert matches(date, "2026-01-31") and not matches(date, "2026-02-31")
    assert matches({"type": "string", "pattern": r"^\p{Lu}"}, "Été")
