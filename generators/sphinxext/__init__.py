"""The techfile Sphinx extension.

``conf.py`` calls :func:`sphinx_settings` for the sphinx-needs configuration
derived from the need model, and lists ``techfile.sphinxext`` as an extension.
The extension then

* evaluates the traceability rules once all needs are resolved
  (``write-started``) and reports each open gap as a typed warning
  ``techfile.<rule>`` at ``file:line`` (suppressible with ``suppress_warnings``);
* renders the computed views (``{techfile-gaps}``, ``{techfile-coverage}``,
  ``{techfile-rules}``, ``{techfile-trace-matrix}``, ``{techfile-risk-matrix}``,
  ``{techfile-risk-register}``, ``{techfile-verification}``,
  ``{techfile-safety-classes}``)
  from that one evaluation, and marks their pages for rebuild every time;
* writes ``techfile-findings.json`` next to the HTML for CI and tools.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.errors import ConfigError
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from techfile import __version__
from techfile.checks.engine import find_release
from techfile.checks.run import check_corpus, load_declarations
from techfile.errors import TechfileError
from techfile.needmodel import load_need_model
from techfile.project import load_project
from techfile.sphinxext.collect import corpus_from_sphinx
from techfile.sphinxext.render import Render
from techfile.sphinxext.views import VIEWS, State

logger = logging.getLogger(__name__)
FINDINGS_FILE = "techfile-findings.json"


def sphinx_settings(root: Path) -> dict[str, Any]:
    """Configuration values ``conf.py`` takes from the project and its need model."""
    try:
        project = load_project(root)
        model = load_need_model(project.need_model)
    except TechfileError as error:
        raise ConfigError(error.render()) from None
    settings = model.sphinx_needs_config()
    settings.update(
        root_doc=project.root_doc,
        include_patterns=[f"{source}/**" for source in project.sources],
        needs_build_json=True,
        needs_reproducible_json=True,
        needs_flow_engine="plantuml",
        plantuml=[sys.executable, "-m", "techfile.sphinxext.plantuml_guard"],
        plantuml_output_format="svg_img",
    )
    return settings


class techfile_view(nodes.General, nodes.Element):
    """Placeholder for a computed view, filled in once the rules are evaluated."""


def _directive(kind: str, option_spec: dict[str, Any] | None = None) -> type[SphinxDirective]:
    class ViewDirective(SphinxDirective):
        has_content = False
        optional_arguments = 0

        def run(self) -> list[nodes.Node]:
            self.env.techfile_view_docs = getattr(self.env, "techfile_view_docs", set()) | {self.env.docname}  # type: ignore[attr-defined]
            node = techfile_view(kind=kind, options=dict(self.options))
            self.set_source_info(node)
            return [node]

    ViewDirective.option_spec = option_spec or {}
    ViewDirective.__name__ = f"Techfile{kind.title().replace('-', '')}Directive"
    return ViewDirective


def _state(app: Sphinx) -> State | None:
    return getattr(app, "techfile_state", None)


def load(app: Sphinx) -> None:
    """Read the project settings and the declarations before any document.

    A broken rule declaration or risk matrix is reported as the error
    ``techfile.declaration`` at its file and line (no rule is evaluated then,
    and ``-W`` fails the build), rather than as a crash report.
    """
    app.techfile_declarations = None  # type: ignore[attr-defined]
    try:
        project = load_project(Path(app.confdir))
        app.techfile_declarations = (project, load_declarations(project))  # type: ignore[attr-defined]
    except TechfileError as error:
        location = f"{error.path}:{error.line}" if error.line else error.path
        message = error.message + (f" (fix: {error.fix})" if error.fix else "") + "; no traceability rule is evaluated"
        logger.error(message, type="techfile", subtype="declaration", location=location)


def evaluate(app: Sphinx, builder: Any = None) -> None:
    """Evaluate every rule on sphinx-needs' resolved needs and report the gaps."""
    if app.techfile_declarations is None:  # type: ignore[attr-defined]
        return
    project, declarations = app.techfile_declarations  # type: ignore[attr-defined]
    corpus = corpus_from_sphinx(app, declarations.model)
    findings = check_corpus(project, declarations, corpus)
    app.techfile_state = State(project, declarations, corpus, findings, find_release(corpus, project.release))  # type: ignore[attr-defined]
    for finding in findings:
        subject = f"{finding.need_id}: " if finding.need_id else ""
        message = f"{subject}{finding.message} ({finding.rule.clause_text})"
        location = f"{finding.path}:{finding.line}"
        if not finding.open:
            logger.info(f"{location}: {finding.rule.code}: {message} [accepted by {finding.accepted_by}]")
        elif finding.rule.native:
            continue  # sphinx-needs reports it, with file and line
        elif finding.rule.severity == "info":
            logger.info(f"{location}: {finding.rule.code}: {message}")
        else:
            logger.warning(message, type="techfile", subtype=finding.rule.id, location=location)


