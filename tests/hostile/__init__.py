"""Hostile input and hostile environments, one test per case (a package, so
that its test modules may share names with those of ``tests/``)."""
