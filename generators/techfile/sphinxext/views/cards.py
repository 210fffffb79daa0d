"""What techfile adds under a need's card on its own page: the verdict of a
test specification, and the verification of what tests verify, each linked
to its verdict row, instead of the back links to every result (which the
card layout leaves out, :mod:`techfile.sphinxext.display`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from techfile.checks import verification
from techfile.corpus import Need
from techfile.model.roles import Role
from techfile.sphinxext.views import anchors
from techfile.sphinxext.views.common import direct_verdict, results_link, spec_verdict, verdict_link
from techfile.sphinxext.views.data import Block, Emphasis, Inline, Paragraph, Strong, Text, ViewRef
from techfile.sphinxext.views.verification import spec_verdict_parts

if TYPE_CHECKING:
    from techfile.sphinxext.state import Evaluated

VERIFIED_ROLES = (Role.SOFTWARE_REQUIREMENT, Role.SYSTEM_REQUIREMENT, Role.USER_NEED, Role.RISK_CONTROL, Role.SOFTWARE_ITEM)


def _release(state: Evaluated) -> str:
    release = state.release
    if release is None:
        return ""
    version = state.corpus.value(release, "version")
    return f" of {release.id}" + (f" ({version})" if version else "")


def _spec(state: Evaluated, spec: Need) -> list[Block]:
    verdict = spec_verdict(state, spec)
    parts: list[Inline] = [Strong(f"Verdict{_release(state)}: "), verdict_link(verdict)]
    if verdict.results:
        parts += [Text(" — "), results_link(spec.id, len(verdict.results)), Text(f": {verdict.outcome_text}.")]
    else:
        parts.append(Text(" — no result."))
    return [Paragraph(tuple(parts))]


def _verified(state: Evaluated, need: Need, role: Role) -> list[Block]:
    corpus = state.corpus
    specs = verification.test_specs(corpus, need)
    seen = {r.id for s in specs for r in verification.spec_results(corpus, s)}
    direct = direct_verdict(state, [need], seen)
    if not specs and direct is None:
        if role is Role.SOFTWARE_REQUIREMENT:
            return [Paragraph((Strong("Verified by: "), Emphasis("no test specification"), Text(".")))]
        return []
    parts: list[Inline] = [Strong(f"Verified{_release(state)} by: ")]
    if specs:
        parts += spec_verdict_parts(state, specs)
    if direct is not None:
        parts += [Text("; " if specs else ""), Text(f"other automated tests: {direct.outcome_text}")]
    if role is Role.SOFTWARE_REQUIREMENT:
        parts += [Text(" — "), ViewRef(anchors.VERIFICATION_VIEW, anchors.verification(need.id), "verification summary")]
    parts.append(Text("."))
    return [Paragraph(tuple(parts))]


def card_summary(state: Evaluated, need_id: str) -> list[Block]:
    """The blocks shown under the card of ``need_id`` (none for a need of another role)."""
    need = state.corpus.get(need_id)
    if need is None:
        return []
    role = state.corpus.role_of(need)
    if role is Role.TEST_SPECIFICATION:
        return _spec(state, need)
    if role in VERIFIED_ROLES:
        return _verified(state, need, role)
    return []
