"""``techfile approve``: sign a controlled document (or a release) on record,
and ``techfile approve --status``: where each document stands.

The one command that writes an authored file, because the user asks it to:
it appends one approval need to the approvals file (``needs/approvals.md``
by default), with the next free ``APPR_NNN``, the document's content digest
as it is now (:mod:`techfile.approvals`), the files it covers and the commit
checked out, if any. The file is written atomically; nothing else is
touched. Commit the approvals file with the document: the rule D01 then
holds until the document changes again.
"""

from __future__ import annotations

import argparse
import datetime
import re
from pathlib import Path
from typing import Any

from techfile import approvals as records
from techfile import gitlog
from techfile.commands import refuse_unreadable
from techfile.corpus import Corpus, Need
from techfile.errors import TechfileError
from techfile.fileio import write_atomic
from techfile.model.needmodel import NeedModel, load_need_model
from techfile.model.roles import Relation, Role
from techfile.project import Project, load_project
from techfile.readers.sources import docname, read_corpus

DEFAULT_FILE = "needs/approvals.md"
HEADER = """\
# Approvals

Signatures on the controlled documents and releases of the technical file,
written by `techfile approve`. Each records the SHA-256 of the document's
sources when it was signed: a document changed since its latest approval is
the gap D01 until it is approved again.
"""
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# a value MyST reads back as written: one line, no leading or trailing space
_ONE_LINE = re.compile(r"^[^\n\r]+$")


def register(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "approve",
        help="record the approval of a document (or a release), or list which documents are approved",
        description="Append an approval need to the approvals file: who signed (--by, --role), what the signature "
        "means (--meaning), when (--date, default today in UTC), and the SHA-256 of the document's sources as they "
        "are now. DOCNAME is a document as Sphinx names it (docs/srs) or the ID of a release need. With --status, "
        "list every controlled document: approved, changed since approval (which files), or never approved. "
        "Exit status: 0 written (--status: nothing changed since its approval), 1 (--status) a document changed "
        "since its approval, 2 bad input.",
    )
    parser.add_argument("docname", nargs="?", help="document to approve (docs/srs), or the ID of a release need")
    parser.add_argument("--by", dest="approver", help="printed name of the signer")
    parser.add_argument("--role", dest="approver_role", help="role of the signer (quality manager, software lead)")
    parser.add_argument("--meaning", choices=records.MEANINGS, default="approval", help="meaning of the signature (21 CFR 11.50 a 3; default: approval)")
    parser.add_argument("--date", help="date of the signature, YYYY-MM-DD (default: today, UTC)")
    parser.add_argument("--version", dest="document_version", help="version of the document (default: the version of the release under evaluation)")
    parser.add_argument("--tag", dest="git_tag", help="a signed git tag of this approval, which the build verifies (git verify-tag)")
    parser.add_argument("--verify-commit", action="store_true", help="have the build verify the signature of the commit too (git verify-commit)")
    parser.add_argument("--file", default=DEFAULT_FILE, help=f"approvals file to append to, relative to the project root (default: {DEFAULT_FILE})")
    parser.add_argument("--status", action="store_true", help="list the approval status of every controlled document instead")
    parser.add_argument("--project", type=Path, default=None, help="project directory (default: the nearest with [tool.techfile])")
    parser.set_defaults(handler=run)


def _corpus(project: Project, model: NeedModel) -> Corpus:
    """The authored needs (approvals are authored; generated evidence need not exist yet)."""
    corpus = read_corpus(project, model, imports=False, collect=True)
    refuse_unreadable(corpus)
    return corpus


