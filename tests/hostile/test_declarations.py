"""Hostile declarations -- the need model, the trace rules, the risk matrix
and ``[tool.techfile]`` -- one test per case: ``techfile check`` exits 2
with one message that names the file, the line where the key is written,
the key, and a fix; never a traceback. A few cases run a Sphinx build too,
which must log the same error as ``techfile.declaration`` at that line
instead of crashing.

The fuzz tests at the end write values of the wrong type or shape at random
keys of the shipped defaults; what they found is kept above as named cases.
"""

from __future__ import annotations

import copy
import datetime
import json
import math
import re
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from miniproject import MODEL, Mini, default, pyproject
from sphinxbuild import add_sphinx_files, sphinx_build
from techfile.checks.predicates import CHECKS
from techfile.checks.rules import load_rules
from techfile.checks.run import check_corpus, load_declarations
from techfile.cli import main
from techfile.errors import TechfileError
from techfile.model.needmodel import SPHINX_NEEDS_CORE, load_need_model
from techfile.model.riskmatrix import load_risk_matrix
from techfile.project import load_project
from techfile.readers.sources import read_corpus

Text = str | bytes
DECLARATIONS = ("need_model", "trace_rules", "risk_matrix")
MESSAGE = re.compile(r"techfile: error: (?P<path>\S+?):(?P<line>\d+): (?P<message>.*) \(fix: (?P<fix>.+)\)\n", re.S)
NEW_RULE = """\
extends = "techfile:default"

[[rules]]
id = "P01"
name = "probability-without-basis"
title = "Probability estimates state their basis"
clauses = ["ISO 14971 5.5"]
classes = ["A", "B", "C"]
severity = "error"
roles = ["hazard"]
message = "gives no probability_basis"
description = "Every probability estimate states what it rests on."
"""
EXTENDS = 'extends = "techfile:default"\n'
JUNIT = '\n[[tool.techfile.junit]]\noutput = "needs/generated/junit.json"\ninputs = [{ path = "unit.xml", level = "unit" }]\n'


def shipped(kind: str) -> str:
    return default(kind).read_text(encoding="utf-8")


def declare(mini: Mini, files: dict[str, Text]) -> None:
    """The mini project with these files: ``pyproject.toml`` as given, a declaration under ``schemas/`` and named in it."""
    settings_ = ""
    for name, text in files.items():
        path = mini.root / name if name == "pyproject.toml" else mini.root / "schemas" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        if name.removesuffix(".toml") in DECLARATIONS:
            settings_ += f'{name.removesuffix(".toml")} = "schemas/{name}"\n'
    if "pyproject.toml" not in files:
        (mini.root / "pyproject.toml").write_text(pyproject(settings_))
    mini.write_evidence()


def line_of(path: Path, needle: str) -> int:
    """The line of the first occurrence of ``needle`` (it may span lines: the line where it starts)."""
    text = path.read_bytes().decode("utf-8", "replace")
    assert needle in text, needle
    return text[: text.index(needle)].count("\n") + 1


def refused(mini: Mini, capsys: pytest.CaptureFixture[str]) -> re.Match[str]:
    """``techfile check`` on the project: exit 2, one message with file, line and fix, no traceback."""
    status = main(["check", "--project", str(mini.root)])
    out, err = capsys.readouterr()
    assert status == 2, err + out
    assert "Traceback" not in err and "internal error" not in err, err
    match = MESSAGE.fullmatch(err)
    assert match, err
    return match


def assert_at(match: re.Match[str], path: Path, line: int, *fragments: str, fix: str = "") -> None:
    assert Path(match["path"]).name == path.name and match["path"].endswith(path.relative_to(path.parent.parent).as_posix()), match.string
    assert int(match["line"]) == line, match.string
    for fragment in fragments:
        assert fragment in match["message"], (fragment, match.string)
    assert fix in match["fix"], (fix, match.string)


# Each case: the files, the file and text where the error is, what the message
# says (the key named among it) and what the fix says.
Case = tuple[dict[str, Text], str, str, tuple[str, ...], str]

