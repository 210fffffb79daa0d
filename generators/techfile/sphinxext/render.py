"""Docutils nodes from the views' blocks, for every Sphinx builder.

A link goes through the builder's ``get_relative_uri``: HTML gets a
relative URL, LaTeX gets Sphinx's ``%docname#anchor`` form, which its
writer turns into ``\\hyperref[docname:anchor]`` inside the one PDF. A
builder that cannot address the target document raises
:class:`~sphinx.errors.NoUri` (LaTeX, for a document outside the PDF);
the label is then rendered without a link, as ``sphinx.ext.todo`` does.

A link to a need carries the need's title (HTML: on hover). A link to a
place in a view (:class:`~techfile.sphinxext.views.data.ViewRef`) goes to
the document that shows the view. An anchor of a cell marks its row; a
row that is a need's home (a hidden test result) gets the need's ID. A
folding container is HTML ``<details>``, opened by a link to anything in
it; print builders show it unfolded, or leave it out when it is for the
screen only. :func:`add_card_summaries` puts the views' verdict lines
under the need cards of each page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import NoUri
from sphinx_needs.api import get_needs_view

from techfile.model.needmodel import NeedModel
from techfile.model.roles import Role
from techfile.sphinxext.preview import draft_home
from techfile.sphinxext.state import EnvData, Evaluated
from techfile.sphinxext.views.data import (
    Block,
    BulletList,
    Cell,
    Code,
    CodeBlock,
    Container,
    Emphasis,
    FieldList,
    Figure,
    Inline,
    NeedRef,
    Paragraph,
    Rubric,
    RuleRef,
    Strong,
    Table,
    Text,
    ViewRef,
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


LONG_LITERAL = 24
"""Characters of a literal beyond which it may break anywhere (IDs of needs written by hand are shorter)."""

VIEW_CSS = (
    "details.techfile-fold > summary { cursor: pointer; padding: 0.3em 0; } "
    "details.techfile-fold { margin: 0.3em 0 0.6em 0; } "
    "details.techfile-fold[open] > summary { margin-bottom: 0.4em; } "
    "td:target, tr:has(> td:target) > td { outline: 2px solid #e6b800; } "
    "table.techfile-table code.techfile-long { overflow-wrap: anywhere; } "
    "table.techfile-records td.techfile-provenance { font-size: 0.82em; overflow-wrap: anywhere; } "
    "@media print { .techfile-screen-only { display: none; } }"
)
"""What the views' own structure needs on screen: a pointer on a fold, the landing row of a link marked,
the screen-only parts left out of print. Written once per page that has a view; the look is the theme's."""

