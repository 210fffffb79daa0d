"""Read needs from reStructuredText without Sphinx or docutils, for ``techfile check``.

The mirror of :mod:`techfile.readers.myst`. docutils would build a doctree of the
whole document, inline markup included, and only knows a directive once Sphinx has
registered it; ``techfile check`` wants the need directives alone, tens of thousands
of them in well under a second. So this is a line scanner that follows exactly the
part of docutils' block parser (``docutils/parsers/rst/states.py``, 0.22) deciding
whether a ``.. name::`` line is a directive, where its block ends and how its
argument, options and content are read (``parse_directive_block``):

* lines are read as docutils reads them: tabs expanded to 8 columns, trailing
  space dropped, relative to the left margin of the block they are in, where an
  indented line opens a nested block, parsed again (a block quote, a definition)
  or literal (after a paragraph ending in ``::``, or ``::`` alone);
* a paragraph runs to the next blank line, so a ``..`` line right after a text
  line is text; after a list item, field, option or line block it is markup;
* the bodies of directives, footnotes, list items and fields are parsed; those of
  comments, targets and the directives in ``LITERAL_DIRECTIVES`` are not.

Where the build and this reader could disagree (checked with docutils 0.22 and
sphinx-needs 9.1), the reader raises :class:`TechfileError` with file, line and fix:

* docutils refuses a directive (an error, the need is not created) for an invalid
  option block (a line that is neither ``:name: value`` nor indented under one,
  before the blank line), a duplicate option, or an option name of several words;
* a need written with capitals: docutils finds ``.. REQ::`` (names are looked up in
  lower case), but sphinx-needs takes the type from the name as written and drops
  the need ("Unknown need type 'REQ'");
* a need in a substitution definition: sphinx-needs registers it, docutils then
  reports an error and the need appears nowhere in the document;
* a need in a grid or simple table cell: docutils parses cells, this reader does not.

Unknown options are returned, not raised: sphinx-needs' ``option_spec`` accepts any
name and warns, so the caller checks them against the need model. sphinx-needs
never parses the content of a need it hides or deletes, so needs nested there are
not returned. Not mirrored, in documents the build reports errors for anyway: the
content of a directive docutils does not know (docutils: not parsed; here: parsed),
and a directive that rejects its options or content (its content is still parsed).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from techfile.errors import TechfileError
from techfile.readers.directive import Directive

# docutils' patterns (Body.patterns, Inliner.simplename, Explicit constructs),
# matched on a line with its block's margin removed.
_NAME = r"[^\W_]+(?:[-._+:][^\W_]+)*"
_DIRECTIVE = re.compile(rf"\.\. +({_NAME}) ?::( +|$)")
# A directive's marker anywhere in a line, also after a substitution's |name|.
_MARKER = re.compile(rf"\.\. +(?:\|(?! ).+?\| +)?({_NAME}) ?::( |$)")
_EXPLICIT = re.compile(r"\.\.( +|$)")
_FOOTNOTE = re.compile(rf"\.\. +\[(?:#?{_NAME}|#|\*)\]( +|$)")
_TARGET, _ANONYMOUS = re.compile(r"\.\. +_(?![ ]|$)"), re.compile(r"__( +|$)")
_SUBSTITUTION = re.compile(r"\.\. +\|(?![ ]|$)")
# Explicit.patterns.target, on a target's lines joined, backslash escapes made \0.
_LABEL = re.compile(r"(_|(?!_)(`?)(?![ `]).+?(?<![\s\0])\2)(?<!(?<!\0):)(?<![\s\0]) ?:( +|$)")
_FIELD = re.compile(r":(?![: ])([^:\\]|\\.|:(?!([ `]|$)))*(?<! ):( +|$)")
_PLAIN_FIELD = re.compile(r":[\w-]+:( +|$)")  # matches as _FIELD does, faster
_BULLET = re.compile("[-+*\u2022\u2023\u2043]( +|$)")
_ENUM = re.compile(r"(\(?)([0-9]+|[a-zA-Z]|[ivxlcdm]+|[IVXLCDM]+|#)([.)])( +|$)")
_OPTARG = r"([a-zA-Z][a-zA-Z0-9_-]*|<[^<>]+>)"
_ONE_OPTION = rf"((-|\+)[a-zA-Z0-9]( ?{_OPTARG})?|(--|/)[a-zA-Z0-9][a-zA-Z0-9_-]*([ =]{_OPTARG})?)"
_OPTION = re.compile(rf"{_ONE_OPTION}(, {_ONE_OPTION})*(  +| ?$)")
_DOCTEST, _LINE_BLOCK = re.compile(r">>>( +|$)"), re.compile(r"\|( +|$)")
_GRID, _SIMPLE = re.compile(r"\+-[-+]+-\+ *$"), re.compile("=+( +=+)+ *$")
_BORDER = re.compile("=+[ =]*$")
_ADORNMENT = re.compile(r"([!-/:-@[-`{-~])\1* *$")
_LITERAL_END = re.compile(r"(?<!\\)(\\\\)*::$")
_QUOTE = re.compile(r"[!-/:-@[-`{-~]")
_ESCAPE = re.compile(r"\\(.)")
# A line that can only be a paragraph's: a word character first, and no enumerator
# ("1.", "a)", "iv.") or anonymous target ("__") -- the shortcut for most lines.
_PLAIN = re.compile(r"(?![0-9]+[.)]( |$)|[a-zA-Z]+[.)]( |$)|__( |$))\w")

# Directives whose content is not reStructuredText: needs inside them are not needs.
LITERAL_DIRECTIVES = frozenset(
    {
        "code", "code-block", "sourcecode", "literalinclude", "highlight", "raw", "math",
        "parsed-literal", "line-block", "meta", "role", "replace", "unicode",
        "date", "toctree", "productionlist", "doctest", "testcode", "testoutput", "testsetup",
        "testcleanup", "ipython", "jupyter-execute", "code-cell", "plantuml", "uml", "needuml",
        "needarch", "graphviz", "graph", "digraph", "mermaid", "autosummary",
    }
)
# Directives without arguments: their content starts on the directive's own line;
# for those without options either, a field list there is content too.
_NO_OPTIONS = frozenset({"epigraph", "highlights", "pull-quote", "header", "footer", "acks"})
_NO_ARGUMENTS = _NO_OPTIONS | {
    "attention", "caution", "danger", "error", "hint", "important", "note", "tip", "warning",
    "seealso", "todo", "compound", "hlist", "glossary",
}
# sphinx-needs' readings of the hide and delete flags (needs_schema.py, utils.py).
_NOT_HIDDEN, _NOT_DELETED = frozenset({"false", "no", "n", "off", "0"}), frozenset({"false", "no"})
_ROMAN = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
          (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
_ROMAN_DIGITS = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def _roman(number: int) -> str:
    text = ""
    for value, digits in _ROMAN:
        count, number = divmod(number, value)
        text += digits * count
    return text


def _width(text: str) -> int:
    """docutils.utils.column_width: East Asian wide characters count twice."""
    return sum(1 + (unicodedata.east_asian_width(c) in "WF") - bool(unicodedata.combining(c)) for c in text)


def _error(message: str, path: Path, line: int, fix: str) -> TechfileError:
    return TechfileError(message, path=path, line=line, fix=fix)


class _Scanner:
    def __init__(self, text: str, path: Path, names: frozenset[str]) -> None:
        # Sphinx reads sources as utf-8-sig; docutils' string2lines turns \v and \f into
        # spaces, expands tabs to 8 columns and strips trailing whitespace.
        text = text.removeprefix("\ufeff").replace("\v", " ").replace("\f", " ")
        lines = text.splitlines()
        if "\t" in text:
            lines = [line.expandtabs(8) for line in lines]
        self.lines = [line.rstrip() for line in lines]
        # Leading spaces of each line, -1 for a blank line.
        self.indents = [len(line) - len(line.lstrip(" ")) if line else -1 for line in self.lines]
        self.path, self.names = path, names
        self.found: list[Directive] = []

    def block(self, start: int, stop: int, margin: int, until_blank: bool = False) -> tuple[int, int]:
        """docutils' get_indented: the end of the lines from ``start`` that are blank or
        indented at least ``margin`` (trailing blank lines left out), and their least indent."""
        indents = self.indents
        end = last = start
        least = 1 << 30
        while end < stop:
            indent = indents[end]
            if indent < 0:
                if until_blank:
                    break
            elif indent < margin:
                break
            else:
                least = min(least, indent)
                last = end + 1
            end += 1
        return last, least if last > start else margin

    def body(self, start: int, stop: int, col: int, first: str | None = None, titles: bool = False) -> None:
        """docutils' Body state on lines[start:stop], left margin ``col``; ``first``, when
        given, is the text of lines[start] after a marker (a list item's, a footnote's)."""
        lines, indents = self.lines, self.indents
        para, head, literal = 0, "", False  # open paragraph: its lines, first line, ends in "::"
        i = start
        while i < stop:
            indent = indents[i] if first is None or i > start else col
            if indent < 0:
                para = 0  # a literal block may still follow the blank line
                i += 1
                continue
            if indent > col:  # a block quote, a definition, or a literal block
                end, inner = self.block(i, stop, col + 1)
                if not (literal and para != 1):  # one text line, then indented: a definition
                    self.body(i, end, inner)
                para, literal, i = 0, False, end
                continue
            text = first if first is not None and i == start else lines[i][col:]
            if para:
                if para == 1 and _ADORNMENT.match(text) and (len(text) >= 4 or _width(head) <= len(text)):
                    para, literal = 0, False  # a section title's underline
                else:
                    para, literal = para + 1, text.endswith("::") and bool(_LITERAL_END.search(text))
                i += 1
                continue
            if literal:  # after "::" and a blank line, an unindented block quoted by one character
                literal = False
                if _QUOTE.match(text):
                    i += 1
                    while i < stop and lines[i][col : col + 1] == text[0]:
                        i += 1
                    continue
            after = self.construct(i, stop, col, text, titles)
            if after is None:
                para, head, literal = 1, text, text.endswith("::") and bool(_LITERAL_END.search(text))
                after = i + 1
            i = after

    def construct(self, i: int, stop: int, col: int, text: str, titles: bool) -> int | None:
        """The line after the construct that ``text`` (at ``col``) starts; None for a paragraph.
        The checks follow the order of docutils' Body.initial_transitions."""
        if text[0] == "." and _EXPLICIT.match(text):
            return self.explicit(i, stop, col, text)
        if _PLAIN.match(text):
            return None
        match = _BULLET.match(text) or _ENUM.match(text)
        if match and (match.re is _BULLET or self.enumerated(match, i, stop, col)):
            rest = text[match.end() :]
            if not rest:
                return self.nested(i, stop, col, rest)
            end = self.block(i + 1, stop, col + match.end())[0]  # known indent: the marker's width
            self.body(i, end, col + match.end(), rest)
            return end
        match = _FIELD.match(text) or _OPTION.match(text)
        if match and (match.re is _FIELD or text[match.end() :] or self.block(i + 1, stop, col + 1)[0] > i + 1):
            return self.nested(i, stop, col, text[match.end() :])
        if _DOCTEST.match(text):  # a doctest block runs to the next blank line
            return self.block(i + 1, stop, 0, until_blank=True)[0]
        if _LINE_BLOCK.match(text) or _ANONYMOUS.match(text):  # text, not parsed
            return self.block(i + 1, stop, col + 1, until_blank=True)[0]
        if _GRID.match(text) or _SIMPLE.match(text):
            return self.table(i, stop, col, text)
        if _ADORNMENT.match(text) and len(text) >= 4:  # a transition, or a title's overline
            if not titles or i + 1 >= stop or self.indents[i + 1] < 0:
                return i + 1
            # docutils' Line state: an adornment next is an error (two lines), else a title (three)
            return min(i + (2 if _ADORNMENT.match(self.lines[i + 1][col:]) else 3), stop)
        return None

    def nested(self, i: int, stop: int, col: int, rest: str) -> int:
        """A body whose first line is ``rest`` and whose margin its next lines set."""
        end, inner = self.block(i + 1, stop, col + 1)
        if rest:
            self.body(i, end, inner, rest)
        else:
            self.body(i + 1, end, inner)
        return end

    def enumerated(self, match: re.Match[str], i: int, stop: int, col: int) -> bool:
        """docutils' is_enumerated_list_item: an enumerator docutils accepts, and a next
        line that is blank, indented, or starts with the next enumerator (or ``#``)."""
        prefix, enum, suffix = match.group(1, 2, 3)
        if prefix and suffix != ")":
            return False  # "(1." is no enumerator
        following: str | None
        if enum == "#":
            following = "#"
        elif enum.isdigit():
            following = str(int(enum) + 1)
        elif len(enum) == 1 and enum not in "iI":  # a letter (i and I are Roman one)
            following = None if enum in "zZ" else chr(ord(enum) + 1)
        else:
            values = [_ROMAN_DIGITS[c] for c in enum.upper()]
            ordinal = sum(-v if v < w else v for v, w in zip(values, [*values[1:], 0]))
            if not 0 < ordinal < 5000 or _roman(ordinal) != enum.upper():
                return False  # not a Roman numeral docutils accepts
            following = _roman(ordinal + 1) if ordinal < 4999 else None
            following = following.lower() if following and enum.islower() else following
        if i + 1 >= stop or self.indents[i + 1] != col:
            return True
        return following is not None and self.lines[i + 1][col:].startswith(
            (f"{prefix}{following}{suffix} ", f"{prefix}#{suffix} ")
        )

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
                    raise _error(f'a "{found.group(1)}" directive in {where}, which techfile check does not read',
                                 self.path, k + 1, f"move the need out of {where}")

    def explicit(self, i: int, stop: int, col: int, text: str) -> int:
        match = _DIRECTIVE.match(text)
        if match is not None:
            return self.directive(i, stop, col, text, match)
        footnote = _FOOTNOTE.match(text)
        if footnote is not None:  # footnotes and citations hold body elements
            return self.nested(i, stop, col, text[footnote.end() :])
        target = _TARGET.match(text)
        if target is not None:  # up to a blank line, unless malformed: then it is a comment
            end = self.block(i + 1, stop, col + 1, until_blank=True)[0]
            label = "".join([text[target.end() :], *(self.lines[k][col:] for k in range(i + 1, end))])
            if _LABEL.match(re.sub(r"\\(.?)", "\0\\1", label)):
                return end
        if text == ".." and (i + 1 >= stop or self.indents[i + 1] < 0):
            return i + 1  # an empty comment followed by a blank line ends there
        end = self.block(i + 1, stop, col + 1)[0]
        if _SUBSTITUTION.match(text):  # sphinx-needs registers a need here, docutils then errors
            self.refuse(i, end, "a substitution definition")
        return end  # a comment or substitution definition: not parsed

    def directive(self, i: int, stop: int, col: int, text: str, match: re.Match[str]) -> int:
        written = match.group(1)
        name = written.lower()  # docutils looks directive names up in lower case
        end, inner = self.block(i + 1, stop, col + 1)
        if name not in self.names and name in LITERAL_DIRECTIVES:
            return end
        if name == "csv-table":  # docutils parses each cell
            self.refuse(i, end, "a table")
            return end
        # parse_directive_block: the argument runs to the first blank line or option,
        # the options to the blank line, the content follows it.
        block = [text[match.end() :], *[line[inner:] for line in self.lines[i + 1 : end]]]
        size = len(block)
        top = 0 if block[0] else 1  # an empty first line is dropped
        blank = opt = size
        for k in range(top, size):
            if not block[k]:
                blank = k
                break
            if opt == size and block[k][0] == ":" and (_PLAIN_FIELD.match(block[k]) or _FIELD.match(block[k])):
                opt = k
        opt = min(opt, blank)
        content = blank + 1
        while content < size and not block[content]:
            content += 1
        if name in _NO_OPTIONS:
            opt = blank = size
        try:
            options = self.options(block, opt, blank, i)
        except TechfileError:
            if name in self.names:
                raise
            return end  # docutils refuses the directive; its content is not parsed
        if name in self.names:
            if written != name:
                raise _error(f'".. {written}::" is not a need: sphinx-needs takes the need type from the name '
                             "as written", self.path, i + 1, f"write the name in lower case: .. {name}::")
            argument = "\n".join(block[top:opt]).strip()
            self.found.append(Directive(name, argument, i + 1, options, block[content:]))
            hide, delete = options.get("hide", "no").lower(), options.get("delete", "no").lower()
            if hide not in _NOT_HIDDEN or delete not in _NOT_DELETED:
                return end  # sphinx-needs does not parse a hidden or deleted need's content
        elif name in _NO_ARGUMENTS:
            if opt < blank:
                self.body(i + top, i + opt, inner, block[0] if top == 0 else None)
            else:
                content = top
        self.body(i + content, end, inner, block[0] if content == 0 else None)
        return end

    def options(self, block: list[str], start: int, stop: int, line: int) -> dict[str, str]:
        """docutils' parse_extension_options on block[start:stop]: a field list read without
        inline markup, a value being its field body's lines, dedented, joined by newlines."""
        options: dict[str, str] = {}
        k = start
        while k < stop:
            match = _PLAIN_FIELD.match(block[k]) or _FIELD.match(block[k])
            if match is None:
                raise _error("invalid option block: this line is neither an option nor indented under one",
                             self.path, line + k + 1, "leave a blank line between the options and the content")
            number, raw, values = line + k + 1, match.group().rstrip(" ")[1:-1], [block[k][match.end() :]]
            more = k = k + 1
            while k < stop and block[k][0] == " ":
                k += 1
            if k > more:
                least = min(len(value) - len(value.lstrip(" ")) for value in block[more:k])
                values = [value for value in [values[0], *(value[least:] for value in block[more:k])] if value]
            name = _ESCAPE.sub(lambda m: "" if m.group(1) == " " else m.group(1), raw) if "\\" in raw else raw
            if len(name.split()) != 1:
                raise _error(f'option name "{raw}" is not one word', self.path, number, "write it as one word, e.g. :a_b:")
            if name.lower() in options:
                raise _error(f'duplicate option "{name.lower()}"', self.path, number, "give each option once")
            options[name.lower()] = "\n".join(values)
        return options


def scan(text: str, path: Path, directives: frozenset[str]) -> list[Directive]:
    """The directives named in ``directives`` found in one reStructuredText document."""
    scanner = _Scanner(text, path, directives)
    scanner.body(0, len(scanner.lines), 0, titles=True)
    return scanner.found
