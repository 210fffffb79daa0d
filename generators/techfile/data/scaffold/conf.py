"""Sphinx configuration of the technical file (written by `techfile init`).

techfile's extension configures sphinx-needs (need types, fields and links
from the need model), MyST and PlantUML, and reads the sources and the root
document from [tool.techfile] in pyproject.toml. Set here only what is your
own; a value set here wins over techfile's.
"""

project = "${project} technical file"
author = "${project} development team"
release = "0.1.0"

extensions = ["myst_parser", "sphinx_needs", "techfile.sphinxext"]
exclude_patterns = ["_build", ".venv"]

needs_table_style = "table"
html_theme = "alabaster"
