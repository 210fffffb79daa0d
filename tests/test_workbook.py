"""The Excel workbook: the writer on a tiny in-memory evaluation (sheets,
frozen header, autofilter, colours, numbers, links, the same bytes twice),
then real HTML builds of a small project (every link lands on an anchor of
the built pages, the counts agree with the findings report)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import zipfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from miniproject import Mini, pyproject, result, waiver
from sphinxbuild import add_sphinx_files, sphinx_build
from techfile import resources
from techfile.checks.engine import evaluate, find_release
from techfile.checks.rules import load_rules
from techfile.checks.run import Declarations
from techfile.corpus import Corpus, Need
from techfile.model.needmodel import load_need_model
from techfile.model.riskmatrix import load_risk_matrix
from techfile.project import Project, Settings
from techfile.sphinxext import workbook
from techfile.sphinxext.state import Evaluated
from techfile.sphinxext.views import VIEWS, ViewSpec, choice
from techfile.sphinxext.views.data import Cell, NeedRef, Table, Text
from techfile.tomlfile import KeyLines

# ------------------------------------------------------------ a tiny evaluation


def default(kind: str) -> Path:
    return resources.packaged_declaration(resources.DEFAULT, kind)


def need(need_id: str, need_type: str, links: dict[str, list[str]] | None = None, **fields: str) -> Need:
    return Need(need_id, need_type, need_id.title(), "needs/tiny.md", 1, fields, {k: tuple(v) for k, v in (links or {}).items()})


NEEDS = [
    need("UN_001", "user_need"),
    need("SYS_001", "sysreq", {"derives_from": ["UN_001"]}, allocation="software"),
    need("SWR_001", "swreq", {"derives_from": ["SYS_001"], "allocated_to": ["ITEM_UNIT"], "implements": ["RC_001"]}, category="functional"),
    need("SWR_002", "swreq", {"derives_from": ["SYS_001"]}, category="functional"),
    need("SWR_003", "swreq", {"derives_from": ["SYS_001"]}, category="functional"),  # no test: an open gap
    need("ITEM_SYS", "item", level="system", safety_class="B"),
    need("ITEM_UNIT", "item", {"part_of": ["ITEM_SYS"]}, level="unit"),
    need("HAZ_001", "hazard", {"arises_from": ["ITEM_UNIT"]}, hazardous_situation="Situation", harm="Harm", severity="serious", probability="probable", residual_probability="remote"),
    need("RC_001", "risk_control", {"mitigates": ["HAZ_001"]}, option="protective_measure"),
    need("TEST_001", "testspec", {"verifies": ["SWR_001", "ITEM_UNIT"]}, level="unit"),
    need("TEST_002", "testspec", {"verifies": ["SWR_002"]}, level="unit"),
    need("RES_ONE", "result", {"result_of": ["TEST_001"]}, result="failed", software_version="1.0.0", level="unit"),
    need("RES_TWO", "result", {"result_of": ["TEST_002"]}, result="passed", software_version="1.0.0", level="unit"),
    need("REL_1", "release", version="1.0.0"),
]


def evaluated(root: Path, needs: list[Need] = NEEDS) -> Evaluated:
    """One evaluation of the default rules on ``needs``, as a build hands it to the views."""
    model = load_need_model(default("need_model"))
    rules = load_rules(default("trace_rules"), model)
    matrix = load_risk_matrix(default("risk_matrix"))
    corpus = Corpus(model)
    for item in needs:
        declared = model.types[item.type].links
        corpus.add(replace(item, links={k: v for k, v in item.links.items() if k in declared}))
    evaluation = evaluate(corpus, rules, matrix, release=find_release(corpus, None))
    project = Project(root, Settings(), root / "pyproject.toml", KeyLines(""))
    return Evaluated(project, Declarations(model, rules, matrix), corpus, evaluation)


DATE = datetime(2026, 3, 4, 5, 6, 8, tzinfo=UTC)
ABOUT = workbook.About(project="Tiny technical file", release="1.0.0", version="1.0", commit="0123abc", date=DATE, software_version="v1.0.0-3-g0123abc")
RULES = load_rules(default("trace_rules"), load_need_model(default("need_model")))
LINKS = workbook.Links(
    {n.id: f"needs/tiny.html#{n.id}" for n in NEEDS},
    {rule.anchor: f"docs/rules.html#{rule.anchor}" for rule in RULES.values()},
    home="index.html",
)


@pytest.fixture
def state(tmp_path: Path) -> Evaluated:
    return evaluated(tmp_path)


@pytest.fixture
def data(state: Evaluated) -> bytes:
    return workbook.workbook_bytes(state, ABOUT, LINKS)


@pytest.fixture
def book(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data))


def rows(sheet: Any) -> list[list[Any]]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def find(sheet: Any, text: str) -> Any:
    """The first cell whose value is ``text`` or starts with it as a word (a need's ID, then its title)."""
    word = re.compile(rf"{re.escape(text)}\b")
    return next(cell for row in sheet.iter_rows() for cell in row if cell.value == text or (isinstance(cell.value, str) and word.match(cell.value)))


def sheet_with(book: Any, *headers: str) -> Any:
    """The sheet whose header row has ``headers`` (case ignored): found by content, whatever the views title their tables."""
    wanted = {header.lower() for header in headers}
    return next(sheet for sheet in book.worksheets if wanted <= {str(cell.value).lower() for cell in sheet[1]})


def column(sheet: Any, header: str) -> list[Any]:
    """The cells of the column under ``header`` (case ignored)."""
    index = [str(cell.value).lower() for cell in sheet[1]].index(header.lower())
    return [row[index] for row in sheet.iter_rows(min_row=2)]


def link(cell: Any) -> str | None:
    """A cell's hyperlink as ``target#location``."""
    if cell.hyperlink is None:
        return None
    return (cell.hyperlink.target or "") + (f"#{cell.hyperlink.location}" if cell.hyperlink.location else "")


def fill(cell: Any) -> str | None:
    return cell.fill.fgColor.rgb[-6:] if cell.fill.fill_type == "solid" else None


def tint(cell: Any) -> str | None:
    """"green", "red" or "amber": the colour a cell is filled with (the view's own, or the workbook's outcome colour)."""
    rgb = fill(cell)
    if rgb is None:
        return None
    red, green, blue = (int(rgb[i : i + 2], 16) for i in (0, 2, 4))
    if green > red and green > blue:
        return "green"
    return "amber" if green > blue + 0x20 and red >= green else "red"


# ------------------------------------------------------------ the writer


def view_tables(state: Evaluated) -> list[Table]:
    """Every table the chosen views give, in sheet order (after "About" and "Gaps")."""
    out: list[Table] = []
    for spec in workbook.sheet_specs(VIEWS):
        view = VIEWS[spec.view]
        out += [block for block in view.build(state, {k: view.options[k](v) for k, v in spec.options if k in view.options}) if isinstance(block, Table)]
    return out


def test_sheets_are_about_gaps_and_every_table_of_the_chosen_views(state: Evaluated, book: Any) -> None:
    assert book.sheetnames[:2] == ["About", "Gaps"] and book.active.title == "About"
    chosen = {spec.view for spec in workbook.sheet_specs(VIEWS)}
    assert {"trace-matrix", "risk-matrix", "risk-register", "verification", "gaps"} <= chosen
    assert {name for name in VIEWS if "matrix" in name} <= chosen  # a matrix view added since comes along
    for name, view in VIEWS.items():
        for option, converter in view.options.items() if "matrix" in name else ():
            if values := workbook.choices(converter):
                shown = {value for spec in workbook.sheet_specs(VIEWS) if spec.view == name for key, value in spec.options if key == option}
                assert shown == set(values), name  # every kind of every matrix
                break
    tables = view_tables(state)
    assert len(book.sheetnames) == 2 + len(tables)
    for table, sheet in zip(tables, book.worksheets[2:], strict=True):
        # one sheet per table, every column and row of it: a column or table added to a view comes along
        assert [cell.value for cell in sheet[1]] == list(table.headers), sheet.title
        assert sheet.max_row == 1 + max(1, len(table.rows)), sheet.title
        if table.title and len(table.title) <= 31:
            assert sheet.title == table.title
    assert all(len(name) <= 31 for name in book.sheetnames)
    for headers in (("User need", "Software requirement"), ("Risk control",), ("Software requirement", "Verdict"), ("passed", "failed", "total")):
        assert sheet_with(book, *headers)  # the trace matrices, the verification summary


def test_a_matrix_view_added_comes_along_with_every_choice() -> None:
    def build(state: Evaluated, options: dict[str, str]) -> list[Any]:
        return []

    views = {
        **VIEWS,
        "trace-matrix": ViewSpec(build, {"kind": choice("requirements", "risk", "reverse")}),
        "soup-matrix": ViewSpec(build),
        "dose-matrix": ViewSpec(build, {"title": str.strip, "stage": choice("before", "after")}),
        "dose-list": ViewSpec(build, {"stage": choice("before", "after")}),
    }
    specs = [(spec.view, spec.options, spec.names[0]) for spec in workbook.sheet_specs(views)]
    trace = [entry for entry in specs if entry[0] == "trace-matrix"]
    assert [options for _, options, _ in trace] == [(("kind", "requirements"),), (("kind", "risk"),), (("kind", "reverse"),)]
    assert ("soup-matrix", (), "Soup matrix") in specs
    assert [(options, sheet) for view, options, sheet in specs if view == "dose-matrix"] == [
        ((("stage", "before"),), "Dose matrix (before)"),
        ((("stage", "after"),), "Dose matrix (after)"),
    ]
    assert "dose-list" not in {view for view, _, _ in specs}  # not a matrix, not chosen
    assert workbook.choices(choice("a", "b")) == ("a", "b") and workbook.choices(str.strip) == ()


def test_every_table_sheet_has_a_frozen_header_and_a_filter_over_the_table(book: Any) -> None:
    for sheet in book.worksheets[1:]:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref == f"A1:{get_column_letter(sheet.max_column)}{sheet.max_row}", sheet.title
        assert all(cell.value for cell in sheet[1]), sheet.title  # every column has its header
        assert all(cell.font.bold for cell in sheet[1])
        for letter, dimension in sheet.column_dimensions.items():
            assert workbook.WIDTH_MIN <= dimension.width <= workbook.WIDTH_CAP, (sheet.title, letter)
        assert all(cell.alignment.wrap_text for row in sheet.iter_rows(min_row=2) for cell in row if cell.value is not None)


def test_view_colours_and_numbers_come_through(state: Evaluated, book: Any) -> None:
    coloured = numbers = 0
    for table, sheet in zip(view_tables(state), book.worksheets[2:], strict=True):
        for row, cells in zip(table.rows, sheet.iter_rows(min_row=2), strict=False):
            for source, written in zip(row, cells, strict=False):
                if source.color:
                    coloured += 1
                    assert fill(written) == workbook._pale(source.color), (sheet.title, written.coordinate)
                if source.value is not None:
                    numbers += 1
                    assert written.data_type == "n" and written.value == source.value, (sheet.title, written.coordinate)
                    if isinstance(source.value, float) and "%" in source.plain:
                        assert written.number_format == "0%"
    assert coloured and numbers  # the risk matrices' classes, the counts


def test_passed_and_failed_are_coloured(book: Any) -> None:
    verdicts = sheet_with(book, "Software requirement", "Verdict")
    by_requirement = {row[0].value.split()[0]: row for row in verdicts.iter_rows(min_row=2)}
    verdict = [cell.value for cell in verdicts[1]].index("Verdict")
    assert by_requirement["SWR_002"][verdict].value == "passed"
    assert tint(by_requirement["SWR_002"][verdict]) == "green"
    assert "RES_ONE failed" in by_requirement["SWR_001"][verdict].value
    assert tint(by_requirement["SWR_001"][verdict]) == "red"
    assert tint(by_requirement["SWR_003"][verdict]) in ("red", "amber")  # not verified
    results = sheet_with(book, "passed", "failed", "total")
    failed = column(results, "failed")
    assert failed[-1].value == 1 and tint(failed[-1]) == "red"
    assert column(results, "error")[-1].value == 0 and fill(column(results, "error")[-1]) is None  # a zero count says nothing
    trace = sheet_with(book, "User need", "Software requirement", "Result")
    assert tint(find(trace, "TEST_002: 1 passed")) == "green"  # text alone says it: the workbook's own colour
    assert fill(find(trace, "TEST_002: 1 passed")) == workbook.PASSED_FILL[1:]


def test_outcome_colour_reads_outcomes_not_every_word() -> None:
    assert workbook.outcome_fill(Cell((Text("TEST_001: 3 passed, 1 skipped"),)), "Result") == workbook.SKIPPED_FILL
    assert workbook.outcome_fill(Cell((Text("open: RES_X failed"),)), "Verdict") == workbook.FAILED_FILL
    assert workbook.outcome_fill(Cell((Text("passed"),)), "Verdict") == workbook.PASSED_FILL
    assert workbook.outcome_fill(Cell((Text("Wrong estimate after a rounding error"),)), "Harm") is None
    assert workbook.outcome_fill(Cell((Text("2"),), value=2), "skipped") == workbook.SKIPPED_FILL


def test_numbers_are_numbers(book: Any) -> None:
    results = sheet_with(book, "passed", "failed", "total")
    total = column(results, "total")[-1]
    assert total.data_type == "n" and total.value == 2
    about = book["About"]
    assert find(about, "Needs").offset(column=1).value == len(NEEDS)


def test_need_and_rule_cells_link_to_their_anchors(book: Any) -> None:
    trace = sheet_with(book, "User need", "Software requirement")
    requirement = find(trace, "SWR_001")
    assert link(requirement) == "needs/tiny.html#SWR_001"
    assert requirement.font.underline == "single"
    gaps = book["Gaps"]
    rule = column(gaps, "Rule")[0]
    assert link(rule) == f"docs/rules.html#rule-{rule.value.lower()}"
    subject = next(cell for cell in column(gaps, "Need") if cell.value)
    assert link(subject) == f"needs/tiny.html#{subject.value}"
    about = book["About"]
    assert link(find(about, "Gaps")) == "#'Gaps'!A1"


def test_a_cell_links_only_where_its_references_agree() -> None:
    assert LINKS.of(Cell((NeedRef("SWR_001"), Text(" (unit)")))) == "needs/tiny.html#SWR_001"
    assert LINKS.of(Cell((NeedRef("SWR_001"), Text(", "), NeedRef("SWR_001")))) == "needs/tiny.html#SWR_001"
    assert LINKS.of(Cell((NeedRef("SWR_001"), Text(", "), NeedRef("SWR_002")))) is None  # one hyperlink per cell: not the first of two
    assert LINKS.of(Cell((NeedRef("NOT_BUILT"),))) is None
    assert LINKS.of(Cell((Text("no test"),))) is None


def test_gap_sheet_has_one_row_per_finding(state: Evaluated, book: Any) -> None:
    gaps = book["Gaps"]
    assert [cell.value for cell in gaps[1]] == list(workbook.GAPS_HEADERS)
    found = rows(gaps)[1:]
    assert len(found) == len(state.findings) > 0
    first = state.findings[0]
    assert found[0][0] == first.rule.id and found[0][5] == first.message and found[0][6] == f"{first.path}:{first.line}"
    assert found[0][7] == "open" and tint(gaps["H2"]) == "red"
    assert found[0][3] == "error" and fill(gaps["D2"]) is None  # a severity, not an outcome


def test_about_says_what_and_when(state: Evaluated, book: Any) -> None:
    about = book["About"]
    values = {row[0]: row[1] for row in rows(about) if row[0]}
    assert values["Project"] == "Tiny technical file"
    assert values["Commit"] == "0123abc"
    assert values["Build date"] == "2026-03-04"
    assert values["Release under evaluation"] == "REL_1" and values["Release version"] == "1.0.0"
    assert values["Software version"] == "v1.0.0-3-g0123abc"
    assert values["Open gaps"] == sum(f.open for f in state.findings)
    assert values["Accepted gaps"] == 0
    listed = [row[0] for row in rows(about)[rows(about).index(["Sheet", "Contents"]) + 1 :]]
    assert listed == book.sheetnames[1:]


def test_the_same_input_gives_the_same_bytes_without_the_clock(state: Evaluated, data: bytes) -> None:
    assert workbook.workbook_bytes(state, ABOUT, LINKS) == data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2026, 3, 4, 5, 6, 8)}
        core = archive.read("docProps/core.xml").decode()
    assert core.count("2026-03-04T05:06:08Z") == 2  # created and modified: the build date
    later = replace(ABOUT, date=datetime(2027, 1, 1, tzinfo=UTC))
    assert workbook.workbook_bytes(state, later, LINKS) != data


