"""Fingerprints of needs' content and the review stamps of links.

A need's **fingerprint** is the start of the SHA-256 of its type, title,
text and fields, canonically written: not its status (approving a need does
not change what it says), not its links, and not its own review stamps (so
stamping a need's links never makes the links to it suspect).

A link's **review stamp** is written on the linking need, in its source, as
the field ``reviewed``: ``SWR_001@3f2a9c1b2d, ITEM_CORE@77ab01cd9e``, one
``TARGET@fingerprint`` per target, the target's fingerprint when the link
was last reviewed (``techfile review``). A reviewer reads it in the diff; a
target whose fingerprint is no longer its stamp makes the link **suspect**.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from techfile.corpus import Corpus, Need
from techfile.model.needmodel import REVIEWED

LENGTH = 10
"""Hex digits of a fingerprint: enough that two versions of one need never collide in practice, short enough to read."""
_NOT_CONTENT = frozenset({"status", REVIEWED})
_STAMP = re.compile(r"^(?P<target>[A-Za-z0-9_.-]+)@(?P<fingerprint>[0-9a-f]{4,64})$")


def _text(value: str) -> str:
    """Line endings and trailing blanks do not change what a need says."""
    return "\n".join(line.rstrip() for line in value.replace("\r\n", "\n").split("\n")).strip()


def fingerprint(need: Need) -> str:
    content = {name: _text(value) for name, value in sorted(need.fields.items()) if name not in _NOT_CONTENT}
    canonical = json.dumps({"type": need.type, "title": _text(need.title), "fields": content}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:LENGTH]


@dataclass(frozen=True)
class Stamps:
    """A need's review stamps: target -> fingerprint, and the entries that are not stamps."""

    stamps: dict[str, str]
    malformed: tuple[str, ...] = ()


def stamps(need: Need) -> Stamps:
    text = need.fields.get(REVIEWED) or ""
    found: dict[str, str] = {}
    bad: list[str] = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        match = _STAMP.match(entry)
        if match is None:
            bad.append(entry)
        else:
            found[match["target"]] = match["fingerprint"]
    return Stamps(found, tuple(bad))


def reviewable(corpus: Corpus, need: Need) -> bool:
    """Authored needs are reviewed; generated evidence is regenerated, not reviewed."""
    spec = corpus.model.types.get(need.type)
    return spec is not None and not spec.generated


def link_targets(corpus: Corpus, need: Need) -> list[Need]:
    """The authored needs ``need`` links to, by any link type, each once, in ID order."""
    targets = {target.id: target for link in need.links for target in corpus.linked(need, link) if reviewable(corpus, target)}
    return [targets[key] for key in sorted(targets)]


def stamp_text(corpus: Corpus, need: Need) -> str:
    """The ``reviewed`` value that stamps every link of ``need`` as reviewed now."""
    return ", ".join(f"{target.id}@{fingerprint(target)}" for target in link_targets(corpus, need))


@dataclass(frozen=True)
class Suspect:
    source: Need
    target: Need
    stamped: str | None
    """The fingerprint the link was reviewed at; None: never reviewed."""
    now: str


def suspects(corpus: Corpus, need: Need, *, unreviewed: bool = False, known: dict[str, str] | None = None) -> list[Suspect]:
    """The links of ``need`` whose target changed since they were reviewed (and, with ``unreviewed``, those never reviewed).

    ``known``: fingerprints already worked out, by need ID (filled in as they are)."""
    if not reviewable(corpus, need):
        return []
    recorded = stamps(need).stamps
    if not recorded and not unreviewed:
        return []
    known = {} if known is None else known
    out: list[Suspect] = []
    for target in link_targets(corpus, need):
        now = known.get(target.id) or known.setdefault(target.id, fingerprint(target))
        stamped = recorded.get(target.id)
        if (stamped is not None and not now.startswith(stamped)) or (stamped is None and unreviewed):
            out.append(Suspect(need, target, stamped, now))
    return out
