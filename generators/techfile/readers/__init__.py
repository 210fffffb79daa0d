"""Readers of authored sources for ``techfile check``: MyST Markdown and
reStructuredText need directives, without Sphinx, and the corpus they make."""
