"""The registry of named checks that rules call (``check = "..."``).

A check takes the need being checked (None for ``scope = "corpus"``
checks), its rule and the :class:`~techfile.checks.engine.Context`, and
yields one :class:`~techfile.checks.findings.Gap` per missing thing. It
declares the roles and relations it follows, so that a rule calling it is
"not applicable" to a need model that lacks them rather than silently
finding nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from techfile.checks.findings import Gap
from techfile.checks.rules import TraceRule
from techfile.corpus import Need
from techfile.model.roles import Relation, Role

if TYPE_CHECKING:
    from techfile.checks.engine import Context

CheckFunction = Callable[[Need | None, TraceRule, "Context"], Iterator[Gap]]
Scope = Literal["need", "corpus"]


@dataclass(frozen=True)
class Check:
    function: CheckFunction
    scope: Scope
    after_findings: bool
    """Runs once every other rule has reported (it reads their findings)."""
    roles: tuple[tuple[Role, ...], ...]
    """Each group needs at least one of its roles mapped."""
    relations: tuple[Relation, ...]
    """Every relation must be mapped."""


CHECKS: dict[str, Check] = {}


def check(
    name: str,
    *,
    scope: Scope = "need",
    after_findings: bool = False,
    roles: tuple[Role | tuple[Role, ...], ...] = (),
    relations: tuple[Relation, ...] = (),
) -> Callable[[CheckFunction], CheckFunction]:
    """Register ``function`` as the check ``name``."""

    def register(function: CheckFunction) -> CheckFunction:
        groups = tuple(group if isinstance(group, tuple) else (group,) for group in roles)
        CHECKS[name] = Check(function, scope, after_findings, groups, relations)
        return function

    return register


def subject(need: Need | None) -> Need:
    """The need a need-scoped check was called with."""
    assert need is not None, "need-scoped check called without a need"
    return need
