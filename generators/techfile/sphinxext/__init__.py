"""The techfile Sphinx extension.

List it in conf.py (``extensions = ["myst_parser", "sphinx_needs",
"techfile.sphinxext"]``) and it

* configures sphinx-needs, MyST and PlantUML from the project
  (:mod:`~techfile.sphinxext.configure`, at ``config-inited``): need types,
  fields and links from the need model, sources and root document from
  ``[tool.techfile]``; conf.py still wins where it sets a value;
* imports the generated evidence where a page says ``{techfile-evidence}``;
* evaluates the traceability rules once all needs are resolved
  (``write-started``) and reports each open gap as a typed warning
  ``techfile.<rule>`` at ``file:line`` (suppressible with ``suppress_warnings``);
* renders the computed views (``{techfile-gaps}``, ``{techfile-coverage}``,
  ``{techfile-rules}``, ``{techfile-trace-matrix}``, ``{techfile-item-coverage}``,
  ``{techfile-soup-coverage}``, ``{techfile-risk-matrix}``, ``{techfile-risk-levels}``,
  ``{techfile-risk-register}``, ``{techfile-verification}``, ``{techfile-test-verdicts}``,
  ``{techfile-test-records}``, ``{techfile-safety-classes}``, ``{techfile-needs}``)
  from that one evaluation, per builder, puts each verdict under its need's
  card, and writes again every page whose computed parts changed
  (:mod:`~techfile.sphinxext.freshness`), and no other;
* ends every controlled document with its revision history from git (:mod:`~techfile.sphinxext.history`);
* writes ``techfile-findings.json`` (``findings.schema.json``) next to the
  output for CI and tools.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from techfile import __version__
from techfile.errors import TechfileError
from techfile.sphinxext import control, directives, freshness, history, preview, signatures, workbook
from techfile.sphinxext.configure import catalogue_docname, check_catalogue, compare_sources, configure, declaration_error, log_pending
from techfile.sphinxext.directives import EvidenceDirective, techfile_view, view_directive
from techfile.sphinxext.parity import compare, refine_locations
from techfile.sphinxext.state import EnvData, build_state, evaluated

logger = logging.getLogger(__name__)
FINDINGS_FILE = "techfile-findings.json"


def evaluate(app: Sphinx, builder: Any = None) -> None:
    """Evaluate every rule on sphinx-needs' resolved needs and report the gaps (once a build)."""
    from techfile.checks.run import check_corpus
    from techfile.sphinxext.collect import corpus_from_sphinx

    state = build_state(app)
    if state.project is None or state.declarations is None or state.evaluation is not None:
        return
    if preview.draft_page(app):
        if state.reader is not None:  # a draft: techfile's reading of the whole project, nothing reported
            state.corpus = state.reader
            state.evaluation = check_corpus(state.project, state.declarations, state.reader)
        return
    compare_sources(app, state.project)
    check_catalogue(app, state.project)
    state.corpus = corpus_from_sphinx(app, state.project, state.declarations.model)
    refine_locations(state.corpus, state.reader)
    compare(state.corpus, state.reader)
    try:
        state.evaluation = check_corpus(state.project, state.declarations, state.corpus)
    except TechfileError as error:
        declaration_error(error, "no traceability rule is evaluated", app=app)
        return
    for finding in state.evaluation.findings:
        location = f"{finding.path}:{finding.line}"
        if not finding.open:
            logger.info(f"{location}: {finding.rule.code}: {finding.subject_message} [accepted by {finding.accepted_by}]")
        elif finding.rule.native:
            continue  # sphinx-needs reports it, with file and line
        elif finding.rule.severity == "info":
            logger.info(f"{location}: {finding.rule.code}: {finding.subject_message}")
        else:
            logger.warning(finding.subject_message, type="techfile", subtype=finding.rule.id, location=location)


def fill_views(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    from techfile.sphinxext.render import Renderer
    from techfile.sphinxext.views import VIEWS

    view_nodes = list(doctree.findall(techfile_view))
    if not view_nodes:
        return
    state = evaluated(app)
    renderer = Renderer(app, docname, catalogue_docname(app, state.project)) if state else None
    for node in view_nodes:
        if state is None or renderer is None:
            node.replace_self([nodes.warning("", nodes.paragraph(text="The traceability rules were not evaluated: see the errors of the build."))])
            continue
        from techfile.sphinxext.freshness import view_blocks

        # a single-file builder (LaTeX, singlehtml) resolves every page's views in the root's doctree: each keeps its own page
        index, home = node.get("index"), node.get("docname")
        blocks = view_blocks(app, state, home, index, node["kind"], node["options"]) if index is not None and home else VIEWS[node["kind"]].build(state, node["options"])
        node.replace_self(renderer.blocks(blocks))


def write_findings(app: Sphinx, exception: Exception | None) -> None:
    from techfile.checks.report import document

    state = evaluated(app)
    if exception is not None or state is None or preview.draft_page(app):
        return
    catalogue = app.builder.get_target_uri(catalogue_docname(app, state.project)) if app.builder.format == "html" else f"{state.project.catalogue_doc}.html"
    text = json.dumps(document(state.evaluation, catalogue), indent=2, ensure_ascii=False) + "\n"
    Path(app.outdir, FINDINGS_FILE).write_text(text, encoding="utf-8")


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


def purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    EnvData(env).purge(docname)


def merge(app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment) -> None:
    EnvData(env).merge(docnames, EnvData(other))


def setup(app: Sphinx) -> dict[str, Any]:
    from techfile.sphinxext.views import VIEWS

    app.setup_extension("sphinx_needs")
    app.setup_extension("sphinxcontrib.plantuml")
    app.add_node(techfile_view)
    for kind, view in VIEWS.items():
        app.add_directive(f"techfile-{kind}", view_directive(kind, view.options))
    app.add_directive("techfile-evidence", EvidenceDirective)
    # before sphinx-needs reads its configuration (its earliest handler runs at priority 10)
    app.connect("config-inited", configure, priority=5)
    app.connect("builder-inited", log_pending)
    # after sphinx-needs has resolved links and run its own schema checks (priority 500)
    app.connect("write-started", evaluate, priority=800)
    app.connect("doctree-resolved", fill_views)
    app.connect("build-finished", write_findings)
    app.connect("build-finished", write_root_index)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    directives.setup(app)
    preview.setup(app)
    control.setup(app)
    signatures.setup(app)
    history.setup(app)
    workbook.setup(app)
    freshness.setup(app)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True, "env_version": 3}