FOLD_SCRIPT = (
    "<script>(function () {"
    "function openTo(id) { var el = id && document.getElementById(decodeURIComponent(id)); if (!el) return;"
    " for (var node = el; node; node = node.parentElement) { if (node.tagName === 'DETAILS') node.open = true; }"
    " var own = el.querySelector(':scope > details'); if (own) own.open = true; }"
    "function onHash() { openTo(location.hash.slice(1)); var el = document.getElementById(decodeURIComponent(location.hash.slice(1))); if (el) el.scrollIntoView(); }"
    "window.addEventListener('hashchange', onHash); document.addEventListener('DOMContentLoaded', onHash);"
    "window.addEventListener('beforeprint', function () { document.querySelectorAll('details.techfile-fold').forEach(function (d) {"
    " if (!d.closest('.techfile-screen-only')) d.open = true; }); });"
    "})();</script>"
)
"""Opens the folds that hold the target of a link (on load and on every in-page link) and, for printing, every fold."""


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
        """Anchors given on this page (tables, rows, groups), kept unique when a view appears twice."""
        self._page_style = False
        """Whether this page has the views' own CSS and script already."""
        self._env = EnvData(app.env)

    # ------------------------------------------------------------ blocks

    def blocks(self, blocks: list[Block]) -> list[nodes.Node]:
        out = [node for block in blocks if (node := self.block(block)) is not None]
        style = self._style(blocks)
        return [style, *out] if style is not None else out

    def block(self, block: Block) -> nodes.Node | None:
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
        if isinstance(block, Figure):
            return self._figure(block)
        return self._container(block)

    def _figure(self, block: Figure) -> nodes.Node:
        if self.html:
            return nodes.raw("", f'<figure class="techfile-figure" style="display:inline-block;margin:0 1em 1em 0;vertical-align:top"><figcaption>{html.escape(block.caption)}</figcaption>{block.svg}</figure>', format="html")
        return nodes.paragraph(text=f"{block.caption}: {block.alt}")

    def _fields(self, block: FieldList) -> nodes.field_list:
        fields = nodes.field_list()
        for name, parts in block.fields:
            fields += nodes.field("", nodes.field_name(text=name), nodes.field_body("", self.paragraph(parts)))
        return fields

    def _container(self, block: Container) -> nodes.container | None:
        if block.screen_only and not self.html:
            return None
        ids = [self._new_id(i) for i in block.ids if i not in self._ids]
        classes = [*block.classes, *(["techfile-screen-only"] if block.screen_only else [])]
        container = nodes.container(classes=classes)
        if self.html:
            container["ids"] = ids
        elif ids:
            # the LaTeX writer labels no container; a target makes the anchor \label{doc:id}
            container += nodes.target("", "", ids=ids)
        children = [node for child in block.blocks if (node := self.block(child)) is not None]
        if block.summary is None:
            container += children
        elif self.html:
            opened = " open" if block.open else ""
            container += nodes.raw("", f'<details class="techfile-fold"{opened}><summary>', format="html")
            summary = nodes.inline(classes=["techfile-fold-summary"])
            for part in block.summary:
                summary += self.inline(part)
            container += summary
            container += nodes.raw("", "</summary>", format="html")
            container += children
            container += nodes.raw("", "</details>", format="html")
        else:
            # on paper a fold is unfolded: its summary heads its blocks
            heading = nodes.paragraph(classes=["techfile-fold-summary"])
            heading += nodes.strong("", "", *(self.inline(part) for part in block.summary))
            container += heading
            container += children
        return container

    def table(self, block: Table) -> nodes.table:
        node = nodes.table(classes=["techfile-table", *block.classes])
        if block.title:
            # a captioned table is numbered and referenced by its ID: writers warn about one without
            node["ids"] = [self._new_id(f"techfile-table-{nodes.make_id(block.title)}")]
            node += nodes.title(text=block.title)
        group = nodes.tgroup(cols=len(block.headers))
        node += group
        widths = block.widths if len(block.widths) == len(block.headers) else ()
        if widths:
            node["classes"].append("colwidths-given")
        for index in range(len(block.headers)):
            group += nodes.colspec(colwidth=widths[index] if widths else 1)
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
            entry = nodes.entry("", classes=classes)
            paragraph = self.paragraph(cell.parts)
            ids = [self._new_id(anchor) for anchor in self._anchors(cell) if anchor not in self._ids]
            if ids and self.html:
                entry["ids"] = ids
            elif ids:
                # a table cell gets no label in LaTeX; a target inside it does
                paragraph.insert(0, nodes.target("", "", ids=ids))
            entry += paragraph
            row += entry
        return row

    def _anchors(self, cell: Cell) -> list[str]:
        """The cell's anchors, and its need's ID where the row is the need's home on this page."""
        anchors = list(cell.anchors)
        if cell.need_home is not None:
            item = self.needs.get(cell.need_home)
            # only where sphinx-needs puts the need and shows no card of it: else the card has the anchor
            if item is not None and item["docname"] == self.docname and item.get("hide"):
                anchors.append(cell.need_home)
        return anchors

    def _style(self, blocks: list[Block]) -> nodes.raw | None:
        """The CSS of the cell colours not yet styled on this page, and once per page the views' own
        CSS and the script of the folds; HTML only (LaTeX shows no colour)."""
        if not self.html:
            return None
        names = sorted({name for cell in _cells(blocks) if cell.color and (name := color_class(cell.color))} - self._styled)
        first = not self._page_style
        if not names and not first:
            return None
        self._styled |= set(names)
        self._page_style = True
        css = " ".join([*([VIEW_CSS] if first else []), *(color_css(name) for name in names)])
        return nodes.raw("", f"<style>{css}</style>" + (FOLD_SCRIPT if first else ""), format="html")

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
            return self.literal(part.text)
        if isinstance(part, NeedRef):
            return self.need(part)
        if isinstance(part, ViewRef):
            return self.view(part)
        return self.rule(part)

    @staticmethod
    def literal(text: str) -> nodes.literal:
        """Literal text; a long one (a result's ID, a path) may break anywhere, so it never widens its table past the page."""
        return nodes.literal(text=text, classes=["techfile-long"] if len(text) > LONG_LITERAL else [])

    def need(self, ref: NeedRef) -> nodes.Node:
        """A link to the need's anchor (its ID) on its page, its title on hover; its ID as plain text if the build has no page for it."""
        label = self.literal(ref.label or ref.need_id)
        item = self.needs.get(ref.need_id)
        if item is not None and item["is_external"]:
            home = draft_home(self.app, item)
            return self._link(home, ref.need_id, label, item.get("title") or None) if home else label
        if item is None or not item["docname"]:
            return label
        return self._link(item["docname"], ref.need_id, label, item.get("title") or None)

    def view(self, ref: ViewRef) -> nodes.Node:
        """A link to a place in a view, on the document that shows the view; else to ``need_id``, else the text."""
        target_doc = self._env.view_doc(ref.view)
        if target_doc is not None:
            return self._link(target_doc, ref.anchor, nodes.inline(text=ref.text, classes=["techfile-viewref"]))
        if ref.need_id is not None:
            item = self.needs.get(ref.need_id)
            if item is not None and not item["is_external"] and item["docname"]:
                return self._link(item["docname"], ref.need_id, nodes.inline(text=ref.text), item.get("title") or None)
        return nodes.Text(ref.text)

    def rule(self, ref: RuleRef) -> nodes.Node:
        label = nodes.strong(text=ref.rule_id)
        if self.catalogue_doc not in self.app.env.all_docs:
            return label  # a project without a catalogue page: nothing to link to
        return self._link(self.catalogue_doc, ref.anchor, label)

    def _link(self, target_doc: str, anchor: str, label: nodes.Node, title: str | None = None) -> nodes.Node:
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
        if title:
            reference["reftitle"] = title
        reference += label
        return reference


