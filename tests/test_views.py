"""The computed views: data from a tiny in-memory evaluation (no Sphinx),
the renderer's nodes per builder, and real HTML and LaTeX builds of a small
project with every view directive."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import pytest
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import NoUri

from techfile import resources
from techfile.checks.engine import evaluate, find_release
from techfile.checks.rules import load_rules
from techfile.checks.run import Declarations
from techfile.corpus import Corpus, Need
from techfile.model.needmodel import NeedModel, load_need_model
from techfile.model.riskmatrix import load_risk_matrix
from techfile.model.roles import Role
from techfile.project import Project, Settings
from techfile.sphinxext import render
from techfile.sphinxext.state import Evaluated
from techfile.sphinxext.views import VIEWS, catalogue
from techfile.sphinxext.views.data import (
    Block,
    BulletList,
    Cell,
    Container,
    NeedRef,
    Paragraph,
    Rubric,
    RuleRef,
    Table,
    Text,
    cell,
)
from techfile.tomlfile import KeyLines

# ------------------------------------------------------------ a tiny corpus


def default(kind: str) -> Path:
    return resources.packaged_declaration(resources.DEFAULT, kind)


def need(need_id: str, need_type: str, links: dict[str, list[str]] | None = None, **fields: str) -> Need:
    return Need(need_id, need_type, need_id.title(), "needs/tiny.md", 1, fields, {k: tuple(v) for k, v in (links or {}).items()})


NEEDS = [
    need("UN_001", "user_need"),
    need("UN_002", "user_need"),  # refined by no software requirement: a row of its own
    need("SYS_001", "sysreq", {"derives_from": ["UN_001"]}, allocation="software"),
    need("SWR_001", "swreq", {"derives_from": ["SYS_001"], "allocated_to": ["ITEM_UNIT"], "implements": ["RC_001"]}, category="functional"),
    need("SWR_002", "swreq", {"derives_from": ["SYS_001"]}, category="functional"),
    need("ITEM_SYS", "item", level="system", safety_class="B"),
    need("ITEM_UNIT", "item", {"part_of": ["ITEM_SYS"]}, level="unit"),
    need("HAZ_001", "hazard", {"arises_from": ["ITEM_UNIT"]}, hazardous_situation="Situation", harm="Harm", severity="serious", probability="probable", residual_probability="remote"),
    need("RC_001", "risk_control", {"mitigates": ["HAZ_001"]}, option="protective_measure"),
    need("TEST_001", "testspec", {"verifies": ["SWR_001", "ITEM_UNIT"]}, level="unit"),
    need("RES_ONE", "result", {"result_of": ["TEST_001"]}, result="passed", software_version="1.0.0", level="unit"),
    need("RES_TWO", "result", {"result_of": ["TEST_001"]}, result="skipped", software_version="1.0.0", level="unit"),
    need("REL_1", "release", version="1.0.0"),
]


def evaluated(root: Path, *, model: NeedModel | None = None, rules_file: Path | None = None, needs: list[Need] = NEEDS) -> Evaluated:
    """One evaluation of the real rules on ``needs``, as a build would hand it to the views."""
    model = model or load_need_model(default("need_model"))
    rules = load_rules(rules_file or default("trace_rules"), model)
    matrix = load_risk_matrix(default("risk_matrix"))
    corpus = Corpus(model)
    for item in needs:
        # as the readers do: a type the model lacks is no need, a link its type does not declare is dropped
        if item.type in model.types:
            declared = model.types[item.type].links
            corpus.add(replace(item, links={k: v for k, v in item.links.items() if k in declared}))
    evaluation = evaluate(corpus, rules, matrix, release=find_release(corpus, None))
    project = Project(root, Settings(), root / "pyproject.toml", KeyLines(""))
    return Evaluated(project, Declarations(model, rules, matrix), corpus, evaluation)


@pytest.fixture
def state(tmp_path: Path) -> Evaluated:
    return evaluated(tmp_path)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


# Project declarations that change the rules: R04's coverage renamed, R05 disabled, a new rule with a coverage figure.
TRACE_RULES = """\
    extends = "techfile:default"

    [disable]
    R05 = "Results are judged in the release review"

    [[rules]]
    id = "R04"
    coverage = "Requirements with a test"

    [[rules]]
    id = "X01"
    name = "item-verified"
    title = "Items are verified"
    clauses = ["IEC 62304 5.5.5"]
    classes = ["A", "B", "C"]
    severity = "warning"
    roles = ["software_item"]
    coverage = "Software items verified by a test"
    message = "no test verifies it"
    check = "verified"
    description = "Each item is verified by a `testspec`."
    """

NO_HAZARDS = """\
    extends = "techfile:default"
    remove_types = ["hazard"]
    """

# --------------------------------------------------------------- reading data


def walk(blocks: tuple[Block, ...] | list[Block]) -> Iterator[Block]:
    for block in blocks:
        yield block
        if isinstance(block, Container):
            yield from walk(block.blocks)


def table(blocks: list[Block], css: str) -> Table:
    return next(b for b in walk(blocks) if isinstance(b, Table) and css in b.classes)


def rows(found: Table) -> list[list[str]]:
    return [[c.plain for c in row] for row in found.rows]


def text(block: Paragraph) -> str:
    return Cell(block.parts).plain


def entry(state: Evaluated, blocks: list[Block], anchor: str) -> dict[str, str]:
    """What a rule catalogue entry says of the rule, as text, checked to be in the entry's prose."""
    container = next(b for b in walk(blocks) if isinstance(b, Container) and anchor in b.ids)
    rule = next(r for r in state.declarations.rules.values() if r.anchor == anchor)
    said = {name: Cell(parts).plain for name, parts in catalogue.facts(state, rule)}
    prose = " ".join(text(b) for b in container.blocks if isinstance(b, Paragraph))
    assert all(f"{name}: {value}" in prose for name, value in said.items()), prose
    return said


