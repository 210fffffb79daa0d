"""``{techfile-soup-tree}``: the tree of who pulls in what, from the
component needs of ``techfile soup``: each direct dependency of the device
with the packages it pulls in, runtime first, then development; each line
names the SOUP item that evaluates the package, where there is one.

A package already shown is not expanded again (``…``), so a diamond or a
cycle in the lock file prints each subtree once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from techfile.corpus import Need
from techfile.model.roles import Role
from techfile.sphinxext.views.common import sorted_needs, unmapped
from techfile.sphinxext.views.data import Block, CodeBlock, Paragraph, Rubric, Text

if TYPE_CHECKING:
    from techfile.sphinxext.state import Evaluated


def soup_tree(state: Evaluated, options: dict[str, str]) -> list[Block]:
    if missing := unmapped(state, Role.DEPENDENCY_COMPONENT):
        return missing
    from techfile.checks.predicates.soup import package_key, soup_package

    corpus = state.corpus
    components = sorted_needs(corpus.by_role(Role.DEPENDENCY_COMPONENT))
    by_name: dict[str, list[Need]] = {}
    for component in components:
        by_name.setdefault(package_key(component.title), []).append(component)
    soups: dict[str, str] = {}
    for soup in sorted_needs(corpus.by_role(Role.SOUP_ITEM)):
        soups.setdefault(soup_package(corpus.value(soup, "purl") or "", soup.title), soup.id)

    def label(component: Need) -> str:
        soup = soups.get(package_key(component.title))
        return f"{component.title} {corpus.value(component, 'version') or ''}" + (f"  [{soup}]" if soup else "")

    shown: set[str] = set()

    def lines(component: Need, prefix: str, last: bool, top: bool) -> list[str]:
        branch = "" if top else ("└── " if last else "├── ")
        out = [f"{prefix}{branch}{label(component)}" + ("  …" if component.id in shown else "")]
        if component.id in shown:
            return out
        shown.add(component.id)
        children = [c for name in (corpus.value(component, "depends_on") or "").split(",") if name.strip() for c in by_name.get(package_key(name), [])]
        inner = prefix if top else prefix + ("    " if last else "│   ")
        for index, child in enumerate(children):
            out += lines(child, inner, index == len(children) - 1, False)
        return out

    blocks: list[Block] = []
    for scope, title in (("runtime", "Runtime dependencies (shipped with the device)"), ("development", "Development dependencies (groups, extras; not shipped)")):
        roots = [c for c in components if (corpus.value(c, "scope") or "runtime") == scope and corpus.value(c, "dependency") != "transitive"]
        if not roots:
            continue
        text: list[str] = []
        for root in sorted(roots, key=lambda c: (package_key(c.title), c.id)):
            text += lines(root, "", True, True)
        blocks += [Rubric(title), CodeBlock("\n".join(text))]
    if not blocks:
        blocks.append(Paragraph((Text("No dependency component in the tree: run techfile soup on the lock file."),)))
    return blocks
