"""``techfile new``: a need with the next free ID of its type, where its type
lives, that the check reads as a well-formed need; bad input changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from miniproject import Mini
from techfile.cli import main


def new(mini: Mini, capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    status = main(["new", "--project", str(mini.root), *arguments])
    out, err = capsys.readouterr()
    return status, out, err


def files(root: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in root.rglob("*") if path.is_file() and "generated" not in path.parts}


def test_new_requirement_gets_the_next_id_in_the_file_of_its_type(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    before = (mini.root / "needs" / "requirements.md").read_text()
    status, out, _ = new(mini, capsys, "swreq", "Show the  model version")
    lines = before.count("\n") + 2  # a blank line, then the directive
    assert (status, out) == (0, f"needs/requirements.md:{lines}: SWR_002 (Software requirement) added; fill in category and its text\n")
    after = (mini.root / "needs" / "requirements.md").read_text()
    assert after.startswith(before) and after[len(before):].startswith("\n```{swreq} Show the model version\n:id: SWR_002\n:category: functional\n")
    assert new(mini, capsys, "Software requirement", "Another")[1].split(": ")[1].startswith("SWR_003")
    findings = [f for f in mini.findings() if f.need_id in ("SWR_002", "SWR_003")]
    # the check reads them as well-formed needs: no need-model finding, only the gaps a new requirement has
    assert findings and not [f.text() for f in findings if f.rule.id.startswith("N")]
    assert {f.rule.id for f in findings} >= {"R01", "R04"}


def test_a_type_whose_ids_are_words_gets_a_slug_of_the_title(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = new(mini, capsys, "item", "Audit logger")
    assert status == 0 and " ITEM_AUDIT_LOGGER (Software item) added; fill in level" in out
    text = (mini.root / "needs" / "architecture.md").read_text()
    assert ":id: ITEM_AUDIT_LOGGER\n:level: unit\n" in text  # the level of the last item written
    assert "TO DO: level is unit for now; choose among system, item, unit." in text


def test_new_in_a_rst_file_with_crlf_keeps_its_line_endings(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    path = mini.root / "needs" / "more.rst"
    path.write_bytes(b"More\r\n====\r\n")
    index = mini.root / "docs" / "index.md"
    index.write_text(index.read_text() + "\n```{toctree}\n../needs/more\n```\n")
    status, out, _ = new(mini, capsys, "hazard", "Wrong patient", "--file", "needs/more.rst")
    assert status == 0 and out.startswith("needs/more.rst:4: HAZ_002 (Hazardous situation) added")
    raw = path.read_bytes()
    assert b"\r\n.. hazard:: Wrong patient\r\n   :id: HAZ_002\r\n   :hazardous_situation: TO DO: " in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert "HAZ_002" in {f.need_id for f in mini.findings()}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("swrequirement", "X"), "'swrequirement' is not a need type of the need model (fix: did you mean 'swreq'? types: statement,"),
        (("result", "X"), "result needs are generated from evidence, not written"),
        (("swreq", "X", "--id", "SWR_001"), "SWR_001 is already used at needs/requirements.md:"),
        (("swreq", "X", "--id", "SWR_1"), "'SWR_1' does not match the ID pattern of swreq"),
        (("swreq", "X", "--file", "needs/nowhere.md"), "--file needs/nowhere.md: not an existing .md or .rst file"),
        (("swreq", "   "), "the title is empty"),
    ],
)
def test_bad_input_is_exit_2_and_changes_nothing(mini: Mini, capsys: pytest.CaptureFixture[str], arguments: tuple[str, ...], message: str) -> None:
    mini.write_evidence()
    before = files(mini.root)
    status, out, err = new(mini, capsys, *arguments)
    assert (status, out) == (2, "") and message in err and "Traceback" not in err
    assert files(mini.root) == before


def test_a_source_it_cannot_parse_stops_it_before_it_writes(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    mini.append("tests.md", "```{testspec} Open\n:id: TEST_002\n")
    mini.write_evidence()
    before = files(mini.root)
    status, _, err = new(mini, capsys, "swreq", "X")
    assert status == 2 and "needs/tests.md:" in err and "never closed" in err
    assert files(mini.root) == before
