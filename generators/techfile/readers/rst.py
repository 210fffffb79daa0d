"""Read needs from reStructuredText without Sphinx or docutils, for ``techfile check``.

The mirror of :mod:`techfile.readers.myst`. docutils would build a doctree of the
whole document, inline markup included, and knows a directive only once Sphinx has
registered it; ``techfile check`` wants the need directives alone, tens of thousands
of them in well under a second. So this is a line scanner following the part of
docutils' block parser (``docutils/parsers/rst/states.py``, 0.22) that decides
whether a ``.. name::`` line is a directive, where its block ends and how its
argument, options and content are read:

* lines as docutils' ``string2lines`` makes them (tabs to 8 columns, no trailing
  space), each read against the margin of its block: an indented line opens a nested
  block, parsed (a block quote, a definition) or literal (after a paragraph ending
  in ``::``, or ``::`` alone; or quoted, unindented, after a blank line);
* a paragraph runs to the next blank line, so a ``..`` line right after a text line
  is text; right after a list item, field, option or line block it is markup;
* the bodies of directives, footnotes, citations, list items and fields are parsed;
  those of comments, targets, substitution definitions and ``LITERAL_DIRECTIVES`` not.

Where the build and this reader could disagree (checked against docutils 0.22 and
sphinx-needs 9.1), the reader raises :class:`TechfileError` with file, line and fix:

* docutils refuses the directive with an error, so the need is not created: an
  invalid option block (a line, before the blank line, that is neither an option nor
  indented under one), a duplicate option, an option name of several words;
* ``.. REQ::``: docutils finds it (it looks names up in lower case), but sphinx-needs
  takes the need type from the name as written and drops the need;
* a need in a substitution definition: sphinx-needs registers it, docutils then
  reports an error, and the need is nowhere in the document;
* a need in a table cell (grid, simple or csv-table): docutils parses cells, this
  reader does not.

Unknown options are returned, not raised: sphinx-needs' ``option_spec`` accepts any
name (and warns), so the caller checks them against the need model. sphinx-needs
parses no content of a need it hides or deletes, so needs nested there are not
returned. Not mirrored, in documents the build reports errors for anyway: the body
of a directive docutils does not know (docutils: not parsed; here: parsed), or of a
directive that refuses its argument or an option it does not know (here: parsed).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from techfile.errors import TechfileError
from techfile.readers.directive import Directive

# docutils' patterns (Body.patterns, Inliner.simplename, the Explicit constructs),
# matched on a line whose block margin is removed.
_NAME = r"[^\W_]+(?:[-._+:][^\W_]+)*"
_EXPLICIT, _DIRECTIVE = re.compile(r"\.\.( +|$)"), re.compile(rf"\.\. +({_NAME}) ?::( +|$)")
_FOOTNOTE = re.compile(rf"\.\. +\[(?:#?{_NAME}|#|\*)\]( +|$)")  # footnotes and citations
_TARGET, _SUBSTITUTION = re.compile(r"\.\. +_(?![ ]|$)"), re.compile(r"\.\. +\|(?![ ]|$)")
# Explicit.patterns.target, on a target's lines joined, backslash escapes made \0.
_LABEL = re.compile(r"(_|(?!_)(`?)(?![ `]).+?(?<![\s\0])\2)(?<!(?<!\0):)(?<![\s\0]) ?:( +|$)")
# A directive (or substitution definition) starting a line, a table cell or a csv field.
_MARKER = re.compile(rf"(?<![^\s|\",])\.\. +(?:\|(?! ).+?\| +)?({_NAME}) ?::( |$)")
_FIELD = re.compile(r":(?![: ])([^:\\]|\\.|:(?!([ `]|$)))*(?<! ):( +|$)")
_PLAIN_FIELD = re.compile(r":([\w-]+):( +|$)")  # the common case of _FIELD, faster
_BULLET = re.compile("[-+*\u2022\u2023\u2043]( +|$)")
_ENUM = re.compile(r"(\(?)([0-9]+|[a-zA-Z]|[ivxlcdm]+|[IVXLCDM]+|#)([.)])( +|$)")
_ARG = r"([a-zA-Z][a-zA-Z0-9_-]*|<[^<>]+>)"
_ONE = rf"([-+][a-zA-Z0-9]( ?{_ARG})?|(--|/)[a-zA-Z0-9][a-zA-Z0-9_-]*([ =]{_ARG})?)"
_OPTION = re.compile(rf"{_ONE}(, {_ONE})*(  +| ?$)")
_DOCTEST, _LINE_BLOCK, _ANONYMOUS = re.compile(r">>>( +|$)"), re.compile(r"\|( +|$)"), re.compile(r"__( +|$)")
_GRID, _SIMPLE, _BORDER = re.compile(r"\+-[-+]+-\+ *$"), re.compile("=+( +=+)+ *$"), re.compile("=+[ =]*$")
_ADORNMENT, _QUOTE = re.compile(r"([!-/:-@[-`{-~])\1* *$"), re.compile(r"[!-/:-@[-`{-~]")
_LITERAL_END, _ESCAPE = re.compile(r"(?<!\\)(\\\\)*::$"), re.compile(r"\\(.)")
_ATTRIBUTION = re.compile("(---?(?!-)|\u2014) *(?=[^ \n])")  # Body.attribution_pattern
# Only a paragraph can start so: a word character, but no enumerator ("1.", "iv)") or "__".
_PLAIN = re.compile(r"(?![0-9]+[.)]( |$)|[a-zA-Z]+[.)]( |$)|__( |$))\w")

# Directives whose content is not reStructuredText: needs inside them are not needs.
LITERAL_DIRECTIVES = frozenset(
    {
        "code", "code-block", "sourcecode", "literalinclude", "highlight", "raw", "math",
        "parsed-literal", "line-block", "meta", "role", "replace", "unicode", "date",
        "toctree", "productionlist", "doctest", "testcode", "testoutput", "testsetup",
        "testcleanup", "ipython", "jupyter-execute", "code-cell", "plantuml", "uml",
        "needuml", "needarch", "graphviz", "graph", "digraph", "mermaid", "autosummary",
    }
)
# Directives without arguments, whose content starts on the directive's line; of those,
# the ones without options either, where a field list is content too.
_NO_OPTIONS = frozenset({"epigraph", "highlights", "pull-quote", "header", "footer", "acks"})
_QUOTES = frozenset({"epigraph", "highlights", "pull-quote"})  # their content is a block quote
_NO_ARGUMENTS = _NO_OPTIONS | {
    "attention", "caution", "danger", "error", "hint", "important", "note", "tip", "warning",
    "seealso", "todo", "compound", "hlist", "glossary",
}
# The values for which sphinx-needs neither hides nor deletes a need (needs_schema.py, utils.py).
_SHOWN, _KEPT = frozenset({"false", "no", "n", "off", "0"}), frozenset({"false", "no"})
_ROMAN = {"M": 1000, "CM": 900, "D": 500, "CD": 400, "C": 100, "XC": 90, "L": 50, "XL": 40,
          "X": 10, "IX": 9, "V": 5, "IV": 4, "I": 1}


def _roman(number: int) -> str:
    text = ""
    for digits, value in _ROMAN.items():
        count, number = divmod(number, value)
        text += digits * count
    return text


def _width(text: str) -> int:
    """docutils.utils.column_width: East Asian wide characters count twice."""
    return sum(1 + (unicodedata.east_asian_width(c) in "WF") - bool(unicodedata.combining(c)) for c in text)


class _Scanner:
    def __init__(self, text: str, path: Path, names: frozenset[str]) -> None:
        # Sphinx decodes sources as utf-8-sig; docutils makes \v and \f spaces.
        text = text.removeprefix("\ufeff").replace("\v", " ").replace("\f", " ")
        lines = [line.expandtabs(8) for line in text.splitlines()] if "\t" in text else text.splitlines()
        self.lines = [line.rstrip() for line in lines]
        self.indents = [len(line) - len(line.lstrip(" ")) if line else -1 for line in self.lines]  # -1: blank
        self.path, self.names = path, names
        self.found: list[Directive] = []

    def error(self, message: str, line: int, fix: str) -> TechfileError:
        return TechfileError(message, path=self.path, line=line, fix=fix)

    def block(self, start: int, stop: int, margin: int, until_blank: bool = False) -> tuple[int, int]:
        """docutils' get_indented: the end of the lines from ``start`` that are blank or
        indented at least ``margin`` (trailing blank lines left out), and their least indent."""
        indents, end, last, least = self.indents, start, start, margin
        while end < stop:
            indent = indents[end]
            if (indent < 0 and until_blank) or 0 <= indent < margin:
                break
            if indent >= 0:
                least, last = indent if last == start else min(least, indent), end + 1
            end += 1
        return last, least

    def body(self, start: int, stop: int, col: int, first: str | None = None, titles: bool = False,
             quote: bool = False) -> None:
        """docutils' Body state on lines[start:stop], margin ``col``; ``first`` replaces
        lines[start] by what follows a marker on it (a list item's, a footnote's); a
        ``quote`` (a block quote) ends at an attribution, and the lines after it are another."""
        lines, indents = self.lines, self.indents
        para, head, literal = 0, "", False  # the open paragraph: lines, first line, ends in "::"
        seen = False  # a line of this block quote before this one
        i = start
        while i < stop:
            indent = indents[i] if first is None or i > start else col
            if indent < 0:
                para, i = 0, i + 1  # a literal block may still follow the blank line
                continue
            if indent > col:  # a block quote, a definition (after one text line), a literal block
                end, inner = self.block(i, stop, col + 1)
                if not literal or para == 1:
                    self.body(i, end, inner, quote=para != 1)
                para, literal, seen, i = 0, False, True, end
                continue
            text = first if first is not None and i == start else lines[i][col:]
            if quote and seen and indents[i - 1] < 0 and _ATTRIBUTION.match(text) and (ends := self.attribution(i, stop)):
                para, literal, seen, i = 0, False, False, ends  # docutils' split_attribution: text
                continue
            seen = True
            if para:  # the paragraph goes on, unless this underlines its first line: a title
                if para == 1 and _ADORNMENT.match(text) and (len(text) >= 4 or _width(head) <= len(text)):
                    para, literal = 0, False
                else:
                    para, literal = para + 1, text.endswith("::") and bool(_LITERAL_END.search(text))
                i += 1
                continue
            if literal:  # after "::" and a blank line: lines quoted by the same character
                literal = False
                if _QUOTE.match(text):
                    i += 1
                    while i < stop and lines[i][col : col + 1] == text[0]:
                        i += 1
                    continue
            after = self.construct(i, stop, col, text, titles)
            if after is None:
                para, head, literal = 1, text, text.endswith("::") and bool(_LITERAL_END.search(text))
            i = i + 1 if after is None else after

    def construct(self, i: int, stop: int, col: int, text: str, titles: bool) -> int | None:
        """The line after the construct ``text`` starts at lines[i]; None for a paragraph."""
        if text[0] == "." and _EXPLICIT.match(text):
            return self.explicit(i, stop, col, text)
        if _PLAIN.match(text):
            return None
        match = _BULLET.match(text) or _ENUM.match(text)
        if match and (match.re is _BULLET or self.enumerated(match, i, stop, col)):
            if not text[match.end() :]:
                return self.nested(i, stop, col, "")
            end = self.block(i + 1, stop, col + match.end())[0]  # indented as far as the text
            self.body(i, end, col + match.end(), text[match.end() :])
            return end
        match = _FIELD.match(text) or _OPTION.match(text)  # an option list item needs a description
        if match and (match.re is _FIELD or text[match.end() :] or self.block(i + 1, stop, col + 1)[0] > i + 1):
            return self.nested(i, stop, col, text[match.end() :])
        if _DOCTEST.match(text):  # text up to a blank line
            return self.block(i + 1, stop, 0, until_blank=True)[0]
        if _LINE_BLOCK.match(text) or _ANONYMOUS.match(text):  # text up to a blank or unindented line
            return self.block(i + 1, stop, col + 1, until_blank=True)[0]
        if _GRID.match(text) or _SIMPLE.match(text):
            return self.table(i, stop, col, text)
        if _ADORNMENT.match(text) and len(text) >= 4:  # a transition, or a title's overline
            if not titles or i + 1 >= stop or self.indents[i + 1] < 0:
                return i + 1
            # docutils' Line state: an adornment next is an error (two lines), else a title (three)
            return min(i + (2 if _ADORNMENT.match(self.lines[i + 1][col:]) else 3), stop)
        return None

    def attribution(self, i: int, stop: int) -> int | None:
        """docutils' check_attribution: the end of the attribution at lines[i], or None if
        the lines after its first are not all indented alike."""
        end = i + 1
        while end < stop and self.indents[end] >= 0:
            if self.indents[end] != self.indents[i + 1]:
                return None
            end += 1
        return end

    def nested(self, i: int, stop: int, col: int, rest: str) -> int:
        """A body that starts with ``rest`` on lines[i] and has the margin of the lines after."""
        end, inner = self.block(i + 1, stop, col + 1)
        self.body(i if rest else i + 1, end, inner, rest or None)
        return end

    def enumerated(self, match: re.Match[str], i: int, stop: int, col: int) -> bool:
        """docutils' is_enumerated_list_item: a valid enumerator, then a blank or indented
        line, or one starting with the next enumerator or ``#``."""
        prefix, enum, suffix = match.group(1, 2, 3)
        if prefix and suffix != ")":
            return False  # "(1." is no enumerator
        following: str | None = "#"
        if enum.isdigit():
            following = str(int(enum) + 1)
        elif len(enum) == 1 and enum not in "iI#":  # a letter; i and I are Roman
            following = None if enum in "zZ" else chr(ord(enum) + 1)
        elif enum != "#":
            ordinal = sum(-_ROMAN[c] if _ROMAN[c] < _ROMAN[n] else _ROMAN[c] for c, n in zip(enum.upper(), enum.upper()[1:] + "I", strict=True))
            if not 0 < ordinal < 5000 or _roman(ordinal) != enum.upper():
                return False  # docutils accepts canonical Roman numerals only, up to 4999
            following = None if ordinal == 4999 else _roman(ordinal + 1) if enum.isupper() else _roman(ordinal + 1).lower()
        if i + 1 >= stop or self.indents[i + 1] != col:
            return True
        return following is not None and self.lines[i + 1][col:].startswith((f"{prefix}{following}{suffix} ", f"{prefix}#{suffix} "))

    def table(self, i: int, stop: int, col: int, text: str) -> int:
        """Skip a grid or simple table; its cells are not read, so a need in one is an error."""
        end = i + 1
        if _GRID.match(text):  # isolate_grid_table: the unindented lines starting with + or |
            while end < stop and self.indents[end] == col and self.lines[end][col] in "+|":
                end += 1
        else:  # isolate_simple_table: up to the second border, or one before a blank line
            borders = 0
            while end < stop:
                row = self.lines[end][col:]
                if _BORDER.match(row):
                    borders += 1
                    if len(row) != len(text) or borders == 2 or end + 1 >= stop or self.indents[end + 1] < 0:
                        break
                end += 1
            end = min(end + 1, stop)
        self.refuse(i, end, "a table")
        return end

    def refuse(self, start: int, end: int, where: str) -> None:
        """Raise if lines[start:end], which docutils parses and this reader does not, hold a need."""
        for k in range(start, end):
            for found in _MARKER.finditer(self.lines[k]):
                if found.group(1).lower() in self.names:
                    raise self.error(f'a "{found.group(1)}" directive in {where}, which techfile check does not read',
                                     k + 1, f"move the need out of {where}")

    def explicit(self, i: int, stop: int, col: int, text: str) -> int:
        match = _DIRECTIVE.match(text)
        if match is not None:
            return self.directive(i, stop, col, text, match)
        if (footnote := _FOOTNOTE.match(text)) is not None:  # footnotes and citations hold body elements
            return self.nested(i, stop, col, text[footnote.end() :])
        if (target := _TARGET.match(text)) is not None:  # up to a blank line; if malformed, a comment
            end = self.block(i + 1, stop, col + 1, until_blank=True)[0]
            label = "".join([text[target.end() :], *(self.lines[k][col:] for k in range(i + 1, end))])
            if _LABEL.match(_ESCAPE.sub("\0\\1", label)):
                return end
        if text == ".." and (i + 1 >= stop or self.indents[i + 1] < 0):
            return i + 1  # an empty comment followed by a blank line ends there
        end = self.block(i + 1, stop, col + 1)[0]
        if _SUBSTITUTION.match(text):
            self.refuse(i, end, "a substitution definition")
        return end  # a comment or a substitution definition: not parsed

    def directive(self, i: int, stop: int, col: int, text: str, match: re.Match[str]) -> int:
        written = match.group(1)
        name = written.lower()  # docutils looks directive names up in lower case
        need = name in self.names
        end, inner = self.block(i + 1, stop, col + 1)
        if not need and name in LITERAL_DIRECTIVES:
            return end
        if name == "csv-table":  # docutils parses each cell
            self.refuse(i, end, "a table")
            return end
        # parse_directive_block: the argument runs to the first blank line or option line,
        # the options to the blank line, the content follows.
        block = [text[match.end() :], *[line[inner:] for line in self.lines[i + 1 : end]]]
        size, top = len(block), 0 if block[0] else 1  # an empty first line is dropped
        blank = opt = size
        for k in range(top, size):
            if not block[k]:
                blank = k
                break
            if opt == size and block[k][0] == ":" and (_PLAIN_FIELD.match(block[k]) or _FIELD.match(block[k])):
                opt = k
        opt, content = min(opt, blank), blank + 1
        while content < size and not block[content]:
            content += 1
        if name in _NO_OPTIONS:
            opt = blank = size
        try:
            options = self.options(name, block, opt, blank, i)
        except TechfileError:
            if need:
                raise
            return end  # docutils refuses the directive; its content is not parsed
        if need:
            if written != name:
                raise self.error(f'".. {written}::" is not a need: sphinx-needs takes the need type from the name as written',
                                 i + 1, f"write the name in lower case: .. {name}::")
            self.found.append(Directive(name, "\n".join(block[top:opt]).strip(), i + 1, options, block[content:]))
            if options.get("hide", "no").lower() not in _SHOWN or options.get("delete", "no").lower() not in _KEPT:
                return end  # sphinx-needs does not parse a hidden or deleted need's content
        elif name in _NO_ARGUMENTS:  # the lines before the options are content
            if opt < blank:
                self.body(i + top, i + opt, inner, block[0] if top == 0 else None)
            else:
                content = top
        self.body(i + content, end, inner, block[0] if content == 0 else None, quote=name in _QUOTES)
        return end

    def options(self, directive: str, block: list[str], start: int, stop: int, line: int) -> dict[str, str]:
        """docutils' parse_extension_options on block[start:stop]: a field list read without
        inline markup, each value its field body's lines, dedented, joined by newlines."""
        drops = f'so docutils drops the "{directive}" directive'
        options: dict[str, str] = {}
        k = start
        while k < stop:
            number, field = line + k + 1, block[k]
            match = _PLAIN_FIELD.match(field)
            if match is not None:  # a name of word characters: nothing to unescape, one word
                name = match.group(1).lower()
            else:
                match = _FIELD.match(field)
                if match is None:
                    raise self.error(f"invalid option block: this line is neither an option nor indented under one, {drops}",
                                     number, "leave a blank line between the options and the content")
                raw = match.group().rstrip(" ")[1:-1]
                name = _ESCAPE.sub(lambda m: "" if m.group(1) == " " else m.group(1), raw).lower()
                if len(name.split()) != 1:
                    raise self.error(f'option name "{raw}" is not one word, {drops}', number, "write it as one word, e.g. :a_b:")
            value, more = field[match.end() :], k + 1
            k = more
            while k < stop and block[k][0] == " ":  # the field body goes on
                k += 1
            if k > more:
                least = min(len(text) - len(text.lstrip(" ")) for text in block[more:k])
                value = "\n".join(text for text in [value, *(text[least:] for text in block[more:k])] if text)
            if name in options:
                raise self.error(f'duplicate option "{name}", {drops}', number, "give each option once")
            options[name] = value
        return options


def scan(text: str, path: Path, directives: frozenset[str]) -> list[Directive]:
    """The directives named in ``directives`` found in one reStructuredText document."""
    scanner = _Scanner(text, path, directives)
    scanner.body(0, len(scanner.lines), 0, titles=True)
    return scanner.found
