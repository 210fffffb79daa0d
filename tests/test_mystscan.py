"""The standalone MyST reader finds the needs sphinx-needs would, at the same lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from techfile.errors import TechfileError
from techfile.readers.myst import scan

TYPES = frozenset({"swreq", "testspec", "needimport"})


def found(text: str) -> list[tuple[str, str, int, dict[str, str]]]:
    return [(d.name, d.argument, d.line, d.options) for d in scan(text, Path("x.md"), TYPES)]


def test_backtick_colon_and_tilde_fences() -> None:
    text = "# T\n\n```{swreq} One\n:id: SWR_001\n:category: functional\n\nBody.\n```\n\n:::{testspec} Two\n:id: TEST_001\n:::\n\n~~~{swreq} Three\n:id: SWR_003\n~~~\n"
    assert found(text) == [
        ("swreq", "One", 3, {"id": "SWR_001", "category": "functional"}),
        ("testspec", "Two", 10, {"id": "TEST_001"}),
        ("swreq", "Three", 14, {"id": "SWR_003"}),
    ]


def test_needs_in_code_blocks_are_examples_not_needs() -> None:
    text = "````markdown\n```{swreq} Example\n:id: SWR_009\n```\n````\n\n```{code-block} md\n```{swreq} X\n```\n\n```{swreq} Real\n:id: SWR_001\n```\n"
    assert [n[2] for n in found(text)] == [11]


def test_nested_needs_in_admonitions_and_longer_fences() -> None:
    text = "````{note}\n```{swreq} Inner\n:id: SWR_002\n```\n````\n\n:::::{swreq} Outer\n:id: SWR_010\n\n:::{testspec} Nested\n:id: TEST_010\n:::\n:::::\n"
    assert [(n[1], n[2]) for n in found(text)] == [("Inner", 2), ("Outer", 7), ("Nested", 10)]


def test_yaml_option_block() -> None:
    text = "```{swreq} Y\n---\nid: SWR_004\ncategory: functional\nderives_from: SYS_001, SYS_002\n---\nBody\n```\n"
    assert found(text)[0][3] == {"id": "SWR_004", "category": "functional", "derives_from": "SYS_001, SYS_002"}


def test_unclosed_yaml_block_is_an_error() -> None:
    with pytest.raises(TechfileError, match=r"x\.md:2: option block opened with --- is never closed"):
        found("```{swreq} Y\n---\nid: SWR_004\n```\n")


def test_needimport_argument() -> None:
    assert found("```{needimport} /needs/generated/junit.json\n:version: 1.0\n```\n") == [("needimport", "/needs/generated/junit.json", 1, {"version": "1.0"})]


def test_options_are_read_as_myst_reads_them() -> None:
    text = '```{swreq} Q\n:id: SWR_005\n:version: ">=1.0"\n:title_note: a: b\n```\n'
    assert found(text)[0][3] == {"id": "SWR_005", "version": ">=1.0", "title_note": "a: b"}


def test_option_myst_rejects_is_an_error_at_its_line() -> None:
    with pytest.raises(TechfileError, match=r"x.md:3: invalid directive options: .*fix: quote values"):
        found("```{swreq} Q\n:id: SWR_005\n:version: >=1.0\n```\n")


SAMPLES = [
    "SWR_001", "SWR_001, SWR_002", "1.0", "yes", "a:b", "http://example.com/x?y=1#z", "value with [brackets] and {braces}",
    "spaced   inside", "trailing spaces   ", "a: b", "x #comment", "ends with:", "'quoted'", '"double"', "-1", ">=1.0",
    "*glob*::test_*", "100 %", "über ✓", "a\\b", "tab\there", "|", "",
]


@pytest.mark.parametrize("value", SAMPLES)
def test_fast_option_path_agrees_with_myst(value: str) -> None:
    """Plain option lines skip MyST's tokenizer; they must read exactly as MyST reads them."""
    from myst_parser.parsers.options import TokenizeError, options_to_tokens

    from techfile.readers.myst import _plain_options

    line = f":key: {value}"
    plain = _plain_options([line])
    fast = None if plain is None else dict(plain)
    try:
        tokens, _ = options_to_tokens(line[1:])
        myst = {k.value: (v.value if v is not None else "") for k, v in tokens}
    except TokenizeError:
        myst = None
    if fast is not None:
        assert fast == myst


def test_fast_option_path_agrees_on_the_example() -> None:
    from myst_parser.parsers.options import options_to_tokens

    from techfile.readers.myst import _plain_options, is_option_line

    repo = Path(__file__).resolve().parent.parent
    lines = [line for path in sorted((repo / "needs").glob("*.md")) for line in path.read_text().splitlines() if is_option_line(line)]
    assert len(lines) > 300
    fast_lines = 0
    for line in lines:
        plain = _plain_options([line])
        fast = None if plain is None else dict(plain)
        if fast is not None:
            fast_lines += 1
            tokens, _ = options_to_tokens(line.lstrip()[1:])
            assert fast == {k.value: (v.value if v is not None else "") for k, v in tokens}, line
    assert fast_lines > len(lines) * 0.9
