"""What a change does to the technical file: the needs added, changed and
removed since a base revision, the links it made suspect, the tests to run
again and the documents it touches (``techfile impact``).

The base is read from git (``git archive``) into a temporary folder, with
its own declarations, and both trees are read as ``techfile check`` reads
them, authored needs only: generated evidence is regenerated, not changed.
"""

from __future__ import annotations

import io
import re
import subprocess
import tarfile
import tempfile
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from techfile import fingerprints
from techfile.corpus import Corpus, Need
from techfile.errors import TechfileError
from techfile.model.roles import Relation, Role
from techfile.project import Project, load_project
from techfile.readers.sources import discover_sources, read_corpus


@dataclass(frozen=True)
class Changed:
    need: Need
    what: tuple[str, ...]
    """``content`` (title, text, fields), ``links``."""
    before: Need


@dataclass
class Impact:
    base: str
    base_commit: str
    added: list[Need] = field(default_factory=list)
    changed: list[Changed] = field(default_factory=list)
    removed: list[Need] = field(default_factory=list)
    suspect: list[fingerprints.Suspect] = field(default_factory=list)
    tests: list[tuple[Need, tuple[str, ...]]] = field(default_factory=list)
    """Test specifications to run again, with the changed needs that make it so."""
    documents: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    """Source files touched or naming a touched need, with those needs."""


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise TechfileError(f"git could not be run: {error}", fix="run techfile impact in a git checkout, with git installed") from None


def _base_tree(project: Project, ref: str, into: Path) -> tuple[Path, str]:
    """The project folder as it is at ``ref``, extracted under ``into``; and the commit."""
    done = _git(project.root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if done.returncode != 0:
        probe = _git(project.root, "rev-parse", "--git-dir")
        if probe.returncode != 0:
            raise TechfileError(f"{project.root} is not in a git checkout, so --base {ref} cannot be read", fix="run techfile impact in the repository's checkout")
        raise TechfileError(f"--base {ref!r} is not a commit of this repository", fix="give a branch, tag or commit that exists (git fetch it first in a shallow CI clone)")
    commit = done.stdout.decode().strip()
    prefix = _git(project.root, "rev-parse", "--show-prefix").stdout.decode().strip()
    archive = _git(project.root, "archive", "--format=tar", commit)
    if archive.returncode != 0:
        raise TechfileError(f"git archive {commit[:12]} failed: {archive.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into / prefix, commit


def _authored(corpus: Corpus) -> dict[str, Need]:
    return {need.id: need for need in corpus if fingerprints.reviewable(corpus, need)}


def _read(project: Project) -> Corpus:
    from techfile.checks.run import load_declarations

    return read_corpus(project, load_declarations(project).model, imports=False, collect=True)


def _dependents(corpus: Corpus, start: set[str]) -> dict[str, set[str]]:
    """Need ID -> the touched needs it depends on, following links backwards (who points at a touched need)."""
    reached: dict[str, set[str]] = {need_id: {need_id} for need_id in start}
    queue = deque(start)
    while queue:
        need_id = queue.popleft()
        need = corpus.needs.get(need_id)
        if need is None:
            continue
        for link in corpus.model.links:
            for other in corpus.linking(need, link):
                if not fingerprints.reviewable(corpus, other):
                    continue
                before = len(reached.setdefault(other.id, set()))
                reached[other.id] |= reached[need_id]
                if len(reached[other.id]) > before:
                    queue.append(other.id)
    return reached


def impact(project: Project, ref: str) -> Impact:
    head = _read(project)
    if head.problems:
        raise head.problems[0]
    with tempfile.TemporaryDirectory(prefix="techfile-impact-") as folder:
        base_root, commit = _base_tree(project, ref, Path(folder))
        try:
            base_project = load_project(base_root)
        except TechfileError:
            base_project = None  # the technical file is new since the base
        base_needs = _authored(_read(base_project)) if base_project is not None else {}
    now = _authored(head)
    result = Impact(ref, commit)
    result.added = [now[i] for i in sorted(now) if i not in base_needs]
    result.removed = [base_needs[i] for i in sorted(base_needs) if i not in now]
    for need_id in sorted(set(now) & set(base_needs)):
        after, before = now[need_id], base_needs[need_id]
        what = tuple(
            name
            for name, differs in (("content", fingerprints.fingerprint(after) != fingerprints.fingerprint(before)), ("links", after.links != before.links))
            if differs
        )
        if what:
            result.changed.append(Changed(after, what, before))
    result.suspect = [s for need in now.values() for s in fingerprints.suspects(head, need)]
    touched = {n.id for n in result.added} | {c.need.id for c in result.changed}
    reach = _dependents(head, touched)
    for spec in sorted(head.by_role(Role.TEST_SPECIFICATION), key=lambda n: n.id):
        because = set(reach.get(spec.id, set()))
        for target in head.outgoing(spec, Relation.VERIFIES):
            because |= reach.get(target.id, set())
        if because:
            result.tests.append((spec, tuple(sorted(because))))
    named = touched | {n.id for n in result.removed}
    files: dict[str, set[str]] = {}
    for need in [*result.added, *(c.need for c in result.changed), *result.removed]:
        files.setdefault(need.path, set()).add(need.id)
    if named:
        pattern = re.compile(r"\b(" + "|".join(re.escape(i) for i in sorted(named, key=len, reverse=True)) + r")\b")
        for path in discover_sources(project).files:
            relative = project.relative(path)
            found = set(pattern.findall(path.read_text(encoding="utf-8", errors="replace")))
            if found:
                files.setdefault(relative, set()).update(found)
    result.documents = [(path, tuple(sorted(ids))) for path, ids in sorted(files.items())]
    return result