# ------------------------------------------------------------- fast: views


def test_coverage_rows_are_the_applicable_rules_with_a_coverage_label(state: Evaluated) -> None:
    coverage = table(VIEWS["coverage"].build(state, {}), "techfile-coverage")
    declared = [rule for rule in state.evaluation.rules.values() if rule.coverage and rule.applicable]
    assert [row[0] for row in rows(coverage)] == [f"{rule.coverage} ({', '.join([*rule.builds_on, rule.id])})" for rule in declared]
    by_rule = {row[0].parts[-2].rule_id: row[1] for row in coverage.rows if isinstance(row[0].parts[-2], RuleRef)}
    # SWR_002 has no test: one of two requirements is verified, and so not passing either (R05 builds on R04)
    assert by_rule["R04"].plain == "1/2 (50 %)" and by_rule["R04"].value == 0.5
    assert by_rule["R05"].plain == "1/2 (50 %)"
    outcome = state.evaluation.outcomes["R09"]
    assert outcome.checked is not None and by_rule["R09"].value == (outcome.met or 0) / len(outcome.checked)


def test_coverage_follows_the_declared_rules(tmp_path: Path) -> None:
    rules_file = write(tmp_path / "trace_rules.toml", TRACE_RULES)
    coverage = rows(table(VIEWS["coverage"].build(evaluated(tmp_path, rules_file=rules_file), {}), "techfile-coverage"))
    labels = [row[0] for row in coverage]
    assert "Requirements with a test (R04)" in labels
    assert not any("(R05)" in label for label in labels)  # disabled: no figure
    assert ["Software items verified by a test (X01)", "1/2 (50 %)"] in coverage  # ITEM_UNIT, not ITEM_SYS
    assert not any(label.startswith("Software requirements verified by a test") for label in labels)


def test_gaps_counts_findings_per_applicable_rule_and_names_the_rules_not_evaluated(tmp_path: Path) -> None:
    state = evaluated(tmp_path, rules_file=write(tmp_path / "trace_rules.toml", TRACE_RULES))
    blocks = VIEWS["gaps"].build(state, {})
    first = blocks[0]
    assert isinstance(first, Paragraph)
    open_gaps = sum(1 for f in state.findings if f.open)
    assert f"{open_gaps} open gap(s)" in text(first) and "Release under evaluation: REL_1 (version 1.0.0)." in text(first)
    summary = {row[0]: row for row in rows(table(blocks, "techfile-gaps-summary"))}
    assert "R05" not in summary and summary["R04"][3:] == ["1", "0"]
    inactive = next(text(b) for b in blocks if isinstance(b, Paragraph) and text(b).startswith("Not evaluated"))
    assert "R05 (disabled: Results are judged in the release review)" in inactive
    r04 = next(b for b in blocks if isinstance(b, Container) and b.blocks[0] == Rubric("R04 unverified-requirement: Software requirements are verified (1)"))
    items = next(b for b in r04.blocks if isinstance(b, BulletList)).items
    assert [text(item) for item in items] == ["SWR_002: no test specification or automated test verifies it — needs/tiny.md:1 — open"]


