"""Docutils nodes from the views' blocks, for every Sphinx builder.

A link goes through the builder's ``get_relative_uri``: HTML gets a
relative URL, LaTeX gets Sphinx's ``%docname#anchor`` form, which its
writer turns into ``\\hyperref[docname:anchor]`` inside the one PDF. A
builder that cannot address the target document raises
:class:`~sphinx.errors.NoUri` (LaTeX, for a document outside the PDF);
the label is then rendered without a link, as ``sphinx.ext.todo`` does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import NoUri
from sphinx_needs.api import get_needs_view

from techfile.sphinxext.views.data import (
    Block,
    BulletList,
    Cell,
    Code,
    CodeBlock,
    Container,
    Emphasis,
    FieldList,
    Inline,
    NeedRef,
    Paragraph,
    Rubric,
    RuleRef,
    Strong,
    Table,
    Text,
)

_HEX_COLOR = re.compile(r"#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})")


def color_class(color: str) -> str | None:
    """The CSS class of a cell background (``#F1948A`` -> ``techfile-color-f1948a``); None if not a hex colour."""
    match = _HEX_COLOR.fullmatch(color.strip())
    if match is None:
        return None
    digits = match.group(1).lower()
    return "techfile-color-" + ("".join(c * 2 for c in digits) if len(digits) == 3 else digits)


def color_css(class_name: str) -> str:
    # translucent, as the risk classes were styled before, so text stays readable on any colour
    return f"td.{class_name} {{ background: #{class_name.removeprefix('techfile-color-')}55; }}"


class Renderer:
    """Turns blocks into nodes for one document (``docname``) of one build."""

    def __init__(self, app: Sphinx, docname: str, catalogue_doc: str) -> None:
        self.app = app
        self.docname = docname
        self.catalogue_doc = catalogue_doc
        self.needs = get_needs_view(app)
        self.html = app.builder.format == "html"
        self._styled: set[str] = set()
        """Colour classes whose CSS this document already has (the style is written once per page)."""
        self._ids: set[str] = set()
        """Anchors given to captioned tables on this page, kept unique when a view appears twice."""

    # ------------------------------------------------------------ blocks

    def blocks(self, blocks: list[Block]) -> list[nodes.Node]:
        out = [self.block(block) for block in blocks]
        style = self._style(blocks)
        return [style, *out] if style is not None else out

    def block(self, block: Block) -> nodes.Node:
        if isinstance(block, Paragraph):
            return self.paragraph(block.parts)
        if isinstance(block, Rubric):
            return nodes.rubric(text=block.text)
        if isinstance(block, BulletList):
            items = nodes.bullet_list()
            for item in block.items:
                items += nodes.list_item("", self.paragraph(item.parts))
            return items
        if isinstance(block, FieldList):
            return self._fields(block)
        if isinstance(block, CodeBlock):
            return nodes.literal_block(block.text, block.text, language=block.language)
        if isinstance(block, Table):
            return self.table(block)
        return self._container(block)

    def _fields(self, block: FieldList) -> nodes.field_list:
        fields = nodes.field_list()
        for name, parts in block.fields:
            fields += nodes.field("", nodes.field_name(text=name), nodes.field_body("", self.paragraph(parts)))
        return fields

    def _container(self, block: Container) -> nodes.container:
        container = nodes.container(classes=list(block.classes))
        if self.html:
            container["ids"] = list(block.ids)
        elif block.ids:
            # the LaTeX writer labels no container; a target makes the anchor \label{doc:id}
            container += nodes.target("", "", ids=list(block.ids))
        for child in block.blocks:
            container += self.block(child)
        return container

    def table(self, block: Table) -> nodes.table:
        node = nodes.table(classes=["techfile-table", *block.classes])
        if block.title:
            # a captioned table is numbered and referenced by its ID: writers warn about one without
            node["ids"] = [self._new_id(f"techfile-table-{nodes.make_id(block.title)}")]
            node += nodes.title(text=block.title)
        group = nodes.tgroup(cols=len(block.headers))
        node += group
        for _ in block.headers:
            group += nodes.colspec(colwidth=1)
        head = nodes.thead()
        head += self._row([Cell((Text(header),)) for header in block.headers])
        group += head
        body = nodes.tbody()
        for row in block.rows:
            body += self._row(row)
        if not block.rows:
            body += self._row([Cell((Text("(none)"),)), *(Cell() for _ in block.headers[1:])])
        group += body
        return node

    def _new_id(self, base: str) -> str:
        candidate, number = base, 1
        while candidate in self._ids:
            number += 1
            candidate = f"{base}-{number}"
        self._ids.add(candidate)
        return candidate

    def _row(self, cells: Sequence[Cell]) -> nodes.row:
        row = nodes.row()
        for cell in cells:
            classes = list(cell.classes)
            if cell.color and self.html and (name := color_class(cell.color)):
                classes.append(name)
            row += nodes.entry("", self.paragraph(cell.parts), classes=classes)
        return row

    def _style(self, blocks: list[Block]) -> nodes.raw | None:
        """The CSS of the cell colours not yet styled on this page; HTML only (LaTeX shows no colour)."""
        if not self.html:
            return None
        names = sorted({name for cell in _cells(blocks) if cell.color and (name := color_class(cell.color))} - self._styled)
        if not names:
            return None
        self._styled |= set(names)
        css = " ".join(color_css(name) for name in names)
        return nodes.raw("", f"<style>{css}</style>", format="html")

    # ------------------------------------------------------------ inline

    def paragraph(self, parts: Sequence[Inline]) -> nodes.paragraph:
        para = nodes.paragraph()
        for part in parts:
            para += self.inline(part)
        return para

    def inline(self, part: Inline) -> nodes.Node:
        if isinstance(part, Text):
            return nodes.Text(part.text)
        if isinstance(part, Strong):
            return nodes.strong(text=part.text)
        if isinstance(part, Emphasis):
            return nodes.emphasis(text=part.text)
        if isinstance(part, Code):
            return nodes.literal(text=part.text)
        if isinstance(part, NeedRef):
            return self.need(part)
        return self.rule(part)

    def need(self, ref: NeedRef) -> nodes.Node:
        """A link to the need's anchor (its ID) on its page; its ID as plain text if the build has no page for it."""
        label = nodes.literal(text=ref.label or ref.need_id)
        item = self.needs.get(ref.need_id)
        if item is None or item["is_external"] or not item["docname"]:
            return label
        return self._link(item["docname"], ref.need_id, label)

    def rule(self, ref: RuleRef) -> nodes.Node:
        label = nodes.strong(text=ref.rule_id)
        if self.catalogue_doc not in self.app.env.all_docs:
            return label  # a project without a catalogue page: nothing to link to
        return self._link(self.catalogue_doc, ref.anchor, label)

    def _link(self, target_doc: str, anchor: str, label: nodes.Node) -> nodes.Node:
        try:
            uri = self.app.builder.get_relative_uri(self.docname, target_doc)
        except NoUri:
            return label
        # singlehtml addresses a document as a fragment of the one page (#document-x); the
        # anchor must replace it, not follow it (x#document-y#id points nowhere)
        page = uri.split("#", 1)[0]
        # always refuri, never refid: under LaTeX the doctree is the whole PDF resolved as its
        # root document, and a refid would be taken as an anchor of whatever file it sits in
        reference = nodes.reference("", "", internal=True, refuri=f"{page}#{anchor}")
        reference += label
        return reference


def _cells(blocks: Sequence[Block]) -> list[Cell]:
    found: list[Cell] = []
    for block in blocks:
        if isinstance(block, Table):
            found += [cell for row in block.rows for cell in row]
        elif isinstance(block, Container):
            found += _cells(block.blocks)
    return found
