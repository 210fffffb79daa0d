"""A catalogue's queries, evaluated on the need graph.

A query never passes on an empty graph: ``every`` needs at least one need of
its role, so a project without software requirements does not meet "every
software requirement is allocated to an item".
"""

from __future__ import annotations

from dataclasses import dataclass

from techfile.clauses.catalogue import Query
from techfile.corpus import Corpus, Need
from techfile.model.roles import Relation, Role


@dataclass(frozen=True)
class QueryResult:
    query: Query
    met: bool
    problem: str | None
    """What is missing, when not met."""
    needs: tuple[str, ...] = ()
    """IDs of needs that are evidence (the ones found, or the first ones that fail)."""


def _role(name: str) -> Role | None:
    return next((role for role in Role if role.value == name), None)


def _selected(corpus: Corpus, query: Query, role: Role) -> list[Need]:
    return [need for need in corpus.by_role(role) if all(corpus.value(need, name) == value for name, value in query.where)]


def _fails(corpus: Corpus, query: Query, need: Need) -> str | None:
    missing = [corpus.field_name(need, name) for name in query.has if not corpus.value(need, name)]
    if missing:
        return f"states no {', '.join(missing)}"
    if query.linked:
        relation = Relation.named(query.linked)
        target = _role(query.to) if query.to else None
        if relation is None or not corpus.outgoing(need, relation, target):
            return f"is not {query.linked.replace('_', ' ')} any {(query.to or 'need').replace('_', ' ')}"
    return None


def evaluate_query(corpus: Corpus, query: Query) -> QueryResult:
    """``exists`` and ``every`` on the corpus; ``covered`` is :mod:`coverage`'s to judge."""
    role = _role(query.subject)
    if role is None or not corpus.model.roles.has(role):
        return QueryResult(query, False, f"the need model maps no type to the role {query.subject}")
    selected = _selected(corpus, query, role)
    if not selected:
        return QueryResult(query, False, f"there is no {query.subject.replace('_', ' ')}{''.join(f' with {n} = {v}' for n, v in query.where)}")
    failing = [(need, problem) for need in selected if (problem := _fails(corpus, query, need)) is not None]
    if query.kind == "exists":
        passing = [need.id for need in selected if all(need is not bad for bad, _ in failing)]
        if passing:
            return QueryResult(query, True, None, tuple(passing[:5]))
        need, problem = failing[0]
        return QueryResult(query, False, f"{need.id} {problem}", (need.id,))
    if failing:
        shown = "; ".join(f"{need.id} {problem}" for need, problem in failing[:3])
        more = f" (and {len(failing) - 3} more)" if len(failing) > 3 else ""
        return QueryResult(query, False, f"{len(failing)} of {len(selected)}: {shown}{more}", tuple(need.id for need, _ in failing[:5]))
    return QueryResult(query, True, None, ())
