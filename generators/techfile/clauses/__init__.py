"""Clause coverage: which clauses of IEC 62304, ISO 14971, IEC 82304-1, the
FDA 2023 guidance and EU MDR Annex II apply to the device, and what in the
need graph and the rule results shows each one met.

:mod:`catalogue` reads the shipped clause catalogues (data, no clause text);
:mod:`queries` evaluates a catalogue's queries on the need graph;
:mod:`coverage` gives each clause its status from the rules, the queries and
the needs that declare they address it.
"""
