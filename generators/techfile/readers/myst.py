"""Read needs from MyST Markdown without Sphinx, for ``techfile check``.

The document is tokenized by MyST's own markdown-it parser, configured as
techfile configures MyST in the build (``colon_fence``, ``deflist``), so
the block structure is the build's by construction: a fence in a
blockquote or a list item is a directive, one in an indented code block or
an HTML comment is not. A need is a fenced directive whose name is a need
type; its options are read as MyST reads them (its option tokenizer,
behind a fast path for plain ``:key: value`` lines). Content that MyST
parses is read again, recursively, at its real lines, so needs nested in
admonitions or in other needs count; ``{eval-rst}`` content is read by the
reStructuredText reader. Literal directives (code, math, diagrams) are
skipped. ``{include}`` is returned to the caller, which follows it.

Where MyST would silently read something other than what the writer meant,
the reader refuses with the line and the fix: an option given twice (MyST
keeps the last), an option value continued on the next line (MyST ends the
options there and turns the rest into content), a fence never closed (it
swallows the rest of the file).
"""

from __future__ import annotations

import difflib
import re
from functools import cache
from pathlib import Path
from textwrap import dedent

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser
from myst_parser.parsers.options import TokenizeError, options_to_tokens

from techfile.errors import TechfileError
from techfile.readers import rst
from techfile.readers.directive import Directive

# What techfile sets as myst_enable_extensions in the build (sphinxext.configure).
MYST_EXTENSIONS = frozenset({"colon_fence", "deflist"})
INCLUDE = "include"
EVAL_RST = "eval-rst"

# Directives of Sphinx, MyST and sphinx-needs that a need type's name may resemble.
_KNOWN_DIRECTIVES = frozenset(
    {
        "note", "warning", "tip", "hint", "important", "caution", "danger", "error", "attention", "seealso",
        "admonition", "topic", "sidebar", "container", "rubric", "epigraph", "toctree", "include", "figure",
        "image", "table", "list-table", "needtable", "needlist", "needflow", "needimport", "needextend",
        "needfilter", "needpie", "needbar", "needgantt", "needsequence", "needextract", "needservice",
        "need", "needuml", "needarch", "needreport", "list2need",
    }
)

# Directives whose content is not MyST: needs inside them are not needs.
LITERAL_DIRECTIVES = frozenset(
    {
        "code", "code-block", "sourcecode", "code-cell", "literalinclude", "raw", "math",
        "plantuml", "uml", "needuml", "graphviz", "mermaid", "highlight", "parsed-literal",
        "csv-table", "productionlist", "doctest", "testcode", "testoutput",
    }
)

# A `:name: value` line whose value MyST's option tokenizer returns unchanged:
# no YAML indicator first, no ": " or " #" inside, no trailing colon. Only
# these skip the (character by character, slow) tokenizer; anything else is
# read by MyST's own code, so both readers agree on every value.
_PLAIN_OPTION = re.compile(r"^\s*:(?P<name>[A-Za-z0-9_][A-Za-z0-9_-]*):(?:[ ]+(?P<value>[^\s\-?:,\[\]{}#&*!|>'\"%@`](?:(?!: | #)[^\t])*?))?[ ]*$")
# a closing fence, also inside a blockquote (`> ```) or a list item
_FENCE_LINE = re.compile(r"^[\s>]*(?P<fence>`{3,}|~{3,}|:{3,})\s*$")


@cache
def _parser() -> MarkdownIt:
    parser = create_md_parser(MdParserConfig(enable_extensions=set(MYST_EXTENSIONS)), RendererHTML)
    # only the block structure decides where directives are: inline markup is not parsed
    parser.disable(["inline", "text_join"], ignoreInvalid=True)
    return parser


def is_option_line(line: str) -> bool:
    """MyST's test for a ``:key: value`` line (myst_parser.parsers.directives.is_option_line)."""
    stripped = line.lstrip()
    return stripped.startswith(":") and not stripped.startswith(":::")


def _plain_options(lines: list[str]) -> list[tuple[str, str]] | None:
    options: list[tuple[str, str]] = []
    for line in lines:
        match = _PLAIN_OPTION.match(line)
        if match is None or (match.group("value") or "").endswith(":"):
            return None
        options.append((match.group("name"), match.group("value") or ""))
    return options


def _unique(options: list[tuple[str, str]], lines: list[int], path: Path) -> dict[str, str]:
    """The options as a mapping; an option given twice is refused (MyST would keep the last silently)."""
    seen: dict[str, int] = {}
    for (name, _), line in zip(options, lines, strict=True):
        if name in seen:
            raise TechfileError(
                f"option :{name}: is given twice (lines {seen[name]} and {line}); MyST would keep the last one without a word",
                path=path,
                line=line,
                fix="give it once; for several links, separate the IDs with commas",
            )
        seen[name] = line
    return dict(options)


