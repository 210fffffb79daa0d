"""The declarations a technical file is checked against: the need model
(types, fields, link types and the roles they play), the ISO 14971 risk
matrix, and how a project's own files extend the shipped defaults."""
