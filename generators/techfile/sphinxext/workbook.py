"""The Excel workbook of the technical file, written next to the HTML.

At ``build-finished`` of an HTML build (``html``, ``dirhtml``,
``singlehtml``) the extension writes one ``.xlsx`` file for reviewers who
filter and sort in a spreadsheet: an "About" sheet (project, release,
commit, build date, the gap counts, the list of sheets), the gap list (one
row per finding), and one sheet per table of the computed views it shows
(the traceability matrices, the risk matrices and register, the
verification summary, the coverage figures and the gaps per rule). The
views are run through :data:`~techfile.sphinxext.views.VIEWS` with the
same evaluation the pages show, so a column or a view added there comes
along; every view whose name says "matrix" gets a sheet even if this module
does not know it.

Each table sheet has a frozen header row, an autofilter over the table,
column widths fitted to the content (capped, the text wrapped), numbers as
numbers (:attr:`Cell.value`), the cell colours of the views
(:attr:`Cell.color`) and pass/fail colours, and hyperlinks: a cell that
names a need links to the need's anchor on its HTML page, a rule to its
entry on the rule catalogue, relative to the workbook, so the workbook and
the HTML can be moved together.

The config value ``techfile_workbook`` names the file, relative to the
output folder (``../PJI-Risk.xlsx`` puts it beside the output folder); empty
writes none. Its default is ``<project>-technical-file.xlsx``.

The file is the same bytes for the same input: the document properties
carry the build date (``SOURCE_DATE_EPOCH``, else the commit's date, else
today), and so do the zip entries; it is written atomically.
"""

from __future__ import annotations

import functools
import html
import os
import re
import subprocess
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import NoUri
from sphinx.util import logging

from techfile import __version__, provenance
from techfile.errors import TechfileError
from techfile.fileio import write_atomic
from techfile.sphinxext.views.data import (
    Block,
    Cell,
    Code,
    Container,
    Inline,
    NeedRef,
    Paragraph,
    RuleRef,
    Table,
    Text,
)

if TYPE_CHECKING:
    from techfile.sphinxext.state import Evaluated

logger = logging.getLogger(__name__)

CONFIG_VALUE = "techfile_workbook"
SHEET_NAME_LIMIT = 31
"""Excel refuses a longer sheet name."""
CELL_TEXT_LIMIT = 32767
"""Excel's limit on the characters of one cell."""
WIDTH_CAP = 60
WIDTH_MIN = 8


# ------------------------------------------------------------ what goes in


@dataclass(frozen=True)
class SheetSpec:
    """One computed view on the workbook: its sheets, one per table it returns."""

    view: str
    """The name in :data:`VIEWS` (the directive ``techfile-<view>``)."""
    options: tuple[tuple[str, str], ...] = ()
    names: tuple[str, ...] = ()
    """Sheet names for the view's tables in order; a table's own title wins where a tab holds it."""
    descriptions: tuple[str, ...] = ()
    """What each table shows, for the list of sheets (the last one for further tables)."""

    def description(self, index: int) -> str:
        return self.descriptions[min(index, len(self.descriptions) - 1)] if self.descriptions else f"The techfile-{self.view} view"


SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec("gaps", (), ("Gaps by rule",), ("Open and accepted gaps per applicable rule",)),
    SheetSpec("coverage", (), ("Coverage",), ("Coverage figures of the rules that declare one",)),
    SheetSpec("clause-coverage", (), ("Clause coverage",), ("Clause coverage of a claimed standard per scope", "Each clause of that standard with its status and evidence")),
    SheetSpec("trace-matrix", (("kind", "requirements"),), ("Requirements trace",), ("User need → system requirement → software requirement → test → result",)),
    SheetSpec("trace-matrix", (("kind", "risk"),), ("Risk trace",), ("Hazardous situation → risk control → software requirement → test → result",)),
    SheetSpec("risk-matrix", (("stage", "initial"),), ("Risk matrix (initial)",), ("Severity × probability before risk control, the hazards in each cell",)),
    SheetSpec("risk-matrix", (("stage", "residual"),), ("Risk matrix (residual)",), ("Severity × probability after risk control, the hazards in each cell",)),
    SheetSpec("risk-register", (), ("Risk register",), ("Every hazardous situation with its harm, its risk before and after control, and its controls",)),
    SheetSpec(
        "verification",
        (),
        ("Verification results", "Verification verdicts"),
        ("Test results per level and outcome", "The verification verdict of each software requirement, the open ones first"),
    ),
)
"""The views on the workbook, in sheet order (after "About" and "Gaps")."""

