"""Configure Sphinx, sphinx-needs and PlantUML from the project, at
``config-inited``, before sphinx-needs reads its configuration.

A conf.py needs only ``extensions = ["myst_parser", "sphinx_needs",
"techfile.sphinxext"]``: the need types, fields and links come from the need
model, the sources and root document from ``[tool.techfile]``. A value that
conf.py (or ``-D``) sets itself still wins; where that makes the build read
something ``techfile check`` would not, the build says so
(``techfile.config``). A broken declaration is a Sphinx error at its file
and line (``techfile.declaration``), never a crash report.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

from techfile import resources
from techfile.errors import TechfileError
from techfile.project import SOURCE_SUFFIXES, Project, load_project
from techfile.sphinxext.state import build_state

logger = logging.getLogger(__name__)
# sphinx-needs reports a field that violates its schema without file or line
# (sphinx-needs #1606); rule N03 reports the same violation with both.
SUPPRESSED = ("sn_schema_violation.field_fail",)
MYST_EXTENSIONS = ("colon_fence", "deflist")


def declaration_error(error: TechfileError, consequence: str) -> None:
    location = f"{error.path}:{error.line}" if error.path and error.line else error.path
    message = error.message + (f" (fix: {error.fix})" if error.fix else "") + f"; {consequence}"
    logger.error(message, type="techfile", subtype="declaration", location=location)


def _set_by_user(config: Config, name: str) -> bool:
    return name in config._raw_config or name in config.overrides


def _include_patterns(project: Project, srcdir: Path) -> list[str]:
    """Sphinx include patterns (relative to the source folder) of the configured sources."""
    patterns = []
    for source in project.sources:
        relative = os.path.relpath(project.root / source, srcdir)
        if relative.startswith(".."):
            logger.warning(
                f"source folder {source!r} of [tool.techfile] is outside the Sphinx source folder {srcdir}; the build cannot read it",
                type="techfile", subtype="config", location=str(project.pyproject),
            )
            continue
        patterns.append("**" if relative == "." else f"{Path(relative).as_posix()}/**")
    root_doc = os.path.relpath(project.root / project.root_doc, srcdir)
    patterns += [f"{Path(root_doc).as_posix()}{suffix}" for suffix in SOURCE_SUFFIXES]
    return patterns


def settings(project: Project, srcdir: Path, model_config: dict[str, Any]) -> dict[str, Any]:
    """Every configuration value techfile sets, unless conf.py sets it."""
    root_doc = Path(os.path.relpath(project.root / project.root_doc, srcdir)).as_posix()
    return {
        **model_config,
        "root_doc": root_doc,
        "include_patterns": _include_patterns(project, srcdir),
        "needs_build_json": True,
        "needs_reproducible_json": True,
        "needs_flow_engine": "plantuml",
        "plantuml": [sys.executable, "-m", "techfile.sphinxext.plantuml_guard"],
        "plantuml_output_format": "svg_img",
        "myst_enable_extensions": list(MYST_EXTENSIONS),
    }


def _exclude_patterns(project: Project) -> list[str]:
    """Sphinx exclude patterns of ``[tool.techfile] exclude``: a name anywhere, a path where it is."""
    patterns: list[str] = []
    for name in project.settings.exclude:
        patterns += [name, f"{name}/**"] if "/" in name else [name, f"{name}/**", f"**/{name}", f"**/{name}/**"]
    return patterns


def _warn_root_doc(config: Config, ours: dict[str, Any]) -> None:
    if _set_by_user(config, "root_doc") and config.root_doc != ours["root_doc"]:
        logger.warning(
            f"conf.py sets root_doc = {config.root_doc!r}; techfile reads [tool.techfile] root_doc ({ours['root_doc']!r}): set it there instead",
            type="techfile", subtype="config", location=str(config._raw_config.get("__file__", "conf.py")),
        )
    if _set_by_user(config, "myst_enable_extensions") and "colon_fence" not in config.myst_enable_extensions:
        logger.warning(
            "myst_enable_extensions lacks colon_fence: techfile check reads ::: fences as directives, this build does not",
            type="techfile", subtype="config", location=str(config._raw_config.get("__file__", "conf.py")),
        )


def compare_sources(app: Sphinx, project: Project) -> None:
    """Warn about every source file that the build reads and ``techfile check`` does not, or the reverse.

    The two read the same files when conf.py leaves include_patterns,
    exclude_patterns and source_suffix to techfile; this catches the cases
    where it does not, file by file.
    """
    from techfile.readers.sources import source_files

    checked = {project.relative(path) for path in source_files(project)}
    built = {project.relative(Path(app.env.doc2path(docname))) for docname in app.env.found_docs}
    for path in sorted(checked - built):
        logger.warning(
            "techfile check reads this file, but this build does not (see include_patterns, exclude_patterns and source_suffix in conf.py)",
            type="techfile", subtype="config", location=path,
        )
    for path in sorted(built - checked):
        logger.warning(
            "this build reads this file, but techfile check does not (see sources and exclude in [tool.techfile]; it reads .md and .rst)",
            type="techfile", subtype="config", location=path,
        )


def configure(app: Sphinx, config: Config) -> None:
    """``config-inited``: load the project and its declarations and configure the build from them."""
    from techfile.checks.run import load_declarations
    from techfile.model.needmodel import load_need_model

    state = build_state(app)
    config.suppress_warnings = [*config.suppress_warnings, *(s for s in SUPPRESSED if s not in config.suppress_warnings)]
    config.html_static_path = [*config.html_static_path, str(resources.static_dir())]
    app.add_css_file("techfile.css")
    try:
        project = load_project(Path(app.confdir))
        model = load_need_model(project.declaration("need_model"))
    except TechfileError as error:
        declaration_error(error, "techfile configures no need type and evaluates no rule")
        return
    state.project = project
    ours = settings(project, Path(app.srcdir), model.sphinx_needs_config())
    for name, value in ours.items():
        if not _set_by_user(config, name):
            config[name] = value
    config.exclude_patterns = [*config.exclude_patterns, *(p for p in _exclude_patterns(project) if p not in config.exclude_patterns)]
    _warn_root_doc(config, ours)
    try:
        state.declarations = load_declarations(project)
    except TechfileError as error:
        declaration_error(error, "no traceability rule is evaluated")
