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
import tomllib
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

from techfile import resources
from techfile.errors import TechfileError
from techfile.project import PYPROJECT, SOURCE_SUFFIXES, Project, Settings, load_project
from techfile.sphinxext.display import display_settings
from techfile.sphinxext.parity import read_as_check_reads
from techfile.sphinxext.state import Message, build_state

logger = logging.getLogger(__name__)
# sphinx-needs reports a field that violates its schema without file or line
# (sphinx-needs #1606); rule N03 reports the same violation with both.
SUPPRESSED = ("sn_schema_violation.field_fail",)
MYST_EXTENSIONS = ("colon_fence", "deflist")


def log_pending(app: Sphinx) -> None:
    """``builder-inited``: log what ``config-inited`` found."""
    pending = build_state(app).pending
    while pending:
        message = pending.pop(0)
        (logger.error if message.error else logger.warning)(message.text, type="techfile", subtype=message.subtype, location=message.location)


def declaration_error(error: TechfileError, consequence: str, pending: list[Message] | None = None, *, app: Sphinx | None = None) -> None:
    """A broken declaration as the error ``techfile.declaration`` at its file and line (later, into ``pending``).

    The file is shown relative to the project root (the current folder
    without ``app``), as ``techfile check`` shows it. Always as ``path:line``,
    line 1 when the error has none: Sphinx takes a location without a colon
    for a document name and would print ``schemas/trace_rules.toml.rst``.
    """
    root: Path | None = None
    if app is not None:
        project = build_state(app).project
        root = project.root if project is not None else Path(app.confdir)
    else:
        try:
            root = Path.cwd()
        except OSError:  # the current folder was removed: the path as given
            root = None
    shown = error.shown_path(root)
    location = f"{shown}:{error.line or 1}" if shown else None
    message = error.message + (f" (fix: {error.fix})" if error.fix else "") + f"; {consequence}"
    if pending is None:
        logger.error(message, type="techfile", subtype="declaration", location=location)
    else:
        pending.append(Message(True, message, "declaration", location))


def _set_by_user(config: Config, name: str) -> bool:
    return name in config._raw_config or name in config.overrides


def _include_patterns(project: Project, srcdir: Path, pending: list[Message]) -> list[str]:
    """Sphinx include patterns (relative to the source folder) of the configured sources."""
    patterns = []
    for source in project.sources:
        relative = os.path.relpath(project.root / source, srcdir)
        if relative.startswith(".."):
            pending.append(Message(False, f"source folder {source!r} of [tool.techfile] is outside the Sphinx source folder {srcdir}; the build cannot read it", "config", str(project.pyproject)))
            continue
        patterns.append("**" if relative == "." else f"{Path(relative).as_posix()}/**")
    root_doc = os.path.relpath(project.root / project.root_doc, srcdir)
    patterns += [f"{Path(root_doc).as_posix()}{suffix}" for suffix in SOURCE_SUFFIXES]
    return patterns


