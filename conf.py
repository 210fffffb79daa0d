"""Sphinx configuration of the PJI-Risk technical file.

techfile's extension configures sphinx-needs (need types, fields and links
from schemas/need_model.toml), MyST and PlantUML, and reads the sources and
the root document from [tool.techfile] in pyproject.toml; only what is this
device's own is set here.
"""

project = "PJI-Risk technical file"
author = "PJI-Risk development team"
copyright = "2026, PJI-Risk development team"
release = "1.0.0"

extensions = ["myst_parser", "sphinx_needs", "techfile.sphinxext"]
myst_heading_anchors = 3
exclude_patterns = ["_build", ".venv"]

needs_table_style = "table"
needs_default_layout = "clean"

# Furo: maintained and responsive (a sidebar from 63em, a menu button below),
# with a light and a dark mode that techfile's stylesheet supports. It puts
# every table in a scroll container, so a wide table scrolls inside the page
# instead of the page scrolling sideways (techfile adds the same container to
# the tables it computes, and techfile.css widens Furo's prose-width content
# for tables). alabaster fixes the page width, so it scrolled sideways below
# 1400 px; the Read the Docs theme caps the content at 800 px.
html_theme = "furo"
html_title = "PJI-Risk 1.0.0 technical file"
