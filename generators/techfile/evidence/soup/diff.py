"""The SOUP diff between two dependency files (or two generated soup
needs.json files of two releases): added, removed, upgraded and downgraded
packages, as Markdown for the release notes. A version that is not a
version number (PEP 440, which also reads most npm versions) is listed as
changed: the diff does not guess its order."""

from __future__ import annotations

from pathlib import Path

from packaging.version import InvalidVersion, Version

from techfile.evidence.soup.formats import read_components
from techfile.evidence.soup.graph import key
from techfile.evidence.soup.interface import SoupInputError
from techfile.evidence.soup.sources import load_json, read_text


def _versions(path: Path, shown: str) -> dict[str, tuple[str, set[str]]]:
    """Package key -> (name as written, its runtime versions... or all versions)."""
    found: dict[str, tuple[str, set[str]]] = {}
    if path.suffix == ".json":
        data = load_json(read_text(path, shown), shown, SoupInputError) if path.is_file() else None
        if isinstance(data, dict) and "versions" in data and "bomFormat" not in data:
            for release in data["versions"].values():
                for need in release.get("needs", {}).values():
                    if need.get("type") == "component" and need.get("version"):
                        name = str(need["title"])
                        found.setdefault(key(name, str(need.get("ecosystem") or "pypi")), (name, set()))[1].add(str(need["version"]))
            return found
    for component in read_components(path, shown)[0]:
        found.setdefault(key(component.name, component.ecosystem), (component.name, set()))[1].add(component.version)
    return found


def _direction(old: set[str], new: set[str]) -> str:
    """``upgraded`` when every new version is above every old one, ``downgraded`` when below, else ``changed``."""
    try:
        before, after = [Version(v) for v in old], [Version(v) for v in new]
    except InvalidVersion:
        return "changed"
    if min(after) > max(before):
        return "upgraded"
    if max(after) < min(before):
        return "downgraded"
    return "changed"


def soup_diff(old: Path, new: Path, old_shown: str, new_shown: str) -> str:
    before, after = _versions(old, old_shown), _versions(new, new_shown)
    added = [f"- {after[k][0]} {', '.join(sorted(after[k][1]))}" for k in sorted(after.keys() - before.keys())]
    removed = [f"- {before[k][0]} {', '.join(sorted(before[k][1]))}" for k in sorted(before.keys() - after.keys())]
    moved: dict[str, list[str]] = {"upgraded": [], "downgraded": [], "changed": []}
    for k in sorted(before.keys() & after.keys()):
        if before[k][1] != after[k][1]:
            moved[_direction(before[k][1], after[k][1])].append(f"- {after[k][0]} {', '.join(sorted(before[k][1]))} -> {', '.join(sorted(after[k][1]))}")
    lines = [f"# SOUP changes from {old_shown} to {new_shown}", ""]
    sections = (("Added", added), ("Removed", removed), ("Upgraded", moved["upgraded"]), ("Downgraded", moved["downgraded"]), ("Changed version", moved["changed"]))
    for title, entries in sections:
        lines += [f"## {title} ({len(entries)})", "", *(entries or ["- none"]), ""]
    return "\n".join(lines)