GAPS_SHEET = "Gaps"
NOT_AN_OUTCOME = "techfile-not-an-outcome"
"""A cell class: its words are not test outcomes, whatever they say (no pass/fail colour)."""
GAPS_HEADERS = ("Rule", "Title", "Clauses", "Severity", "Need", "Message", "Location", "Status", "Accepted by")


def choices(converter: Callable[[str], Any]) -> tuple[str, ...]:
    """The values an option converter made by :func:`~techfile.sphinxext.views.choice` accepts.

    Read from its ``choices`` attribute if it has one, else from the values
    its closure keeps; each is kept only if the converter accepts it as it
    is. Anything else (free text, a flag) has no choices.
    """
    listed = getattr(converter, "choices", None)
    candidates: list[object] = [listed] if listed is not None else []
    for closure_cell in getattr(converter, "__closure__", None) or ():
        try:
            candidates.append(closure_cell.cell_contents)
        except ValueError:  # a cell not filled yet
            continue
    for values in candidates:
        if isinstance(values, tuple | list) and values and all(isinstance(value, str) for value in values):
            accepted = []
            for value in values:
                try:
                    if converter(value) == value:
                        accepted.append(value)
                except ValueError:
                    continue
            return tuple(accepted)
    return ()


def sheet_specs(views: Mapping[str, Any]) -> list[SheetSpec]:
    """:data:`SHEETS` whose view exists, then every other matrix view: once per value of its
    first option with choices that :data:`SHEETS` does not show (``trace-matrix`` ``kind=reverse``), or once."""
    out = [spec for spec in SHEETS if spec.view in views]
    for name, view in views.items():
        if "matrix" not in name:
            continue
        label = name.replace("-", " ").capitalize()
        options: Mapping[str, Callable[[str], Any]] = getattr(view, "options", {}) or {}
        enumerated = next(((option, values) for option, converter in options.items() if (values := choices(converter))), None)
        shown = [spec for spec in SHEETS if spec.view == name]
        if enumerated is None:
            if not shown:
                out.append(SheetSpec(name, (), (label,), (f"The techfile-{name} view",)))
            continue
        option, values = enumerated
        covered = {value for spec in shown for key, value in spec.options if key == option}
        added = [
            SheetSpec(name, ((option, value),), (f"{label} ({value})",), (f"The techfile-{name} view with :{option}: {value}",))
            for value in values
            if value not in covered
        ]
        # next to the sheets of the same view
        at = max((index + 1 for index, spec in enumerate(out) if spec.view == name), default=len(out))
        out[at:at] = added
    return out


@dataclass(frozen=True)
class Sheet:
    name: str
    description: str
    table: Table


@dataclass(frozen=True)
class About:
    """What the "About" sheet says besides the counts."""

    project: str
    release: str
    """The documentation's release (Sphinx ``release``)."""
    version: str
    """Sphinx ``version``."""
    commit: str
    date: datetime
    """The build date (UTC, naive or aware)."""
    software_version: str = provenance.UNKNOWN
    """What :func:`techfile.provenance.software_version` says (``git describe``), as the document control blocks show it."""


@dataclass(frozen=True)
class Links:
    """Where cells link to, as URLs relative to the workbook."""

    needs: Mapping[str, str] = field(default_factory=dict)
    """Need ID -> ``page.html#ID``."""
    places: Mapping[str, str] = field(default_factory=dict)
    """Any other anchor (a rule's catalogue entry, a place in a view) -> ``page.html#anchor``."""
    home: str | None = None
    """The root document."""

    def of(self, cell: Cell) -> str | None:
        """The link of a cell: the one target its references have; None for none, or for several.

        A need links to its anchor, a rule to its catalogue entry; another
        reference with an ``anchor`` (a place in a view) to that place, else to
        its ``need_id``, as the pages link it. A cell can hold one hyperlink:
        one that names several needs (``UN_003, UN_004``) links to none rather
        than to the first alone (LibreOffice also shows a linked cell on one
        line, unwrapped).
        """
        targets = {target for part in cell.parts if (target := self.target(part)) is not None}
        return targets.pop() if len(targets) == 1 else None

    def target(self, part: Inline) -> str | None:
        if isinstance(part, NeedRef):
            return self.needs.get(part.need_id)
        if isinstance(part, RuleRef):
            return self.places.get(part.anchor)
        anchor = getattr(part, "anchor", None)
        if not isinstance(anchor, str):
            return None
        need_id = getattr(part, "need_id", None)
        return self.places.get(anchor) or (self.needs.get(need_id) if isinstance(need_id, str) else None)


