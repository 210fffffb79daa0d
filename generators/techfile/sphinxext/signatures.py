"""The signature block: who approved a document, and whether the document is
still what they signed.

Right after a document's control block (:mod:`~techfile.sphinxext.control`)
comes a block ``div.techfile-signatures`` headed "Approvals": one row per
approval need naming the document (``document``), oldest first, with the
printed name, role, meaning of the signature, date, document version, the
commit at approval and its status: **current** when the document's sources
still have the digest that was signed, else **superseded: document changed
since** (:mod:`techfile.approvals`, the same digest the rule D01 compares).
Where an approval names a signed git tag (``git_tag``), or asks for its
commit to be verified (``verify = true``), git verifies the signature where
the file is built, and the row says "tag <name>: signature verified:
<signer>" or "...: not verified: <reason>" (the tag must point at the
approval's commit). No rule depends on it: a clone without the tags or the
signers' keys only says so. A document without approvals says "Not yet
approved."

Like the control block, the placeholder is put in at ``doctree-read`` (right
after the control block's) and filled in at ``doctree-resolved``, after the
control block (priority 950), from plain docutils nodes, so HTML, the
one-page HTML of the PDF and LaTeX all render it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

from techfile import approvals as records
from techfile.errors import TechfileError
from techfile.model.needmodel import FieldDef
from techfile.model.roles import Role
from techfile.pdf.frontmatter import Signature
from techfile.sphinxext.control import _need_link, techfile_control
from techfile.sphinxext.state import Evaluated, evaluated

SIGNATURES_CLASS = "techfile-signatures"
CURRENT = "current"
SUPERSEDED = "superseded: document changed since"
HEADERS = ("Approval", "Printed name", "Role", "Meaning", "Date", "Version", "Commit", "Status")


class techfile_signatures(nodes.General, nodes.Element):
    """Placeholder for a document's signature block, filled in at ``doctree-resolved``."""


@dataclass
class _BuildData:
    """What the signature blocks of one build compute once: approvals, contents, verifications."""

    approvals: dict[str, list[records.Approval]]
    documents: dict[str, Path]
    contents: dict[str, records.DocumentContent | None]
    verifications: dict[str, list[records.Verification]]


def _data(app: Sphinx, state: Evaluated) -> _BuildData:
    found: _BuildData | None = getattr(app, "_techfile_signatures", None)
    if found is None:
        found = _BuildData(records.by_document(records.approvals(state.corpus)), records.controlled_documents(state.project), {}, {})
        app._techfile_signatures = found  # type: ignore[attr-defined]
    return found


def _content(data: _BuildData, state: Evaluated, docname: str) -> records.DocumentContent | None:
    if docname not in data.contents:
        try:
            data.contents[docname] = records.document_content(state.project, docname, data.documents)
        except TechfileError:
            data.contents[docname] = None  # the source readers report what cannot be read
    return data.contents[docname]


def _verifications(data: _BuildData, state: Evaluated, approval: records.Approval) -> list[records.Verification]:
    if approval.id not in data.verifications:
        data.verifications[approval.id] = records.verify_signatures(state.project.root, approval)
    return data.verifications[approval.id]


def approval_status(approval: records.Approval, content: records.DocumentContent | None) -> str:
    """``current`` or ``superseded: document changed since``, by the content digest."""
    if content is not None and approval.content_sha256 == content.sha256:
        return CURRENT
    return SUPERSEDED


def _meaning_field(state: Evaluated) -> FieldDef | None:
    """The field the role approval calls ``meaning``, whose labels the block shows."""
    model = state.declarations.model
    return model.fields.get(model.roles.field(Role.APPROVAL, "meaning"))


def short_commit(commit: str | None) -> str:
    return (commit or "")[:12]


# ------------------------------------------------------------------ handlers


