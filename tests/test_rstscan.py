"""The standalone reStructuredText reader finds the needs docutils would run, at the
same lines, with the same argument, options and content; the parity tests parse the
same text with docutils itself."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from docutils import nodes
from docutils.core import publish_doctree
from docutils.parsers.rst import Directive as DocutilsDirective
from docutils.parsers.rst import directives

from techfile.errors import TechfileError
from techfile.readers.rst import LITERAL_DIRECTIVES, scan

NEEDS = ("req", "spec", "sys-arch")
Record = tuple[str, int, str, dict[str, str], list[str]]


def records(text: str) -> list[Record]:
    """(name, line, argument, options, content) of each need the scanner finds."""
    return [(d.name, d.line, d.argument, d.options, d.content) for d in scan(text, Path("x.rst"), frozenset(NEEDS))]


def titles(text: str) -> list[str]:
    return [record[2] for record in records(text)]


def lines(text: str) -> list[int]:
    return [record[1] for record in records(text)]


class AnyOption(dict[str, Callable[[str], str]]):
    """An option_spec taking every option as text, like sphinx-needs' DummyOptionSpec."""

    def __bool__(self) -> bool:
        return True  # docutils reads options only if the option_spec is true

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: str) -> Callable[[str], str]:
        return directives.unchanged


class Docutils:
    """docutils itself, with NEEDS registered as need directives that record each run."""

    def __init__(self) -> None:
        self.runs: list[Record] = []
        self.errors: list[str] = []

    def parse(self, text: str) -> list[Record]:
        self.runs.clear()
        # bytes decoded as utf-8-sig, as Sphinx reads a source file
        doctree = publish_doctree(text.encode(), settings_overrides={
            "input_encoding": "utf-8-sig", "report_level": 5, "halt_level": 5, "warning_stream": False, "docinfo_xform": False,
        })
        self.errors = [message[0].astext() for message in doctree.findall(nodes.system_message)]
        return list(self.runs)

    def refused_a_need(self) -> bool:
        return any(error.startswith(f'Error in "{name}" directive') for error in self.errors for name in NEEDS)


@pytest.fixture(scope="module")
def docutils() -> Iterator[Docutils]:
    parser = Docutils()

    class Need(DocutilsDirective):
        has_content = True
        optional_arguments = 1
        final_argument_whitespace = True
        option_spec = AnyOption()

        def run(self) -> list[nodes.Node]:
            argument = self.arguments[0] if self.arguments else ""
            parser.runs.append((self.name.lower(), self.lineno, argument, dict(self.options), list(self.content)))
            node = nodes.container()
            if self.options.get("hide", "no") in ("no", "false"):  # sphinx-needs parses no hidden content
                self.state.nested_parse(self.content, self.content_offset, node)
            return [node]

    # docutils' own directives and only these needs: whatever another test registered
    # (Sphinx's code-block needs a Sphinx environment) is out of the way, and back after
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(directives, "_directives", dict.fromkeys(NEEDS, Need))
        yield parser