def settings(project: Project, srcdir: Path, model_config: dict[str, Any], pending: list[Message]) -> dict[str, Any]:
    """Every configuration value techfile sets, unless conf.py sets it."""
    root_doc = Path(os.path.relpath(project.root / project.root_doc, srcdir)).as_posix()
    return {
        **model_config,
        "root_doc": root_doc,
        "include_patterns": _include_patterns(project, srcdir, pending),
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


def _warn_root_doc(config: Config, ours: dict[str, Any], pending: list[Message]) -> None:
    conf = str(config._raw_config.get("__file__", "conf.py"))
    if _set_by_user(config, "root_doc") and config.root_doc != ours["root_doc"]:
        pending.append(Message(False, f"conf.py sets root_doc = {config.root_doc!r}; techfile reads [tool.techfile] root_doc ({ours['root_doc']!r}): set it there instead", "config", conf))
    if _set_by_user(config, "myst_enable_extensions") and "colon_fence" not in config.myst_enable_extensions:
        pending.append(Message(False, "myst_enable_extensions lacks colon_fence: techfile check reads ::: fences as directives, this build does not", "config", conf))


def catalogue_docname(app: Sphinx, project: Project) -> str:
    """The rule catalogue's docname in this build (``catalogue_doc`` is relative to the project root)."""
    return Path(os.path.relpath(project.root / project.catalogue_doc, app.srcdir)).as_posix()


def check_catalogue(app: Sphinx, project: Project) -> None:
    """Findings link to the rule catalogue: say so when the build has no such page."""
    if catalogue_docname(app, project) not in app.env.found_docs:
        logger.warning(
            f"findings link to the rule catalogue {project.catalogue_doc!r}, which is not a document of this build: "
            "add a page with a {techfile-rules} directive there, or set [tool.techfile] catalogue_doc",
            type="techfile", subtype="config", location=f"{project.relative(project.pyproject)}:{project.where('catalogue_doc').line or 1}",
        )


def compare_sources(app: Sphinx, project: Project) -> None:
    """Warn about every source file that the build reads and ``techfile check`` does not, or the reverse.

    The two read the same files when conf.py leaves include_patterns,
    exclude_patterns and source_suffix to techfile; this catches the cases
    where it does not, file by file.
    """
    from techfile.readers.sources import source_files

    reader = build_state(app).reader
    refused = {problem.path for problem in reader.problems} if reader is not None else set()
    checked = {project.relative(path) for path in source_files(project)} - refused
    built = {project.relative(Path(app.env.doc2path(docname))) for docname in app.env.found_docs} - refused
    for path in sorted(checked - built):
        logger.warning(
            "techfile check reads this file, but this build does not (see include_patterns, exclude_patterns and source_suffix in conf.py)",
            type="techfile", subtype="config", location=f"{path}:1",
        )
    for path in sorted(built - checked):
        logger.warning(
            "this build reads this file, but techfile check does not (see sources and exclude in [tool.techfile]; it reads .md and .rst)",
            type="techfile", subtype="config", location=f"{path}:1",
        )


def _apply(config: Config, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if not _set_by_user(config, name):
            config[name] = value


def _fallback_root_doc(app: Sphinx, config: Config) -> None:
    """With ``[tool.techfile]`` refused, still point Sphinx at its root document.

    Otherwise Sphinx looks for ``index`` and ends in a crash report that
    hides the error that names the real problem.
    """
    for folder in (Path(app.confdir), *Path(app.confdir).parents):
        pyproject = folder / PYPROJECT
        if not pyproject.is_file():
            continue
        root_doc: object = Settings.root_doc  # the default, when the file cannot be read at all
        try:
            tool = tomllib.loads(pyproject.read_bytes().decode("utf-8", errors="replace")).get("tool")
            table = tool.get("techfile") if isinstance(tool, dict) else None
            if isinstance(table, dict):
                root_doc = table.get("root_doc", Settings.root_doc)
        except tomllib.TOMLDecodeError:
            pass
        if isinstance(root_doc, str):
            _apply(config, {"root_doc": Path(os.path.relpath(folder / root_doc, app.srcdir)).as_posix()})
        return


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
    except TechfileError as error:
        declaration_error(error, "techfile configures nothing and evaluates no rule", state.pending, app=app)
        _fallback_root_doc(app, config)
        return
    state.project = project
    try:
        state.model = load_need_model(project.declaration("need_model"))
        model_config = state.model.sphinx_needs_config()
    except TechfileError as error:
        declaration_error(error, "techfile configures no need type and evaluates no rule", state.pending, app=app)
        model_config = None
    ours = settings(project, Path(app.srcdir), model_config or {}, state.pending)
    if state.model is not None:
        ours.update({k: v for k, v in display_settings(state.model).items() if k not in ours})
    _apply(config, ours)
    config.exclude_patterns = [*config.exclude_patterns, *(p for p in _exclude_patterns(project) if p not in config.exclude_patterns)]
    _warn_root_doc(config, ours, state.pending)
    if state.model is None:
        return
    read_as_check_reads(app, config, project, state.model)
    try:
        state.declarations = load_declarations(project)
    except TechfileError as error:
        declaration_error(error, "no traceability rule is evaluated", state.pending, app=app)