def test_build_date_source_date_epoch_then_commit_then_today(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    assert workbook.build_date(tmp_path) == datetime(2026, 1, 1, tzinfo=UTC)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "9" * 30)  # no date: the next rule decides
    for variable in ("TECHFILE_COMMIT", "GITHUB_SHA", "CI_COMMIT_SHA", "GIT_COMMIT", "BUILD_SOURCEVERSION", "BITBUCKET_COMMIT", "CIRCLE_SHA1"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))  # tmp_path is no repository
    today = workbook.build_date(tmp_path)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert workbook.build_date(tmp_path) == today
    # a repository: the date of its commit
    git = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    git |= {"GIT_AUTHOR_DATE": "2025-05-06T07:08:09Z", "GIT_COMMITTER_DATE": "2025-05-06T07:08:09Z"}
    for name, value in git.items():
        monkeypatch.setenv(name, value)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "one"], cwd=tmp_path, check=True)
    assert workbook.build_date(tmp_path) == datetime(2025, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert (today.hour, today.minute, today.second) == (0, 0, 0)
    assert today.date() == datetime.now(UTC).date()


def test_sheet_names_are_excel_names() -> None:
    taken: set[str] = {"about"}
    assert workbook._sheet_name("About", taken) == "About (2)"
    long = workbook._sheet_name("Trace: hazards / controls [all] * ? \\ " + "x" * 40, taken)
    assert len(long) <= 31 and not re.search(r"[\[\]:*?/\\]", long)
    assert workbook._sheet_name("Trace: hazards / controls [all] * ? \\ " + "x" * 40, taken) != long


def test_default_name_and_relative_urls(tmp_path: Path) -> None:
    config = type("Config", (), {"project": "PJI-Risk technical file"})()
    assert workbook.default_name(config) == "PJI-Risk-technical-file.xlsx"  # type: ignore[arg-type]
    config.project = "Mini"  # type: ignore[attr-defined]
    assert workbook.default_name(config) == "Mini-technical-file.xlsx"  # type: ignore[arg-type]
    out = tmp_path / "_build" / "html"
    assert workbook.relative_url("needs/a.html#X", out, out) == "needs/a.html#X"
    assert workbook.relative_url("needs/a.html#X", out, out.parent) == "html/needs/a.html#X"
    assert workbook.relative_url("needs/a/#X", out, out / "reports") == "../needs/a/index.html#X"


# ------------------------------------------------------------ real builds


def html_ids(page: Path, cache: dict[Path, set[str]]) -> set[str]:
    if page not in cache:
        cache[page] = set(re.findall(r'\bid="([^"]+)"', page.read_text(encoding="utf-8")))
    return cache[page]


def check_links(path: Path) -> int:
    """Every hyperlink of the workbook at ``path`` lands on an anchor of a built page (or on a sheet); how many."""
    book = openpyxl.load_workbook(path)
    cache: dict[Path, set[str]] = {}
    count = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.hyperlink is None:
                    continue
                count += 1
                target, location = cell.hyperlink.target, cell.hyperlink.location
                if not target:
                    assert location.split("!")[0].strip("'") in book.sheetnames
                    continue
                page = path.parent / target
                assert page.is_file(), (sheet.title, cell.coordinate, target)
                if location:
                    assert location in html_ids(page, cache), (sheet.title, cell.coordinate, target, location)
    return count


@pytest.fixture
def site(mini: Mini) -> Mini:
    """The mini project with every view on one page that is also the rule catalogue, one accepted gap and a skipped result."""
    add_sphinx_files(mini.root)
    (mini.root / "pyproject.toml").write_text(pyproject('catalogue_doc = "docs/gaps"\n'))
    (mini.root / "docs" / "index.md").write_text((mini.root / "docs" / "index.md").read_text() + "\n```{toctree}\n:glob:\n\n../needs/*\ngaps\n```\n")
    views = ["coverage", "gaps", "trace-matrix", "risk-matrix", "risk-register", "verification", "safety-classes", "rules"]
    (mini.root / "docs" / "gaps.md").write_text("# Gaps\n\n" + "".join(f"```{{techfile-{view}}}\n```\n\n" for view in views))
    mini.replace("risk.md", ":new_hazards: None.\n", "")
    mini.append("release.md", waiver("R14", "RC_001"))
    mini.results.append(result("RES_TWO", "skipped"))
    mini.write_evidence()
    return mini



@pytest.mark.slow
def test_html_build_writes_the_workbook_with_working_links(site: Mini) -> None:
    build = sphinx_build(site.root, env={"SOURCE_DATE_EPOCH": "1767225600"})
    assert build.status == 0, build.output
    path = build.outdir / "Mini-technical-file.xlsx"
    assert path.is_file()
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:2] == ["About", "Gaps"] and len(book.sheetnames) > 8
    listed = [row[0] for row in rows(book["About"])[rows(book["About"]).index(["Sheet", "Contents"]) + 1 :]]
    assert listed == book.sheetnames[1:]
    assert check_links(path) > 10
    summary = json.loads((build.outdir / "techfile-findings.json").read_text())["summary"]
    values = {row[0]: row[1] for row in rows(book["About"]) if row[0]}
    assert (values["Needs"], values["Open gaps"], values["Accepted gaps"], values["Rules evaluated"]) == (summary["needs"], summary["open"], summary["accepted"], summary["rules"])
    assert values["Accepted gaps"] == 1 and values["Build date"] == "2026-01-01" and values["Project"] == "Mini"
    gaps = book["Gaps"]
    assert [cell.value for cell in column(gaps, "Accepted by")] == ["WAIVER_001"]
    assert link(column(gaps, "Rule")[0]) == "docs/gaps.html#rule-r14"
    # the same input again: the same bytes
    first = path.read_bytes()
    assert sphinx_build(site.root, env={"SOURCE_DATE_EPOCH": "1767225600"}).status == 0
    assert path.read_bytes() == first


