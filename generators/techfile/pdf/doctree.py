"""What the one-page (``singlehtml``) build of the PDF does to its doctree.

Connected to the build that :mod:`techfile.pdf.build` runs, after every
other ``doctree-resolved`` handler (sphinx-needs' tables and techfile's
views are in the tree by then). On the single assembled document it

* repairs the links that point at ``#document-<doc>#<id>``, which no
  browser and no PDF viewer follows (sphinx-needs builds them from the
  builder's URI of the document, as Sphinx's deprecated ``fix_refuris``
  used to repair): they become ``#<id>``;
* marks the first section of every document, which starts a new page;
* measures every table (:mod:`techfile.pdf.tables`) and marks the innermost
  section holding one that needs the landscape page, so that the section's
  heading goes with it, and the table with how it fits;
* puts the title page and the table of contents in front.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx

from techfile.pdf import tables
from techfile.pdf.frontmatter import Heading, TitlePage, front_matter_html

DOCUMENT_CLASS = "techfile-pdf-document"
WIDE_CLASS = "techfile-pdf-wide"
FIT_CLASS = "techfile-pdf-fit-{}"
NEED_TABLE_CLASS = "need"
"""sphinx-needs' layout table of one need: one column, its text wraps; never measured."""
TOC_DEPTH = 2
"""Levels of the table of contents below the root document: documents and their sections."""


@dataclass
class Report:
    """What the hook did, for the command's summary and the tests."""

    links_repaired: int = 0
    fits: dict[str, int] = field(default_factory=dict)
    headings: list[Heading] = field(default_factory=list)


def connect(app: Sphinx, title: Callable[[Sphinx], TitlePage], report: Report) -> None:
    """Connect the hook to an application not built yet; ``title`` gives the title page once the configuration is read."""

    def resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
        if docname != app.config.root_doc:
            return  # the single build resolves the root document only, with all the others inlined
        prepare(app, doctree, title(app), report)

    app.connect("doctree-resolved", resolved, priority=900)


def prepare(app: Sphinx, doctree: nodes.document, title: TitlePage, report: Report) -> None:
    report.links_repaired += repair_links(doctree, unique_ids(doctree))
    mark_documents(doctree)
    for fit, count in mark_tables(doctree).items():
        report.fits[fit] = report.fits.get(fit, 0) + count
    report.headings = headings(doctree, captions(app))
    doctree.insert(0, nodes.raw("", front_matter_html(title, report.headings), format="html"))


def _docname(node: nodes.Node, root: str) -> str:
    """The document a node of the assembled tree comes from (its nearest ``start_of_file``)."""
    parent = node.parent
    while parent is not None and not isinstance(parent, addnodes.start_of_file):
        parent = parent.parent
    return str(parent["docname"]) if parent is not None else root


def unique_ids(doctree: nodes.document) -> dict[tuple[str, str], str]:
    """Rename every ID that an earlier document already uses; (document, old ID) -> new ID.

    Two documents may each have a section "User needs": on the one page both
    would be ``id="user-needs"``, and every link would lead to the first.
    """
    root = str(doctree.get("docname", ""))
    seen: set[str] = set()
    renamed: dict[tuple[str, str], str] = {}
    for node in doctree.findall(nodes.Element):
        ids = node.get("ids")
        if not ids:
            continue
        for index, old in enumerate(list(ids)):
            if old not in seen:
                seen.add(old)
                continue
            docname = _docname(node, root)
            new, number = f"{old}-{nodes.make_id(docname)}", 2
            while new in seen:
                new, number = f"{old}-{nodes.make_id(docname)}-{number}", number + 1
            seen.add(new)
            ids[index] = new
            renamed.setdefault((docname, old), new)
    return renamed