def test_rule_catalogue_has_every_rule_with_status_scope_and_declaration(tmp_path: Path) -> None:
    model = load_need_model(write(tmp_path / "need_model.toml", NO_HAZARDS))
    state = evaluated(tmp_path, model=model, rules_file=write(tmp_path / "trace_rules.toml", TRACE_RULES))
    blocks = VIEWS["rules"].build(state, {})
    anchors = [b.ids[0] for b in walk(blocks) if isinstance(b, Container) and b.ids]
    assert anchors == [rule.anchor for rule in state.declarations.rules.values()]
    assert entry(state, blocks, "rule-r04")["Status"] == "Applicable"
    assert entry(state, blocks, "rule-r05")["Status"] == "Disabled: Results are judged in the release review"
    assert entry(state, blocks, "rule-r09")["Status"].startswith("Not applicable: the need model maps no role hazard")
    assert entry(state, blocks, "rule-r04")["Applies to"] == "Software requirement (swreq)"
    assert entry(state, blocks, "rule-r04")["Safety classes"] == "A, B and C"
    assert entry(state, blocks, "rule-r09")["Applies to"] == "hazard (not mapped)"
    assert entry(state, blocks, "rule-n01")["Applies to"] == "Every need"
    assert entry(state, blocks, "rule-r30")["Applies to"] == "The project as a whole"
    # where each rule was last written: the project's file for an override, relative to the root
    header = next(n for n, t in enumerate((tmp_path / "trace_rules.toml").read_text().splitlines(), 1) if t == 'id = "X01"') - 1
    assert entry(state, blocks, "rule-x01")["Declared at"] == f"trace_rules.toml:{header}"  # its [[rules]] line
    assert entry(state, blocks, "rule-r04")["Declared at"].startswith("trace_rules.toml:")
    roles = {row[0]: row for row in rows(table(blocks, "techfile-roles"))}
    assert roles["hazard"][1] == Role.HAZARD.description and roles["hazard"][2] == "not mapped"
    assert roles["software_requirement"][2] == "Software requirement (swreq)"
    index = rows(table(blocks, "techfile-rule-index"))
    assert [row[0] for row in index] == list(state.declarations.rules) and index[[r[0] for r in index].index("R05")][:2] == ["R05", "Verification of each requirement passed for the release"]
    relations = {row[0]: row[2] for row in rows(table(blocks, "techfile-relations"))}
    assert relations["verifies"] == "verifies" and relations["arises_from"] == "not mapped"  # removed with hazard


@pytest.mark.parametrize(("kind", "options"), [("risk-matrix", {}), ("risk-register", {}), ("trace-matrix", {"kind": "risk"})])
def test_a_view_whose_role_is_not_mapped_says_so(tmp_path: Path, kind: str, options: dict[str, str]) -> None:
    state = evaluated(tmp_path, model=load_need_model(write(tmp_path / "need_model.toml", NO_HAZARDS)))
    blocks = VIEWS[kind].build(state, options)
    assert len(blocks) == 1 and isinstance(blocks[0], Paragraph)
    assert text(blocks[0]) == "The need model maps no type to the role hazard."


def test_requirement_trace_matrix(state: Evaluated) -> None:
    matrix = rows(table(VIEWS["trace-matrix"].build(state, {"kind": "requirements"}), "techfile-trace"))
    assert matrix[0] == ["UN_001", "SYS_001", "SWR_001 Swr_001", "B", "TEST_001", "TEST_001: 1 passed, 1 skipped (RES_TWO)"]
    assert matrix[1] == ["UN_001", "SYS_001", "SWR_002 Swr_002", "B", "", "no test"]
    assert ["UN_002 Un_002", "", "(no software requirement)", "", "", ""] in matrix


