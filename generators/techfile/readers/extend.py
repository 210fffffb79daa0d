"""``needextend`` as sphinx-needs applies it, for ``techfile check``.

sphinx-needs changes needs after reading every document: each
``needextend`` names a need by ID (``<ID>`` or a single word) or selects
needs with a filter expression, and sets (``:field:``), appends to
(``:+field:``) or empties (``:-field:``) fields and links. The extends are
applied in (``extend_priority``, document, line) order, the options of one
extend last written first, links before fields, as sphinx-needs does.

A filter is a Python expression over every need that sphinx-needs
evaluates with its own filter engine; techfile check does not read one and
says so, rather than guess which needs it changes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from techfile.corpus import Corpus, normalise_links
from techfile.errors import TechfileError
from techfile.readers.directive import Directive

DEFAULT_PRIORITY = 100
_CONTROL = frozenset({"strict", "extend_priority"})


@dataclass(frozen=True)
class Extend:
    target: str
    docname: str
    path: str
    line: int
    priority: int
    options: tuple[tuple[str, str], ...]


def parse(directive: Directive, docname: str, path: str) -> Extend:
    argument = directive.argument.strip()
    if argument.startswith("<") and argument.endswith(">"):
        argument = argument[1:-1]
    elif (argument.startswith('"') and argument.endswith('"')) or len(argument.split()) != 1:
        raise TechfileError(
            f"needextend with a filter ({argument!r}) is not read by techfile check, which cannot evaluate sphinx-needs filters",
            path=path,
            line=directive.line,
            fix="extend the needs by ID, one needextend each (e.g. <SWR_001>)",
        )
    priority = directive.options.get("extend_priority", str(DEFAULT_PRIORITY)).strip()
    if not priority.isdigit():
        raise TechfileError(f"needextend extend_priority {priority!r} is not a whole number", path=path, line=directive.line, fix="give a number such as 10")
    options = tuple((key, value) for key, value in directive.options.items() if key not in _CONTROL)
    return Extend(argument, docname, path, directive.line, int(priority), options)


def apply(corpus: Corpus, extends: list[Extend]) -> None:
    """Change the corpus's needs as sphinx-needs would; a problem per extend it refuses."""
    model = corpus.model
    for extend in sorted(extends, key=lambda e: (e.priority, e.docname, e.line)):
        need = corpus.get(extend.target)
        if need is None:
            corpus.problems.append(
                TechfileError(f"needextend names {extend.target!r}, which is no need", path=extend.path, line=extend.line, fix="name an existing need ID")
            )
            continue
        declared = model.types[need.type]
        fields, links = dict(need.fields), dict(need.links)
        ordered = list(reversed(extend.options))  # sphinx-needs pops the options last first
        for kind in ("link", "field"):
            for key, value in ordered:
                name, mode = (key[1:], key[0]) if key[:1] in "+-" else (key, "=")
                is_link = name in model.links
                if is_link != (kind == "link"):
                    continue
                if name not in (declared.links if is_link else declared.fields) and name != "status":
                    corpus.problems.append(
                        TechfileError(f"needextend sets {name!r}, which type {need.type} does not declare", path=extend.path, line=extend.line, fix="extend a field or link of the need's type")
                    )
                    continue
                if is_link:
                    new = normalise_links(value.split(","))
                    links[name] = () if mode == "-" else tuple(dict.fromkeys((*links.get(name, ()), *new))) if mode == "+" else new
                    links[name] = normalise_links(links[name])
                    if not links[name]:
                        del links[name]
                elif mode == "-":
                    fields.pop(name, None)
                elif mode == "+" and fields.get(name):
                    fields[name] = f"{fields[name]} {value}"
                elif value:
                    fields[name] = value
                else:
                    fields.pop(name, None)
        corpus.needs[need.id] = replace(need, fields=fields, links=links)