RULE_SCHEMAS: dict[str, Case] = {
    "local-type-nonsense": (
        {"trace_rules.toml": NEW_RULE + '[rules.validate.local]\ntype = "nonsense"\n'},
        "trace_rules.toml", 'type = "nonsense"', ("rule P01: validate.local is not a valid JSON schema: type: 'nonsense'",), 'use "string", "array"',
    ),
    "dotted-local-type-nonsense": (
        {"trace_rules.toml": NEW_RULE + 'validate.local = { type = "nonsense" }\n'},
        "trace_rules.toml", "validate.local =", ("rule P01: validate.local is not a valid JSON schema: type:",), 'use "string"',
    ),
    "select-type-nonsense": (
        {"trace_rules.toml": NEW_RULE + 'select = { type = "nonsense" }\n[rules.validate.local]\nrequired = ["probability"]\n'},
        "trace_rules.toml", "select =", ("rule P01: select is not a valid JSON schema: type:",), 'use "string"',
    ),
    "nested-contains-local": (
        {"trace_rules.toml": NEW_RULE.replace('roles = ["hazard"]', 'roles = ["risk_control"]') + "[rules.validate.network.mitigates.contains.local]\nrequired = 5\n"},
        "trace_rules.toml", "required = 5", ("rule P01: validate.network.mitigates.contains.local is not a valid JSON schema: required: 5 is not of type 'array'",), "write a list: [...]",
    ),
    "nested-items-local": (
        {"trace_rules.toml": NEW_RULE.replace('roles = ["hazard"]', 'roles = ["risk_control"]') + '[rules.validate.network.mitigates.items.local]\nproperties = { severity = { minLength = -1 } }\n'},
        "trace_rules.toml", "properties = { severity", ("validate.network.mitigates.items.local is not a valid JSON schema: properties.severity.minLength: -1 is less than the minimum of 0",), "use a number of at least 0",
    ),
    "local-pattern-not-a-regex": (
        {"trace_rules.toml": NEW_RULE + '[rules.validate.local]\nproperties = { probability = { pattern = "(" } }\n'},
        "trace_rules.toml", 'pattern = "("', ("properties.probability.pattern: pattern '(' is not a regular expression: missing ), unterminated subpattern",), "regular expression",
    ),
    "local-pattern-with-look-behind": (
        {"trace_rules.toml": NEW_RULE + '[rules.validate.local]\nproperties = { probability = { pattern = "(?<=a)b" } }\n'},
        "trace_rules.toml", "(?<=a)b", ("pattern '(?<=a)b' is not a regular expression: the Rust regex engine of sphinx-needs and techfile refuses it",), "without look-around",
    ),
    "local-remote-ref": (
        {"trace_rules.toml": NEW_RULE + '[rules.validate.local]\nproperties = { probability = { "$ref" = "https://example.invalid/s.json" } }\n'},
        "trace_rules.toml", "properties = {", ("$ref 'https://example.invalid/s.json': a schema in a declaration cannot refer to another schema",), "in place",
    ),
    "local-a-date": (
        {"trace_rules.toml": NEW_RULE + "[rules.validate.local]\nproperties = { accepted_on = { const = 2026-01-01 } }\n"},
        "trace_rules.toml", "accepted_on", ("rules/0/validate/local/properties/accepted_on/const: a TOML date (2026-01-01) is not a value a declaration can hold",), "quote it",
    ),
}

PARAMS: dict[str, Case] = {
    "string-for-a-list": (
        {"trace_rules.toml": EXTENDS + '\n[[rules]]\nid = "R30"\nparams = { kinds = "development_plan" }\n'},
        "trace_rules.toml", "params =", ("rule R30: params.kinds: 'development_plan' is not of type 'array'; expected a list of strings",), 'write a TOML array: kinds = ["development_plan"]',
    ),
    "number-for-a-list": (
        {"trace_rules.toml": EXTENDS + '\n[[rules]]\nid = "R25"\nparams = { evaluation_fields = 5 }\n'},
        "trace_rules.toml", "params =", ("rule R25: params.evaluation_fields: 5 is not of type 'array'; expected a list of strings",), "make evaluation_fields a list of strings",
    ),
    "unknown-class": (
        {"trace_rules.toml": EXTENDS + '\n[[rules]]\nid = "R25"\nparams = { evaluation_classes = ["B", "D"] }\n'},
        "trace_rules.toml", "params =", ("rule R25: params.evaluation_classes[1]: 'D' is not one of ['A', 'B', 'C']",), 'make evaluation_classes a list of values among "A", "B", "C"',
    ),
    "unknown-param": (
        {"trace_rules.toml": EXTENDS + '\n[[rules]]\nid = "R30"\n[rules.params]\nkind = ["development_plan"]\n'},
        "trace_rules.toml", "[rules.params]", ("rule R30: params.kind: is not a param of this check (it reads kinds)",), "did you mean 'kinds'?",
    ),
    "params-without-a-check": (
        {"trace_rules.toml": NEW_RULE + 'params = { kinds = ["x"] }\n[rules.validate.local]\nrequired = ["probability"]\n'},
        "trace_rules.toml", "params =", ("rule P01: gives params, which only a check reads",), "remove params",
    ),
}