def repair_links(doctree: nodes.document, renamed: dict[tuple[str, str], str]) -> int:
    """Point every link at its target on the one page: ``#document-<doc>#<id>`` becomes ``#<id>``, renamed IDs followed."""
    root = str(doctree.get("docname", ""))
    repaired = 0
    for reference in doctree.findall(nodes.reference):
        uri = str(reference.get("refuri", ""))
        if uri.startswith("#document-") and uri.count("#") > 1:
            page, anchor = uri[len("#document-") :].rsplit("#", 1)
            reference["refuri"] = "#" + renamed.get((page, anchor), anchor)
            repaired += 1
        elif reference.get("refid"):
            docname = _docname(reference, root)
            anchor = str(reference["refid"])
            if (docname, anchor) in renamed:
                reference["refid"] = renamed[(docname, anchor)]
                repaired += 1
    return repaired


def _documents(doctree: nodes.document) -> Iterator[tuple[str, nodes.section]]:
    """(docname, first section) of every document: the root first, then each inlined one in order."""
    root = next(iter(doctree.findall(nodes.section)), None)
    if root is not None:
        yield str(doctree.get("docname", "")), root
    for start in doctree.findall(addnodes.start_of_file):
        section = next((child for child in start.children if isinstance(child, nodes.section)), None)
        if section is not None:
            yield str(start["docname"]), section


def mark_documents(doctree: nodes.document) -> None:
    for _, section in _documents(doctree):
        section["classes"].append(DOCUMENT_CLASS)


def mark_tables(doctree: nodes.document) -> dict[str, int]:
    """Mark each table with its fit, and the section holding a table that needs landscape; counts by fit."""
    counts: dict[str, int] = {}
    for table in list(doctree.findall(nodes.table)):
        if NEED_TABLE_CLASS in table["classes"]:
            continue
        fit = tables.fit(tables.columns(_rows(table)))
        # the widths follow the content (sphinx-needs gives the title column 3/8 of the table, whatever it holds)
        table["classes"] = [name for name in table["classes"] if name != "colwidths-given"] + ["colwidths-auto"]
        counts[fit] = counts.get(fit, 0) + 1
        if fit == "portrait":
            continue
        table["classes"].append(FIT_CLASS.format(fit))
        section = _innermost_section(table)
        if section is not None and WIDE_CLASS not in section["classes"]:
            section["classes"].append(WIDE_CLASS)
    return counts


def _rows(table: nodes.table) -> Iterator[list[str | None]]:
    """Cell texts row by row, a cell spanning columns followed by None for each one it covers."""
    for row in table.findall(nodes.row):
        cells: list[str | None] = []
        for entry in row.children:
            if isinstance(entry, nodes.entry):
                cells.append(entry.astext())
                cells.extend([None] * int(entry.get("morecols", 0)))
        yield cells


def _innermost_section(node: nodes.Node) -> nodes.section | None:
    parent = node.parent
    while parent is not None and not isinstance(parent, nodes.section):
        parent = parent.parent
    return parent


def captions(app: Sphinx) -> dict[str, str]:
    """The caption of each toctree of the root document, by the first document it lists."""
    found: dict[str, str] = {}
    root = app.env.get_doctree(app.config.root_doc)
    for toctree in root.findall(addnodes.toctree):
        listed: list[object] = list(toctree.get("includefiles", []))
        included = [str(entry) for entry in listed]
        if toctree.get("caption") and included:
            found[included[0]] = str(toctree["caption"])
    return found


def headings(doctree: nodes.document, captions: dict[str, str]) -> list[Heading]:
    """The table of contents: each document (level 1) and its sections (level 2), with a group heading at each toctree caption."""
    found: list[Heading] = []
    for number, (docname, section) in enumerate(_documents(doctree)):
        if docname in captions:
            found.append(Heading(0, captions[docname], ""))
        found.append(Heading(1, _title(section), _anchor(section, len(found))))
        if number == 0:
            continue  # the root document's own sections hold the other documents
        for child in section.children:
            if isinstance(child, nodes.section) and TOC_DEPTH > 1:
                found.append(Heading(2, _title(child), _anchor(child, len(found))))
    return found


def _title(section: nodes.section) -> str:
    title = next((child for child in section.children if isinstance(child, nodes.title)), None)
    return title.astext() if title is not None else ""


def _anchor(section: nodes.section, number: int) -> str:
    """An anchor of the section's own: two documents may have sections of the same ID in the one page."""
    anchor = f"techfile-pdf-toc-{number}"
    section["ids"].append(anchor)
    return anchor