DOCUMENT = """\
Requirements
============

.. req:: Found, plain
   :id: SWR_001
   :status: open

   The system shall start.
   It shall not stop.

.. req:: Found, a title that goes on
   over two lines
      and is indented
   :id: SWR_002
   :links: SYS_001,
      SYS_002
   :hide: no
   :derives_from:
   :Tags: Upper, Case

.. sys-arch:: Found, a hyphenated name
   :id: ARCH_001

.. spec ::  Found, a space before the colons
   :id: TEST_001

.. spec::
   Found, the title on the next line
   :id: TEST_002

.. req:: :id: SWR_003

Text right above
.. req:: Not a need: part of the paragraph

.. note::

   .. req:: Found in a note
      :id: SWR_004

      Content of SWR_004.

      .. spec:: Found in a need
         :id: TEST_003

.. note::
   .. req:: Found, the note's content starts at once
      :id: SWR_005

.. warning:: Text on the first line
   .. req:: Not a need: the warning's paragraph

   .. spec:: Found after the warning's paragraph

.. container:: cls

   .. req:: Found in a container

.. This is a comment
   .. req:: Not a need: in a comment

..
   .. req:: Not a need: in a comment whose first line is empty

..

   .. req:: Found: an empty comment ends at the blank line, this is a block quote

.. _target:

   .. req:: Found after a target, in a block quote

.. [1] A footnote
   .. req:: Not a need: the footnote's paragraph

.. [#note] Another footnote

   .. spec:: Found in a footnote

An example::

   .. req:: Not a need: a literal block

::

   .. req:: Not a need: an expanded literal block

A quoted literal block::

.. req:: Not a need: quoted by its dots

.. code-block:: rst

   .. req:: Not a need: a code-block

.. math::

   .. req:: Not a need: math

.. parsed-literal::

   .. req:: Not a need: a parsed literal

A paragraph.

   .. req:: Found in a block quote
      :id: SWR_006

   -- An attribution
   .. req:: Not a need: part of the attribution

   .. spec:: Found in the block quote after the attribution

   --attribution  .. req:: Not a need: an attribution, not an option list

- A list item

  .. req:: Found in a list item

- .. spec:: Found on a list item's first line
     :id: TEST_004

1. One
2. Two

   .. req:: Found in an enumerated item

:Field: value

   .. req:: Found in a field body

Term
   .. req:: Found in a definition

\t.. req:: Found, indented by a tab
\t\t:id: SWR_007
\t\t:links: SYS_003

.. req:: Found, options indented by a tab
\t:id: SWR_008

\tContent indented by a tab.

.. req:: Found, hidden
   :hide:

   .. req:: Not a need: sphinx-needs does not parse a hidden need's content

.. epigraph::

   An epigraph.

   -- Its author

Section
-------
.. sys-arch:: Found after a section title
   :id: ARCH_002
"""


@pytest.mark.parametrize("variant", ["lf", "crlf", "bom"])
def test_a_varied_document_reads_as_docutils_reads_it(docutils: Docutils, variant: str) -> None:
    text = {"lf": DOCUMENT, "crlf": DOCUMENT.replace("\n", "\r\n"), "bom": "\ufeff" + DOCUMENT}[variant]
    want = docutils.parse(text)
    assert records(text) == want
    found = [record[2] for record in want]
    assert len(found) == DOCUMENT.count("Found") + 1  # and ":id: SWR_003", which has no title
    assert all(title.startswith("Found") for title in found if title)


def test_line_argument_options_and_content() -> None:
    text = "Intro.\n\n.. req:: Login\n   :id: SWR_001\n   :links: SYS_001, SYS_002\n\n   The user logs in.\n\n     Indented.\n"
    assert records(text) == [("req", 3, "Login", {"id": "SWR_001", "links": "SYS_001, SYS_002"}, ["The user logs in.", "", "  Indented."])]


def test_argument_over_several_lines_keeps_docutils_newlines(docutils: Docutils) -> None:
    text = ".. req:: First\n      second\n   third\n   :id: SWR_001\n"
    assert titles(text) == ["First\n   second\nthird"] == [run[2] for run in docutils.parse(text)]


def test_argument_on_the_next_line_or_none() -> None:
    assert titles(".. req::\n   On the next line\n   :id: SWR_001\n") == ["On the next line"]
    assert records(".. req::\n   :id: SWR_001\n\n   Body\n") == [("req", 1, "", {"id": "SWR_001"}, ["Body"])]
    assert records(".. req:: :id: SWR_001\n") == [("req", 1, "", {"id": "SWR_001"}, [])]


def test_option_values_as_docutils_hands_them_over(docutils: Docutils) -> None:
    text = ".. req:: T\n   :ID: SWR_001\n   :links: A,\n      B,\n        C\n   :hide:\n   :note:\n      on the next line\n   :A\\:b: escaped\n"
    want = {"id": "SWR_001", "links": "A,\nB,\n  C", "hide": "", "note": "on the next line", "a:b": "escaped"}
    assert records(text)[0][3] == want == docutils.parse(text)[0][3]


