"""Traceability-gap checks: rules declared in ``schemas/trace_rules.toml``,
evaluated on a :class:`~techfile.corpus.Corpus` by one engine for the Sphinx
build and for ``techfile check``."""
