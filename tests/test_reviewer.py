"""The example's technical file as a reviewer reads it, looked at for real.

The HTML in Debian's chromium at 1024 and 1400 px: no page scrolls
sideways, every document opens with its control block, the root document
with the status of the build, and a requirement reaches its verdict in one
click and its test results in one more. The screenshots are kept in
``_build/test-artefacts/screenshots``.

The PDF (``techfile pdf``, as ``make techfile`` writes it): a title page and
contents, page numbers, every need ID in its text (pypdf), no word outside
the page box (``pdftotext -bbox``), and nothing printed into the outer
margin of any page image (``pdftoppm``); the images are kept in
``_build/test-artefacts/pdf``.

The Excel workbook the HTML build writes: one sheet per view the reviewers
asked for, frozen, filtered, with links to the HTML anchors.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from browser import chromium, scrolls_sideways
from example_project import ARTEFACTS, techfile
from sphinxbuild import Build

pytestmark = pytest.mark.slow
WIDTHS = (1024, 1400)
# SWR_015 is the requirement the reviewers tried: verified by TEST_010, 11 results of the system test run.
REQUIREMENT, SPECIFICATION, RESULTS = "SWR_015", "TEST_010", 11


def pages(build: Build) -> list[Path]:
    return sorted(build.outdir.glob("docs/*.html")) + sorted(build.outdir.glob("needs/*.html"))


def needs(build: Build) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((build.outdir / "needs.json").read_text())["versions"][""]["needs"]
    return found


# ---------------------------------------------------------------- the HTML


def test_no_page_scrolls_sideways_and_every_document_has_its_control_block(example: tuple[Path, Build]) -> None:
    _, build = example
    shots = ARTEFACTS / "screenshots"
    shutil.rmtree(shots, ignore_errors=True)
    sideways: list[str] = []
    uncontrolled: list[str] = []
    with chromium() as browser:
        for width in WIDTHS:
            page = browser.new_page(viewport={"width": width, "height": 900})
            for path in pages(build):
                name = path.relative_to(build.outdir)
                page.goto(path.as_uri())
                if scrolls_sideways(page):
                    sideways.append(f"{name} at {width} px")
                block = page.locator("div.techfile-control").first
                if not (block.count() and block.is_visible() and "Document ID" in block.inner_text() and "Commit" in block.inner_text()):
                    uncontrolled.append(f"{name} at {width} px")
                target = shots / str(width) / f"{str(name).replace('/', '_').removesuffix('.html')}.png"
                target.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(target))
            page.close()
    assert len(pages(build)) > 20
    assert sideways == []
    # every document of the sources opens with its block; need record pages are documents too
    assert uncontrolled == []


def test_the_root_document_shows_the_status_of_the_build(example: tuple[Path, Build]) -> None:
    _, build = example
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1024, "height": 900})
        page.goto((build.outdir / "index.html").as_uri())  # the redirect a reviewer opens first
        page.wait_for_url(re.compile(r"docs/index\.html$"))
        status = page.locator("div.techfile-status").first
        text = status.inner_text()
        assert status.is_visible() and re.search(r"\d+ needs checked against \d+ rules; 0 open gap\(s\)", text), text
        assert "accepted gap" in text
        status.locator("a").first.click()
        page.wait_for_load_state()
        assert page.url.split("#")[0].endswith("docs/gaps.html")


@pytest.mark.parametrize("width", WIDTHS)
def test_one_click_from_a_requirement_to_its_verdict_one_more_to_its_results(example: tuple[Path, Build], width: int) -> None:
    from playwright.sync_api import expect

    _, build = example
    with chromium() as browser:
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto((build.outdir / "needs" / "software_requirements.html").as_uri() + f"#{REQUIREMENT}")
        summary = page.locator(f"xpath=//table[@id='{REQUIREMENT}']/following-sibling::div[contains(@class, 'techfile-card-summary')][1]")
        assert "Verified of REL_1_0_0 (1.0.0) by:" in summary.inner_text()
        verdict_link = summary.locator(f"a[href$='#verdict-{SPECIFICATION}']")
        assert verdict_link.inner_text() == "passed"

        verdict_link.click()  # click 1: the verdict of the specification for the release
        page.wait_for_url(re.compile(rf"verification\.html#verdict-{SPECIFICATION}$"))
        verdict = page.locator(f"#verdict-{SPECIFICATION}")
        expect(verdict).to_be_in_viewport()  # the browser landed on it, not at the top of the page
        assert verdict.is_visible() and verdict.inner_text().strip() == "passed"
        row = verdict.locator("xpath=..")
        assert re.search(r"\b1\.0\.0\b", row.inner_text())  # the version the verdict is for
        results_link = row.locator(f"a[href$='#results-{SPECIFICATION}']")
        assert results_link.inner_text() == f"{RESULTS} passed"
        page.screenshot(path=str(_artefact(f"two-clicks-{width}-1-verdict.png")))

        results_link.click()  # click 2: its results, grouped under the specification, opened
        page.wait_for_url(re.compile(rf"test_records\.html#results-{SPECIFICATION}$"))
        group = page.locator(f"#results-{SPECIFICATION}")
        records = group.locator("table.techfile-records tbody tr")
        records.first.wait_for(state="visible")  # the group opened on arrival
        expect(group).to_be_in_viewport()
        assert records.count() == RESULTS
        assert all("Passed" in records.nth(index).inner_text() for index in range(RESULTS))
        page.screenshot(path=str(_artefact(f"two-clicks-{width}-2-results.png")))


def _artefact(name: str) -> Path:
    path = ARTEFACTS / "screenshots" / "paths" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


# ---------------------------------------------------------------- the PDF


@pytest.fixture(scope="module")
def pdf(example: tuple[Path, Build]) -> Path:
    root, _ = example
    output = root / "_build" / "pdf" / "technical-file.pdf"
    done = techfile(root, "pdf", "-W", "--output", str(output))
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"techfile pdf: .*technical-file\.pdf \(\d+ pages; version ", done.stdout), done.stdout
    return output


def pdf_text(pdf: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(pdf).pages]


def test_pdf_opens_with_a_title_page_and_contents_and_numbers_its_pages(pdf: Path) -> None:
    text = pdf_text(pdf)
    title = text[0]
    for expected in ("PJI-Risk", "Technical file", "Version", "1.0.0", "Release", "REL_1_0_0", "Commit", "Date"):
        assert expected in title, title
    contents = "\n".join(text[1:4])
    assert "Contents" in contents and "Software Requirements Specification" in contents and "Risk Management File" in contents
    total = len(text)
    assert total > 30
    numbered = [n for n, page in enumerate(text[1:], 2) if f"Page {n} of {total}" in page]
    assert numbered == list(range(2, total + 1))


def test_every_need_id_is_in_the_pdf(example: tuple[Path, Build], pdf: Path) -> None:
    _, build = example
    # a long ID may wrap at any character in a narrow cell: compare without white space
    text = re.sub(r"\s+", "", "".join(pdf_text(pdf)))
    ids = sorted(needs(build))
    assert len(ids) > 250
    assert [need_id for need_id in ids if need_id not in text] == []


def test_every_document_and_diagram_is_in_the_pdf(example: tuple[Path, Build], pdf: Path) -> None:
    _, build = example
    text = "\n".join(pdf_text(pdf))
    titles = [html.unescape(re.sub(r"<[^>]+>", "", _h1(path))).strip() for path in sorted(build.outdir.glob("docs/*.html"))]
    assert len(titles) > 10 and all(titles)
    assert [title for title in titles if title not in text] == []
    from pypdf import PdfReader

    images = sum(len(page.images) for page in PdfReader(pdf).pages)
    svg_text = "ITEM_VALIDATION" in text and "ITEM_MODEL" in text  # PlantUML diagrams are SVG: their text is PDF text
    assert images > 0 or svg_text


def _h1(path: Path) -> str:
    found = re.search(r"<h1>(.*?)(<a class=\"headerlink\"|</h1>)", path.read_text(), re.S)
    assert found, path
    return found.group(1)


def test_no_word_lies_outside_the_page_box(pdf: Path, tmp_path: Path) -> None:
    bbox = tmp_path / "bbox.html"
    subprocess.run(["pdftotext", "-bbox", str(pdf), str(bbox)], check=True)
    outside: list[str] = []
    namespace = {"x": "http://www.w3.org/1999/xhtml"}
    tree = ElementTree.parse(bbox)
    for number, page in enumerate(tree.getroot().iterfind(".//x:page", namespace), 1):
        width, height = float(page.get("width", 0)), float(page.get("height", 0))
        for word in page.iterfind("x:word", namespace):
            x0, y0, x1, y1 = (float(word.get(k, 0)) for k in ("xMin", "yMin", "xMax", "yMax"))
            if x0 < 0 or y0 < 0 or x1 > width + 0.5 or y1 > height + 0.5:
                outside.append(f"page {number}: {word.text!r} at x {x0:.0f}-{x1:.0f} of {width:.0f}, y {y0:.0f}-{y1:.0f} of {height:.0f}")
    assert outside == []


def test_no_page_image_is_printed_into_its_outer_margin(pdf: Path) -> None:
    """The outer 4 mm of every page image are blank: a table that runs off the text block shows there first."""
    from PIL import Image

    folder = ARTEFACTS / "pdf"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(folder / "page")], check=True)
    images = sorted(folder.glob("page-*.png"))
    assert len(images) == len(pdf_text(pdf))
    inked: list[str] = []
    for path in images:
        with Image.open(path) as image:
            grey = image.convert("L")
            band = round(4 / 25.4 * 60)  # 4 mm at 60 dpi
            w, h = grey.size
            for name, box in (("left", (0, 0, band, h)), ("right", (w - band, 0, w, h)), ("top", (0, 0, w, band)), ("bottom", (0, h - band, w, h))):
                darkest = grey.crop(box).getextrema()[0]
                if darkest < 200:
                    inked.append(f"{path.name}: {name} margin")
    assert inked == []


# ---------------------------------------------------------------- the workbook


def test_the_html_build_writes_the_reviewers_workbook(example: tuple[Path, Build]) -> None:
    from openpyxl import load_workbook

    _, build = example
    books = sorted(build.outdir.glob("*.xlsx"))
    assert [book.name for book in books] == ["PJI-Risk-technical-file.xlsx"]
    book = load_workbook(books[0])
    names = " | ".join(book.sheetnames)
    for wanted in ("Gaps", "Verification verdicts", "Results by level", "Risk register", "Requirements trace", "Risk trace", "Reverse trace", "Coverage"):
        assert wanted.lower() in names.lower(), names
    for sheet in book.worksheets[1:]:
        assert sheet.freeze_panes and sheet.auto_filter.ref, sheet.title
    links = [f"{cell.hyperlink.target}#{cell.hyperlink.location}" for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.hyperlink]
    assert any(re.fullmatch(r"needs/software_requirements\.html#SWR_\d+", link) for link in links), links[:5]
    for link in links:  # every link lands on a page of the build, at an anchor it has
        page, _, anchor = link.partition("#")
        if page == "None":  # a link to a sheet of the workbook (the About sheet's list)
            assert anchor.split("!")[0].strip("'") in book.sheetnames, link
            continue
        assert (build.outdir / page).is_file(), link
        assert anchor == "None" or f'id="{anchor}"' in (build.outdir / page).read_text(), link