def test_the_options_end_at_the_blank_line() -> None:
    assert records(".. req:: T\n   :id: SWR_001\n\n   :status: open\n") == [("req", 1, "T", {"id": "SWR_001"}, [":status: open"])]


def test_text_right_after_the_argument_is_argument() -> None:
    assert titles(".. req:: T\n   Body without a blank line\n") == ["T\nBody without a blank line"]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (".. note::\n\n   .. req:: N\n", 3),
        (".. note::\n   .. req:: N\n", 2),
        (".. req:: Outer\n\n   .. req:: N\n", 3),
        (".. container::\n\n   .. req:: N\n", 3),
        ("Para.\n\n   .. req:: N\n", 3),
        ("- item\n\n  .. req:: N\n", 3),
        ("- .. req:: N\n", 1),
        (".. [1] .. req:: N\n", 1),
        (":field: .. req:: N\n", 1),
        ("Term\n   .. req:: N\n", 2),
        ("Term::\n   .. req:: N\n", 2),
        ("..\n\n   .. req:: N\n", 3),
        (".. _target:\n\n   .. req:: N\n", 3),
        ("- item\n.. req:: N\n", 2),
        ("- item\n .. req:: N\n", 2),
        (":field:\n.. req:: N\n", 2),
        (".. epigraph::\n   :field: x\n   .. req:: N\n", 3),
    ],
)
def test_nested_needs_count_at_their_line(docutils: Docutils, text: str, line: int) -> None:
    assert lines(text)[-1] == line
    assert records(text) == docutils.parse(text)


@pytest.mark.parametrize(
    "text",
    [
        ".. a comment\n   .. req:: N\n",
        ".. a comment\n\n   .. req:: N\n",
        "..\n   .. req:: N\n",
        ".. _malformed target\n\n   .. req:: N\n",
        "Example::\n\n   .. req:: N\n",
        "::\n\n   .. req:: N\n",
        "Two lines\nof example::\n   .. req:: N\n",
        "Example::\n\n.. req:: N\n",
        "Paragraph\n.. req:: N\n",
        "1. item\n.. req:: N\n",
        ">>> doctest\n.. req:: N\n",
        ".. container::\n   .. req:: N\n",
        ".. warning:: First line\n   .. req:: N\n",
        ".. unknown-name:: N\n",
    ],
)
def test_examples_comments_and_text_are_not_needs(docutils: Docutils, text: str) -> None:
    assert records(text) == [] == docutils.parse(text)


@pytest.mark.parametrize("name", sorted(LITERAL_DIRECTIVES))
def test_needs_in_literal_directives_are_examples(name: str) -> None:
    assert lines(f".. {name}:: x\n\n   .. req:: Example\n\n.. req:: Real\n") == [5]


def test_the_literal_directives_docutils_knows_are_literal_there(docutils: Docutils) -> None:
    for name in ("code", "code-block", "sourcecode", "math", "raw", "parsed-literal", "line-block"):
        assert [run[1] for run in docutils.parse(f".. {name}:: html\n\n   .. req:: Example\n\n.. req:: Real\n")] == [5], name


def test_tabs_crlf_bom_and_form_feeds_read_as_docutils_reads_them(docutils: Docutils) -> None:
    text = "\ufeff.. req:: T\r\n\t:id: SWR_001\r\n\r\n\tBody\r\n\f\r\nText.\r\n\r\n  \t.. spec:: In a quote\r\n"
    assert records(text) == [("req", 1, "T", {"id": "SWR_001"}, ["Body"]), ("spec", 8, "In a quote", {}, [])] == docutils.parse(text)


