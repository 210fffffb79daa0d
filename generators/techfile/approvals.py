"""Approvals of controlled documents: what a signature binds to, and whether
the document is still what was signed.

A controlled document is a source document of the technical file (a ``.md``
or ``.rst`` file under the configured source folders), named as Sphinx names
it (``docs/srs``). Its **content** is its source file and every file it
includes (``include``, and ``literalinclude``, followed the way the build
follows them, ``/path`` from the Sphinx source folder, else relative to the
including file; a parsed include's own includes too). The **content digest**
is the SHA-256 of the lines

    <sha256 of the file>  <path relative to the project root>\\n

one per file, sorted by path (byte order): exactly what
``sha256sum FILE... | LC_ALL=C sort -k2 | sha256sum`` prints, so a reviewer
can recompute it without techfile.

An approval need (role ``approval``) records the digest when it was signed
(``content_sha256``) and the files with the start of their own digests
(``content_files``), so that a changed document names the file that changed.
Whether a document changed since its approval is decided by the digest
alone, never by git: ``techfile check`` and the Sphinx build read the same
files and agree, and a shallow CI clone cannot turn the answer wrong. git
only adds, where it is there, the commit checked out at approval and the
verification of signed tags and commits (:func:`verify_signatures`), which
the signature block shows and no rule depends on.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from techfile.corpus import Corpus, Need
from techfile.errors import TechfileError
from techfile.model.roles import Relation, Role
from techfile.project import Project
from techfile.readers import discover
from techfile.readers.sources import PARSER_OF_SUFFIX, SCANNERS, discover_sources, docname, sphinx_srcdir

MEANINGS = ("review", "approval", "release")
INCLUDES = frozenset({"include", "literalinclude"})
_LITERAL_OPTIONS = frozenset({"literal", "code"})
SHORT_DIGEST = 16
"""Hex digits of each file's SHA-256 kept in ``content_files``: enough to name the file that changed."""
_APPROVAL_ID = re.compile(r"^APPR_(?P<number>[0-9]+)$")


# ------------------------------------------------------------------ content


@dataclass(frozen=True)
class DocumentContent:
    """A document's source files as they are now, each with its SHA-256."""

    docname: str
    files: tuple[tuple[str, str], ...]
    """(path relative to the project root, SHA-256), sorted by path."""

    @property
    def manifest(self) -> str:
        """The ``sha256sum`` lines the content digest is the SHA-256 of."""
        return "".join(f"{digest}  {path}\n" for path, digest in self.files)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.manifest.encode("utf-8")).hexdigest()

    @property
    def short_files(self) -> str:
        """``content_files``: ``path=hex; ...`` with the start of each file's digest."""
        return "; ".join(f"{path}={digest[:SHORT_DIGEST]}" for path, digest in self.files)


def controlled_documents(project: Project) -> dict[str, Path]:
    """Every document of the technical file: docname -> its source file, sorted by docname."""
    documents = {docname(project, path): path for path in discover_sources(project).files}
    return dict(sorted(documents.items()))


def document_content(project: Project, name: str, documents: dict[str, Path] | None = None) -> DocumentContent:
    """The content of the document ``name``; TechfileError when there is no such document or it cannot be read."""
    documents = controlled_documents(project) if documents is None else documents
    source = documents.get(name)
    if source is None:
        raise TechfileError(f"{name!r} is not a document of the technical file", fix=unknown_document_fix(name, documents))
    found: dict[str, str] = {}
    _collect(project, source, PARSER_OF_SUFFIX.get(source.suffix, "myst"), found, stack=(source.resolve(),))
    return DocumentContent(name, tuple(sorted(found.items(), key=lambda item: item[0].encode("utf-8"))))


def unknown_document_fix(name: str, documents: Iterable[str]) -> str:
    import difflib

    known = list(documents)
    close = difflib.get_close_matches(name.removesuffix(".md").removesuffix(".rst"), known, n=1)
    if close:
        return f"did you mean {close[0]!r}? name a document without its suffix, as Sphinx does"
    return "name a document as Sphinx does, without its suffix: " + ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")


def manifest_path(project: Project, path: Path) -> str:
    """A file's path in the manifest: relative to the project root, with ``..`` for one outside it, so the digest does not depend on where the checkout is."""
    absolute = Path(os.path.abspath(path))
    root = Path(os.path.abspath(project.root))
    return absolute.relative_to(root).as_posix() if absolute.is_relative_to(root) else Path(os.path.relpath(absolute, root)).as_posix()