# ------------------------------------------------------------ sheets from the views


def _options(spec: SheetSpec, accepted: Mapping[str, Any]) -> dict[str, Any] | None:
    """The spec's options as the directive would convert them; None when one is no longer accepted."""
    out: dict[str, Any] = {}
    for name, value in spec.options:
        if name not in accepted:
            continue  # the view dropped the option: its default is shown
        try:
            out[name] = accepted[name](value)
        except ValueError:
            return None
    return out


def _note(blocks: Sequence[Block]) -> Table:
    """A view that returned no table (a role the model does not map): its text, as a one-column table."""
    rows: list[tuple[Cell, ...]] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            rows.append((Cell(block.parts),))
        elif isinstance(block, Container):
            rows += _note(block.blocks).rows
    return Table(("Note",), tuple(rows))


def _tables(blocks: Sequence[Block]) -> list[Table]:
    found: list[Table] = []
    for block in blocks:
        if isinstance(block, Table):
            found.append(block)
        elif isinstance(block, Container):
            found += _tables(block.blocks)
    return found


def _table_sheet_name(spec: SheetSpec, index: int, table: Table) -> str:
    """The table's own title where a sheet tab holds it; else the name this module gives it; else the title shortened."""
    title = (table.title or "").strip()
    if title and len(title) <= SHEET_NAME_LIMIT:
        return title
    if index < len(spec.names):
        return spec.names[index]
    if title:
        return title[:SHEET_NAME_LIMIT].rsplit(" ", 1)[0]
    return f"{spec.names[0] if spec.names else spec.view} {index + 1}"


def _contents(spec: SheetSpec, index: int, table: Table) -> str:
    """The sheet's line in the list of sheets: the table's title, if any, and what it shows."""
    title = (table.title or "").strip()
    return f"{title}: {spec.description(index)}" if title else spec.description(index)


def view_sheets(state: Evaluated) -> list[Sheet]:
    from techfile.sphinxext.views import VIEWS

    sheets: list[Sheet] = []
    for spec in sheet_specs(VIEWS):
        view = VIEWS[spec.view]
        options = _options(spec, view.options)
        if options is None:
            continue
        blocks = view.build(state, options)
        tables = _tables(blocks) or [_note(blocks)]
        for index, table in enumerate(tables):
            sheets.append(Sheet(_table_sheet_name(spec, index, table), _contents(spec, index, table), table))
    return sheets


def gap_sheet(state: Evaluated) -> Sheet:
    """Every finding, open and accepted, in the findings report's order."""
    rows: list[tuple[Cell, ...]] = []
    for finding in state.findings:
        rule = finding.rule
        # coloured as outcomes are: open red, accepted amber
        status = Cell((Text("open" if finding.open else "accepted"),))
        accepted = Cell((NeedRef(finding.accepted_by),)) if finding.accepted_by else Cell()
        rows.append(
            (
                Cell((RuleRef(rule.id, rule.anchor),)),
                Cell((Text(rule.title),)),
                Cell((Text("; ".join(finding.clauses)),)),
                Cell((Text(rule.severity),), (NOT_AN_OUTCOME,)),  # "error" here is the rule's severity: the status says what it came to
                Cell((NeedRef(finding.need_id),)) if finding.need_id else Cell(),
                Cell((Text(finding.message),)),
                Cell((Code(f"{finding.path}:{finding.line}"),)),
                status,
                accepted,
            )
        )
    return Sheet(GAPS_SHEET, "Every finding of the traceability rules: rule, clauses, severity, need, message, file:line, open or accepted", Table(GAPS_HEADERS, tuple(rows)))