def run(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    model = load_need_model(project.declaration("need_model"))
    if model.roles.type_of(Role.APPROVAL) is None:
        raise TechfileError(
            "the need model maps no type to the role approval, so there is nowhere to record an approval",
            path=project.declaration("need_model"),
            fix='map one: [roles] approval = "approval" (techfile:default has it)',
        )
    corpus = _corpus(project, model)
    if args.status:
        if args.docname:
            raise TechfileError("--status lists every document and takes no DOCNAME", fix="run techfile approve --status")
        return status(project, corpus)
    return approve(args, project, model, corpus)


# ------------------------------------------------------------------ --status


def status(project: Project, corpus: Corpus) -> int:
    found = records.statuses(project, corpus)
    width = max((len(s.docname) for s in found.documents), default=0)
    changed = False
    for document in found.documents:
        latest = document.latest
        if document.problem is not None:
            line = f"cannot be read: {document.problem}"
        elif document.docname in found.holding:
            line = "holds approvals (every approval changes it, so it is not approved itself)"
        elif latest is None:
            line = "never approved"
        elif document.changes:
            changed = True
            line = f"changed since {latest.id} ({latest.meaning}, {latest.approved_on}, {latest.approver}): " + ", ".join(document.changes)
        else:
            line = f"approved: {latest.id} ({latest.meaning}, {latest.approved_on}, {latest.approver})"
        print(f"{document.docname:<{width}}  {line}")
    for approval in found.unknown:
        changed = True
        print(f"{approval.need.location}: {approval.id} approves {approval.document}, which is not a document of the technical file")
    return 1 if changed else 0


# ------------------------------------------------------------------ approve


def _value(option: str, value: str | None) -> str:
    text = (value or "").strip()
    if not text or not _ONE_LINE.match(text):
        raise TechfileError(f"{option} is required and must be one line of text", fix=f"give it: techfile approve DOCNAME {option} ...")
    return text


def _date(value: str | None) -> str:
    if value is None:
        return datetime.datetime.now(datetime.UTC).date().isoformat()
    try:
        if _DATE.match(value):
            datetime.date.fromisoformat(value)
            return value
    except ValueError:
        pass
    raise TechfileError(f"--date {value!r} is not a date YYYY-MM-DD", fix="write it as 2026-12-01")


def _release(corpus: Corpus, name: str) -> Need | None:
    need = corpus.get(name)
    return need if need is not None and corpus.plays(need, Role.RELEASE) else None


def approve(args: argparse.Namespace, project: Project, model: NeedModel, corpus: Corpus) -> int:
    if not args.docname:
        raise TechfileError("name the document to approve", fix="techfile approve docs/srs --by NAME --role ROLE (or --status)")
    approver = _value("--by", args.approver)
    approver_role = _value("--role", args.approver_role)
    date = _date(args.date)
    target = project.absolute(args.file)
    shown = project.relative(target)
    documents = records.controlled_documents(project)
    if target.suffix != ".md" or not any(target.resolve().is_relative_to((project.root / s).resolve()) for s in project.sources):
        raise TechfileError(
            f"the approvals file {shown} is not a MyST (.md) file under the source folders ({', '.join(project.sources)}), so neither the build nor techfile check would read it",
            fix=f"give --file a .md file under {project.sources[0]}/, e.g. {DEFAULT_FILE}",
        )
    release = _release(corpus, args.docname)
    if release is not None:
        document = docname(project, project.absolute(release.path))
    else:
        document = args.docname.strip().removeprefix("./")
        for suffix in (".md", ".rst"):  # a file name given for the document: the name Sphinx gives it
            if document.endswith(suffix) and document.removesuffix(suffix) in documents:
                document = document.removesuffix(suffix)
        if document not in documents:
            raise TechfileError(f"{document!r} is not a document of the technical file nor the ID of a release", fix=records.unknown_document_fix(document, documents))
    approvals_doc = docname(project, target)
    if document == approvals_doc:
        raise TechfileError(f"{document} is the approvals file itself, which every approval changes", fix="approve the documents, and keep the approvals file out of the documents you approve")
    content = records.document_content(project, document, documents)
    version = args.document_version or (corpus.value(found, "version") if (found := _current_release(project, corpus)) else None)
    need_id = records.next_id(corpus)
    fields: list[tuple[str, str | None]] = [
        ("approver", approver),
        ("approver_role", approver_role),
        ("meaning", args.meaning),
        ("approved_on", date),
        ("document", document),
        ("document_version", _one_line("--version", version)),
        ("commit", gitlog.head(project.root)),
        ("content_sha256", content.sha256),
        ("content_files", content.short_files),
        ("git_tag", _one_line("--tag", args.git_tag)),
        ("verify", "true" if args.verify_commit else None),
    ]
    directive = model.roles.type_of(Role.APPROVAL)
    assert directive is not None
    lines = [f"```{{{directive}}} {args.meaning.capitalize()} of {document} by {approver}", f":id: {need_id}"]
    lines += [f":{model.roles.field(Role.APPROVAL, name)}: {value}" for name, value in fields if value]
    if release is not None:
        link = model.roles.link(Relation.APPROVES)
        if link is None:
            raise TechfileError("the need model maps no link type to the relation approves, so a release cannot be approved", fix='map one: [relations] approves = "approves"')
        lines.append(f":{link}: {release.id}")
    lines.append("```")
    block = "\n".join(lines) + "\n"
    existing = _read(target, shown)
    text = (existing.rstrip("\n") + "\n\n" if existing.strip() else HEADER + "\n") + block
    write_atomic(target, text.encode("utf-8"))
    signed = f"release {release.id} ({document})" if release is not None else document
    print(f"{shown}: {need_id}: {args.meaning} of {signed} by {approver}, {date}, content sha256 {content.sha256[:16]}… ({len(content.files)} file(s))")
    if not existing.strip():
        print(f"{shown}: created; the build reads it as a document: list {approvals_doc} in a toctree unless one globs its folder")
    return 0


def _one_line(option: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return _value(option, value)


def _current_release(project: Project, corpus: Corpus) -> Need | None:
    from techfile.checks.engine import find_release

    return find_release(corpus, project.release)


def _read(target: Path, shown: str) -> str:
    if not target.exists():
        return ""
    try:
        return target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TechfileError(f"cannot read the approvals file: {error}", path=shown, fix="make it a readable UTF-8 file, or give another --file") from None
