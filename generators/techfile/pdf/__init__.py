"""The PDF of the technical file (``techfile pdf``).

Sphinx's one-page HTML build (``singlehtml``: techfile's views render per
builder, sphinx-needs renders the needs as HTML tables) printed by
WeasyPrint with techfile's print stylesheet: a title page, a table of
contents with page numbers, every document, its diagrams, and every table
on the page, on a landscape page or in a smaller font when it is wide.

* :mod:`~techfile.pdf.build`: the pipeline (Sphinx, then WeasyPrint);
* :mod:`~techfile.pdf.doctree`: what the build does to its doctree;
* :mod:`~techfile.pdf.tables`: how much paper a table needs;
* :mod:`~techfile.pdf.frontmatter`: the title page and the contents;
* :mod:`~techfile.pdf.engine`: WeasyPrint, found or the fix named.
"""