def _collect(project: Project, path: Path, parser: str, found: dict[str, str], *, stack: tuple[Path, ...]) -> None:
    """Add ``path`` and, for parsed markup, the files it includes (cycles are the readers' to refuse)."""
    shown = manifest_path(project, path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise TechfileError(f"cannot read {shown}: {error.strerror or error}", path=shown, fix="make the file readable") from None
    found[shown] = hashlib.sha256(data).hexdigest()
    text = discover.read(path, shown)
    for directive in SCANNERS[parser](text, Path(shown), INCLUDES):
        if directive.name not in INCLUDES:
            continue
        argument = directive.argument.strip()
        target = sphinx_srcdir(project) / argument.lstrip("/") if argument.startswith("/") else path.parent / argument
        if not target.is_file() or target.resolve() in stack:
            continue  # a missing include or a cycle is the source readers' error, at its line
        literal = directive.name == "literalinclude" or bool(set(directive.options) & _LITERAL_OPTIONS)
        if literal:
            shown_target = manifest_path(project, target)
            found[shown_target] = hashlib.sha256(target.read_bytes()).hexdigest()
            continue
        wanted = directive.options.get("parser", "").lower()
        included_as = "rst" if "rst" in wanted or "restructuredtext" in wanted else "myst" if "myst" in wanted else (directive.parser or parser)
        _collect(project, target, included_as, found, stack=(*stack, target.resolve()))


def parse_files(value: str | None) -> dict[str, str]:
    """``content_files`` -> {path: start of its SHA-256}."""
    files: dict[str, str] = {}
    for part in (value or "").split(";"):
        path, _, digest = part.strip().rpartition("=")
        if path:
            files[path.strip()] = digest.strip()
    return files


# ------------------------------------------------------------------ records


@dataclass(frozen=True)
class Approval:
    """One approval need, read through the role's canonical field names."""

    need: Need
    approver: str
    approver_role: str
    meaning: str
    approved_on: str
    document: str | None
    document_version: str | None
    commit: str | None
    content_sha256: str | None
    content_files: dict[str, str]
    git_tag: str | None
    verify: bool
    approves: tuple[str, ...]

    @property
    def id(self) -> str:
        return self.need.id

    @property
    def order(self) -> tuple[str, int, str]:
        """Latest last: by date, then by ID number (``techfile approve`` numbers them in order)."""
        match = _APPROVAL_ID.match(self.id)
        return (self.approved_on, int(match["number"]) if match else -1, self.id)

    def changes(self, content: DocumentContent) -> list[str]:
        """What differs between the signed content and ``content``: ``path (changed|added|removed)``."""
        if self.content_sha256 == content.sha256:
            return []
        now = dict(content.files)
        if not self.content_files:
            return [f"{path} (one of the files signed, no content_files recorded)" for path in now]
        out = []
        for path in sorted(set(now) | set(self.content_files)):
            if path not in self.content_files:
                out.append(f"{path} (added)")
            elif path not in now:
                out.append(f"{path} (removed)")
            elif not now[path].startswith(self.content_files[path]) or not self.content_files[path]:
                out.append(f"{path} (changed)")
        return out or [f"{path} (the digest differs)" for path in now]


def approvals(corpus: Corpus) -> list[Approval]:
    """Every approval need of the corpus, oldest first."""
    found = []
    for need in corpus.by_role(Role.APPROVAL):

        def value(name: str, need: Need = need) -> str | None:
            return corpus.value(need, name)

        found.append(
            Approval(
                need=need,
                approver=value("approver") or "",
                approver_role=value("approver_role") or "",
                meaning=value("meaning") or "",
                approved_on=value("approved_on") or "",
                document=(value("document") or "").strip() or None,
                document_version=value("document_version"),
                commit=value("commit"),
                content_sha256=(value("content_sha256") or "").strip().lower() or None,
                content_files=parse_files(value("content_files")),
                git_tag=value("git_tag"),
                verify=(value("verify") or "").strip().lower() == "true",
                approves=corpus.link_targets(need, Relation.APPROVES),
            )
        )
    return sorted(found, key=lambda a: a.order)


def by_document(records: Iterable[Approval]) -> dict[str, list[Approval]]:
    """Approvals per document they name, oldest first."""
    grouped: dict[str, list[Approval]] = {}
    for approval in sorted(records, key=lambda a: a.order):
        if approval.document:
            grouped.setdefault(approval.document, []).append(approval)
    return grouped


def next_id(corpus: Corpus) -> str:
    """``APPR_NNN``: one more than the highest number used by any need (three digits at least)."""
    numbers = [int(m["number"]) for need_id in corpus.needs if (m := _APPROVAL_ID.match(need_id))]
    return f"APPR_{max(numbers, default=0) + 1:03d}"


# ------------------------------------------------------------------ status


@dataclass(frozen=True)
class DocumentStatus:
    """Where one controlled document stands."""

    docname: str
    path: str
    """Its source file, relative to the project root."""
    latest: Approval | None
    changes: tuple[str, ...] = ()
    problem: str | None = None
    """Why its content could not be read, if it could not."""

    @property
    def state(self) -> str:
        if self.problem is not None:
            return "unreadable"
        if self.latest is None:
            return "never approved"
        return "changed since approval" if self.changes else "approved"


@dataclass
class Statuses:
    """Every controlled document's status, and approvals naming no document."""

    documents: list[DocumentStatus] = field(default_factory=list)
    holding: set[str] = field(default_factory=set)
    """Documents that hold approvals: every approval changes them, so they are not approved themselves."""
    unknown: list[Approval] = field(default_factory=list)
    """Approvals whose ``document`` is not a document of the technical file."""
    contents: dict[str, DocumentContent] = field(default_factory=dict)


def statuses(project: Project, corpus: Corpus, *, signed_only: bool = False) -> Statuses:
    """The status of every controlled document, from the files as they are and the approvals of ``corpus``.

    ``signed_only``: the content (every file read and hashed) only of the documents that have an approval;
    the others are "never approved" without reading them (what the rules need, at a fraction of the cost)."""
    documents = controlled_documents(project)
    signed = approvals(corpus)
    grouped = by_document(signed)
    by_file = {project.relative(path): name for name, path in documents.items()}
    out = Statuses(holding={by_file[a.need.path] for a in signed if a.need.path in by_file})
    for name, source in documents.items():
        latest = grouped.get(name, [None])[-1]
        if signed_only and latest is None:
            out.documents.append(DocumentStatus(name, project.relative(source), None))
            continue
        try:
            content = document_content(project, name, documents)
        except TechfileError as error:
            out.documents.append(DocumentStatus(name, project.relative(source), latest, problem=error.message))
            continue
        out.contents[name] = content
        changes = tuple(latest.changes(content)) if latest is not None else ()
        out.documents.append(DocumentStatus(name, project.relative(source), latest, changes))
    out.unknown = [a for name, records in grouped.items() if name not in documents for a in records]
    return out


# ------------------------------------------------------------------ signatures


@dataclass(frozen=True)
class Verification:
    """What git says of a signature: verified by whom, or why not."""

    verified: bool
    detail: str
    """The signer when verified, else the reason."""
    subject: str = ""
    """What was verified: ``tag approval/srs`` or ``commit 1a2b3c4d5e6f``."""

    @property
    def text(self) -> str:
        return f"signature verified: {self.detail}" if self.verified else f"not verified: {self.detail}"

    @property
    def labelled(self) -> str:
        """``tag approval/srs: signature verified: ...``."""
        return f"{self.subject}: {self.text}" if self.subject else self.text


_SSH_GOOD = re.compile(r'Good "git" signature for (?P<signer>.+?) with (?P<key>\S+ key \S+)')
_GPG_GOOD = re.compile(r"^\[GNUPG:\] GOODSIG \S+ (?P<signer>.+)$", re.M)


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None


def _signer(output: str) -> str | None:
    ssh = _SSH_GOOD.search(output)
    if ssh:
        return f"{ssh['signer']} ({ssh['key']})"
    gpg = _GPG_GOOD.search(output)
    return gpg["signer"].strip() if gpg else None


def verify_object(root: Path, kind: str, name: str) -> Verification:
    """``git verify-tag --raw`` (``kind = "tag"``) or ``git verify-commit --raw`` of ``name``."""
    found = _git(root, "rev-parse", "--verify", "--quiet", f"{name}^{{{'tag' if kind == 'tag' else 'commit'}}}")
    if found is None:
        return Verification(False, "git is not available")
    if found.returncode != 0:
        what = "annotated tag" if kind == "tag" else "commit"
        return Verification(False, f"no {what} {name} in this clone")
    done = _git(root, f"verify-{kind}", "--raw", name)
    if done is None:
        return Verification(False, "git is not available")
    output = done.stderr + done.stdout
    signer = _signer(output)
    if done.returncode == 0 and signer:
        return Verification(True, signer)
    said = [line.strip() for line in output.splitlines() if line.strip()]
    return Verification(False, said[-1] if said else f"git verify-{kind} failed")


def verify_signatures(root: Path, approval: Approval) -> list[Verification]:
    """The signed tag of ``approval`` (and its commit, with ``verify = true``), as git verifies them here."""
    results: list[Verification] = []
    if approval.git_tag:
        tag = verify_object(root, "tag", approval.git_tag)
        if tag.verified and approval.commit:
            target = _git(root, "rev-parse", "--verify", "--quiet", f"{approval.git_tag}^{{commit}}")
            pointed = target.stdout.strip() if target is not None and target.returncode == 0 else ""
            if pointed and not pointed.startswith(approval.commit.lower()):
                tag = Verification(False, f"tag {approval.git_tag} points at {pointed[:12]}, not at the approval's commit {approval.commit[:12]}")
        results.append(replace(tag, subject=f"tag {approval.git_tag}"))
    if approval.verify and approval.commit:
        results.append(replace(verify_object(root, "commit", approval.commit), subject=f"commit {approval.commit[:12]}"))
    return results