RULES: dict[str, Case] = {
    # found by the fuzz test: a need-scoped check called with no need crashed the engine
    "need-check-selecting-nothing": (
        {"trace_rules.toml": EXTENDS + '\n[[rules]]\nid = "R09"\nroles = []\n'},
        "trace_rules.toml", "roles = []", ("rule R09: calls hazard_controlled, which checks each need it selects, but selects none",), "roles = [...]",
    ),
    "validate-selecting-nothing": (
        {"trace_rules.toml": NEW_RULE.replace('roles = ["hazard"]\n', "") + '[rules.validate.local]\nrequired = ["x"]\n'},
        "trace_rules.toml", "[[rules]]", ("rule P01: validates each need it selects but selects none",), "roles = [...]",
    ),
    "override-of-a-rule-that-is-not-there": (
        {"trace_rules.toml": EXTENDS + '\n[[rules]]\nid = "R99"\nseverity = "warning"\n'},
        "trace_rules.toml", 'id = "R99"', ("rule R99: the files this one extends declare no rule R99 to override",), "declare the whole rule",
    ),
    "unknown-relation-without-a-close-name": (
        {"trace_rules.toml": NEW_RULE + "[rules.validate.network.zzzz]\nminContains = 1\n"},
        "trace_rules.toml", "[rules.validate.network.zzzz]", ("rule P01: validate names 'zzzz', which is neither a role nor a relation",), "name a role",
    ),
    "check-and-validate": (
        {"trace_rules.toml": EXTENDS + '\n[[rules]]\nid = "R09"\n[rules.validate.local]\nrequired = ["x"]\n'},
        "trace_rules.toml", "[rules.validate.local]", ("rule R09: has both check and validate",), "disable it and declare a new rule",
    ),
}

FIELD_SCHEMAS: dict[str, Case] = {
    "pattern-not-a-regex": (
        {"need_model.toml": EXTENDS + '\n[fields.cause]\nschema = { pattern = "(" }\n'},
        "need_model.toml", "schema =", ("the schema of field 'cause': pattern '(' is not a regular expression: missing ), unterminated subpattern",), "regular expression",
    ),
    "pattern-with-look-ahead": (
        {"need_model.toml": EXTENDS + '\n[fields.cause]\nschema = { pattern = "^(?!x)" }\n'},
        "need_model.toml", "schema =", ("the schema of field 'cause': pattern '^(?!x)' is not a regular expression: the Rust regex engine of sphinx-needs and techfile refuses it",), "without look-around",
    ),
    "not-a-string-type": (
        {"need_model.toml": EXTENDS + '\n[fields.cause]\nschema = { type = "integer" }\n'},
        "need_model.toml", "schema =", ('fields/cause/schema/type: "integer" where only "string" is allowed',), "techfile reads every field as a string",
    ),
    "nonsense-type": (
        {"need_model.toml": EXTENDS + '\n[fields.cause]\nschema = { type = "nonsense" }\n'},
        "need_model.toml", "schema =", ('fields/cause/schema/type: "nonsense" where only "string" is allowed',), 'use "string"',
    ),
    "unknown-keyword": (
        {"need_model.toml": EXTENDS + "\n[fields.cause]\n[fields.cause.schema]\nmaxLenght = 5\n"},
        "need_model.toml", "maxLenght", ("fields/cause/schema/maxLenght: 'maxLenght' is not a key here",), "did you mean 'maxLength'?",
    ),
    "format-sphinx-needs-lacks": (
        {"need_model.toml": EXTENDS + '\n[fields.cause]\nschema = { format = "regex" }\n'},
        "need_model.toml", "schema =", ("fields/cause/schema/format: 'regex' is not one of",), 'use "date-time", "date"',
    ),
    "enum-of-numbers": (
        {"need_model.toml": EXTENDS + "\n[fields.cause]\nschema = { enum = [1, 2] }\n"},
        "need_model.toml", "schema =", ("fields/cause/schema/enum/0: 1 is not of type 'string'",), 'write a string: "..."',
    ),
    "negative-length": (
        {"need_model.toml": EXTENDS + "\n[fields.cause]\nschema = { minLength = -1 }\n"},
        "need_model.toml", "schema =", ("fields/cause/schema/minLength: -1 is less than the minimum of 0",), "use a number of at least 0",
    ),
    "narrow-enum-not-a-list": (
        {"need_model.toml": EXTENDS + "\n[types.hazard]\nnarrow = { cause = { enum = 3 } }\n"},
        "need_model.toml", "narrow =", ("types/hazard/narrow/cause/enum: 3 is not of type 'array'",), "write a list",
    ),
    "narrow-pattern-with-look-behind": (
        {"need_model.toml": EXTENDS + '\n[types.hazard.narrow]\ncause = { pattern = "(?<=a)b" }\n'},
        "need_model.toml", "cause = {", ("type 'hazard' narrows field 'cause', but: pattern '(?<=a)b' is not a regular expression",), "without look-around",
    ),
    "field-named-as-a-core-field": (
        {"need_model.toml": EXTENDS + '\n[types.swreq]\nadd_fields = ["tags"]\n\n[fields.tags]\n'},
        "need_model.toml", "[fields.tags]", ("field 'tags' has the name of a sphinx-needs core field",), "rename the field",
    ),
    "field-named-as-a-link-type": (
        {"need_model.toml": EXTENDS + '\n[types.swreq]\nadd_fields = ["verifies_back"]\n\n[fields.verifies_back]\n'},
        "need_model.toml", "[fields.verifies_back]", ("field 'verifies_back' clashes with link type 'verifies'",), "rename the field",
    ),
    "link-type-named-as-a-core-field": (
        {"need_model.toml": EXTENDS + '\n[links.status]\noutgoing = "a"\nincoming = "b"\nfrom = ["swreq"]\nto = ["*"]\n'},
        "need_model.toml", "[links.status]", ("link type 'status' has the name of a sphinx-needs core field",), "rename the link type",
    ),
    "required-not-among-fields": (
        {"need_model.toml": EXTENDS + '\n[types.item]\nfields = ["safety_class"]\n'},
        "need_model.toml", "fields =", ("type 'item' lists 'level' in required but not in fields",), "add 'level' to its fields",
    ),
}

