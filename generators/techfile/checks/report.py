"""Findings as text, JSON, JUnit XML or GitHub annotations.

Text reads like a compiler's (``file:line: techfile.R04: SWR_012: ... (clause)``)
followed, Bandit-style, by the severity and the rule's catalogue entry.
JSON is the one findings report (``findings.schema.json``) that both
``techfile check --format json`` and the Sphinx build
(``techfile-findings.json``) write.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from xml.etree import ElementTree

from techfile import __version__
from techfile.checks.engine import Evaluation
from techfile.checks.findings import Finding
from techfile.checks.rules import TraceRule

FORMATS = ("text", "json", "junit", "github")
SCHEMA_ID = "https://techfile.dev/schemas/findings.schema.json"


def summary(evaluation: Evaluation) -> dict[str, int]:
    findings = evaluation.findings
    return {
        "needs": evaluation.needs,
        "rules": sum(1 for rule in evaluation.rules.values() if rule.applicable),
        "open": sum(1 for f in findings if f.open),
        "failing": sum(1 for f in findings if f.fails),
        "accepted": sum(1 for f in findings if not f.open),
        "errors": sum(1 for f in findings if f.open and f.rule.severity == "error"),
        "warnings": sum(1 for f in findings if f.open and f.rule.severity == "warning"),
    }


def rule_url(rule: TraceRule, catalogue_url: str) -> str:
    return f"{catalogue_url}#{rule.anchor}"


def summary_line(evaluation: Evaluation) -> str:
    counts = summary(evaluation)
    inactive = len(evaluation.rules) - counts["rules"]
    return (
        f"techfile check: {counts['needs']} needs, {counts['rules']} rules"
        + (f" ({inactive} not applicable or disabled)" if inactive else "")
        + f": {counts['open']} open gap(s) ({counts['errors']} error, {counts['warnings']} warning), {counts['accepted']} accepted"
    )


def as_text(evaluation: Evaluation, catalogue_url: str) -> str:
    lines = []
    for finding in evaluation.findings:
        if finding.open:
            lines.append(f"{finding.text()} [{finding.rule.severity}] {rule_url(finding.rule, catalogue_url)}")
        else:
            lines.append(f"{finding.text()} [accepted by {finding.accepted_by}]")
    lines.append(summary_line(evaluation))
    return "\n".join(lines) + "\n"


def document(evaluation: Evaluation, catalogue_url: str) -> dict[str, Any]:
    """The findings report: the rules with their status and counts, and every finding."""
    per_rule = Counter((f.rule.id, f.open) for f in evaluation.findings)
    release = evaluation.release
    rules = []
    for rule in evaluation.rules.values():
        outcome = evaluation.outcomes.get(rule.id)
        rules.append(
            {
                "id": rule.id,
                "name": rule.name,
                "title": rule.title,
                "clauses": list(rule.clauses),
                "classes": sorted(rule.classes),
                "severity": rule.severity,
                "status": rule.status.value,
                "reason": rule.reason or None,
                "url": rule_url(rule, catalogue_url),
                "checked": None if outcome is None or outcome.checked is None else len(outcome.checked),
                "open": per_rule[(rule.id, True)],
                "accepted": per_rule[(rule.id, False)],
            }
        )
    return {
        "$schema": SCHEMA_ID,
        "tool": {"name": "techfile", "version": __version__},
        "release": None if release is None else {"id": release.id, "version": evaluation.release_version},
        "summary": summary(evaluation),
        "rules": rules,
        "findings": [finding.as_dict() for finding in evaluation.findings],
    }


def as_json(evaluation: Evaluation, catalogue_url: str) -> str:
    return json.dumps(document(evaluation, catalogue_url), indent=2, ensure_ascii=False) + "\n"


def as_junit(evaluation: Evaluation, catalogue_url: str) -> str:
    applicable = [rule for rule in evaluation.rules.values() if rule.applicable]
    failing = [f for f in evaluation.findings if f.fails]
    suite = ElementTree.Element(
        "testsuite",
        name="techfile check",
        tests=str(len(evaluation.rules)),
        failures=str(len({f.rule.id for f in failing})),
        errors="0",
        skipped=str(len(evaluation.rules) - len(applicable)),
    )
    for rule in evaluation.rules.values():
        case = ElementTree.SubElement(suite, "testcase", classname="techfile.rules", name=f"{rule.id} {rule.name}")
        if not rule.applicable:
            ElementTree.SubElement(case, "skipped", message=f"{rule.status.value}: {rule.reason}")
            continue
        own = [f for f in evaluation.findings if f.rule.id == rule.id]
        open_ = [f for f in own if f.fails]
        if open_:
            failure = ElementTree.SubElement(case, "failure", message=f"{len(open_)} open gap(s) of {rule.id} ({rule.clause_text})", type=rule.code)
            failure.text = "\n".join(f.text() for f in open_)
        accepted = [f for f in own if not f.open]
        if accepted:
            ElementTree.SubElement(case, "system-out").text = "\n".join(f"{f.text()} [accepted by {f.accepted_by}]" for f in accepted)
    ElementTree.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(suite, encoding="unicode") + "\n"


def _escape(value: str, *, property_value: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def _annotation(finding: Finding, catalogue_url: str) -> str:
    levels = {"error": "error", "warning": "warning", "info": "notice"}
    level = levels[finding.rule.severity] if finding.open else "notice"
    title = f"{finding.rule.code} {finding.rule.name}" + ("" if finding.open else f" (accepted by {finding.accepted_by})")
    message = f"{finding.subject_message} {rule_url(finding.rule, catalogue_url)}"
    return f"::{level} file={_escape(finding.path, property_value=True)},line={finding.line},title={_escape(title, property_value=True)}::{_escape(message)}"


def as_github(evaluation: Evaluation, catalogue_url: str) -> str:
    lines = [_annotation(finding, catalogue_url) for finding in evaluation.findings]
    return "\n".join(lines) + ("\n" if lines else "")


RENDERERS = {"text": as_text, "json": as_json, "junit": as_junit, "github": as_github}
