"""The named checks rules can call (``check = "..."`` in the trace rules),
for what a sphinx-needs schema cannot express: evidence outcomes, versions,
the risk matrix, class inheritance, and the need-model checks that
``techfile check`` runs where sphinx-needs would in a Sphinx build. One
module per domain; importing this package registers them all."""

from techfile.checks.predicates import approvals, architecture, clauses, data, evidence, gates, links, ml, model, postmarket, process, release, requirements, risk, soup, waivers
from techfile.checks.predicates.registry import CHECKS, Check

__all__ = ["CHECKS", "Check", "approvals", "architecture", "clauses", "data", "evidence", "gates", "links", "ml", "model", "postmarket", "process", "release", "requirements", "risk", "soup", "waivers"]
