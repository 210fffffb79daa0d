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


Inline = Text | Strong | Emphasis | Code | NeedRef | RuleRef


@dataclass(frozen=True)
class Cell:
    """One table cell: inline parts, CSS classes, and a typed value for spreadsheets."""

    parts: tuple[Inline, ...] = ()
    classes: tuple[str, ...] = ()
    value: int | float | None = None
    """The cell's number, where it is one (a count, a percentage as a fraction)."""
    color: str | None = None
    """Background colour (``#RRGGBB``), e.g. of a risk class."""

    @property
    def plain(self) -> str:
        """The cell as plain text (for spreadsheets and tests)."""
        return "".join(part.label or part.need_id if isinstance(part, NeedRef) else part.rule_id if isinstance(part, RuleRef) else part.text for part in self.parts)


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


@dataclass(frozen=True)
class Container:
    """A group of blocks with an anchor (``ids``) and CSS classes."""

    blocks: tuple[Block, ...]
    ids: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()


Block = Paragraph | Rubric | BulletList | FieldList | CodeBlock | Table | Container


# ------------------------------------------------------------- builders


def inline(*parts: Inline | str) -> tuple[Inline, ...]:
    """Inline parts, plain strings as :class:`Text`."""
    return tuple(Text(part) if isinstance(part, str) else part for part in parts)


def cell(*parts: Inline | str, classes: Iterable[str] = (), value: float | None = None, color: str | None = None) -> Cell:
    return Cell(inline(*parts), tuple(classes), value, color)


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

    def add(self, *cells: Cell | str | Inline | tuple[Inline, ...]) -> None:
        self.rows.append(tuple(_as_cell(c) for c in cells))

    def table(self) -> Table:
        return Table(self.headers, tuple(self.rows), self.classes, self.title)


def _as_cell(value: Cell | str | Inline | tuple[Inline, ...]) -> Cell:
    if isinstance(value, Cell):
        return value
    if isinstance(value, tuple):
        return Cell(value)
    return cell(value)
