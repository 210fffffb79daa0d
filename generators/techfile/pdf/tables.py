"""How much paper a table needs, before WeasyPrint lays it out.

A table whose columns cannot fit the text width runs off the page: CSS
never shrinks a word below its own width, so a matrix of long IDs is as
wide as its IDs. Each table is measured here from its text, with the
widths of DejaVu Sans (the PDF's font), and placed on one of four
*fits*, from the cheapest to the last resort:

``portrait``
    fits the portrait text width, every column wide enough for its
    longest word and for a readable line of prose;
``wide``
    needs the landscape page (``page: wide`` in the print stylesheet);
``small``
    landscape, and a smaller font as well;
``squeeze``
    not even that: a fixed layout on the landscape page whose words may
    break anywhere, so that nothing leaves the page.

The estimate errs on the wide side (no condensed face, no kerning), so a
table it keeps on the portrait page fits there. The measurements in
millimetres match the page of ``techfile-print.css``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Fit = Literal["portrait", "wide", "small", "squeeze"]

PORTRAIT_TEXT_MM = 210 - 2 * 16
"""Text width of the A4 portrait page: 210 mm less two 16 mm margins."""
LANDSCAPE_TEXT_MM = 297 - 2 * 16
"""Text width of the A4 landscape page."""
TABLE_PT = 8.5
"""Font size of table text (``table`` in the print stylesheet)."""
SMALL_PT = 6.8
"""Font size of the ``small`` tables."""
CELL_PADDING_MM = 2 * 1.2 + 0.3
"""Left and right padding of a cell, and its border."""
COMFORT_EM = 12.0
"""Width a column of prose should get at least, so that it does not read one word a line."""
_MM_PER_PT = 25.4 / 72

# Advance widths of DejaVu Sans in em, by kind of character (upper case and
# digits are wide, lower case narrower, punctuation narrow); rounded up.
_WIDE = 0.70
_NARROW = 0.58
_PUNCTUATION = 0.45
_BREAK_AFTER = re.compile(r"(?<=[-/])")
"""Where a line may break inside a word: after a hyphen or a slash (as browsers do)."""


def em_width(text: str) -> float:
    """The width of ``text`` in em of DejaVu Sans (an upper bound)."""
    width = 0.0
    for char in text:
        if char.isupper() or char.isdigit() or char in "@%&#mwMW":
            width += _WIDE
        elif char.isalpha():
            width += _NARROW
        else:
            width += _PUNCTUATION
    return width


def longest_word(text: str) -> float:
    """Width in em of the widest piece of ``text`` that no line break may split."""
    pieces = (piece for word in text.split() for piece in _BREAK_AFTER.split(word))
    return max((em_width(piece) for piece in pieces), default=0.0)


@dataclass(frozen=True)
class Column:
    """What one column of a table holds: its widest word and its longest cell, in em."""

    word: float
    cell: float

    def needs(self) -> float:
        """The width in em this column wants: its widest word, and room for a line of prose."""
        return max(self.word, min(self.cell, COMFORT_EM))


def columns(rows: Iterable[Sequence[str | None]]) -> list[Column]:
    """Columns of a table from its rows of cell texts (None: a cell covered by a span)."""
    words: list[float] = []
    cells: list[float] = []
    for row in rows:
        for index, text in enumerate(row):
            while len(words) <= index:
                words.append(0.0)
                cells.append(0.0)
            if text is None:
                continue
            words[index] = max(words[index], longest_word(text))
            cells[index] = max(cells[index], em_width(" ".join(text.split())))
    return [Column(word, cell) for word, cell in zip(words, cells, strict=True)]


def width_mm(table: Sequence[Column], points: float, *, comfortable: bool) -> float:
    """Width of the table in mm at font size ``points``: the least it can have, or the comfortable one."""
    em_mm = points * _MM_PER_PT
    return sum((column.needs() if comfortable else column.word) * em_mm + CELL_PADDING_MM for column in table)


def fit(table: Sequence[Column]) -> Fit:
    """The cheapest way the table fits the page (module docstring)."""
    if width_mm(table, TABLE_PT, comfortable=True) <= PORTRAIT_TEXT_MM:
        return "portrait"
    if width_mm(table, TABLE_PT, comfortable=False) <= LANDSCAPE_TEXT_MM:
        return "wide"
    if width_mm(table, SMALL_PT, comfortable=False) <= LANDSCAPE_TEXT_MM:
        return "small"
    return "squeeze"