def test_risk_trace_matrix(state: Evaluated) -> None:
    matrix = state.declarations.matrix
    initial, residual = matrix.classify("serious", "probable"), matrix.classify("serious", "remote")
    assert initial is not None and residual is not None
    found = rows(table(VIEWS["trace-matrix"].build(state, {"kind": "risk"}), "techfile-trace"))
    assert found == [["HAZ_001 Haz_001", initial.title, "RC_001 (protective measure)", "SWR_001", "TEST_001", "TEST_001: 1 passed, 1 skipped (RES_TWO)", residual.title]]


@pytest.mark.parametrize(("stage", "probability"), [("initial", "probable"), ("residual", "remote")])
def test_risk_matrix_cells_carry_the_class_and_its_colour(state: Evaluated, stage: str, probability: str) -> None:
    matrix = state.declarations.matrix
    grid = table(VIEWS["risk-matrix"].build(state, {"stage": stage}), "techfile-risk-matrix")
    assert grid.headers[1:] == tuple(p.title for p in matrix.probability)
    severities = [s.key for s in reversed(matrix.severity)]
    probabilities = [p.key for p in matrix.probability]
    target = grid.rows[severities.index("serious")][1 + probabilities.index(probability)]
    risk_class = matrix.classify("serious", probability)
    assert risk_class is not None
    assert target.plain == f"{risk_class.title}: HAZ_001"
    assert target.classes == (f"techfile-risk-{risk_class.key}",) and target.color == risk_class.color
    assert sum("HAZ_001" in c.plain for row in grid.rows for c in row) == 1


def test_risk_register(state: Evaluated) -> None:
    register = rows(table(VIEWS["risk-register"].build(state, {}), "techfile-risk-register"))
    assert register[0][0] == "HAZ_001 Haz_001: Situation Harm: Harm"
    assert register[0][1].endswith(" (Serious / Probable)") and register[0][2] == "RC_001"
    assert register[0][3].endswith(" (Serious / Remote)")


def test_verification_summary(state: Evaluated) -> None:
    blocks = VIEWS["verification"].build(state, {})
    counts = rows(table(blocks, "techfile-verification-counts"))
    assert counts == [["Unit", "1", "0", "0", "1", "2"], ["All levels", "1", "0", "0", "1", "2"]]
    verdicts = rows(table(blocks, "techfile-verification"))
    assert [row[0] for row in verdicts] == ["SWR_002 Swr_002", "SWR_001 Swr_001"]  # open first
    assert verdicts[0][4] == "not verified" and verdicts[1][2] == "TEST_001 (unit): passed" and verdicts[1][4] == "passed"


def test_safety_classes_say_where_each_class_comes_from(state: Evaluated) -> None:
    classes = rows(table(VIEWS["safety-classes"].build(state, {}), "techfile-classes"))
    assert classes == [["ITEM_SYS Item_Sys", "System", "B", "stated", ""], ["ITEM_UNIT Item_Unit", "Unit", "B", "inherited from ITEM_SYS", ""]]


def test_view_options_are_checked_like_docutils_choices() -> None:
    assert VIEWS["trace-matrix"].options["kind"]("risk") == "risk"
    assert VIEWS["risk-matrix"].options["stage"](" Residual ") == "residual"
    with pytest.raises(ValueError, match="choose from"):
        VIEWS["risk-matrix"].options["stage"]("final")
    assert set(VIEWS) == {
        "gaps", "coverage", "rules", "trace-matrix", "item-coverage", "soup-coverage", "risk-matrix", "risk-levels", "risk-register",
        "verification", "test-verdicts", "test-records", "safety-classes", "needs", "ml-report", "clause-coverage",
        "soup-tree",  # SOUP and SBOM evidence
        "postmarket",  # post-market surveillance
    }


# ---------------------------------------------------------- fast: renderer


@dataclass
class FakeBuilder:
    format: str
    docs: set[str]
    uris: dict[str, str] = field(default_factory=dict)

    def get_relative_uri(self, from_: str, to: str, typ: str | None = None) -> str:
        if to not in self.docs:
            raise NoUri(to, typ)
        return self.uris.get(to, f"%{to}")