REGEXES: dict[str, Case] = {
    "id-regex": (
        {"need_model.toml": EXTENDS + 'id_regex = "("\n'},
        "need_model.toml", "id_regex", ("id_regex: '(' is not a regular expression: missing ), unterminated subpattern at position 0",), "Python regular expression",
    ),
    "id-pattern": (
        {"need_model.toml": EXTENDS + '\n[types.swreq]\nid_pattern = "^SWR_[0-9"\n'},
        "need_model.toml", "id_pattern", ("types/swreq/id_pattern: '^SWR_[0-9' is not a regular expression: unterminated character set",), "Python regular expression",
    ),
    "id-regex-of-a-new-type": (
        {"need_model.toml": EXTENDS + '\n[types.usability_req]\ntitle = "U"\nprefix = "USE_"\nid_pattern = "USE_(?P<n"\n'},
        "need_model.toml", "id_pattern", ("types/usability_req/id_pattern:", "is not a regular expression"), "Python regular expression",
    ),
    "id-regex-in-the-layer-extended": (
        {"base.toml": EXTENDS + 'id_regex = "^[A-Z"\n', "need_model.toml": 'extends = "base.toml"\n\n[types.swreq]\ncolor = "#FFFFFF"\n'},
        "base.toml", "id_regex", ("id_regex: '^[A-Z' is not a regular expression",), "Python regular expression",
    ),
}

MATRICES: dict[str, Case] = {
    "class-colour": (
        {"risk_matrix.toml": shipped("risk_matrix").replace('color = "#F1948A"', 'color = "red"')},
        "risk_matrix.toml", 'color = "red"', ("classes/2/color: 'red' does not match",), "write the colour as #RRGGBB",
    ),
    "short-colour": (
        {"risk_matrix.toml": shipped("risk_matrix").replace('color = "#F1948A"', 'color = "#F19"')},
        "risk_matrix.toml", 'color = "#F19"', ("classes/2/color: '#F19' does not match",), "#RRGGBB",
    ),
    "duplicate-severity-key": (
        {"risk_matrix.toml": shipped("risk_matrix").replace('key = "minor"', 'key = "negligible"')},
        "risk_matrix.toml", 'key = "negligible"\ntitle = "Minor"', ("key 'negligible' is already the key of severity[0]",), "its own key",
    ),
    "duplicate-probability-key": (
        {"risk_matrix.toml": shipped("risk_matrix").replace('key = "frequent"', 'key = "remote"')},
        "risk_matrix.toml", 'key = "remote"\ntitle = "Frequent"', ("key 'remote' is already the key of probability[1]",), "its own key",
    ),
    "duplicate-class-key": (
        {"risk_matrix.toml": shipped("risk_matrix").replace('key = "unacceptable"', 'key = "alarp"')},
        "risk_matrix.toml", 'key = "alarp"\ntitle = "Unacceptable"', ("key 'alarp' is already the key of classes[1]",), "its own key",
    ),
    "row-of-an-unknown-level": (
        {"risk_matrix.toml": shipped("risk_matrix") + 'seriuos = ["alarp", "alarp", "alarp", "alarp", "alarp"]\n'},
        "risk_matrix.toml", "seriuos =", ("matrix row 'seriuos' is not a severity level",), "did you mean 'serious'?",
    ),
    "cell-of-an-unknown-class": (
        {"risk_matrix.toml": shipped("risk_matrix").replace('negligible   = ["acceptable", "acceptable"', 'negligible   = ["acceptible", "acceptable"')},
        "risk_matrix.toml", "negligible   = [", ("matrix row 'negligible': unknown class 'acceptible'",), "did you mean 'acceptable'?",
    ),
    "row-too-short": (
        {"risk_matrix.toml": shipped("risk_matrix").replace('minor        = ["acceptable", "acceptable", "acceptable", "alarp", "alarp"]', 'minor        = ["acceptable"]')},
        "risk_matrix.toml", "minor        =", ("matrix row 'minor' has 1 cells, expected one per probability level (5)",), "one class for each of improbable, remote",
    ),
    "zero-levels": (
        {"risk_matrix.toml": EXTENDS + "severity = []\n"},
        "risk_matrix.toml", "severity = []", ("severity: [] is too short",), "give at least 2 entries",
    ),
    "levels-replaced-without-the-matrix": (
        {"risk_matrix.toml": EXTENDS + '\n[[severity]]\nkey = "low"\ntitle = "Low"\n\n[[severity]]\nkey = "high"\ntitle = "High"\n'},
        "risk_matrix.toml", 'key = "low"', ("severity 'low' has no row in the matrix of techfile:defaults/risk_matrix.toml",), "give this file its own [matrix]",
    ),
}

