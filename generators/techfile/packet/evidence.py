"""The evidence inputs a packet carries, by their paths in the project.

Whatever the evidence of the technical file was made from, so that a
reviewer can regenerate and compare it: each evidence job's reports (the
``inputs`` of ``[[tool.techfile.junit]]``), each job's output and every
``needs/generated/*.json``, the ``source_file`` each generated need names
(a lock file, an SBOM, a JUnit report), the ``lock_files`` a build
environment names (``techfile environment``: the example's
requirements.txt), and the files given with ``--include``. A file that is named but missing is
bad input: a packet without its evidence would vouch for nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from techfile.corpus import Corpus
from techfile.errors import TechfileError
from techfile.project import Project

GENERATED = Path("needs") / "generated"


def evidence_inputs(project: Project, corpus: Corpus, include: Sequence[Path]) -> list[str]:
    """The evidence files the packet carries, relative to the project root (module docstring)."""
    from techfile.evidence.registry import kinds

    named: dict[str, str] = {}  # path -> who names it, for the error when it is missing
    for kind in kinds().values():
        for output in kind.outputs(project):
            named.setdefault(output, f"[[tool.techfile.{kind.name}]] output")
        for job in project.evidence_jobs(kind.name):
            for source in getattr(job, "inputs", ()):
                named.setdefault(str(source.path), f"[[tool.techfile.{kind.name}]] inputs")
    generated = project.root / GENERATED
    if generated.is_dir():
        for path in sorted(generated.glob("*.json")):
            named.setdefault(path.relative_to(project.root).as_posix(), "needs/generated")
    for need in corpus:
        source_file = corpus.value(need, "source_file")
        if source_file and not Path(source_file).is_absolute() and (project.root / source_file).is_file():
            named.setdefault(Path(source_file).as_posix(), f"source_file of {need.id}")
        for lock_file in _lock_files(corpus.value(need, "lock_files")):
            named.setdefault(lock_file, f"lock_files of {need.id}")
    for path in include:
        absolute = path if path.is_absolute() else Path.cwd() / path
        try:
            relative = absolute.resolve().relative_to(project.root.resolve()).as_posix()
        except ValueError:
            raise TechfileError("--include names a file outside the project", path=path, fix="include files of the project only; the packet keeps each under its path in the project") from None
        named.setdefault(relative, "--include")
    for relative, who in sorted(named.items()):
        path = project.root / relative
        if ".." in Path(relative).parts or not path.resolve().is_relative_to(project.root.resolve()):
            raise TechfileError(f"the evidence file {relative!r} ({who}) lies outside the project", path=project.pyproject, fix="keep evidence inside the project")
        if not path.is_file():
            raise TechfileError(
                f"the evidence file {relative} ({who}) does not exist: the packet must carry every evidence input",
                path=path,
                fix="generate the evidence first (`make evidence`: the tests' JUnit reports, then `techfile junit`)",
            )
    return sorted(named)


def _lock_files(value: str | None) -> list[str]:
    """The paths a build environment's ``lock_files`` names (``path sha256:...``, as the release-gate rule reads them)."""
    if not value:
        return []
    from techfile.checks.predicates.gates import lock_entries

    return [Path(path).as_posix() for path, _ in lock_entries(value) if not Path(path).is_absolute()]
