"""Read needs from MyST Markdown without Sphinx, for ``techfile check``.

A line scanner that follows MyST's fence rules: a need is a fenced directive
(backticks, tildes or colons) whose name is a need type of the model; its
options are the ``:name: value`` lines (or the ``---`` YAML block) that open
its content, tokenized by MyST's own option parser. Literal blocks (code, eval-rst, plantuml, ...) are skipped, so a
need shown as an example in a code block is not a need; any other directive's
content is scanned, so needs nested in admonitions or in other needs count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent

from myst_parser.parsers.options import TokenizeError, options_to_tokens

from techfile.errors import TechfileError
from techfile.readers.directive import Directive

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,}|:{3,})\s*(?P<info>.*?)\s*$")
_DIRECTIVE = re.compile(r"^\{(?P<name>[A-Za-z][\w:.+-]*)\}\s*(?P<argument>.*)$")

# Directives whose content is not MyST: needs inside them are not needs.
LITERAL_DIRECTIVES = frozenset(
    {
        "code", "code-block", "sourcecode", "code-cell", "literalinclude", "eval-rst",
        "raw", "math", "plantuml", "uml", "needuml", "graphviz", "mermaid", "csv-table",
        "highlight", "parsed-literal",
    }
)


# A `:name: value` line whose value MyST's option tokenizer returns unchanged:
# no YAML indicator first, no ": " or " #" inside, no trailing colon. Only
# these skip the (character by character, slow) tokenizer; anything else is
# read by MyST's own code, so both readers agree on every value.
_PLAIN_OPTION = re.compile(r"^\s*:(?P<name>[A-Za-z0-9_][A-Za-z0-9_-]*):(?:[ ]+(?P<value>[^\s\-?:,\[\]{}#&*!|>'\"%@`](?:(?!: | #)[^\t])*?))?[ ]*$")


def is_option_line(line: str) -> bool:
    """MyST's test for a ``:key: value`` line (myst_parser.parsers.directives.is_option_line)."""
    stripped = line.lstrip()
    return stripped.startswith(":") and not stripped.startswith(":::")


def _plain_options(lines: list[str]) -> dict[str, str] | None:
    options: dict[str, str] = {}
    for line in lines:
        match = _PLAIN_OPTION.match(line)
        if match is None or (match.group("value") or "").endswith(":"):
            return None
        options[match.group("name")] = match.group("value") or ""
    return options


@dataclass
class _Open:
    char: str
    length: int
    literal: bool
    directive: Directive | None


def _parse_options(lines: list[str], start: int, path: Path) -> tuple[dict[str, str], int]:
    """Options at ``lines[start:]``, read as MyST reads them (its own option
    tokenizer); returns them and the index after them."""
    index = start
    first = start + 1  # 1-based line of the first option
    if index < len(lines) and lines[index].startswith("---"):
        end = index + 1
        while end < len(lines) and not lines[end].startswith("---"):
            end += 1
        if end == len(lines):
            raise TechfileError("option block opened with --- is never closed", path=path, line=index + 1, fix="close it with a --- line")
        block = dedent("\n".join(lines[index + 1 : end]))
        first, after = index + 2, end + 1
    else:
        while index < len(lines) and is_option_line(lines[index]):
            index += 1
        plain = _plain_options(lines[start:index])
        if plain is not None:
            return plain, index
        block, after = "\n".join(line.lstrip()[1:] for line in lines[start:index]), index
    try:
        tokens, _ = options_to_tokens(block)
    except TokenizeError as exc:
        raise TechfileError(
            f"invalid directive options: {exc.problem}",
            path=path,
            line=first + exc.problem_mark.line,
            fix='quote values that start with a YAML indicator, e.g. :version: ">=1.0"',
        ) from None
    return {key.value: (value.value if value is not None else "") for key, value in tokens}, after


def scan(text: str, path: Path, directives: frozenset[str]) -> list[Directive]:
    """The directives named in ``directives`` found in one MyST document."""
    lines = text.splitlines()
    found: list[Directive] = []
    stack: list[_Open] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        match = _FENCE.match(line)
        top = stack[-1] if stack else None
        if match is None:
            if top is not None and top.directive is not None:
                top.directive.content.append(line)
            index += 1
            continue
        fence, info = match.group("fence"), match.group("info")
        if top is not None and not info and fence[0] == top.char and len(fence) >= top.length:
            stack.pop()
            index += 1
            continue
        if top is not None and top.literal:
            index += 1
            continue
        directive = _DIRECTIVE.match(info)
        if directive is None:  # a plain code block
            stack.append(_Open(fence[0], len(fence), True, None))
            index += 1
            continue
        name = directive.group("name")
        if name in directives:
            options, after = _parse_options(lines, index + 1, path)
            record = Directive(name, directive.group("argument"), index + 1, options)
            found.append(record)
            stack.append(_Open(fence[0], len(fence), False, record))
            index = after
            continue
        stack.append(_Open(fence[0], len(fence), name in LITERAL_DIRECTIVES, None))
        index += 1
    return found
