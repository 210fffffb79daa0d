"""Suspect links (L01): a link reviewed when its target said one thing is
suspect once the target says another, until ``techfile review`` stamps it
again (:mod:`techfile.fingerprints`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from techfile import fingerprints
from techfile.checks.findings import Gap
from techfile.checks.predicates.registry import check, subject
from techfile.checks.rules import TraceRule
from techfile.corpus import Need

if TYPE_CHECKING:
    from techfile.checks.engine import Context


@check(
    "link_reviewed",
    params={"unreviewed": {"enum": ["ignore", "gap"], "description": 'Whether a link never reviewed (no stamp) is a gap ("gap") or not yet under review ("ignore").'}},
)
def link_reviewed(need: Need | None, rule: TraceRule, ctx: Context) -> Iterator[Gap]:
    need = subject(need)
    if not fingerprints.reviewable(ctx.corpus, need):
        return
    recorded = fingerprints.stamps(need)
    for entry in recorded.malformed:
        yield Gap(f"reviewed: {entry!r} is not a review stamp TARGET@fingerprint (run techfile review {need.id})")
    targets = {target.id for target in fingerprints.link_targets(ctx.corpus, need)}
    for target_id in sorted(set(recorded.stamps) - targets):
        yield Gap(f"reviewed: {target_id} is stamped but not linked (run techfile review {need.id})")
    known: dict[str, str] = ctx.memo("links.fingerprints", dict)
    for suspect in fingerprints.suspects(ctx.corpus, need, unreviewed=rule.params.get("unreviewed") == "gap", known=known):
        target = suspect.target.id
        if suspect.stamped is None:
            yield Gap(f"links to {target}, a link never reviewed: review it, then techfile review {need.id}")
        else:
            yield Gap(
                f"links to {target}, which changed since the link was reviewed ({target}@{suspect.stamped}, now {target}@{suspect.now}): "
                f"review the change against {need.id}, then techfile review {target}"
            )