@dataclass
class FakeApp:
    builder: FakeBuilder
    env: Any


def renderer(monkeypatch: pytest.MonkeyPatch, builder: FakeBuilder) -> render.Renderer:
    needs = {"SWR_001": {"docname": "needs/requirements", "is_external": False}, "EXT_1": {"docname": None, "is_external": True}}
    monkeypatch.setattr(render, "get_needs_view", lambda app: needs)
    app = FakeApp(builder, type("Env", (), {"all_docs": {"docs/rules": 0, "needs/requirements": 0}})())
    return render.Renderer(cast(Sphinx, app), "docs/views", "docs/rules")


def references(node: nodes.Node) -> list[str]:
    return [ref["refuri"] for ref in node.findall(nodes.reference)]


def content(out: list[nodes.Node]) -> list[nodes.Node]:
    """Rendered blocks without the page's style and script."""
    return [n for n in out if not isinstance(n, nodes.raw)]


def test_latex_links_use_sphinx_percent_uris_and_anchor_containers_with_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    out = renderer(monkeypatch, FakeBuilder("latex", {"docs/rules", "needs/requirements"})).blocks(
        [Paragraph((NeedRef("SWR_001"), RuleRef("R04", "rule-r04"))), Container((Paragraph((Text("x"),)),), ids=("rule-r04",))]
    )
    assert references(out[0]) == ["%needs/requirements#SWR_001", "%docs/rules#rule-r04"]
    container = out[1]
    assert isinstance(container, nodes.container) and container["ids"] == []
    assert isinstance(container[0], nodes.target) and container[0]["ids"] == ["rule-r04"]


def test_a_document_without_uri_renders_the_plain_label(monkeypatch: pytest.MonkeyPatch) -> None:
    out = renderer(monkeypatch, FakeBuilder("latex", set())).blocks([Paragraph((NeedRef("SWR_001"), NeedRef("EXT_1"), NeedRef("GONE"), RuleRef("R04", "rule-r04")))])
    assert references(out[0]) == []
    assert [n.astext() for n in out[0].findall(nodes.literal)] == ["SWR_001", "EXT_1", "GONE"]
    assert [n.astext() for n in out[0].findall(nodes.strong)] == ["R04"]


def test_html_links_and_one_style_per_page_for_cell_colours(monkeypatch: pytest.MonkeyPatch) -> None:
    page = renderer(monkeypatch, FakeBuilder("html", {"docs/rules", "needs/requirements"}, {"docs/rules": "rules.html", "needs/requirements": "../needs/requirements.html"}))
    grid = Table(("A", "B"), ((cell("x", classes=("techfile-risk-high",), color="#F1948A"), cell("y", color="#abc")),), ("techfile-risk-matrix",))
    first = page.blocks([grid, Paragraph((NeedRef("SWR_001"),))])
    second = page.blocks([grid])
    style = first[0]
    assert isinstance(style, nodes.raw) and style["format"] == "html"
    css = style.astext().split("</style>")[0]
    assert css.startswith("<style>" + render.VIEW_CSS) and css.endswith(" td.techfile-color-aabbcc { background: #aabbcc55; } td.techfile-color-f1948a { background: #f1948a55; }")
    assert not any(isinstance(n, nodes.raw) for n in second)  # the page has it already
    entries = list(first[1].findall(nodes.entry))
    assert entries[2]["classes"] == ["techfile-risk-high", "techfile-color-f1948a"]
    assert references(first[2]) == ["../needs/requirements.html#SWR_001"]
    table_node = first[1]
    assert isinstance(table_node, nodes.table) and table_node["classes"] == ["techfile-table", "techfile-risk-matrix"]


def test_singlehtml_anchor_replaces_the_document_fragment(monkeypatch: pytest.MonkeyPatch) -> None:
    page = renderer(monkeypatch, FakeBuilder("html", {"docs/rules"}, {"docs/rules": "#document-docs/rules"}))
    assert references(content(page.blocks([Paragraph((RuleRef("R04", "rule-r04"),))]))[0]) == ["#rule-r04"]