def test_names_and_spacing() -> None:
    text = ".. sys-arch:: A\n.. spec ::  B\n.. req::C\n.. other:: D\n"
    assert [(r[0], r[2]) for r in records(text)] == [("sys-arch", "A"), ("spec", "B")]


def test_a_need_in_capitals_is_an_error_as_sphinx_needs_drops_it(docutils: Docutils) -> None:
    text = "Text.\n\n.. REQ:: Upper\n   :id: SWR_001\n"
    assert [run[:2] for run in docutils.parse(text)] == [("req", 3)]  # docutils finds it; sphinx-needs: no type "REQ"
    with pytest.raises(TechfileError, match=r'x.rst:3: ".. REQ::" is not a need.*fix: write the name in lower case: .. req::'):
        records(text)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (".. req:: T\n   :id: SWR_001\n   Body\n", r"x.rst:3: invalid option block"),
        (".. req:: T\n   :id: SWR_001\n   :id: SWR_002\n", r'x.rst:3: duplicate option "id"'),
        (".. req:: T\n   :id: SWR_001\n   :ID: SWR_002\n", r'x.rst:3: duplicate option "id"'),
        (".. req:: T\n   :two words: x\n", r'x.rst:2: option name "two words" is not one word'),
        (".. note::\n\n   .. req:: T\n      :id: A\n      .. spec:: U\n", r"x.rst:5: invalid option block"),
    ],
)
def test_what_docutils_refuses_is_an_error(docutils: Docutils, text: str, error: str) -> None:
    assert docutils.parse(text) == [] and docutils.refused_a_need()
    with pytest.raises(TechfileError, match=error):
        records(text)


def test_unknown_options_are_returned_for_the_caller_to_check() -> None:
    assert records(".. req:: T\n   :id: SWR_001\n   :colour: blue\n")[0][3] == {"id": "SWR_001", "colour": "blue"}


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (".. |sub| req:: In a substitution\n", "a substitution definition"),
        ("+-------------------+\n| .. req:: In a cell |\n+-------------------+\n", "a table"),
        ("=====  =====\na      .. req:: X\n=====  =====\n", "a table"),
        (".. csv-table::\n\n   .. req:: In a cell\n", "a table"),
    ],
)
def test_needs_the_reader_cannot_place_are_errors(text: str, where: str) -> None:
    with pytest.raises(TechfileError, match=f"in {where}, which techfile check does not read"):
        records(text)


def test_a_table_without_needs_is_skipped() -> None:
    assert lines("+---+\n| a |\n+---+\n\n.. req:: After\n") == [5]
    assert lines("+---------------------+\n| ``.. req:: Example`` |\n+---------------------+\n") == []


@pytest.mark.parametrize(("options", "nested"), [(":hide:", False), (":hide: yes", False), (":delete:", False), (":hide: no", True), (":delete: false", True)])
def test_sphinx_needs_reads_no_content_of_hidden_or_deleted_needs(options: str, nested: bool) -> None:
    text = f".. req:: Outer\n   {options}\n\n   .. req:: Inner\n"
    assert titles(text) == (["Outer", "Inner"] if nested else ["Outer"])


def test_a_block_quote_attribution_is_text(docutils: Docutils) -> None:
    text = "Para.\n\n   Quote.\n\n   --all  .. req:: Attribution, not an option list\n\n   .. req:: After\n"
    assert titles(text) == ["After"] == [run[2] for run in docutils.parse(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Title\n=====\n.. req:: A\n\n----\n\n.. req:: B\n",
        "====\nTitle\n.. req:: Not a need: taken as the title's underline\n",
        "====\n----\n.. req:: A\n",
        "Ti\n..\n.. req:: A\n",
        "Title\n..\n.. req:: Not a need: the underline is too short, so text\n",
        "日本語\n=====\n.. req:: A\n",
    ],
)
def test_titles_transitions_and_underlines(docutils: Docutils, text: str) -> None:
    assert records(text) == docutils.parse(text)


