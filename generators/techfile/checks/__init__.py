"""Traceability-gap checks: rules declared in TOML (techfile's defaults, as a
project's file extends them), resolved from roles to the project's names and
evaluated on a :class:`~techfile.corpus.Corpus` by one engine for the Sphinx
build and for ``techfile check``."""
