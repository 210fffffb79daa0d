"""Load a project's declarations and evaluate its rules: what ``techfile
check`` and the Sphinx extension both call."""

from __future__ import annotations

from dataclasses import dataclass

from techfile.checks.engine import Finding, evaluate
from techfile.checks.rules import TraceRule, load_rules
from techfile.corpus import Corpus
from techfile.needmodel import NeedModel, load_need_model
from techfile.project import Project
from techfile.riskmatrix import RiskMatrix, load_risk_matrix


@dataclass(frozen=True)
class Declarations:
    model: NeedModel
    rules: dict[str, TraceRule]
    matrix: RiskMatrix


def load_declarations(project: Project) -> Declarations:
    model = load_need_model(project.need_model)
    return Declarations(model, load_rules(project.trace_rules, model), load_risk_matrix(project.risk_matrix))


def check_corpus(project: Project, declarations: Declarations, corpus: Corpus) -> list[Finding]:
    return evaluate(
        corpus,
        declarations.rules,
        declarations.matrix,
        release_id=project.release,
        project_location=(f"{project.root_doc}.md", 1),
    )