def test_tens_of_thousands_of_needs_are_all_found() -> None:
    # how fast is measured in benchmarks, not asserted here
    text = "".join(f".. req:: Need {n}\n   :id: SWR_{n:05d}\n   :links: SYS_{n:05d}\n\n   Shall {n}.\n\n" for n in range(20_000))
    found = records(text)
    assert len(found) == 20_000 and found[-1][1] == 6 * 19_999 + 1


def random_document(rng: random.Random, depth: int = 0) -> list[str]:
    """Random blocks of the kinds the reader must tell apart, nested up to three deep."""
    out: list[str] = []
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(9) if depth < 3 else rng.choice([2, 3, 4])
        pad = rng.choice(["   ", "  ", "    ", "\t"])
        body = [pad + line if line else "" for line in random_document(rng, depth + 1)] if kind in (0, 1, 5, 6, 7) else []
        if kind == 0:  # a need
            head = f".. {rng.choice(NEEDS)}::" + rng.choice(["", " T", " Two words"])
            options = rng.sample([":id: X", ":links: A,\n      B", ":hide: no", ":status:", ":tags: t"], rng.randint(0, 3))
            out += [head, *(f"{pad}{option}" for option in options), "", *body]
        elif kind == 1:
            out += [rng.choice([".. note::", ".. warning::", ".. container::", ".. epigraph::"]), "", *body]
        elif kind == 2:
            out += [f".. {rng.choice(['code-block', 'math', 'raw', 'parsed-literal'])}::", "", "   .. req:: Example"]
        elif kind == 3:
            out += [rng.choice([".. a comment", "..", ".. _target:", ".. [1] note"]), *rng.choice([[], [""]]), "   .. spec:: C"]
        elif kind == 4:
            out += [rng.choice(["Text", "Example::", "Two\nlines::", "::"]), *rng.choice([[], [""]]), rng.choice(["   .. req:: P", ".. req:: Q", "> quoted"])]
        elif kind in (5, 6):
            marker = rng.choice(["- ", "1. ", ":field: ", "Term"])
            out += [marker.rstrip(), *[(" " * len(marker) if marker != "Term" else "   ") + line if line else "" for line in body]]
        elif kind == 7:
            out += ["Paragraph.", "", *body]
        else:
            out += ["Section", "-------"] if depth == 0 else ["| a line"]
        if rng.random() < 0.8:
            out.append("")
    return out


def assert_reads_as_docutils(docutils: Docutils, text: str) -> None:
    want = docutils.parse(text)
    try:
        got = records(text)
    except TechfileError:
        assert docutils.refused_a_need(), text
    else:
        assert got == want, text


@pytest.mark.parametrize("seed", range(40))
def test_random_documents_read_as_docutils_reads_them(docutils: Docutils, seed: int) -> None:
    rng = random.Random(seed)
    text = "\n".join(random_document(rng)) + "\n"
    assert_reads_as_docutils(docutils, text.replace("\n", "\r\n") if seed % 4 == 0 else text)


def test_any_lines_read_as_docutils_reads_them(docutils: Docutils) -> None:
    pytest.importorskip("hypothesis")
    from hypothesis import given, settings, strategies

    line = strategies.sampled_from([
        ".. req:: A", ".. spec::", ".. sys-arch:: B", ":id: X", ":links: A,", "text", "ends with::", "::", "- item",
        "1. one", ":field: x", "..", ".. comment", ".. _target:", ".. [1] note", "-- author", ".. code-block::", "----", "",
    ])
    indent = strategies.sampled_from(["", "", " ", "   ", "      ", "\t"])

    @settings(max_examples=150, deadline=None, derandomize=True, database=None)
    @given(strategies.lists(strategies.tuples(indent, line), max_size=25))
    def check(pairs: list[tuple[str, str]]) -> None:
        assert_reads_as_docutils(docutils, "".join(f"{pad}{text}\n" if text else "\n" for pad, text in pairs))

    check()