def add_card_summaries(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``, after sphinx-needs has rendered its cards: under each need's card on this
    page, what :func:`~techfile.sphinxext.views.cards.card_summary` says (a verdict, the verification)."""
    from techfile.sphinxext.configure import catalogue_docname
    from techfile.sphinxext.freshness import card_blocks
    from techfile.sphinxext.state import evaluated

    state = evaluated(app)
    if state is None:
        return
    needs = get_needs_view(app)
    renderer: Renderer | None = None
    levels = risk_levels(state)
    for table in list(doctree.findall(nodes.table)):
        if "need" not in table["classes"] or not table["ids"]:
            continue
        relabel_card(table, state.declarations.model, levels)
        need_id = table["ids"][0]
        item = needs.get(need_id)
        if item is None or item["docname"] != docname:
            continue
        blocks = card_blocks(app, state, need_id)
        if not blocks:
            continue
        renderer = renderer or Renderer(app, docname, catalogue_docname(app, state.project))
        summary = nodes.container(classes=["techfile-card-summary"])
        summary += renderer.blocks(blocks)
        table.parent.insert(table.parent.index(table) + 1, summary)


def risk_levels(state: Evaluated) -> dict[str, dict[str, str]]:
    """The titles of the risk matrix's levels, by the project's names of the hazard's severity and probability fields."""
    matrix, roles = state.declarations.matrix, state.declarations.model.roles
    severity = {level.key: level.title for level in matrix.severity}
    probability = {level.key: level.title for level in matrix.probability}
    return {
        roles.field(Role.HAZARD, name): scale
        for name, scale in (("severity", severity), ("residual_severity", severity), ("probability", probability), ("residual_probability", probability))
    }


def relabel_card(card: nodes.Element, model: NeedModel, levels: dict[str, dict[str, str]] | None = None) -> None:
    """A need card's labels and enum values as the need model declares them (``title``, ``labels``).

    sphinx-needs writes each field of a card as ``<name>: <value>`` (an
    inline of class ``needs_<name>`` holding a ``needs_label`` and a
    ``needs_data`` inline): the label becomes the field's title, a value of
    an enum its label (``levels`` adds labels of fields that are no enum,
    the risk matrix's levels). Each list of links, ``<outgoing>: ...``,
    becomes ``<title>: ...``.
    """
    levels = levels or {}
    for field_node in list(card.findall(nodes.inline)):
        names = [c.removeprefix("needs_") for c in field_node["classes"] if c.startswith("needs_")]
        name = next((n for n in names if n in model.fields or n == "status"), None)
        if name is None:
            continue
        labels = {**(model.fields[name].labels if name in model.fields else {}), **levels.get(name, {})}
        for child in field_node.children:
            if not isinstance(child, nodes.inline):
                continue
            if "needs_label" in child["classes"]:
                child.children = []
                child += nodes.Text(f"{model.field_title(name) if name in model.fields else 'Status'}: ")
            elif "needs_data" in child["classes"] and labels and len(child.children) == 1 and isinstance(child[0], nodes.Text):
                value = child.astext()
                child.children = []
                child += nodes.Text(labels.get(value, value))
    for line in list(card.findall(nodes.line)):
        for index, child in enumerate(line.children):
            if not isinstance(child, nodes.inline) or index == 0:
                continue
            link = next((model.links[c] for c in child["classes"] if c in model.links), None)
            before = line.children[index - 1]
            if link is None or not isinstance(before, nodes.Text):
                continue
            said = before.astext().strip()
            title = link.title if said == f"{link.outgoing}:" else link.incoming_title if said == f"{link.incoming}:" else None
            if title is not None:
                line.replace(before, nodes.Text(f"{title}: "))


def _cells(blocks: Sequence[Block]) -> list[Cell]:
    found: list[Cell] = []
    for block in blocks:
        if isinstance(block, Table):
            found += [cell for row in block.rows for cell in row]
        elif isinstance(block, Container):
            found += _cells(block.blocks)
    return found