def parse_options(lines: list[str], start: int, path: Path, first_line: int) -> tuple[dict[str, str], int]:
    """Options at ``lines[start:]`` (``lines[0]`` is at the 1-based ``first_line``), read as
    MyST reads them; returns them and the index after them."""
    index = start
    if index < len(lines) and lines[index].startswith("---"):
        end = index + 1
        while end < len(lines) and not lines[end].startswith("---"):
            end += 1
        if end == len(lines):
            raise TechfileError("option block opened with --- is never closed", path=path, line=first_line + index, fix="close it with a --- line")
        block, block_line, after = dedent("\n".join(lines[index + 1 : end])), first_line + index + 1, end + 1
    else:
        while index < len(lines) and is_option_line(lines[index]):
            index += 1
        if index < len(lines) and index > start and lines[index][:1].isspace() and lines[index].strip():
            previous = lines[index - 1].strip().split(":")
            named = f":{previous[1]}:" if len(previous) > 2 else "the option above"
            raise TechfileError(
                f"the value of {named} seems to go on at line {first_line + index}, "
                "but MyST ends the options at the first line that does not start with ':' and reads the rest as content",
                path=path,
                line=first_line + index,
                fix="write the value on one line, or put the options in a --- YAML block",
            )
        plain = _plain_options(lines[start:index])
        if plain is not None:
            return _unique(plain, list(range(first_line + start, first_line + index)), path), index
        block, block_line, after = "\n".join(line.lstrip()[1:] for line in lines[start:index]), first_line + start, index
    try:
        tokens, _ = options_to_tokens(block)
    except TokenizeError as exc:
        raise TechfileError(
            f"invalid directive options: {exc.problem}",
            path=path,
            line=block_line + exc.problem_mark.line,
            fix='quote values that start with a YAML indicator, e.g. :version: ">=1.0"',
        ) from None
    options = [(key.value, value.value if value is not None else "") for key, value in tokens]
    return _unique(options, [block_line + key.start.line for key, _ in tokens], path), after


def _body_start(lines: list[str]) -> int:
    """Index of the first body line of a directive that is not a need (after its options)."""
    if lines and lines[0].startswith("---"):
        end = next((i for i in range(1, len(lines)) if lines[i].startswith("---")), len(lines))
        return min(end + 1, len(lines))
    index = 0
    while index < len(lines) and is_option_line(lines[index]):
        index += 1
    return index


def scan(text: str, path: Path, directives: frozenset[str], *, first_line: int = 1) -> list[Directive]:
    """The directives named in ``directives`` (and ``include``) found in MyST text whose first line is ``first_line``."""
    found: list[Directive] = []
    source_lines = text.splitlines()
    for token in _parser().parse(text):
        if token.type not in ("fence", "colon_fence") or token.map is None:
            continue
        parts = token.info.strip().split(maxsplit=1)
        name = parts[0] if parts else ""
        if not (name.startswith("{") and name.endswith("}")):
            continue  # a code block
        name = name[1:-1]
        line = first_line + token.map[0]
        content = token.content.splitlines()
        content_line = line + 1
        _refuse_unclosed(token.map, token.markup, source_lines, name, path, line)
        if name == EVAL_RST:
            for nested in rst.scan(token.content, path, directives):
                found.append(_shifted(nested, content_line - 1))
            continue
        if name in directives or name == INCLUDE:
            options, after = parse_options(content, 0, path, content_line)
            argument = parts[1] if len(parts) > 1 else ""
            found.append(Directive(name, argument, line, options, content[after:]))
            if name == INCLUDE:
                continue
            body = after
        elif name in LITERAL_DIRECTIVES:
            continue
        else:
            _refuse_misspelt(name, directives, path, line)
            body = _body_start(content)
        if body < len(content):
            found += scan("\n".join(content[body:]) + "\n", path, directives, first_line=content_line + body)
    return found


def _refuse_misspelt(name: str, directives: frozenset[str], path: Path, line: int) -> None:
    """A directive that is no need type but reads like one: a need that is silently not a need.

    The build warns about an unknown directive only if nothing registers
    that name; techfile cannot know every extension's directives, so it
    refuses only names close to a need type's.
    """
    if name in _KNOWN_DIRECTIVES:
        return
    types = sorted(directives - _KNOWN_DIRECTIVES - {"techfile-evidence"})
    close = difflib.get_close_matches(name, types, n=1, cutoff=0.75) or [t for t in types if len(t) >= 4 and (name.startswith(t) or t.startswith(name))][:1]
    if close:
        raise TechfileError(
            f"{{{name}}} is not a need type, so this is not a need",
            path=path,
            line=line,
            fix=f"did you mean {{{close[0]}}}? the need types are those of the need model",
        )


def _refuse_unclosed(span: list[int], markup: str, lines: list[str], name: str, path: Path, line: int) -> None:
    """A fence that runs to the end of its document because it is never closed."""
    end = span[1]
    if end < len(lines) or not lines:
        return
    closing = _FENCE_LINE.match(lines[end - 1])
    if end - 1 > span[0] and closing is not None and closing.group("fence")[0] == markup[0] and len(closing.group("fence")) >= len(markup):
        return
    raise TechfileError(
        f"the {{{name}}} fence opened here is never closed, so everything to the end of the file is its content",
        path=path,
        line=line,
        fix=f"close it with a {markup} line",
    )


def _shifted(directive: Directive, by: int) -> Directive:
    """A directive of ``{eval-rst}`` content at its line in the document."""
    return Directive(directive.name, directive.argument, directive.line + by, directive.options, directive.content, parser="rst")