def test_an_empty_table_says_none_and_latex_drops_colours(monkeypatch: pytest.MonkeyPatch) -> None:
    page = renderer(monkeypatch, FakeBuilder("latex", set()))
    empty, coloured = page.blocks([Table(("A", "B"), ()), Table(("A",), ((cell("x", color="#F1948A"),),))])
    assert [e.astext() for e in empty.findall(nodes.entry)] == ["A", "B", "(none)", ""]
    assert all(e["classes"] == [] for e in coloured.findall(nodes.entry))


def test_rule_catalogue_renders_to_nodes(monkeypatch: pytest.MonkeyPatch, state: Evaluated) -> None:
    blocks = VIEWS["rules"].build(state, {})
    out = renderer(monkeypatch, FakeBuilder("html", {"docs/rules", "needs/requirements"})).blocks(blocks)
    captions = [t[0].astext() for t in out if isinstance(t, nodes.table) and isinstance(t[0], nodes.title)]
    assert captions == ["Rule index", "Roles", "Relations"]
    containers = [c for c in out if isinstance(c, nodes.container)]
    assert [c["ids"] for c in containers] == [[rule.anchor] for rule in state.declarations.rules.values()]
    r04 = containers[[rule.id for rule in state.declarations.rules.values()].index("R04")]
    assert r04["classes"] == ["techfile-rule"] and "techfile.R04" in r04.astext()
    assert [n["language"] for n in r04.findall(nodes.literal_block)] == ["json"]
    assert entry(state, blocks, "rule-r04")["Reported as"] == "techfile.R04 “no test specification or automated test verifies it”"


# ------------------------------------------------------ slow: sphinx-build

VIEW_PAGE = "# Views\n\n" + "".join(
    f"```{{techfile-{kind}}}\n{options}```\n\n"
    for kind, options in [
        ("coverage", ""), ("gaps", ""), ("trace-matrix", ":kind: requirements\n"), ("trace-matrix", ":kind: risk\n"),
        ("risk-matrix", ""), ("risk-matrix", ":stage: residual\n"), ("risk-register", ""), ("verification", ""), ("safety-classes", ""),
    ]
)

NEEDS_PAGE = """\
# Needs

```{statement} Plan
:id: STMT_PLAN
:kind: development_plan
```

```{user_need} Need
:id: UN_001
```

```{sysreq} System requirement
:id: SYS_001
:allocation: software
:derives_from: UN_001
```

```{swreq} Software requirement
:id: SWR_001
:category: functional
:derives_from: SYS_001
:allocated_to: ITEM_UNIT
:implements: RC_001
```

```{item} System
:id: ITEM_SYS
:level: system
:safety_class: B
```

```{item} Unit
:id: ITEM_UNIT
:level: unit
:part_of: ITEM_SYS
:uses: SOUP_LIB
```

```{hazard} Hazard
:id: HAZ_001
:hazardous_situation: Situation
:harm: Harm
:arises_from: ITEM_UNIT
:severity: serious
:probability: probable
:residual_probability: remote
```

```{risk_control} Control
:id: RC_001
:option: protective_measure
:mitigates: HAZ_001
```

```{testspec} Test
:id: TEST_001
:level: unit
:verifies: SWR_001, ITEM_UNIT
:acceptance: It works.
```

```{soup} libfoo
:id: SOUP_LIB
:version: 1.2.3
```

```{release} Release 1
:id: REL_1
:version: 1.0.0
```
"""

# a page outside every toctree: in the HTML build, not in the PDF
ORPHAN_PAGE = """\
---
orphan: true
---

# Extra

```{user_need} Orphan need
:id: UN_002
```
"""


def tiny_project(root: Path, pyproject_extra: str = "") -> Path:
    write(root / "pyproject.toml", f'[tool.techfile]\nsources = ["docs", "needs"]\nroot_doc = "docs/index"\nrelease = "REL_1"\ncatalogue_doc = "docs/rules"\n{pyproject_extra}')
    write(root / "conf.py", 'project = "Tiny"\nextensions = ["myst_parser", "sphinx_needs", "techfile.sphinxext"]\n')
    write(root / "docs" / "index.md", "# Tiny\n\n```{toctree}\n:glob:\n\nviews\nrules\n../needs/*\n```\n")
    write(root / "docs" / "views.md", VIEW_PAGE)
    write(root / "docs" / "rules.md", "# Rules\n\n```{techfile-rules}\n```\n")
    write(root / "docs" / "extra.md", ORPHAN_PAGE)
    write(root / "needs" / "needs.md", NEEDS_PAGE)
    return root


