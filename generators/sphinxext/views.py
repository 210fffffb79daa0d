"""The computed views of the technical file: gaps, coverage, rule
catalogue, traceability matrices, risk matrix and register, verification
summary. Each reads the corpus and the findings of the build's one
evaluation, so pages and CI output never disagree."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from docutils import nodes

from techfile.checks import verification
from techfile.checks.engine import Finding
from techfile.checks.report import summary
from techfile.checks.run import Declarations
from techfile.corpus import Corpus, Need
from techfile.project import Project
from techfile.sphinxext.render import Cell, Render, Styled, paragraph, table


@dataclass
class State:
    """What one build evaluated: shared by every view."""

    project: Project
    declarations: Declarations
    corpus: Corpus
    findings: list[Finding]
    release: Need | None

    def flagged(self, rule_id: str) -> set[str]:
        """Needs with a finding (open or accepted) of a rule."""
        return {f.need_id for f in self.findings if f.rule.id == rule_id and f.need_id}


View = Callable[[Render, State, dict[str, str]], list[nodes.Node]]


def _percent(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.0f} %)" if whole else "0/0"


# ------------------------------------------------------------- gaps


def coverage_rows(state: State) -> list[tuple[str, int, int]]:
    """(measure, met, total) of the coverage figures."""
    by_type = state.corpus.by_type
    requirements = by_type.get("swreq", [])
    hazards = by_type.get("hazard", [])
    controls = by_type.get("risk_control", [])
    unverified_controls = state.flagged("R12")
    unverified, failing, uncontrolled = state.flagged("R04"), state.flagged("R05"), state.flagged("R09")
    controlled = [h for h in hazards if h.id not in uncontrolled]
    controlled_and_verified = [
        h
        for h in controlled
        if all(c.id not in unverified_controls for c in state.corpus.incoming(h, "mitigates"))
    ]
    return [
        ("Software requirements verified by a test (R04)", len([r for r in requirements if r.id not in unverified]), len(requirements)),
        ("Software requirements with a passing result for the release (R05)", len([r for r in requirements if r.id not in unverified | failing]), len(requirements)),
        ("Hazardous situations controlled or accepted (R09)", len(controlled), len(hazards)),
        ("Hazardous situations controlled with every control verified (R09, R12)", len(controlled_and_verified), len(hazards)),
        ("Risk controls verified for implementation and effectiveness (R12)", len(controls) - len(unverified_controls), len(controls)),
    ]


def coverage(render: Render, state: State, options: dict[str, str]) -> list[nodes.Node]:
    return [table(["Measure", "Covered"], [(label, _percent(met, total)) for label, met, total in coverage_rows(state)], ["techfile-coverage"])]


def gaps(render: Render, state: State, options: dict[str, str]) -> list[nodes.Node]:
    rules = state.declarations.rules
    counts = summary(state.findings, len(state.corpus))
    release = state.release
    out: list[nodes.Node] = [
        paragraph(
            f"{counts['needs']} needs checked against {len(rules)} rules: ",
            nodes.strong(text=f"{counts['open']} open gap(s)"),
            f" ({counts['errors']} error, {counts['warnings']} warning), {counts['accepted']} accepted. ",
            "Release under evaluation: ",
            render.need(release.id) if release else "none",
            f" (version {release.get('version')})." if release else ".",
        )
    ]
    per_rule = Counter((f.rule.id, f.open) for f in state.findings)
    out.append(
        table(
            ["Rule", "Title", "Clauses", "Open", "Accepted"],
            [
                (render.rule(rule.id, rule.anchor), rule.title, rule.clause_text, str(per_rule[(rule.id, True)]), str(per_rule[(rule.id, False)]))
                for rule in rules.values()
            ],
            ["techfile-gaps-summary"],
        )
    )
    for rule in rules.values():
        own = [f for f in state.findings if f.rule.id == rule.id]
        if not own:
            continue
        container = nodes.container(classes=["techfile-gaps-rule"])
        container += nodes.rubric(text=f"{rule.id} {rule.name}: {rule.title} ({len(own)})")
        items = nodes.bullet_list()
        for finding in own:
            state_text: list[nodes.Node | str] = (
                [nodes.strong(text="open")] if finding.open else ["accepted by ", render.need(finding.accepted_by or "")]
            )
            subject: list[nodes.Node | str] = [render.need(finding.need_id), ": "] if finding.need_id else []
            item = nodes.list_item()
            item += paragraph(*subject, finding.message, " — ", nodes.literal(text=f"{finding.path}:{finding.line}"), " — ", *state_text)
            items += item
        container += items
        out.append(container)
    return out


def rule_catalogue(render: Render, state: State, options: dict[str, str]) -> list[nodes.Node]:
    out: list[nodes.Node] = []
    model = state.declarations.model
    for rule in state.declarations.rules.values():
        entry = nodes.container(ids=[rule.anchor], classes=["techfile-rule"])
        entry += nodes.rubric(text=f"{rule.id} {rule.name}: {rule.title}")
        fields = nodes.field_list()

        def field(name: str, *body: nodes.Node | str) -> None:
            item = nodes.field()
            item += nodes.field_name(text=name)
            value = nodes.field_body()
            value += paragraph(*body)
            item += value
            fields.append(item)

        field("Clauses", rule.clause_text)
        field("Safety classes", ", ".join(sorted(rule.classes)))
        field("Severity", rule.severity)
        if rule.project_level:
            field("Applies to", "the project as a whole")
        else:
            field("Applies to", "every need" if "*" in rule.types else ", ".join(model.types[t].title for t in rule.types))
        field("Reported as", nodes.literal(text=rule.code), f" — “{rule.message}”")
        if rule.native:
            field("In a Sphinx build", "reported by sphinx-needs as ", nodes.literal(text=rule.native))
        field("Declared at", nodes.literal(text=f"{state.project.relative(state.project.trace_rules)}:{rule.line}"))
        entry += fields
        # `code` in a description is literal text; the rest is prose
        entry += paragraph(*(nodes.literal(text=part) if i % 2 else part for i, part in enumerate(rule.description.split("`"))))
        condition = {"select": rule.select, "validate": rule.validate} if rule.validate else {"select": rule.select, "check": rule.check, "params": rule.params or None}
        condition = {k: v for k, v in condition.items() if v}
        if condition:
            entry += nodes.literal_block(text=json.dumps(condition, indent=2), language="json")
        out.append(entry)
    return out


# ------------------------------------------------------ traceability


OUTCOMES = ("passed", "failed", "error", "skipped")


def _summary(render: Render, label: nodes.Node | str, results: list[Need]) -> list[nodes.Node | str]:
    """``TEST_001: 33 passed, 1 skipped (RES_X)``: counts, and links to every result that did not pass."""
    counts = Counter(r.get("result") for r in results)
    text = ", ".join(f"{counts[o]} {o}" for o in OUTCOMES if counts[o]) or "no result"
    out: list[nodes.Node | str] = [label, f": {text}"]
    others = [r.id for r in results if r.get("result") != "passed"]
    if others:
        out += [" (", *render.needs_list(others), ")"]
    return out


def results_cell(render: Render, state: State, needs: list[Need]) -> Cell:
    """Results of the tests of ``needs``, one summary per test specification, then the direct results."""
    corpus = state.corpus
    out: list[nodes.Node | str] = []
    seen: set[str] = set()
    specs = {spec.id: spec for need in needs for spec in verification.test_specs(corpus, need)}
    for spec_id in sorted(specs):
        results = verification.spec_results(corpus, specs[spec_id])
        seen.update(r.id for r in results)
        out += [*(["; "] if out else []), *_summary(render, render.need(spec_id), results)]
    direct = sorted({r.id: r for need in needs for r in verification.direct_results(corpus, need) if r.id not in seen}.values(), key=lambda r: r.id)
    if direct:
        out += [*(["; "] if out else []), *_summary(render, "other automated tests", direct)]
    return out or "no test"


def _requirement_matrix(render: Render, state: State) -> list[nodes.Node]:
    corpus = state.corpus
    rows = []
    reached: set[str] = set()
    for requirement in sorted(corpus.by_type.get("swreq", []), key=lambda n: n.id):
        sources = corpus.outgoing(requirement, "derives_from")
        systems = [s for s in sources if s.type == "sysreq"]
        user_needs = {u.id for u in sources if u.type == "user_need"}
        for system in systems:
            user_needs |= {u.id for u in corpus.outgoing(system, "derives_from") if u.type == "user_need"}
        reached |= user_needs | {s.id for s in systems}
        tests = [s.id for s in verification.test_specs(corpus, requirement)]
        rows.append(
            (
                render.needs_list(sorted(user_needs)),
                render.needs_list(s.id for s in systems),
                [render.need(requirement.id)],
                corpus.safety_class(requirement),
                render.needs_list(tests),
                results_cell(render, state, [requirement]),
            )
        )
    for need_type in ("user_need", "sysreq"):
        for need in corpus.by_type.get(need_type, []):
            if need.id not in reached:
                row: list[Cell] = ["", "", "", "", "", ""]
                row[0 if need_type == "user_need" else 1] = [render.need(need.id)]
                row[2] = "(no software requirement)"
                rows.append(tuple(row))
    return [table(["User need", "System requirement", "Software requirement", "Class", "Test", "Result"], rows, ["techfile-trace"])]


def _risk_matrix_table(render: Render, state: State) -> list[nodes.Node]:
    corpus, matrix = state.corpus, state.declarations.matrix
    rows = []
    for hazard in corpus.by_type.get("hazard", []):
        controls = [c for c in corpus.incoming(hazard, "mitigates") if c.type == "risk_control"]
        requirements = sorted({r.id: r for c in controls for r in corpus.incoming(c, "implements") if r.type == "swreq"}.values(), key=lambda r: r.id)
        verified = controls + requirements
        tests = sorted({t.id for need in verified for t in verification.test_specs(corpus, need)})
        initial, residual = matrix.assess(hazard.get)
        rows.append(
            (
                [render.need(hazard.id)],
                initial.title if initial else "not estimated",
                render.needs_list([c.id for c in controls], {c.id: f"({(c.get('option') or '?').replace('_', ' ')})" for c in controls}),
                render.needs_list(r.id for r in requirements),
                render.needs_list(tests),
                results_cell(render, state, verified),
                residual.title if residual else "not estimated",
            )
        )
    return [table(["Hazardous situation", "Initial risk", "Risk control", "Software requirement", "Test", "Result", "Residual risk"], rows, ["techfile-trace"])]


def trace_matrix(render: Render, state: State, options: dict[str, str]) -> list[nodes.Node]:
    kind = options.get("kind", "requirements")
    return _risk_matrix_table(render, state) if kind == "risk" else _requirement_matrix(render, state)


# ---------------------------------------------------------------- risk


def risk_matrix(render: Render, state: State, options: dict[str, str]) -> list[nodes.Node]:
    """Severity x probability grid with the hazards in each cell, before or after control."""
    matrix = state.declarations.matrix
    residual = options.get("stage", "initial") == "residual"
    cells: dict[tuple[str, str], list[str]] = {}
    for hazard in state.corpus.by_type.get("hazard", []):
        severity, probability = hazard.get("severity"), hazard.get("probability")
        if residual:
            severity = hazard.get("residual_severity") or severity
            probability = hazard.get("residual_probability") or probability
        cells.setdefault((severity or "", probability or ""), []).append(hazard.id)
    rows = []
    for severity in reversed(matrix.severity):
        row: list[Cell] = [severity.title]
        for probability in matrix.probability:
            risk_class = matrix.classify(severity.key, probability.key)
            hazards = cells.get((severity.key, probability.key), [])
            content = [nodes.emphasis(text=risk_class.title if risk_class else "?"), *([nodes.Text(": ")] if hazards else []), *render.needs_list(hazards)]
            row.append(Styled(content, (f"techfile-risk-{risk_class.key}",) if risk_class else ()))
        rows.append(row)
    # the colours of the risk classes, as the risk management plan declares them
    style = "".join(f"td.techfile-risk-{c.key} {{ background: {c.color}55; }}" for c in matrix.classes.values())
    return [
        nodes.raw("", f"<style>{style}</style>", format="html"),
        table(["Severity \\ Probability", *(p.title for p in matrix.probability)], rows, ["techfile-risk-matrix"]),
    ]


def risk_register(render: Render, state: State, options: dict[str, str]) -> list[nodes.Node]:
    matrix = state.declarations.matrix
    rows = []
    for hazard in state.corpus.by_type.get("hazard", []):
        initial, residual = matrix.assess(hazard.get)
        controls = [c.id for c in state.corpus.incoming(hazard, "mitigates")]
        rows.append(
            (
                [render.need(hazard.id)],
                hazard.get("hazardous_situation") or "",
                hazard.get("harm") or "",
                f"{hazard.get('severity') or '?'} / {hazard.get('probability') or '?'}",
                initial.title if initial else "not estimated",
                render.needs_list(controls),
                f"{hazard.get('residual_severity') or hazard.get('severity') or '?'} / {hazard.get('residual_probability') or hazard.get('probability') or '?'}",
                residual.title if residual else "not estimated",
            )
        )
    return [table(["ID", "Hazardous situation", "Harm", "S / P", "Initial risk", "Controls", "Residual S / P", "Residual risk"], rows, ["techfile-risk-register"])]


# -------------------------------------------------------- verification


def verification_summary(render: Render, state: State, options: dict[str, str]) -> list[nodes.Node]:
    corpus = state.corpus
    results = corpus.by_type.get("result", [])
    counts = Counter((r.get("level") or "unspecified", r.get("result")) for r in results)
    levels = sorted({level for level, _ in counts})
    count_rows = [(level, *(str(counts[(level, o)]) for o in OUTCOMES), str(sum(counts[(level, o)] for o in OUTCOMES))) for level in levels]
    count_rows.append(("all", *(str(sum(counts[(lv, o)] for lv in levels)) for o in OUTCOMES), str(len(results))))
    out: list[nodes.Node] = [
        table(["Level", *OUTCOMES, "total"], count_rows, ["techfile-verification-counts"]),
    ]
    rows = []
    for requirement in corpus.by_type.get("swreq", []):
        verdicts = verification.verification_verdicts(corpus, requirement, state.release)
        problems = [p for v in verdicts for p in v.problems]
        status = "not verified" if not verdicts else ("open: " + "; ".join(problems) if problems else "passed")
        specs = verification.test_specs(corpus, requirement)
        rows.append(
            (
                0 if problems or not verdicts else 1,
                requirement.id,
                (
                    [render.need(requirement.id)],
                    corpus.safety_class(requirement),
                    render.needs_list([s.id for s in specs], {s.id: f"({s.get('level')})" for s in specs}),
                    results_cell(render, state, [requirement]),
                    status,
                ),
            )
        )
    rows.sort(key=lambda row: (row[0], row[1]))
    out.append(table(["Software requirement", "Class", "Test specifications", "Results", "Verdict"], [row[2] for row in rows], ["techfile-verification"]))
    return out


def safety_classes(render: Render, state: State, options: dict[str, str]) -> list[nodes.Node]:
    """Each item's effective IEC 62304 class and where it comes from (4.3)."""
    corpus = state.corpus
    rows = []
    for item in sorted(corpus.by_type.get("item", []), key=lambda n: n.id):
        parents = corpus.outgoing(item, "part_of")
        if item.get("safety_class"):
            source: Cell = "stated"
        elif parents:
            source = ["inherited from ", *render.needs_list(p.id for p in parents)]
        else:
            source = "default for unclassified software (4.3 a)"
        rows.append(([render.need(item.id)], item.get("level") or "", corpus.safety_class(item), source, item.get("class_rationale") or ""))
    return [table(["Item", "Level", "Class", "Class source", "Rationale of a differing class"], rows, ["techfile-classes"])]


VIEWS: dict[str, View] = {
    "gaps": gaps,
    "coverage": coverage,
    "rules": rule_catalogue,
    "trace-matrix": trace_matrix,
    "risk-matrix": risk_matrix,
    "risk-register": risk_register,
    "verification": verification_summary,
    "safety-classes": safety_classes,
}