# ------------------------------------------------------------ colours

PASSED_FILL, FAILED_FILL, SKIPPED_FILL = "#C6EFCE", "#FFC7CE", "#FFEB9C"
"""Excel's own "good", "bad" and "neutral" fills."""
_FONTS = {PASSED_FILL: "006100", FAILED_FILL: "9C0006", SKIPPED_FILL: "9C5700"}
_OUTCOME_FILL = {"passed": PASSED_FILL, "failed": FAILED_FILL, "error": FAILED_FILL, "skipped": SKIPPED_FILL}
# an outcome word said of something: first in the cell, after a count ("3 failed"), after an ID ("RES_X failed"),
# after a colon ("TEST_001 (unit): passed"), "(all skipped)"; not any "error" of a sentence
_OUTCOME = re.compile(r"(?:^\s*|\d\s|\b[A-Z][A-Z0-9]*_[A-Za-z0-9_.-]*\s|:\s|\(all\s)(passed|failed|error|skipped)\b", re.IGNORECASE)
_FAILING_VERDICT = re.compile(r"^\s*(open\b|not verified\b)")
_ACCEPTED = re.compile(r"^\s*accepted\b")


def outcome_fill(cell: Cell, header: str) -> str | None:
    """The pass/fail colour of a cell: the worst outcome its text states, or its column's outcome for a count above 0.

    Red for failed and error, and for a verdict or gap that is open (or not verified); amber for skipped and
    accepted; green for passed.
    """
    if NOT_AN_OUTCOME in cell.classes:
        return None
    if cell.value is not None:
        column = header.strip().lower()
        return _OUTCOME_FILL.get(column) if column in _OUTCOME_FILL and cell.value > 0 else None
    text = cell.plain
    found = {match.group(1).lower() for match in _OUTCOME.finditer(text)}
    if found & {"failed", "error"} or _FAILING_VERDICT.match(text):
        return FAILED_FILL
    if "skipped" in found or _ACCEPTED.match(text):
        return SKIPPED_FILL
    if "passed" in found:
        return PASSED_FILL
    return None


