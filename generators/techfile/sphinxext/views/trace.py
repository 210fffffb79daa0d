"""The traceability matrices: forward (user need → system requirement →
software requirement → test → result), reverse (test → what it verifies →
system requirement or hazard → user need), hazard → risk control →
software requirement → test → result, and the coverage of each software
item and each SOUP item.

Every need is its ID, linked, with its title on hover; the subject of a
row also shows its title as text. A result count links to the verdict row
of its test specification.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from techfile.checks import verification
from techfile.checks.findings import Finding
from techfile.corpus import Need
from techfile.model.roles import Relation, Role
from techfile.sphinxext.views.common import (
    OPEN,
    PASSED,
    VERDICT_COLORS,
    assess,
    label,
    needs_parts,
    results_cell,
    sorted_needs,
    spec_verdict,
    titled,
    unmapped,
    verdict_link,
)
from techfile.sphinxext.views.data import (
    Block,
    Cell,
    Emphasis,
    Inline,
    NeedRef,
    RuleRef,
    Strong,
    TableBuilder,
    Text,
    cell,
    needs,
)
from techfile.sphinxext.views.verification import spec_verdict_parts

if TYPE_CHECKING:
    from techfile.sphinxext.state import Evaluated

REQUIREMENT_HEADERS = ("User need", "System requirement", "Software requirement", "Class", "Test", "Result")
RISK_HEADERS = ("Hazardous situation", "Initial risk", "Risk control", "Software requirement", "Test", "Result", "Residual risk")
REVERSE_HEADERS = ("Test specification", "Level", "Verdict", "Verifies", "System requirement", "Hazardous situation", "User need")


def _user_needs(state: Evaluated, requirement: Need) -> tuple[list[Need], set[str]]:
    """(system requirements, user need IDs) a software requirement derives from, directly or through its system requirements."""
    corpus = state.corpus
    sources = corpus.outgoing(requirement, Relation.DERIVES_FROM)
    systems = [s for s in sources if corpus.plays(s, Role.SYSTEM_REQUIREMENT)]
    user_needs = {u.id for u in sources if corpus.plays(u, Role.USER_NEED)}
    for system in systems:
        user_needs |= {u.id for u in corpus.outgoing(system, Relation.DERIVES_FROM, Role.USER_NEED)}
    return systems, user_needs


def _requirement_matrix(state: Evaluated) -> list[Block]:
    corpus = state.corpus
    table = TableBuilder(REQUIREMENT_HEADERS, ("techfile-trace",), "Requirements trace")
    reached: set[str] = set()
    for requirement in sorted_needs(corpus.by_role(Role.SOFTWARE_REQUIREMENT)):
        systems, user_needs = _user_needs(state, requirement)
        reached |= user_needs | {s.id for s in systems}
        table.add(
            needs(sorted(user_needs)),
            needs(s.id for s in systems),
            cell(*titled(state, requirement.id)),
            corpus.safety_class(requirement),
            needs(spec.id for spec in verification.test_specs(corpus, requirement)),
            results_cell(state, [requirement]),
        )
    # what no software requirement traces to, so a missing refinement shows as a row of its own
    for column, role in ((0, Role.USER_NEED), (1, Role.SYSTEM_REQUIREMENT)):
        for need in corpus.by_role(role):
            if need.id not in reached:
                row: list[Cell] = [cell() for _ in REQUIREMENT_HEADERS]
                row[column] = cell(*titled(state, need.id))
                row[2] = cell(Emphasis("(no software requirement)"))
                table.add(*row)
    return [table.table()]


def _reverse_matrix(state: Evaluated) -> list[Block]:
    """Each test specification, what it verifies, and what that traces back to."""
    if missing := unmapped(state, Role.TEST_SPECIFICATION):
        return missing
    corpus = state.corpus
    table = TableBuilder(REVERSE_HEADERS, ("techfile-trace", "techfile-trace-reverse"), "Reverse trace")
    for spec in sorted_needs(corpus.by_role(Role.TEST_SPECIFICATION)):
        verified = sorted_needs(corpus.outgoing(spec, Relation.VERIFIES))
        systems: set[str] = set()
        user_needs: set[str] = set()
        hazards: set[str] = set()
        for need in verified:
            if corpus.plays(need, Role.SOFTWARE_REQUIREMENT):
                found, users = _user_needs(state, need)
                systems |= {s.id for s in found}
                user_needs |= users
                controls = corpus.outgoing(need, Relation.IMPLEMENTS, Role.RISK_CONTROL)
                hazards |= {h.id for c in controls for h in corpus.outgoing(c, Relation.MITIGATES, Role.HAZARD)}
            elif corpus.plays(need, Role.SYSTEM_REQUIREMENT):
                systems.add(need.id)
                user_needs |= {u.id for u in corpus.outgoing(need, Relation.DERIVES_FROM, Role.USER_NEED)}
            elif corpus.plays(need, Role.USER_NEED):
                user_needs.add(need.id)
            elif corpus.plays(need, Role.RISK_CONTROL):
                hazards |= {h.id for h in corpus.outgoing(need, Relation.MITIGATES, Role.HAZARD)}
        verdict = spec_verdict(state, spec)
        table.add(
            cell(*titled(state, spec.id)),
            label(state, spec, "level"),
            cell(verdict_link(verdict), color=VERDICT_COLORS[verdict.status]),
            needs(n.id for n in verified),
            needs(sorted(systems)),
            needs(sorted(hazards)),
            needs(sorted(user_needs)),
        )
    return [table.table()]


def _control_option(state: Evaluated, control: Need) -> str:
    return f"({(label(state, control, 'option') or '?').lower()})"


def _risk_matrix(state: Evaluated) -> list[Block]:
    corpus = state.corpus
    table = TableBuilder(RISK_HEADERS, ("techfile-trace",), "Risk trace")
    for hazard in sorted_needs(corpus.by_role(Role.HAZARD)):
        controls = corpus.incoming(hazard, Relation.MITIGATES, Role.RISK_CONTROL)
        requirements = sorted_needs(r for c in controls for r in corpus.incoming(c, Relation.IMPLEMENTS, Role.SOFTWARE_REQUIREMENT))
        verified = controls + requirements
        tests = sorted({spec.id for need in verified for spec in verification.test_specs(corpus, need)})
        initial, residual = assess(state, hazard)
        table.add(
            cell(*titled(state, hazard.id)),
            cell(initial.title, color=initial.color) if initial else cell("not estimated"),
            needs((c.id for c in sorted_needs(controls)), {c.id: _control_option(state, c) for c in controls}),
            needs(r.id for r in requirements),
            needs(tests),
            results_cell(state, verified),
            cell(residual.title, color=residual.color) if residual else cell("not estimated"),
        )
    return [table.table()]


def trace_matrix(state: Evaluated, options: dict[str, str]) -> list[Block]:
    kind = options.get("kind", "requirements")
    if kind == "risk":
        return unmapped(state, Role.HAZARD) or _risk_matrix(state)
    if kind == "reverse":
        return _reverse_matrix(state)
    return unmapped(state, Role.SOFTWARE_REQUIREMENT) or _requirement_matrix(state)


# ------------------------------------------------------------ coverage


def _gaps(state: Evaluated, need: Need) -> Cell:
    """The findings of the rules on a need: open ones strong, accepted ones with their waiver."""
    own: list[Finding] = [f for f in state.findings if f.need_id == need.id]
    if not own:
        return cell(Emphasis("none"))
    parts: list[Inline] = []
    for index, finding in enumerate(own):
        parts += [*([Text("; ")] if index else []), RuleRef(finding.rule.id, finding.rule.anchor), Text(f" {finding.message}")]
        parts += [Text(" — "), Strong("open")] if finding.open else [Text(" — accepted by "), NeedRef(finding.accepted_by or "")]
    return Cell(tuple(parts), color=VERDICT_COLORS[OPEN] if any(f.open for f in own) else None)


def item_coverage(state: Evaluated, options: dict[str, str]) -> list[Block]:
    """Each software item: what is allocated to it, what verifies it and the verdict, the hazards it contributes to."""
    if missing := unmapped(state, Role.SOFTWARE_ITEM):
        return missing
    corpus = state.corpus
    headers = ("Software item", "Level", "Class", "Requirements allocated", "Test specifications and their verdicts", "Verdict", "Hazardous situations", "Uses")
    table = TableBuilder(headers, ("techfile-coverage-items",), "Software item coverage")
    for item in sorted_needs(corpus.by_role(Role.SOFTWARE_ITEM)):
        requirements = sorted_needs(corpus.incoming(item, Relation.ALLOCATED_TO, Role.SOFTWARE_REQUIREMENT))
        specs = sorted_needs([*verification.test_specs(corpus, item), *(s for r in requirements for s in verification.test_specs(corpus, r))])
        parts = sorted_needs(corpus.incoming(item, Relation.PART_OF, Role.SOFTWARE_ITEM))
        verdicts = [spec_verdict(state, spec) for spec in specs]
        if verdicts:
            failing = [v for v in verdicts if v.status != PASSED]
            status = cell(Strong("passed"), color=VERDICT_COLORS[PASSED]) if not failing else cell(
                Strong("open"), ": ", *needs_parts(v.spec.id for v in failing), color=VERDICT_COLORS[OPEN]
            )
        elif parts:
            status = cell(Emphasis("through its parts: "), *needs_parts(p.id for p in parts))
        else:
            status = cell(Strong("not verified"), color=VERDICT_COLORS[OPEN])
        table.add(
            cell(*titled(state, item.id)),
            label(state, item, "level"),
            corpus.safety_class(item),
            needs(r.id for r in requirements) if requirements else cell(Emphasis("none")),
            cell(*spec_verdict_parts(state, specs)) if specs else cell(Emphasis("none")),
            status,
            needs(h.id for h in sorted_needs(corpus.incoming(item, Relation.ARISES_FROM, Role.HAZARD))),
            needs(u.id for u in sorted_needs(corpus.outgoing(item, Relation.USES))),
        )
    return [table.table()]


def soup_coverage(state: Evaluated, options: dict[str, str]) -> list[Block]:
    """Each SOUP item: the items using it, the evidence of its version, its anomaly evaluation and the gaps on it."""
    if missing := unmapped(state, Role.SOUP_ITEM):
        return missing
    corpus = state.corpus
    from techfile.checks.predicates.soup import package_key, soup_package

    components: dict[str, list[Need]] = {}
    for component in corpus.by_role(Role.DEPENDENCY_COMPONENT):
        components.setdefault(package_key(component.title), []).append(component)
    # the interpreter is in no lock file: the build environment records it (R17)
    for environment in corpus.by_role(Role.BUILD_ENVIRONMENT):
        for name in ("cpython", "python"):
            components.setdefault(f"interpreter:{name}", []).append(environment)
    headers = ("SOUP item", "Version", "Used by", "Version evidence", "Anomaly evaluation", "Support", "Gaps")
    table = TableBuilder(headers, ("techfile-coverage-soup",), "SOUP coverage")
    for soup in sorted_needs(corpus.by_role(Role.SOUP_ITEM)):
        version = corpus.value(soup, "version") or ""
        purl = corpus.value(soup, "purl") or ""
        interpreter = purl.lower().startswith(("pkg:generic/cpython", "pkg:generic/python"))
        found = components.get(f"interpreter:{soup_package(purl, soup.title)}" if interpreter else soup_package(purl, soup.title), [])
        if found:
            matching = [c for c in found if corpus.value(c, "python_version" if interpreter else "version") == version]
            evidence = cell(*needs_parts(c.id for c in sorted_needs(matching or found)), " " + ("confirms" if matching else "records another version"))
        else:
            evidence = cell(Emphasis("no lock-file or SBOM record"))
        evaluated, date = corpus.value(soup, "anomaly_evaluation_version"), corpus.value(soup, "anomaly_evaluation_date")
        evaluation: Cell
        text = corpus.value(soup, "anomaly_evaluation")
        if text:
            scope = f" (for {evaluated or '?'}" + (f", {date})" if date else ")")
            stale = evaluated != version
            evaluation = cell(text, Strong(scope) if stale else Text(scope), color=VERDICT_COLORS[OPEN] if stale else None)
        else:
            evaluation = cell(Strong("not evaluated"), color=VERDICT_COLORS[OPEN])
        support = label(state, soup, "support_level") if "support_level" in corpus.model.fields else ""
        end = soup.fields.get("end_of_support")
        table.add(
            cell(*titled(state, soup.id)),
            version,
            needs(i.id for i in sorted_needs(corpus.incoming(soup, Relation.USES, Role.SOFTWARE_ITEM))),
            evidence,
            evaluation,
            cell(support + (f"; until {end}" if end and support else end or "")),
            _gaps(state, soup),
        )
    return [table.table()]
