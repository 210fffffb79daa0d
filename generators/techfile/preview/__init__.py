"""``techfile serve``: a live preview that keeps up with the writer.

:mod:`~techfile.preview.session` watches the sources, drafts each edited page
at once (:mod:`~techfile.preview.drafts`) and runs the full build behind the
drafts; :mod:`~techfile.preview.server` serves the pages and tells the open
ones to reload.
"""
