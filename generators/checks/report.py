"""Findings as text, JSON, JUnit XML or GitHub annotations.

Text reads like a compiler's (``file:line: techfile.R04: SWR_012: ... (clause)``)
followed, Bandit-style, by the severity and the rule's catalogue entry.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from xml.etree import ElementTree

from techfile import __version__
from techfile.checks.engine import Finding
from techfile.checks.rules import TraceRule

FORMATS = ("text", "json", "junit", "github")


def summary(findings: Sequence[Finding], needs: int) -> dict[str, int]:
    return {
        "needs": needs,
        "open": sum(1 for f in findings if f.open),
        "failing": sum(1 for f in findings if f.fails),
        "accepted": sum(1 for f in findings if not f.open),
        "errors": sum(1 for f in findings if f.open and f.rule.severity == "error"),
        "warnings": sum(1 for f in findings if f.open and f.rule.severity == "warning"),
    }


def rule_url(rule: TraceRule, catalogue_url: str) -> str:
    return f"{catalogue_url}#{rule.anchor}"


def as_text(findings: Sequence[Finding], rules: dict[str, TraceRule], needs: int, catalogue_url: str) -> str:
    lines = []
    for finding in findings:
        if finding.open:
            lines.append(f"{finding.text()} [{finding.rule.severity}] {rule_url(finding.rule, catalogue_url)}")
        else:
            lines.append(f"{finding.text()} [accepted by {finding.accepted_by}]")
    counts = summary(findings, needs)
    lines.append(
        f"techfile check: {counts['needs']} needs, {len(rules)} rules: "
        f"{counts['open']} open gap(s) ({counts['errors']} error, {counts['warnings']} warning), "
        f"{counts['accepted']} accepted"
    )
    return "\n".join(lines) + "\n"


def as_json(findings: Sequence[Finding], rules: dict[str, TraceRule], needs: int, catalogue_url: str) -> str:
    by_rule: dict[str, list[dict[str, object]]] = {rule_id: [] for rule_id in rules}
    for finding in findings:
        by_rule[finding.rule.id].append(finding.as_dict())
    document = {
        "tool": {"name": "techfile", "version": __version__},
        "summary": summary(findings, needs),
        "rules": [
            {
                "id": rule.id,
                "name": rule.name,
                "title": rule.title,
                "clauses": list(rule.clauses),
                "classes": sorted(rule.classes),
                "severity": rule.severity,
                "url": rule_url(rule, catalogue_url),
                "findings": by_rule[rule.id],
            }
            for rule in rules.values()
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def as_junit(findings: Sequence[Finding], rules: dict[str, TraceRule], needs: int, catalogue_url: str) -> str:
    failing = [f for f in findings if f.fails]
    suite = ElementTree.Element(
        "testsuite",
        name="techfile check",
        tests=str(len(rules)),
        failures=str(len({f.rule.id for f in failing})),
        errors="0",
        skipped="0",
    )
    for rule in rules.values():
        case = ElementTree.SubElement(suite, "testcase", classname="techfile.rules", name=f"{rule.id} {rule.name}")
        own = [f for f in findings if f.rule.id == rule.id]
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


def as_github(findings: Sequence[Finding], rules: dict[str, TraceRule], needs: int, catalogue_url: str) -> str:
    levels = {"error": "error", "warning": "warning", "info": "notice"}
    lines = []
    for finding in findings:
        level = levels[finding.rule.severity] if finding.open else "notice"
        title = f"{finding.rule.code} {finding.rule.name}" + ("" if finding.open else f" (accepted by {finding.accepted_by})")
        subject = f"{finding.need_id}: " if finding.need_id else ""
        message = f"{subject}{finding.message} ({finding.rule.clause_text}) {rule_url(finding.rule, catalogue_url)}"
        lines.append(
            f"::{level} file={_escape(finding.path, property_value=True)},line={finding.line},"
            f"title={_escape(title, property_value=True)}::{_escape(message)}"
        )
    return "\n".join(lines) + ("\n" if lines else "")


RENDERERS = {"text": as_text, "json": as_json, "junit": as_junit, "github": as_github}