TOML: dict[str, Case] = {
    "unterminated-header-on-the-last-line": (
        {"trace_rules.toml": EXTENDS + "\n[[rules]"},
        "trace_rules.toml", "[[rules]", ("not valid TOML (column 8): Expected ']]' at the end of an array declaration",), "[[name]]",
    ),
    "cut-in-a-string": (
        {"trace_rules.toml": EXTENDS + '\n[disable]\nR30 = "The plan is'},
        "trace_rules.toml", "R30 =", ("not valid TOML (column 19): Unterminated string at the end of the file",), "close the string",
    ),
    "unclosed-array-at-the-end": (
        {"need_model.toml": EXTENDS + '\nremove_types = [\n  "ml_model",\n'},
        "need_model.toml", '"ml_model"', ("not valid TOML (column 14): Invalid value at the end of the file",), "a list is [ ... ]",
    ),
    "line-and-column-inside": (
        {"risk_matrix.toml": EXTENDS + "\nseverity = [\n  { key = low },\n]\n"},
        "risk_matrix.toml", "{ key = low }", ("not valid TOML (column 11): Invalid value",), 'quote text: key = "text"',
    ),
    "key-twice": (
        {"need_model.toml": EXTENDS + 'id_regex = "^x$"\nid_regex = "^y$"\n'},
        "need_model.toml", 'id_regex = "^y$"', ("not valid TOML (column 17): Cannot overwrite a value",), "write each key once",
    ),
    "pyproject-at-the-end": (
        {"pyproject.toml": pyproject() + '[[tool.techfile.junit]\n'},
        "pyproject.toml", "[[tool.techfile.junit]", ("not valid TOML (column 22): Expected ']]' at the end of an array declaration",), "[[name]]",
    ),
}

BYTES: dict[str, Case] = {
    "pyproject": (
        {"pyproject.toml": pyproject().encode() + b"# caf\xe9\n"},
        "pyproject.toml", "# caf", ("byte 0xe9 at column 6 is not UTF-8 (invalid continuation byte)",), "save the file as UTF-8",
    ),
    "pyproject-bom": (
        {"pyproject.toml": b"\xef\xbb\xbf" + pyproject().encode()},
        "pyproject.toml", "[tool.techfile]", ("starts with a byte order mark (BOM)",), "UTF-8 without BOM",
    ),
    "need-model": (
        {"need_model.toml": EXTENDS.encode() + b'\n[types.swreq]\ntitle = "Exigence logicielle \xe9"\n'},
        "need_model.toml", "title =", ("byte 0xe9 at column 30 is not UTF-8",), "save the file as UTF-8",
    ),
    "trace-rules": (
        {"trace_rules.toml": EXTENDS.encode() + b'\n[disable]\nR30 = "\xff"\n'},
        "trace_rules.toml", "R30 =", ("byte 0xff at column 8 is not UTF-8 (invalid start byte)",), "save the file as UTF-8",
    ),
    "risk-matrix": (
        {"risk_matrix.toml": shipped("risk_matrix").encode().replace(b"Death.", b"Mort\xe8.")},
        "risk_matrix.toml", "Mort", ("byte 0xe8 at column 20 is not UTF-8",), "save the file as UTF-8",
    ),
}

SETTINGS: dict[str, Case] = {
    "tool-not-a-table": (
        {"pyproject.toml": '[project]\nname = "x"\n\n[tool]\ntechfile = "yes"\n'},
        "pyproject.toml", 'techfile = "yes"', ("tool.techfile is not a table",), "[tool.techfile]",
    ),
    "source-outside": (
        {"pyproject.toml": pyproject().replace('sources = ["docs", "needs"]', 'sources = ["docs", "../elsewhere"]')},
        "pyproject.toml", "sources =", ("tool.techfile.sources: '../elsewhere' must be a path relative to the project root",), 'sources = ["docs", "needs"]',
    ),
}

