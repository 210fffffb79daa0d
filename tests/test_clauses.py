"""Clause coverage (rule C01): the shipped catalogues, how a clause is judged
from rules, queries and statements, and the pages that show it."""

from __future__ import annotations

from pathlib import Path

import pytest

from example_project import techfile
from miniproject import MODEL, Mini, default
from sphinxbuild import Build
from techfile.checks.rules import load_rules
from techfile.clauses import catalogue as catalogues
from techfile.clauses.catalogue import SHIPPED, cited_numbers, shipped
from techfile.errors import TechfileError
from techfile.model.roles import Relation, Role

RULES = load_rules(default("trace_rules"), MODEL)


def _c01(mini: Mini) -> list[str]:
    return [f.message for f in mini.findings() if f.rule.id == "C01"]


def _claim(mini: Mini, *standards: str) -> None:
    path = mini.root / "pyproject.toml"
    listed = ", ".join(f'"{s}"' for s in standards)
    path.write_text(path.read_text().replace('standards = ["clauses.toml"]', f"standards = [{listed}]"))


# ------------------------------------------------------------------ catalogues


@pytest.mark.parametrize("key", sorted(SHIPPED))
def test_shipped_catalogue_is_consistent_with_the_rules_and_roles(key: str) -> None:
    standard = shipped(key)
    assert standard.key == key and standard.clauses
    roles = {role.value for role in Role}
    for clause in standard.clauses:
        assert set(clause.rules) <= set(RULES), (clause.number, clause.rules)
        for query in clause.queries:
            if query.kind == "covered":
                assert query.subject in SHIPPED
                other = shipped(query.subject)
                assert all(other.clause(number) for number in query.clauses), query.clauses
            else:
                assert query.subject in roles and (query.to is None or query.to in roles)
                assert query.linked is None or Relation.named(query.linked) is not None


def test_every_rule_citing_a_catalogued_standard_names_one_of_its_clauses() -> None:
    """A rule's citation that matched no clause would be evidence for nothing: a typo in a rule or a catalogue."""
    for key in SHIPPED:
        standard = shipped(key)
        for rule in RULES.values():
            if rule.check == "clause_coverage":
                continue
            for citation in rule.clauses:
                for number in cited_numbers(citation, standard.name):
                    assert standard.clause(number) is not None, f"{rule.id} cites {citation}: no clause {number} in {key}"


def test_iec_62304_classes_follow_amendment_1_table_a1() -> None:
    standard = shipped("iec-62304")
    only_c = {c.number for c in standard.clauses if c.classes == ("C",)}
    assert only_c == {"5.1.4", "5.3.5", "5.4.2", "5.4.3", "5.4.4", "5.5.4"}
    not_a = {c.number for c in standard.clauses if "A" not in c.classes}
    assert {"5.1.5", "5.1.10", "5.1.11", "5.1.12", "5.2.3", "5.3.1", "5.4.1", "5.5.2", "5.6.1", "5.6.8", "5.8.3", "5.8.5", "5.8.6", "7.1.1", "7.3.3", "7.4.2"} <= not_a
    # Amendment 1 extended these to class A
    assert all("A" in standard.clause(n).classes for n in ("5.7.1", "5.7.4", "5.8.1", "5.8.2", "5.8.4", "7.4.1"))  # type: ignore[union-attr]
    assert len(standard.clauses) > 80 and all(c.number[0] in "456789" for c in standard.clauses)


def test_fda_catalogue_separates_basic_from_enhanced() -> None:
    standard = shipped("fda-2023")
    enhanced_only = {c.number for c in standard.clauses if c.levels == ("enhanced",)}
    assert enhanced_only == {"VI.F", "VI.G+", "VI.H+"}
    assert {c.number for c in standard.clauses} >= {f"VI.{letter}" for letter in "ABCDEFGHIJ"}


def test_cited_numbers_reads_sub_items_ranges_and_other_standards() -> None:
    assert cited_numbers("IEC 62304 5.7.4 a-b", "IEC 62304") == ("5.7.4",)
    assert cited_numbers("IEC 62304 5.4.2-5.4.4", "IEC 62304") == ("5.4.2", "5.4.3", "5.4.4")
    assert cited_numbers("IEC 62304 4.3 c-f", "IEC 62304") == ("4.3",)
    assert cited_numbers("ISO 14971 7.1", "IEC 62304") == ()
    assert cited_numbers("FDA SW VI.H", "FDA SW") == ("VI.H",)
    assert cited_numbers("IEC 62304", "IEC 62304") == ()


