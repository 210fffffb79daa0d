"""Document control (D01): every approved document is still what was
signed, approvals name documents that exist, and the documents the project
requires are approved.

The content of a document and its digest are :mod:`techfile.approvals`'s:
the files are read from the project root (``ctx.root``), so the Sphinx
build and ``techfile check`` decide alike, and git plays no part.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from techfile import approvals as records
from techfile.checks.findings import Gap
from techfile.checks.predicates.evidence import project_of
from techfile.checks.predicates.registry import check
from techfile.checks.rules import TraceRule
from techfile.corpus import Need
from techfile.model.roles import Role

if TYPE_CHECKING:
    from techfile.checks.engine import Context

ALL = "all"




@check(
    "documents_approved",
    scope="corpus",
    roles=(Role.APPROVAL,),
    params={
        "required_documents": {
            "oneOf": [
                {"const": ALL},
                {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True},
            ],
            "description": 'Documents that must have an approval (docnames such as "docs/srs"), or "all"; without it only documents that have an approval are checked.',
        }
    },
)
def documents_approved(_: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    project = project_of(ctx)
    if project is None:
        return
    found = records.statuses(project, ctx.corpus, signed_only=True)
    documents = {status.docname: status for status in found.documents}
    for approval in found.unknown:
        yield Gap(f"approves the document {approval.document}, which is not a document of the technical file ({records.unknown_document_fix(approval.document or '', documents)})", need=approval.need)
    for approval in records.approvals(ctx.corpus):
        if approval.document and not approval.content_sha256 and approval.document in documents:
            yield Gap(f"approves {approval.document} but records no content_sha256, so what was signed is unknown (run techfile approve)", need=approval.need)
        elif not approval.document and not approval.approves:
            yield Gap("approves neither a document (document) nor a release (approves)", need=approval.need)
    for status in found.documents:
        latest = status.latest
        if status.problem is not None and latest is not None:
            yield Gap(f"{status.docname}: its content cannot be read to compare it with what {latest.id} signed: {status.problem}", need=latest.need)
        elif latest is not None and latest.content_sha256 and status.changes:
            yield Gap(
                f"{status.docname} changed since its {latest.meaning or 'approval'} {latest.id} of {latest.approved_on or 'an unknown date'} by {latest.approver or 'an unnamed signer'}: "
                + ", ".join(status.changes),
                need=latest.need,
            )
    required = rule.params.get("required_documents", ())
    # "all" leaves out the files holding the approvals, which every approval changes
    wanted = [name for name in documents if name not in found.holding] if required == ALL else list(required)
    for name in wanted:
        named = documents.get(name)
        if named is None:
            yield Gap(
                f"required_documents names {name}, which is not a document of the technical file ({records.unknown_document_fix(name, documents)})", location=(project.relative(rule.path), rule.line)
            )
        elif named.latest is None:
            yield Gap(f"{name} has no approval", location=(named.path, 1))