ALL = {**RULE_SCHEMAS, **PARAMS, **RULES, **FIELD_SCHEMAS, **REGEXES, **MATRICES, **TOML, **BYTES, **SETTINGS}


@pytest.mark.parametrize("case", list(ALL.values()), ids=list(ALL))
def test_bad_declaration_is_refused_at_its_line(mini: Mini, capsys: pytest.CaptureFixture[str], case: Case) -> None:
    files, at, needle, fragments, fix = case
    declare(mini, files)
    path = mini.root / at if at == "pyproject.toml" else mini.root / "schemas" / at
    assert_at(refused(mini, capsys), path, line_of(path, needle), *fragments, fix=fix)


def test_every_check_that_reads_params_declares_them() -> None:
    """The params a shipped rule gives are the ones its check declares (and so are validated)."""
    rules = load_rules(default("trace_rules"), MODEL)
    given_params = {rule.check: set(rule.params) for rule in rules.values() if rule.check and rule.params}
    assert given_params == {
        "anomaly_disclosed": {"evaluation_classes", "evaluation_fields"},
        "statements_present": {"kinds"},
        "residual_risk_released": {"kind"},  # the release gates (test_release_gates.py)
        "release_recorded": {"environment_classes"},
        "change_request_complete": {"fields"},
        "component_has_soup": {"transitive"},  # SOUP and SBOM evidence (test_soup.py)
        "licence_policy": {"denied"},
        "requirement_reviewed": {"statuses"},  # the process records clause coverage needs (test_rules.py)
        "item_interfaces": {"levels"},
        "problem_resolved": {"fields"},
        "link_reviewed": {"unreviewed"},  # suspect links (test_review.py)
        "dataset_provenance": {"fields", "labelled_fields", "enhanced_fields"},  # data provenance (test_data_rules.py)
    }
    for name, keys in given_params.items():
        assert keys <= set(CHECKS[name].params)


def test_core_names_are_those_of_sphinx_needs() -> None:
    """The names the need model refuses for fields and link types follow the installed sphinx-needs."""
    from sphinx_needs.data import NeedsCoreFields
    from sphinx_needs.derive import CORE_LINK_TYPES

    assert set(NeedsCoreFields) | set(CORE_LINK_TYPES) == SPHINX_NEEDS_CORE


def test_every_accepted_field_schema_is_one_sphinx_needs_accepts() -> None:
    """What the need model lets through, sphinx-needs takes as a field schema (the default model's included)."""
    from sphinx_needs.schema.config import validate_field_schema
    from sphinx_needs.schema.core import validate_object_schema_compiles

    for need_type in MODEL.types.values():
        for name in need_type.fields:
            schema = MODEL.field_schema(need_type.directive, name)
            validate_field_schema(schema)
            validate_object_schema_compiles({"properties": {name: schema}})


# ------------------------------------------------------------ Sphinx builds


def build_error(mini: Mini, files: dict[str, Text]) -> str:
    declare(mini, files)
    add_sphinx_files(mini.root)
    build = sphinx_build(mini.root)
    assert build.status != 0
    assert "Traceback" not in build.output and "Exception occurred" not in build.output, build.output
    return build.output


SPHINX_CASES = ["local-type-nonsense", "pattern-not-a-regex", "narrow-enum-not-a-list", "negative-length", "field-named-as-a-core-field", "unterminated-header-on-the-last-line", "need-model"]


@pytest.mark.slow
@pytest.mark.parametrize("name", SPHINX_CASES)
def test_bad_declaration_is_a_located_build_error(mini: Mini, name: str) -> None:
    """Without the load-time check, sphinx-needs ignored these field schemas and techfile's evaluation then crashed the build."""
    files, at, needle, fragments, _ = ALL[name]
    output = build_error(mini, files)
    path = mini.root / "schemas" / at
    line = line_of(path, needle)
    errors = [text for text in output.splitlines() if "[techfile.declaration]" in text]
    assert len(errors) == 1, output
    assert re.match(rf"(\S*/)?schemas/{re.escape(at)}:{line}: ERROR: ", errors[0]), errors[0]
    assert all(fragment in errors[0] for fragment in fragments) and "(fix: " in errors[0], errors[0]


@pytest.mark.slow
def test_pyproject_not_utf8_is_a_located_build_error(mini: Mini) -> None:
    files, _, needle, fragments, _ = BYTES["pyproject"]
    declare(mini, files)
    add_sphinx_files(mini.root)
    output = sphinx_build(mini.root).output
    line = line_of(mini.root / "pyproject.toml", needle)
    assert re.search(rf"pyproject\.toml:{line}: ERROR: {re.escape(fragments[0])}.*\[techfile\.declaration\]", output), output
    assert "Traceback" not in output and "Exception occurred" not in output and "Sphinx error" not in output, output