def fill_views(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    state = _state(app)
    for node in list(doctree.findall(techfile_view)):
        if state is None:
            node.replace_self([nodes.warning("", nodes.paragraph(text="The traceability rules were not evaluated: see the errors of the build."))])
            continue
        render = Render(app, docname, catalogue_doc=state.project.catalogue_doc)
        node.replace_self(VIEWS[node["kind"]](render, state, node["options"]))


def write_findings(app: Sphinx, exception: Exception | None) -> None:
    state = _state(app)
    if exception is not None or state is None:
        return
    document = {
        "tool": {"name": "techfile", "version": __version__},
        "findings": [finding.as_dict() for finding in state.findings],
    }
    Path(app.outdir, FINDINGS_FILE).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def write_root_index(app: Sphinx, exception: Exception | None) -> None:
    """``index.html`` at the top of the HTML output when the root document lives in a folder."""
    if exception is not None or app.builder.format != "html" or app.config.root_doc == "index":
        return
    target = app.builder.get_target_uri(app.config.root_doc)
    Path(app.outdir, "index.html").write_text(
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{app.config.project}</title>'
        f'<meta http-equiv="refresh" content="0; url={target}"></head>'
        f'<body><p><a href="{target}">{app.config.project}</a></p></body></html>\n',
        encoding="utf-8",
    )


def always_rebuild_views(app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]) -> list[str]:
    """Pages with computed views depend on every need: rebuild them each time."""
    docs = getattr(env, "techfile_view_docs", set())
    return sorted(doc for doc in docs if doc in env.found_docs and doc not in removed)


def purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    docs = getattr(env, "techfile_view_docs", set())
    docs.discard(docname)


def merge(app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment) -> None:
    env.techfile_view_docs = getattr(env, "techfile_view_docs", set()) | getattr(other, "techfile_view_docs", set())  # type: ignore[attr-defined]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_node(techfile_view)
    app.add_directive("techfile-gaps", _directive("gaps"))
    app.add_directive("techfile-coverage", _directive("coverage"))
    app.add_directive("techfile-rules", _directive("rules"))
    app.add_directive("techfile-trace-matrix", _directive("trace-matrix", {"kind": lambda a: directives.choice(a, ("requirements", "risk"))}))
    app.add_directive("techfile-risk-matrix", _directive("risk-matrix", {"stage": lambda a: directives.choice(a, ("initial", "residual"))}))
    app.add_directive("techfile-risk-register", _directive("risk-register"))
    app.add_directive("techfile-verification", _directive("verification"))
    app.add_directive("techfile-safety-classes", _directive("safety-classes"))
    app.connect("builder-inited", load)
    # after sphinx-needs has resolved links and run its own schema checks (priority 500)
    app.connect("write-started", evaluate, priority=800)
    app.connect("doctree-resolved", fill_views)
    app.connect("build-finished", write_findings)
    app.connect("build-finished", write_root_index)
    app.connect("env-get-outdated", always_rebuild_views)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