def test_a_project_catalogue_with_a_duplicate_clause_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('[standard]\nkey = "mine"\nname = "X"\ntitle = "X"\napplies_by = "none"\n\n[[clauses]]\nnumber = "1"\ntitle = "a"\n\n[[clauses]]\nnumber = "1"\ntitle = "b"\n')
    with pytest.raises(TechfileError) as caught:
        catalogues.read_catalogue(path)
    assert caught.value.line == 11 and "listed twice" in caught.value.message


def test_an_unknown_standard_is_bad_input_at_its_line(mini: Mini) -> None:
    _claim(mini, "iec-62304", "iso-13485")
    with pytest.raises(TechfileError) as caught:
        mini.findings()
    assert "iso-13485" in caught.value.message and caught.value.path and caught.value.path.endswith("pyproject.toml") and caught.value.line


def test_a_missing_project_catalogue_is_bad_input_naming_the_file(mini: Mini) -> None:
    (mini.root / "clauses.toml").unlink()
    with pytest.raises(TechfileError) as caught:
        mini.findings()
    assert caught.value.path and caught.value.path.endswith("clauses.toml")


# ------------------------------------------------------------------ judging


def test_clause_numbers_in_text_are_never_evidence(tmp_path: Path) -> None:
    """A project that writes every clause number but holds no evidence has a gap at each clause that applies."""
    mini = Mini(tmp_path / "project")
    _claim(mini, *SHIPPED)
    for path in (mini.root / "needs").glob("*.md"):
        path.unlink()
    mini.results, mini.components, mini.environments = [], [], []
    pyproject = mini.root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('release = "REL_1"\n', ""))
    mentioned = [shipped(key).ref(clause) for key in SHIPPED for clause in shipped(key).clauses]
    index = mini.root / "docs" / "index.md"
    index.write_text(index.read_text() + "\nThis technical file meets " + ", ".join(mentioned) + ".\n")
    messages = _c01(mini)
    gaps = {m.split(" (")[0] for m in messages}
    # no system item: class C (IEC 62304 4.3 a); no documentation-level statement: Enhanced
    applicable = {
        shipped(key).ref(c) for key in SHIPPED for c in shipped(key).clauses if c.applies(shipped(key).applies_by, "C", "enhanced")
    }
    assert gaps == applicable
    assert all(" is gap: " in m for m in messages)


def test_a_statement_that_addresses_a_clause_meets_it(mini: Mini) -> None:
    assert _c01(mini) == []


def test_a_statement_without_content_does_not_meet_its_clause(mini: Mini) -> None:
    mini.replace("statements.md", "\nClause 9.9 is met by the plan's section on it.\n", "")
    (message,) = _c01(mini)
    assert message.startswith("IEC 62304 9.9 (A declared clause) is gap: STMT_PLAN says nothing")


def test_a_statement_with_a_gap_of_its_own_does_not_meet_its_clause(mini: Mini) -> None:
    mini.replace("statements.md", ":addresses: IEC 62304 9.9", ":addresses: IEC 62304 9.9\n:documentation_level: banana")
    assert any(m.startswith("IEC 62304 9.9 (A declared clause) is gap: STMT_PLAN has 1 open gap(s) of its own (N03)") for m in _c01(mini))


def test_a_reference_to_no_clause_is_a_gap_at_the_statement(mini: Mini) -> None:
    mini.replace("statements.md", ":addresses: IEC 62304 9.9", ":addresses: IEC 62304 9.9, IEC 62304 9.99, ISO 9001 4")
    found = [f for f in mini.findings() if f.rule.id == "C01"]
    assert {f.need_id for f in found} == {"STMT_PLAN"}
    messages = sorted(f.message for f in found)
    assert "addresses 'IEC 62304 9.99'" in messages[0] and "did you mean IEC 62304 9.9?" in messages[0]
    assert "addresses 'ISO 9001 4'" in messages[1] and "begin it with a claimed standard (IEC 62304)" in messages[1]


def test_a_not_applicable_statement_is_the_clauses_rationale(mini: Mini) -> None:
    mini.replace("statements.md", ":addresses: IEC 62304 9.9\n", "")
    assert _c01(mini)
    mini.append("statements.md", """
        ```{statement} Nothing to declare
        :id: STMT_NA
        :kind: not_applicable
        :addresses: IEC 62304 9.9

        The device has no such thing.
        ```
        """)
    assert _c01(mini) == []


def test_a_clause_of_another_class_does_not_apply(mini: Mini) -> None:
    mini.replace("statements.md", ":addresses: IEC 62304 9.9\n", "")
    mini.replace("architecture.md", ":safety_class: B", ":safety_class: A")
    assert _c01(mini) == []  # 9.9 applies to B and C only