# -------------------------------------------------------------------- fuzz
# A TOML writer (the venv has none), the key paths of a document, and
# hypothesis strategies for values of the wrong type or shape.

FuzzPath = tuple[str | int, ...]


# ------------------------------------------------------------ writing TOML


def _key(key: str) -> str:
    return key if key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key) else _string(key)


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def inline(value: Any) -> str:
    """``value`` as a TOML inline value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(inline(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {inline(v)}" for k, v in value.items()) + " }" if value else "{}"
    raise TypeError(type(value))


def _array_of_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def dumps(document: dict[str, Any]) -> str:
    """``document`` as TOML: tables as [headers], arrays of tables as [[headers]]."""
    out: list[str] = []
    _table(out, (), document)
    return "\n".join(out) + "\n"


def _table(out: list[str], path: tuple[str, ...], table: dict[str, Any]) -> None:
    for key, value in table.items():
        if not isinstance(value, dict) and not _array_of_tables(value):
            out.append(f"{_key(key)} = {inline(value)}")
    for key, value in table.items():
        header = ".".join(_key(part) for part in (*path, key))
        if isinstance(value, dict):
            out += ["", f"[{header}]"]
            _table(out, (*path, key), value)
        elif _array_of_tables(value):
            for item in value:
                out += ["", f"[[{header}]]"]
                _table(out, (*path, key), item)


# --------------------------------------------------------------- key paths


def key_paths(value: Any, path: FuzzPath = ()) -> Iterator[FuzzPath]:
    """Every key path into ``value`` (table keys and array indexes)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from key_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index)
            yield from key_paths(item, (*path, index))


def tables(value: Any, path: FuzzPath = ()) -> Iterator[FuzzPath]:
    """The key path of every table in ``value`` (the document itself included)."""
    if isinstance(value, dict):
        yield path
        for key, item in value.items():
            yield from tables(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from tables(item, (*path, index))


def get(document: Any, path: FuzzPath) -> Any:
    for part in path:
        document = document[part]
    return document


def replaced(document: dict[str, Any], path: FuzzPath, value: Any) -> dict[str, Any]:
    """A copy of ``document`` with the value at ``path`` replaced."""
    result = copy.deepcopy(document)
    get(result, path[:-1])[path[-1]] = value
    return result


def added(document: dict[str, Any], table: FuzzPath, key: str, value: Any) -> dict[str, Any]:
    """A copy of ``document`` with ``key = value`` added to the table at ``table``."""
    result = copy.deepcopy(document)
    get(result, table)[key] = value
    return result


# -------------------------------------------------------------- strategies

NAMES = [
    "extends", "types", "fields", "links", "roles", "relations", "schema", "narrow", "id_pattern", "id_regex", "prefix",
    "title", "color", "required", "add_fields", "add_required", "from", "to", "add_from", "add_to", "remove_types",
    "remove_links", "rules", "id", "check", "params", "validate", "local", "select", "network", "network_back", "items",
    "contains", "minContains", "kinds", "severity", "probability", "classes", "matrix", "key", "acceptable", "disable",
    "pattern", "enum", "type", "properties", "$ref", "sources", "need_model", "junit", "inputs", "output", "level",
]
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
KEYS = st.sampled_from(NAMES) | st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True) | TEXT
SCALARS = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.floats(),
    st.booleans(),
    TEXT,
    st.dates(),
    st.datetimes(),
    st.times(),
    st.sampled_from(["", "*", "(", "[", "(?<=a)b", "techfile:default", "techfile:nope", "../nowhere.toml", "A", "string", "nonsense",
                     "R04", "swreq", "hazard", "verifies", "#FFF", "#FFFFFF", "docs", "needs", "unit", "acceptable"]),
)
VALUES = st.recursive(SCALARS, lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=3), max_leaves=6)



Loader = Callable[[Path], object]
LOADERS: dict[str, Loader] = {
    "need_model": lambda path: load_need_model(path).sphinx_needs_config(),
    "trace_rules": lambda path: load_rules(path, MODEL),
    "risk_matrix": load_risk_matrix,
}


