"""Computed views as data: blocks of text and tables with typed cells.

A view (the gaps page, a traceability matrix, the risk matrix, ...) returns
these blocks and knows nothing of Sphinx or docutils; a renderer turns them
into a builder's output: docutils nodes for HTML and LaTeX today
(:mod:`techfile.sphinxext.render`), an Excel sheet next. A reference to a
need or to a rule is a typed cell part, so each renderer decides what a link
is where it renders (a hyperlink in HTML, plain text where the builder has
no URIs).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Strong:
    text: str


@dataclass(frozen=True)
class Emphasis:
    text: str


@dataclass(frozen=True)
class Code:
    """Literal text: an ID, a file:line, a field name."""

    text: str


@dataclass(frozen=True)
class NeedRef:
    """A need, linked where it is rendered if the build has it."""

    need_id: str
    label: str | None = None


@dataclass(frozen=True)
class RuleRef:
    """A rule's entry on the rule catalogue page."""

    rule_id: str
    anchor: str


@dataclass(frozen=True)
class ViewRef:
    """A place in a computed view (a verdict row, a group of results), wherever the build shows that view.

    ``view`` is the view's name (``test-verdicts``), ``anchor`` the place in
    it (:mod:`~techfile.sphinxext.views.anchors`); a build without that view
    links ``need_id`` instead, if given, else shows ``text`` unlinked.
    """

    view: str
    anchor: str
    text: str
    need_id: str | None = None


Inline = Text | Strong | Emphasis | Code | NeedRef | RuleRef | ViewRef


@dataclass(frozen=True)
class Cell:
    """One table cell: inline parts, CSS classes, and a typed value for spreadsheets."""

    parts: tuple[Inline, ...] = ()
    classes: tuple[str, ...] = ()
    value: int | float | None = None
    """The cell's number, where it is one (a count, a percentage as a fraction)."""
    color: str | None = None
    """Background colour (``#RRGGBB``), e.g. of a risk class."""
    anchors: tuple[str, ...] = ()
    """Anchors of the cell's row (a verdict row's ``verdict-TEST_001``), so links can land on it."""
    need_home: str | None = None
    """The need this row stands for where sphinx-needs shows no card of it (a hidden
    test result): the row gets the need's ID as anchor, so links to the need land on it."""

    @property
    def plain(self) -> str:
        """The cell as plain text (for spreadsheets and tests)."""
        return plain(self.parts)


def plain(parts: Iterable[Inline]) -> str:
    """Inline parts as plain text."""
    return "".join(part.label or part.need_id if isinstance(part, NeedRef) else part.rule_id if isinstance(part, RuleRef) else part.text for part in parts)


@dataclass(frozen=True)
class Paragraph:
    parts: tuple[Inline, ...]


@dataclass(frozen=True)
class Rubric:
    text: str


@dataclass(frozen=True)
class BulletList:
    items: tuple[Paragraph, ...]


@dataclass(frozen=True)
class FieldList:
    fields: tuple[tuple[str, tuple[Inline, ...]], ...]


@dataclass(frozen=True)
class CodeBlock:
    text: str
    language: str = "text"


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    classes: tuple[str, ...] = ()
    title: str | None = None
    """What the table is, for a sheet name or a caption."""
    widths: tuple[int, ...] = ()
    """Relative column widths, one per header (none: the columns share the width as their text needs)."""


@dataclass(frozen=True)
class Container:
    """A group of blocks with an anchor (``ids``) and CSS classes.

    With a ``summary`` the group folds: HTML shows the summary and opens the
    blocks on a click (``open``: unfolded at first); print builders show the
    summary as a heading, then the blocks, unless ``screen_only``.
    """

    blocks: tuple[Block, ...]
    ids: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    summary: tuple[Inline, ...] | None = None
    open: bool = False
    screen_only: bool = False
    """Left out where the output is printed (LaTeX): detail a screen reader unfolds on demand."""


@dataclass(frozen=True)
class Figure:
    """A chart as SVG (drawn by the view, deterministic text), with a caption; builders that cannot show SVG show the caption and ``alt``."""

    svg: str
    caption: str
    alt: str


Block = Paragraph | Rubric | BulletList | FieldList | CodeBlock | Table | Container | Figure


# ------------------------------------------------------------- builders


def inline(*parts: Inline | str) -> tuple[Inline, ...]:
    """Inline parts, plain strings as :class:`Text`."""
    return tuple(Text(part) if isinstance(part, str) else part for part in parts)


def cell(
    *parts: Inline | str,
    classes: Iterable[str] = (),
    value: float | None = None,
    color: str | None = None,
    anchors: Iterable[str] = (),
    need_home: str | None = None,
) -> Cell:
    return Cell(inline(*parts), tuple(classes), value, color, tuple(anchors), need_home)


def needs(need_ids: Iterable[str], suffix: dict[str, str] | None = None) -> tuple[Inline, ...]:
    """``A, B (x), C``: need references separated by commas, with optional suffixes."""
    out: list[Inline] = []
    for index, need_id in enumerate(need_ids):
        if index:
            out.append(Text(", "))
        out.append(NeedRef(need_id))
        if suffix and need_id in suffix:
            out.append(Text(f" {suffix[need_id]}"))
    return tuple(out)


def paragraph(*parts: Inline | str) -> Paragraph:
    return Paragraph(inline(*parts))


@dataclass(frozen=True)
class TableBuilder:
    """Collects rows, then :meth:`table`."""

    headers: tuple[str, ...]
    classes: tuple[str, ...] = ()
    title: str | None = None
    rows: list[tuple[Cell, ...]] = field(default_factory=list)
    widths: tuple[int, ...] = ()

    def add(self, *cells: Cell | str | Inline | tuple[Inline, ...]) -> None:
        self.rows.append(tuple(_as_cell(c) for c in cells))

    def table(self) -> Table:
        return Table(self.headers, tuple(self.rows), self.classes, self.title, self.widths)


def _as_cell(value: Cell | str | Inline | tuple[Inline, ...]) -> Cell:
    if isinstance(value, Cell):
        return value
    if isinstance(value, tuple):
        return Cell(value)
    return cell(value)
