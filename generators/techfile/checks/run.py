"""Load a project's declarations and evaluate its rules: what ``techfile
check`` and the Sphinx extension both call."""

from __future__ import annotations

from dataclasses import dataclass, field

from techfile.checks.engine import Evaluation, evaluate, find_release
from techfile.checks.rules import TraceRule, load_reserved, load_rules
from techfile.corpus import Corpus
from techfile.errors import TechfileError
from techfile.model.needmodel import NeedModel, load_need_model
from techfile.model.riskmatrix import RiskMatrix, load_risk_matrix
from techfile.model.roles import Role
from techfile.project import Project


@dataclass(frozen=True)
class Declarations:
    model: NeedModel
    rules: dict[str, TraceRule]
    matrix: RiskMatrix
    reserved: dict[str, str] = field(default_factory=dict)
    """Rule numbers kept free for rules not declared yet, with why (``[reserved]``)."""


def load_declarations(project: Project) -> Declarations:
    model = load_need_model(project.declaration("need_model"))
    rules_file = project.declaration("trace_rules")
    rules = load_rules(rules_file, model)
    _claimed_catalogues(project)
    return Declarations(model, rules, load_risk_matrix(project.declaration("risk_matrix")), load_reserved(rules_file, rules))


def _claimed_catalogues(project: Project) -> None:
    """Read the clause catalogues ``[tool.techfile] standards`` claims, so a broken one is bad input before any rule runs."""
    from techfile.clauses.catalogue import catalogue

    for reference in project.settings.standards:
        try:
            catalogue(reference, project.root)
        except TechfileError as error:
            if error.path is not None:
                raise
            raise project.where("standards").error(f"the catalogue {reference!r} cannot be read: {error.message}", fix=error.fix) from None


def check_corpus(project: Project, declarations: Declarations, corpus: Corpus) -> Evaluation:
    """Every rule on ``corpus``; a configured release that is not a release need is bad input."""
    release = find_release(corpus, project.release)
    if project.release and release is None:
        found = corpus.get(project.release)
        releases = ", ".join(sorted(n.id for n in corpus.by_role(Role.RELEASE))) or "none"
        why = f"is a {found.type}, not a release" if found is not None else "is not the ID of any need"
        if project.release_override is not None:
            raise TechfileError(f"--release {project.release!r} {why} (releases: {releases})", fix="give the ID of a release need")
        raise project.where("release").error(
            f"the release under evaluation {project.release!r} {why} (releases: {releases})",
            fix="set [tool.techfile] release to the ID of a release need",
            keyed=False,
        )
    return evaluate(corpus, declarations.rules, declarations.matrix, release=release, project_location=(project.root_doc_path, 1), root=project.root)
