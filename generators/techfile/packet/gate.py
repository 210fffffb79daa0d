"""The release gate: the release need of the asked version, and no open gap for it."""

from __future__ import annotations

from dataclasses import dataclass

from techfile.checks.engine import Evaluation, find_release
from techfile.checks.run import check_corpus, load_declarations
from techfile.commands import refuse_unreadable
from techfile.corpus import Corpus, Need
from techfile.errors import TechfileError
from techfile.model.roles import Role
from techfile.project import Project
from techfile.readers.sources import read_corpus


@dataclass
class Refused(Exception):
    """The release gate: open gaps for the release; nothing was built or written."""

    release: Need
    evaluation: Evaluation


def release_for_version(project: Project, corpus: Corpus, version: str) -> Need:
    """The release need whose version is ``version``; it must be the release the build evaluates."""
    releases = sorted(corpus.by_role(Role.RELEASE), key=lambda need: need.id)
    matching = [need for need in releases if corpus.value(need, "version") == version]
    if not matching:
        known = ", ".join(f"{corpus.value(need, 'version') or '(none)'} ({need.id})" for need in releases) or "none: no release need"
        raise TechfileError(
            f"no release need has version {version!r} (versions: {known})",
            path=project.root_doc_path if not releases else releases[0].path,
            fix="give one of those versions, or add a release need with that :version:",
        )
    if len(matching) > 1:
        where = ", ".join(f"{need.id} at {need.path}:{need.line}" for need in matching)
        raise TechfileError(f"{len(matching)} release needs have version {version!r}: {where}", path=matching[0].path, line=matching[0].line, fix="give each release its own version")
    release = matching[0]
    built = find_release(corpus, project.release)
    if built is None or built.id != release.id:
        evaluated = f"evaluates {built.id}" if built is not None else "evaluates no release (there are several and none is configured)"
        raise project.where("release").error(
            f"version {version} is release {release.id}, but the build {evaluated}: the packet's documents would describe another release",
            fix=f'set [tool.techfile] release = "{release.id}"',
            keyed=False,
        )
    return release


def gate(project: Project, version: str) -> tuple[Project, Corpus, Need]:
    """Read the sources, find the release, evaluate the rules; :class:`Refused` on any open gap."""
    declarations = load_declarations(project)
    corpus = read_corpus(project, declarations.model, collect=True)
    refuse_unreadable(corpus)
    release = release_for_version(project, corpus, version)
    project = project.with_release(release.id)
    evaluation = check_corpus(project, declarations, corpus)
    if any(finding.fails for finding in evaluation.findings):
        raise Refused(release, evaluation)
    return project, corpus, release