def test_failing_rules_make_a_clause_a_gap_and_naming_it(mini: Mini) -> None:
    mini.replace("requirements.md", ":derives_from: SYS_001\n", "")
    messages = _c01(mini)
    assert "IEC 62304 5.2.1 (Requirements are derived) is gap: R01 finds 1 open gap(s); R02 finds 1 open gap(s)" in messages
    assert any(m.startswith("IEC 62304 5.1.1 (A plan exists) is partial: R01 finds 1 open gap(s)") for m in messages)  # R01 cites 5.1.1 c too
    finding = next(f for f in mini.findings() if f.rule.id == "C01" and f.message.startswith("IEC 62304 5.2.1"))
    assert finding.clauses == ("IEC 62304 5.2.1",) and finding.path == "pyproject.toml" and finding.line == 5


def test_fda_clauses_follow_the_documentation_level(mini: Mini) -> None:
    _claim(mini, "fda-2023")
    basic = {m.split(" (")[0] for m in _c01(mini)}
    assert "FDA SW VI.G" in basic and "FDA SW VI.G+" not in basic  # conformity to part of IEC 62304 5.1, 6, 8: not written
    mini.replace("statements.md", ":documentation_level: basic", ":documentation_level: enhanced")
    enhanced = {m.split(" (")[0] for m in _c01(mini)}
    assert "FDA SW VI.G+" in enhanced and "FDA SW VI.G" not in enhanced


def test_a_covered_query_judges_the_other_standard(mini: Mini) -> None:
    _claim(mini, "iec-62304", "iec-82304-1")
    messages = _c01(mini)
    (life_cycle,) = [m for m in messages if m.startswith("IEC 82304-1 5 ")]
    assert "IEC 62304 4.1" in life_cycle and "not met" in life_cycle


def test_default_scaffold_claims_62304_and_14971() -> None:
    from techfile.project import Settings

    assert Settings().standards == ("iec-62304", "iso-14971")


def test_reference_text_never_holds_standard_text() -> None:
    """Titles are short paraphrases: no catalogue entry runs to a sentence of the standard."""
    for key in SHIPPED:
        assert all(len(clause.title) <= 160 for clause in shipped(key).clauses)


# ------------------------------------------------------------------ the example, end to end


@pytest.mark.slow
def test_example_covers_every_clause_that_applies_to_it(example: tuple[Path, Build]) -> None:
    import re

    import openpyxl  # type: ignore[import-untyped]

    _, build = example
    assert build.status == 0, build.output
    assert [f for f in build.findings() if f["rule"] == "C01"] == []
    page = (build.outdir / "docs" / "clause_coverage.html").read_text()
    statuses = re.findall(r'<td class="[^"]*techfile-not-an-outcome[^"]*"[^>]*>\s*<p>([a-z ]+)</p>', page)
    assert len(statuses) == sum(len(shipped(key).clauses) for key in SHIPPED)
    assert set(statuses) == {"met", "not applicable"}
    assert "STMT_NA_LEGACY" in page and "STMT_PLAN_CONFIGURATION" in page
    book = openpyxl.load_workbook(build.outdir / "PJI-Risk-technical-file.xlsx", read_only=True)
    sheet = book["IEC 62304 clauses"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Clause", "Title", "Applies to", "Status")
    assert rows[[r[0] for r in rows].index("5.4.2")][:4] == ("5.4.2", "Each unit has a detailed design", "C", "not applicable")


@pytest.mark.slow
def test_example_moved_to_class_c_shows_the_class_c_clauses_as_gaps(example: tuple[Path, Build], tmp_path: Path) -> None:
    import json
    import shutil

    root = tmp_path / "repo"
    shutil.copytree(example[0], root, ignore=shutil.ignore_patterns("html"))
    architecture = root / "needs" / "architecture.md"
    architecture.write_text(architecture.read_text().replace(":safety_class: B", ":safety_class: C", 1))
    done = techfile(root, "check", "--format", "json")
    assert done.returncode == 1, done.stderr
    c01 = {f["clauses"][0]: f["message"] for f in json.loads(done.stdout)["findings"] if f["rule"] == "C01"}
    for number, title in (("5.4.2", "Each unit has a detailed design"), ("5.4.3", "Interfaces of units have a detailed design"), ("5.4.4", "The detailed design is verified")):
        assert c01[f"IEC 62304 {number}"].startswith(f"IEC 62304 {number} ({title}) is gap: R23 finds")
    assert "IEC 62304 5.5.4" in c01  # additional unit acceptance criteria: class C only, addressed nowhere