@pytest.mark.slow
def test_workbook_place_is_configurable_and_links_follow(site: Mini) -> None:
    conf = site.root / "conf.py"
    conf.write_text(conf.read_text() + 'techfile_workbook = "../reports/review.xlsx"\n')
    build = sphinx_build(site.root)
    assert build.status == 0, build.output
    path = build.outdir.parent / "reports" / "review.xlsx"
    assert path.is_file() and not list(build.outdir.glob("*.xlsx"))
    assert check_links(path) > 10
    conf.write_text(conf.read_text() + 'techfile_workbook = ""\n')
    path.unlink()
    build = sphinx_build(site.root, "dirhtml")
    assert build.status == 0, build.output
    assert not path.exists() and not list(build.outdir.glob("*.xlsx"))


@pytest.mark.slow
@pytest.mark.parametrize(("builder", "page"), [("dirhtml", "needs/requirements/index.html"), ("singlehtml", "docs/index.html")])
def test_other_html_builders_link_the_page_file(site: Mini, builder: str, page: str) -> None:
    build = sphinx_build(site.root, builder)
    assert build.status == 0, build.output
    path = build.outdir / "Mini-technical-file.xlsx"
    assert check_links(path) > 10
    assert link(find(sheet_with(openpyxl.load_workbook(path), "User need", "Software requirement"), "SWR_001")) == f"{page}#SWR_001"


@pytest.mark.slow
def test_no_workbook_from_other_builders(site: Mini) -> None:
    build = sphinx_build(site.root, "text")
    assert build.status == 0, build.output
    assert not list(build.outdir.rglob("*.xlsx"))