def insert_placeholder(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read`` (after the control block's): a placeholder right after the control block's."""
    for control in list(doctree.findall(techfile_control)):
        parent = control.parent
        parent.insert(parent.index(control) + 1, techfile_signatures(docname=control["docname"]))


def fill_signatures(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: each placeholder becomes the document's signature block."""
    placeholders = list(doctree.findall(techfile_signatures))
    if not placeholders:
        return
    state = evaluated(app)
    for placeholder in placeholders:
        if state is None:
            placeholder.replace_self([])
            continue
        placeholder.replace_self(_block(app, state, docname, placeholder["docname"]))


def outdated(app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]) -> list[str]:
    """``env-get-outdated``: every document when the approvals may have changed.

    A document's block depends on approvals written elsewhere; when a file
    that held approvals in the last build changed, or a document was added
    (it may hold new ones), every controlled document is read again.
    """
    previous: dict[str, str] = getattr(env, "techfile_approval_files", {})
    changed_files = any(_file_digest(Path(path)) != digest for path, digest in previous.items())
    if changed_files or (added and previous):
        return sorted(doc for doc in env.found_docs if doc not in removed)
    return []


def remember_approval_files(app: Sphinx, builder: object = None) -> None:
    """``write-started`` (after the evaluation): the files holding approvals, for :func:`outdated` next time."""
    state = evaluated(app)
    if state is None:
        return
    files = sorted({approval.need.path for approval in records.approvals(state.corpus)})
    app.env.techfile_approval_files = {str(state.project.absolute(path)): _file_digest(state.project.absolute(path)) for path in files}  # type: ignore[attr-defined]


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


# ------------------------------------------------------------------ the nodes


def _block(app: Sphinx, state: Evaluated, fromdoc: str, docname: str) -> nodes.Node:
    data = _data(app, state)
    block = nodes.container(classes=[SIGNATURES_CLASS])
    block += nodes.rubric(text="Approvals")
    approvals = data.approvals.get(docname, [])
    if not approvals:
        block += nodes.paragraph(text="Not yet approved.", classes=["techfile-signatures-none"])
        return block
    content = _content(data, state, docname)
    meaning = _meaning_field(state)
    table = nodes.table(classes=["techfile-table", "techfile-signatures-table"])
    group = nodes.tgroup(cols=len(HEADERS))
    table += group
    for _ in HEADERS:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    head += _row([nodes.Text(text) for text in HEADERS], header=True)
    group += head
    body = nodes.tbody()
    for approval in approvals:
        status = approval_status(approval, content)
        status_cell: list[nodes.Node] = [nodes.strong(text=status) if status == CURRENT else nodes.emphasis(text=status)]
        for verification in _verifications(data, state, approval):
            status_cell += [nodes.Text("; "), nodes.inline(text=verification.labelled, classes=["techfile-signature-verified" if verification.verified else "techfile-signature-unverified"])]
        cells: list[nodes.Node | list[nodes.Node]] = [
            _need_link(app, fromdoc, approval.id),
            nodes.Text(approval.approver),
            nodes.Text(approval.approver_role),
            nodes.Text(meaning.label(approval.meaning) if meaning is not None else approval.meaning),
            nodes.Text(approval.approved_on),
            nodes.Text(approval.document_version or ""),
            nodes.literal(text=short_commit(approval.commit)) if approval.commit else nodes.Text(""),
            status_cell,
        ]
        row = _row(cells)
        row["classes"].append("techfile-signature-current" if status == CURRENT else "techfile-signature-superseded")
        body += row
    group += body
    if app.builder.format == "html":
        wrapper = nodes.container(classes=["table-wrapper", "techfile-scroll"])
        wrapper += table
        block += wrapper
    else:
        block += table
    return block


def _row(cells: list[nodes.Node | list[nodes.Node]], header: bool = False) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        paragraph = nodes.paragraph()
        paragraph.extend(cell if isinstance(cell, list) else [cell])
        entry += paragraph
        row += entry
    return row


# ------------------------------------------------------------------ the release


def release_signatures(app: Sphinx) -> tuple[Signature, ...]:
    """The approvals linked (``approves``) to the release under evaluation, oldest first."""
    state = evaluated(app)
    if state is None or state.release is None:
        return ()
    data = _data(app, state)
    release_id = state.release.id
    out = []
    for approval in records.approvals(state.corpus):
        if release_id not in approval.approves:
            continue
        content = _content(data, state, approval.document) if approval.document else None
        status = approval_status(approval, content) if approval.document else CURRENT
        meaning = _meaning_field(state)
        out.append(Signature(approval.approver, approval.approver_role, meaning.label(approval.meaning) if meaning else approval.meaning, approval.approved_on, status))
    return tuple(out)


def setup(app: Sphinx) -> None:
    """Connect this module's handlers (called from the extension's setup)."""
    app.add_node(techfile_signatures)
    app.connect("doctree-read", insert_placeholder, priority=600)  # after the control block's placeholder (500)
    app.connect("env-get-outdated", outdated)
    app.connect("write-started", remember_approval_files, priority=900)  # after the evaluation (800)
    app.connect("doctree-resolved", fill_signatures, priority=950)  # after the control block (900)