def words(document: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of the right kind but the wrong meaning: the document's own names, moved elsewhere."""
    names = sorted({value for path in key_paths(document) if isinstance(value := get(document, path), str) and len(value) < 40} | {str(path[-1]) for path in key_paths(document)})
    word = st.sampled_from(names)
    return VALUES | word | st.lists(word, max_size=3) | st.dictionaries(word, word | VALUES, max_size=2)


def hostile(document: dict[str, Any], data: st.DataObject, values: st.SearchStrategy[Any], within: tuple[str | int, ...] = ()) -> dict[str, Any]:
    """``document`` with one value replaced, or one key added, at a random place (under ``within``)."""
    if data.draw(st.booleans(), label="replace"):
        paths = [path for path in key_paths(document) if path[: len(within)] == within and len(path) > len(within)]
        return replaced(document, data.draw(st.sampled_from(paths), label="path"), data.draw(values, label="value"))
    places = [path for path in tables(document) if path[: len(within)] == within]
    return added(document, data.draw(st.sampled_from(places), label="table"), data.draw(KEYS, label="key"), data.draw(values, label="value"))


def assert_located(load: Callable[[], object]) -> None:
    """``load`` succeeds, or fails with a TechfileError naming a file, a line of it and a fix."""
    try:
        load()
    except TechfileError as error:
        assert error.path and error.line and error.fix, error.render()
        text = Path(error.path).read_bytes().decode("utf-8", "replace")
        assert 1 <= error.line <= max(1, len(text.splitlines())), error.render()


EXAMPLES = [pytest.param(40, id="quick"), pytest.param(400, id="long", marks=pytest.mark.slow)]
"""Examples per fuzz test: a few in every run (the same ones: derandomized), many in ``make test``."""


def fuzz(examples: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.mark.parametrize("examples", EXAMPLES)
@pytest.mark.parametrize("kind", DECLARATIONS)
def test_hostile_values_in_a_whole_declaration(tmp_path: Path, kind: str, examples: int) -> None:
    """A copy of a shipped default with one value of the wrong type or shape: accepted, or refused at a line."""
    document = tomllib.loads(shipped(kind))
    values = words(document)
    path = tmp_path / f"{kind}.toml"

    @fuzz(examples)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        path.write_text(dumps(hostile(document, data, values)), encoding="utf-8")
        assert_located(lambda: LOADERS[kind](path))

    check()


def layer_of(kind: str, changed: dict[str, Any], path: tuple[str | int, ...]) -> dict[str, Any]:
    """A layer extending the default that writes only what ``changed`` changed at ``path``
    (a rule by its ID, a risk-matrix key whole, a list whole)."""
    layer: dict[str, Any] = {"extends": "techfile:default"}
    if kind == "risk_matrix" or len(path) == 1:
        layer[str(path[0])] = changed[str(path[0])]
        return layer
    if kind == "trace_rules" and path[0] == "rules":
        rule = changed["rules"][path[1]]
        layer["rules"] = [rule if not isinstance(rule, dict) or len(path) == 2 else {"id": rule.get("id"), str(path[2]): rule[str(path[2])]}]
        return layer
    own, table = layer, changed
    for index, part in enumerate(path):
        child = table[str(part)]
        if index == len(path) - 1 or not isinstance(child, dict):
            own[str(part)] = child
            break
        own, table = own.setdefault(str(part), {}), child
    return layer


@pytest.mark.parametrize("examples", EXAMPLES)
@pytest.mark.parametrize("kind", DECLARATIONS)
def test_hostile_values_in_an_extending_layer_and_the_whole_check(mini: Mini, kind: str, examples: int) -> None:
    """A project's layer that writes one hostile value: ``techfile check``'s whole path (load, configure, evaluate) never crashes."""
    document = tomllib.loads(shipped(kind))
    values = words(document)
    target = mini.root / "schemas" / f"{kind}.toml"
    declare(mini, {f"{kind}.toml": EXTENDS})

    def run() -> None:
        project = load_project(mini.root)
        declarations = load_declarations(project)
        declarations.model.sphinx_needs_config()
        check_corpus(project, declarations, read_corpus(project, declarations.model))

    @fuzz(examples)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        changed = hostile(document, data, values)
        kept = set(key_paths(changed))
        paths = [path for path in key_paths(document) if path in kept and get(changed, path) != get(document, path)]
        layer = layer_of(kind, changed, max(paths, key=len)) if paths else {"extends": "techfile:default"}
        target.write_text(dumps(layer), encoding="utf-8")
        assert_located(run)

    check()


@pytest.mark.parametrize("examples", EXAMPLES)
def test_hostile_values_in_tool_techfile(mini: Mini, examples: int) -> None:
    """``[tool.techfile]`` with one value of the wrong type or shape, or an unknown key: accepted, or refused at a line."""
    document = tomllib.loads(pyproject(JUNIT))
    values = words(document["tool"])
    mini.write_evidence()

    @fuzz(examples)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        (mini.root / "pyproject.toml").write_text(dumps(hostile(document, data, values, within=("tool", "techfile"))), encoding="utf-8")
        assert_located(lambda: load_declarations(load_project(mini.root)))

    check()