@dataclass
class Built:
    status: int
    output: str
    outdir: Path


def sphinx_build(root: Path, builder: str) -> Built:
    # without -W: the tiny project has open gaps (warnings); what matters is that the build completes
    outdir = root / "_build" / builder
    done = subprocess.run([sys.executable, "-m", "sphinx", "-b", builder, "-q", str(root), str(outdir)], capture_output=True, text=True, check=False)
    return Built(done.returncode, done.stdout + done.stderr, outdir)


@pytest.mark.slow
def test_latex_build_links_needs_and_rules_and_never_raises_nouri(tmp_path: Path) -> None:
    build = sphinx_build(tiny_project(tmp_path / "tiny"), "latex")
    assert build.status == 0, build.output
    assert "Traceback" not in build.output and "NoUri" not in build.output and "Exception occurred" not in build.output
    tex = (build.outdir / "tiny.tex").read_text()
    for need_id in ("UN_001", "SYS_001", "SWR_001", "HAZ_001", "RC_001", "TEST_001", "ITEM_UNIT", "REL_1"):
        assert need_id.replace("_", r"\_") in tex
    labels = set(re.findall(r"\\label\{\\detokenize\{([^}]*)\}\}", tex))
    links = set(re.findall(r"\\hyperref\[\\detokenize\{([^}]*)\}\]", tex))
    # the views link needs and catalogue entries inside the one PDF, and every link has its target
    assert {"needs/needs:SWR_001", "needs/needs:HAZ_001", "docs/rules:rule-r04"} <= links
    assert {"docs/rules:rule-r04", "docs/rules:rule-r30"} <= labels
    assert links <= labels, sorted(links - labels)
    # UN_002 lives on a page outside the PDF: its ID is shown, not linked
    assert r"\sphinxcode{\sphinxupquote{UN\_002}}" in tex and "needs/extra:UN_002" not in links and "docs/extra:UN_002" not in links
    assert "<style>" not in tex


@pytest.mark.slow
def test_html_build_shows_the_views_with_the_declared_coverage(tmp_path: Path) -> None:
    root = tiny_project(tmp_path / "tiny", 'trace_rules = "trace_rules.toml"\n')
    write(root / "trace_rules.toml", TRACE_RULES)
    build = sphinx_build(root, "html")
    assert build.status == 0, build.output
    assert "Traceback" not in build.output
    views = (build.outdir / "docs" / "views.html").read_text()
    assert "Requirements with a test (" in views and 'href="rules.html#rule-r04"' in views
    assert "Software items verified by a test (" in views and "rules.html#rule-x01" in views
    assert "Software requirements with a passing result" not in views  # R05 disabled
    assert "disabled: Results are judged in the release review" in views
    assert "open gap(s)" in views and "inherited from" in views and "Unacceptable" in views
    assert 'href="../needs/needs.html#SWR_001"' in views and "extra.html#UN_002" in views
    assert views.count("td.techfile-color-f1948a {") == 1  # two risk matrices, the colour styled once
    rules = (build.outdir / "docs" / "rules.html").read_text()
    assert 'id="rule-r04"' in rules and 'id="rule-x01"' in rules
    assert "<strong>Disabled</strong>: Results are judged in the release review" in rules
    assert "trace_rules.toml:" in rules


def test_when_spans_results_in_utc_and_says_so_only_where_the_zone_is_recorded() -> None:
    from techfile.sphinxext.views.common import when

    assert when(["2026-12-01T11:54:00+00:00", "2026-12-01T13:10:00+01:00"]) == "2026-12-01\u00a011:54–12:10\u00a0UTC"
    assert when(["2026-12-01T11:54:00", "2026-12-02T09:00:00"]) == "2026-12-01\u00a011:54 – 2026-12-02\u00a009:00"
    # pytest's naive local times beside a zoned record: no crash, and no claim of UTC for all
    assert when(["2026-12-01T11:54:00", "2026-12-01T12:00:00+00:00", "not a time", None]) == "2026-12-01\u00a011:54–12:00 (UTC where the zone is recorded)"
    assert when([None, ""]) == ""
