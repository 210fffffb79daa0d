"""Small docutils builders the techfile pages share: tables and references
to needs and to rule catalogue entries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from docutils import nodes
from sphinx.application import Sphinx
from sphinx_needs.api import get_needs_view

Content = str | nodes.Node | Sequence[nodes.Node | str]


@dataclass(frozen=True)
class Styled:
    """A table cell with CSS classes (e.g. the colour of a risk class)."""

    content: Content
    classes: tuple[str, ...]


Cell = Content | Styled


class Render:
    """Node factory for one page (``docname``) of one build."""

    def __init__(self, app: Sphinx, docname: str, catalogue_doc: str) -> None:
        self.app = app
        self.docname = docname
        self.catalogue_doc = catalogue_doc
        self.needs = get_needs_view(app)

    def _uri(self, target_doc: str, anchor: str) -> str:
        return self.app.builder.get_relative_uri(self.docname, target_doc) + "#" + anchor

    def need(self, need_id: str, text: str | None = None) -> nodes.Node:
        """A link to a need, or its ID in plain text if it is not in the build."""
        item = self.needs.get(need_id)
        label = nodes.literal(text=text or need_id)
        if item is None or not item.get("docname"):
            return label
        reference = nodes.reference("", "", internal=True, refuri=self._uri(item["docname"], need_id))
        reference += label
        return reference

    def needs_list(self, need_ids: Iterable[str], suffix: dict[str, str] | None = None) -> list[nodes.Node]:
        out: list[nodes.Node] = []
        for index, need_id in enumerate(need_ids):
            if index:
                out.append(nodes.Text(", "))
            out.append(self.need(need_id))
            if suffix and need_id in suffix:
                out.append(nodes.Text(f" {suffix[need_id]}"))
        return out

    def rule(self, rule_id: str, anchor: str) -> nodes.Node:
        reference = nodes.reference("", "", internal=True, refuri=self._uri(self.catalogue_doc, anchor))
        reference += nodes.strong(text=rule_id)
        return reference


def paragraph(*parts: nodes.Node | str) -> nodes.paragraph:
    para = nodes.paragraph()
    for part in parts:
        para += nodes.Text(part) if isinstance(part, str) else part
    return para


def table(headers: Sequence[str], rows: Iterable[Sequence[Cell]], classes: Sequence[str] = ()) -> nodes.table:
    """A docutils table; a cell is text, a node, or a list of nodes."""
    rows = list(rows)
    node = nodes.table(classes=["techfile-table", *classes])
    group = nodes.tgroup(cols=len(headers))
    node += group
    for _ in headers:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    head += _row(headers)
    body = nodes.tbody()
    group += body
    for row in rows:
        body += _row(row)
    if not rows:
        body += _row(["(none)"] + [""] * (len(headers) - 1))
    return node


def _row(cells: Sequence[Cell]) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        classes, cell = (list(cell.classes), cell.content) if isinstance(cell, Styled) else ([], cell)
        entry = nodes.entry(classes=classes)
        para = nodes.paragraph()
        if isinstance(cell, str):
            para += nodes.Text(cell)
        elif isinstance(cell, nodes.Node):
            para += cell
        else:
            for part in cell:
                para += nodes.Text(part) if isinstance(part, str) else part
        entry += para
        row += entry
    return row
