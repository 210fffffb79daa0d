"""Sphinx configuration of the technical file.

The need types, fields and link types come from schemas/need_model.toml
(declared once, read by sphinx-needs here and by `techfile check`); project
settings from [tool.techfile] in pyproject.toml.
"""

from pathlib import Path

from techfile.sphinxext import sphinx_settings

ROOT = Path(__file__).resolve().parent
_techfile = sphinx_settings(ROOT)

project = "PJI-Risk technical file"
author = "PJI-Risk development team"
copyright = "2026, PJI-Risk development team"
release = "1.0.0"

extensions = [
    "myst_parser",
    "sphinx_needs",
    "sphinxcontrib.plantuml",
    "techfile.sphinxext",
]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# Sources: the document set (docs/) and the authored and generated needs (needs/).
root_doc = _techfile["root_doc"]
include_patterns = _techfile["include_patterns"]
exclude_patterns = ["_build", ".venv"]

# The need model, as sphinx-needs 9 configuration (needs_types with per-type
# fields and links, needs_id_regex, needs_flow_link_types).
needs_types = _techfile["needs_types"]
needs_id_required = _techfile["needs_id_required"]
needs_id_regex = _techfile["needs_id_regex"]
needs_flow_link_types = _techfile["needs_flow_link_types"]
needs_flow_engine = _techfile["needs_flow_engine"]
needs_build_json = _techfile["needs_build_json"]
needs_reproducible_json = _techfile["needs_reproducible_json"]
needs_table_style = "table"
needs_default_layout = "clean"

# Diagrams: the PlantUML jar from PyPI behind a guard that fails the build
# when PlantUML drew an error picture instead of the diagram.
plantuml = _techfile["plantuml"]
plantuml_output_format = _techfile["plantuml_output_format"]

# sphinx-needs reports a field that violates its schema without file or line
# (sphinx-needs #1606); techfile's rule N03 reports the same violation with
# both, so the location-less copy is silenced here.
suppress_warnings = ["sn_schema_violation.field_fail"]

html_theme = "alabaster"
html_title = "PJI-Risk 1.0.0 technical file"
html_static_path = ["docs/_static"]
html_css_files = ["techfile.css"]