def _hex(color: str) -> str | None:
    digits = color.strip().removeprefix("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return digits.upper() if re.fullmatch(r"[0-9A-Fa-f]{6}", digits) else None


def _pale(color: str) -> str | None:
    """A view's colour as the HTML shows it (at 1/3 opacity on white), so dark text stays readable."""
    digits = _hex(color)
    if digits is None:
        return None
    channels = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
    return "".join(f"{255 - (255 - c) * 0x55 // 255:02X}" for c in channels)


# ------------------------------------------------------------ writing


@functools.cache
def _openpyxl() -> Any:
    """What the writer uses of openpyxl (no type stubs), imported when a workbook is written, not with the extension."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
    from openpyxl.worksheet.hyperlink import Hyperlink  # type: ignore[import-untyped]
    from openpyxl.writer.excel import ExcelWriter  # type: ignore[import-untyped]

    return SimpleNamespace(
        Workbook=Workbook,
        ILLEGAL_CHARACTERS_RE=ILLEGAL_CHARACTERS_RE,
        Alignment=Alignment,
        Border=Border,
        Font=Font,
        PatternFill=PatternFill,
        Side=Side,
        get_column_letter=get_column_letter,
        Hyperlink=Hyperlink,
        ExcelWriter=ExcelWriter,
    )


def _text(value: str) -> str:
    text = str(_openpyxl().ILLEGAL_CHARACTERS_RE.sub("", value))
    return text if len(text) <= CELL_TEXT_LIMIT else text[: CELL_TEXT_LIMIT - 1] + "…"


def _sheet_name(wanted: str, taken: set[str]) -> str:
    """An Excel sheet name: no ``[]:*?/\\``, at most 31 characters, unique ignoring case."""
    base = re.sub(r"[\[\]:*?/\\]", "-", wanted).strip("' ") or "Sheet"
    base = base[:SHEET_NAME_LIMIT]
    name, number = base, 1
    while name.lower() in taken:
        number += 1
        suffix = f" ({number})"
        name = base[: SHEET_NAME_LIMIT - len(suffix)] + suffix
    taken.add(name.lower())
    return name


def _width(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


FONT = "Calibri"
"""openpyxl's default font, that of every cell without a style of its own."""
LINE_HEIGHT = 15.0
"""Points per line of the default font (Calibri 11), Excel's default row height."""


def _glyph(character: str) -> float:
    """A character's width in column-width units (the width of one "0"), roughly, for any proportional font."""
    if character.isupper() or character in "mwMW@%":
        return 1.15
    if character.isdigit():
        return 1.0
    if character in " .,:;'|!il()[]-/":
        return 0.5
    return 0.85


def wrapped_lines(text: str, width: float) -> int:
    """How many lines ``text`` takes wrapped at spaces in a column ``width`` wide, a word too long broken.

    Rather one line too many than one too few: a row too tall reads, a row too short hides text.
    """
    room = max(1.0, width - 1.5)
    lines = 0
    for paragraph in text.splitlines() or [""]:
        lines += 1
        used = 0.0
        for index, word in enumerate(paragraph.split(" ")):
            size = sum(_glyph(c) for c in word)
            space = _glyph(" ") if index and used else 0.0
            if used and used + space + size > room:
                lines += 1
                used = 0.0
                space = 0.0
            while size > room:  # a long ID: broken over lines
                lines += 1
                size -= room
            used += space + size
    return lines


def fit_rows(sheet: Any) -> None:
    """Row heights for the wrapped text: neither Excel nor LibreOffice fits a row written without one to its text on opening."""
    get_column_letter = _openpyxl().get_column_letter
    widths = {column: sheet.column_dimensions[get_column_letter(column)].width or WIDTH_MIN for column in range(1, sheet.max_column + 1)}
    for row in sheet.iter_rows():
        lines = max((wrapped_lines(cell.value, widths[cell.column]) for cell in row if isinstance(cell.value, str)), default=1)
        if lines > 1:
            sheet.row_dimensions[row[0].row].height = LINE_HEIGHT * lines


class _Writer:
    def __init__(self, links: Links) -> None:
        xl = _openpyxl()
        Alignment, Border, Font, PatternFill, Side = xl.Alignment, xl.Border, xl.Font, xl.PatternFill, xl.Side
        Hyperlink = xl.Hyperlink

        self.links = links
        self.book = xl.Workbook()
        self.book.remove(self.book.active)
        self._fill = PatternFill
        self._hyperlink = Hyperlink
        self._font = Font
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.left = Alignment(horizontal="left", vertical="top", wrap_text=True)
        self.header_font = self.font(bold=True)
        self.header_fill = PatternFill("solid", fgColor="D9E1F2")
        self.header_border = Border(bottom=Side(style="thin", color="8EA9DB"))
        self.link_font = self.font(color="0563C1", underline="single")

    def link(self, target: Any, url: str) -> None:
        """A hyperlink to ``page#anchor``: the page as the target, the anchor as its location, as Excel writes one."""
        page, _, anchor = url.partition("#")
        target.hyperlink = self._hyperlink(ref=target.coordinate, target=page or None, location=anchor or None)
        target.font = self.link_font

    def font(self, **style: Any) -> Any:
        """The workbook's font (a font without a name is a serif one in LibreOffice), with ``style``."""
        return self._font(name=FONT, size=11, **style)

    def fill(self, color: str) -> Any:
        return self._fill("solid", fgColor=color)

    def table(self, name: str, table: Table) -> Any:
        get_column_letter = _openpyxl().get_column_letter
        sheet = self.book.create_sheet(name)
        headers = table.headers or ("",)
        widths = [max(WIDTH_MIN, _width(header) + 2) for header in headers]
        for column, header in enumerate(headers, 1):
            target = sheet.cell(row=1, column=column, value=_text(header))
            target.font, target.fill, target.border, target.alignment = self.header_font, self.header_fill, self.header_border, self.wrap
        rows = table.rows or ((Cell((Text("(none)"),)),),)
        for row_number, row in enumerate(rows, 2):
            for column, cell in enumerate(row[: len(headers)], 1):
                shown = self.cell(sheet, row_number, column, cell, headers[column - 1])
                widths[column - 1] = max(widths[column - 1], shown + 2)
        for column, width in enumerate(widths, 1):
            sheet.column_dimensions[get_column_letter(column)].width = min(width, WIDTH_CAP)
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"
        self.printed(sheet)
        sheet.print_title_rows = "1:1"  # the header on every printed page
        fit_rows(sheet)
        return sheet

    def printed(self, sheet: Any) -> None:
        """Printed landscape, as wide as one page, as long as it takes."""
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0

    def cell(self, sheet: Any, row: int, column: int, cell: Cell, header: str) -> int:
        """Write one cell; the width its content takes."""
        target = sheet.cell(row=row, column=column)
        text = cell.plain
        if cell.value is not None:
            target.value = cell.value
            if isinstance(cell.value, float) and "%" in text:
                target.number_format = "0%"
                shown = 5
            else:
                shown = len(f"{cell.value:g}" if isinstance(cell.value, float) else str(cell.value))
        else:
            target.value = _text(text)
            if text.startswith("="):
                target.data_type = "s"  # text, not a formula
            shown = _width(text)
        target.alignment = self.wrap
        color = _pale(cell.color) if cell.color else None
        status = outcome_fill(cell, header) if color is None else None
        if color is not None:
            target.fill = self.fill(color)
        elif status is not None:
            target.fill = self.fill(status.removeprefix("#"))
        link = self.links.of(cell)
        if link:
            self.link(target, link)
        elif status is not None:
            target.font = self.font(color=_FONTS[status])
        return shown

    def about(self, about: About, state: Evaluated, sheets: Sequence[Sheet]) -> None:
        from techfile.checks.report import summary

        sheet = self.book.create_sheet("About", 0)
        counts = summary(state.evaluation)
        release = state.release
        date = about.date.astimezone(UTC) if about.date.tzinfo else about.date
        rows: list[tuple[str, str | int, str | None]] = [
            ("Project", about.project, self.links.home),
            ("Documentation release", about.release or "(not set)", None),
            ("Documentation version", about.version or "(not set)", None),
            ("Release under evaluation", release.id if release else "none", self.links.needs.get(release.id) if release else None),
            ("Release version", state.evaluation.release_version or "(not stated)", None),
            ("Software version", about.software_version, None),
            ("Commit", about.commit, None),
            ("Build date", date.strftime("%Y-%m-%d"), None),
            ("Needs", counts["needs"], None),
            ("Rules evaluated", counts["rules"], None),
            ("Open gaps", counts["open"], None),
            ("Open gaps failing CI", counts["failing"], None),
            ("Open errors", counts["errors"], None),
            ("Open warnings", counts["warnings"], None),
            ("Accepted gaps", counts["accepted"], None),
            ("Generated by", f"techfile {__version__}", None),
        ]
        for header_column, header in enumerate(("Item", "Value"), 1):
            target = sheet.cell(row=1, column=header_column, value=header)
            target.font, target.fill, target.border = self.header_font, self.header_fill, self.header_border
        for number, (label, value, link) in enumerate(rows, 2):
            label_cell = sheet.cell(row=number, column=1, value=label)
            label_cell.font, label_cell.alignment = self.header_font, self.left
            target = sheet.cell(row=number, column=2, value=_text(value) if isinstance(value, str) else value)
            target.alignment = self.left
            if link:
                self.link(target, link)
            if label == "Open gaps failing CI" and isinstance(value, int):
                status = FAILED_FILL if value else PASSED_FILL
                target.fill = self.fill(status.removeprefix("#"))
        start = len(rows) + 3
        for header_column, header in enumerate(("Sheet", "Contents"), 1):
            target = sheet.cell(row=start, column=header_column, value=header)
            target.font, target.fill, target.border = self.header_font, self.header_fill, self.header_border
        for number, listed in enumerate(sheets, start + 1):
            target = sheet.cell(row=number, column=1, value=listed.name)
            target.alignment = self.left
            target.hyperlink = self._hyperlink(ref=target.coordinate, location=f"'{listed.name.replace(chr(39), chr(39) * 2)}'!A1", display=listed.name)
            target.font = self.link_font
            sheet.cell(row=number, column=2, value=_text(listed.description)).alignment = self.wrap
        sheet.column_dimensions["A"].width = max(WIDTH_MIN, *(len(label) + 2 for label, _, _ in rows), *(len(s.name) + 2 for s in sheets))
        sheet.column_dimensions["B"].width = min(WIDTH_CAP + 20, max(WIDTH_MIN, *(len(str(value)) + 2 for _, value, _ in rows), *(_width(s.description) + 2 for s in sheets)))
        sheet.freeze_panes = "A2"
        self.printed(sheet)
        fit_rows(sheet)


def _zip_time(date: datetime) -> tuple[int, int, int, int, int, int]:
    """The zip entries' time: the build date, not the clock (zip times start in 1980)."""
    naive = date.astimezone(UTC).replace(tzinfo=None) if date.tzinfo else date
    naive = max(naive, datetime(1980, 1, 1))
    return (naive.year, naive.month, naive.day, naive.hour, naive.minute, naive.second - naive.second % 2)


def _save(book: Any, date: datetime) -> bytes:
    """The workbook's bytes: no clock time in its properties nor in its zip entries."""
    ExcelWriter = _openpyxl().ExcelWriter
    naive = date.astimezone(UTC).replace(tzinfo=None) if date.tzinfo else date
    book.properties.created = naive
    book.properties.modified = naive
    raw = BytesIO()
    # ExcelWriter, not Workbook.save: save_workbook sets "modified" to the clock
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(book, archive).save()
    # openpyxl stamps each zip entry with the clock (a worksheet with its temporary file's time): restamp them
    fixed = BytesIO()
    when = _zip_time(date)
    with zipfile.ZipFile(BytesIO(raw.getvalue())) as source, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 0
            target.writestr(info, source.read(entry.filename))
    return fixed.getvalue()


def workbook_bytes(state: Evaluated, about: About, links: Links) -> bytes:
    """The whole workbook, as bytes: the same for the same input."""
    writer = _Writer(links)
    sheets: list[Sheet] = []
    taken = {"about"}
    for sheet in [gap_sheet(state), *view_sheets(state)]:
        sheets.append(Sheet(_sheet_name(sheet.name, taken), sheet.description, sheet.table))
    for sheet in sheets:
        writer.table(sheet.name, sheet.table)
    writer.about(about, state, sheets)
    writer.book.active = 0
    writer.book.properties.creator = f"techfile {__version__}"
    writer.book.properties.title = about.project
    return _save(writer.book, about.date)


# ------------------------------------------------------------ the build


def _from_epoch(text: str) -> datetime | None:
    if not text.isdigit():
        return None
    try:
        return datetime.fromtimestamp(int(text), UTC)
    except (OverflowError, OSError, ValueError):
        return None  # beyond the dates a datetime holds


def build_date(root: Path) -> datetime:
    """The build date (UTC): ``SOURCE_DATE_EPOCH``, else the commit's date, else today at midnight.

    Never the clock's time of day, so two builds of one input on one day agree.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if (date := _from_epoch(epoch)) is not None:
        return date
    commit = provenance.commit(root)
    if commit != provenance.UNKNOWN:
        try:
            done = subprocess.run(["git", "show", "-s", "--format=%ct", commit], cwd=root, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            done = None
        if done is not None and done.returncode == 0 and (date := _from_epoch(done.stdout.strip())) is not None:
            return date
    today = datetime.now(UTC)
    return datetime(today.year, today.month, today.day, tzinfo=UTC)


def default_name(config: Config) -> str:
    """``<project>-technical-file.xlsx``, the project's name made a file name (without a repeated "technical file")."""
    project = re.sub(r"[\s_-]*technical[\s_-]*file\s*$", "", str(config.project or ""), flags=re.IGNORECASE)
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", project).strip("-.") or "project"
    return f"{slug}-technical-file.xlsx"


def relative_url(uri: str, outdir: Path, folder: Path) -> str:
    """``uri``, relative to the output folder ``outdir``, as seen from ``folder`` (the workbook's)."""
    page, _, fragment = uri.partition("#")
    if not page or page.endswith("/"):
        page += "index.html"  # dirhtml: a folder's page; a spreadsheet opens files, not folders
    path = Path(os.path.relpath(Path(os.path.abspath(outdir), page), os.path.abspath(folder))).as_posix()
    return path + (f"#{fragment}" if fragment else "")


_ID = re.compile(r"""\bid=["']([^"']+)["']""")


def sphinx_links(app: Sphinx, state: Evaluated, workbook: Path) -> Links:
    """Every link target of the workbook, relative to its folder, where the written HTML has that anchor.

    A need links to its anchor on the page sphinx-needs puts it on, else on
    the first page (by document name) that has an element with its ID (a
    need shown as a row of a view); a need no page has an anchor for is not
    linked. Any other anchor links to the first page that has it, the rule
    catalogue first. So no link of the workbook points nowhere, whatever
    the pages choose to show.
    """
    from sphinx_needs.api import get_needs_view

    from techfile.sphinxext.configure import catalogue_docname

    outdir, folder = Path(app.outdir), workbook.parent
    suffix = str(getattr(app.builder, "out_suffix", ".html"))

    def page(docname: str) -> str | None:
        try:
            uri = app.builder.get_target_uri(docname).partition("#")[0]
        except NoUri:
            return None
        if not uri:
            return f"{app.config.root_doc}{suffix}"  # singlehtml: every document is a part of the one page
        return uri + "index.html" if uri.endswith("/") else uri  # dirhtml: a folder's page

    catalogue_doc = catalogue_docname(app, state.project)
    docnames = sorted(app.env.found_docs, key=lambda doc: (doc != catalogue_doc, doc))
    anchors: dict[str, list[str]] = {}
    page_of: dict[str, str] = {}
    read: set[str] = set()
    for docname in docnames:
        uri = page(docname)
        if uri is None:
            continue
        page_of[docname] = uri
        if uri in read:
            continue  # singlehtml: the one page, read once
        read.add(uri)
        try:
            text = Path(outdir, uri).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for anchor in dict.fromkeys(html.unescape(match) for match in _ID.findall(text)):
            anchors.setdefault(anchor, []).append(uri)

    needs: dict[str, str] = {}
    for need_id, item in get_needs_view(app).items():
        if item["is_external"]:
            continue
        found = anchors.get(need_id, [])
        preferred = page_of.get(item["docname"] or "")
        target = preferred if preferred in found else (found[0] if found else None)
        if target is not None:
            needs[need_id] = relative_url(f"{target}#{need_id}", outdir, folder)
    places = {anchor: relative_url(f"{found[0]}#{anchor}", outdir, folder) for anchor, found in anchors.items() if anchor not in needs}
    home = page_of.get(app.config.root_doc)
    return Links(needs, places, relative_url(home, outdir, folder) if home is not None else None)


def workbook_path(app: Sphinx) -> Path | None:
    """Where this build writes the workbook; None when it writes none."""
    name = str(getattr(app.config, CONFIG_VALUE) or "").strip()
    return Path(app.outdir, name) if name else None


def write_workbook(app: Sphinx, exception: Exception | None) -> None:
    from techfile.sphinxext.preview import draft_page
    from techfile.sphinxext.state import evaluated

    if exception is not None or app.builder.format != "html" or draft_page(app):
        return
    path = workbook_path(app)
    state = evaluated(app)
    if path is None or state is None:
        return
    about = About(
        project=str(app.config.project or ""),
        release=str(app.config.release or ""),
        version=str(app.config.version or ""),
        commit=provenance.commit(state.project.root),
        date=build_date(state.project.root),
        software_version=provenance.software_version(state.project.root),
    )
    from techfile.sphinxext.freshness import unchanged

    if unchanged(app, "workbook", about, str(path)) and path.is_file():
        logger.info(f"techfile: workbook unchanged at {path}")
        return
    try:
        write_atomic(path, workbook_bytes(state, about, sphinx_links(app, state, path)))
    except TechfileError as error:
        logger.warning(f"the workbook was not written: {error.render(state.project.root)}", type="techfile", subtype="workbook")
        return
    logger.info(f"techfile: workbook written to {path}")


def setup(app: Sphinx) -> None:
    """Connect this module's handlers (called from the extension's setup)."""
    app.add_config_value(CONFIG_VALUE, default_name, "", types=frozenset({str}), description="The Excel workbook, relative to the output folder; empty for none")
    app.connect("build-finished", write_workbook)
