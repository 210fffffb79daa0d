"""Fingerprints, ``techfile review`` and suspect links (L01): a link stamped
when its target said one thing is suspect once the target says another."""

from __future__ import annotations

from pathlib import Path

import pytest

from miniproject import Mini
from techfile import fingerprints
from techfile.cli import main
from techfile.corpus import Need


def review(mini: Mini, capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    mini.write_evidence()
    status = main(["review", "--project", str(mini.root), *arguments])
    out, err = capsys.readouterr()
    return status, out, err


def l01(mini: Mini) -> list[tuple[str | None, str]]:
    return [(f.need_id, f.message) for f in mini.findings() if f.rule.id == "L01"]


def need(**fields: str) -> Need:
    return Need("SWR_001", "swreq", "Title", "needs/r.md", 3, dict(fields), {})


def test_fingerprint_is_the_content_not_status_stamps_or_layout() -> None:
    base = fingerprints.fingerprint(need(category="functional", content="Text.\n"))
    assert len(base) == fingerprints.LENGTH
    assert fingerprints.fingerprint(need(category="functional", content="Text.  \r\n", status="approved", reviewed="SYS_001@0123456789")) == base
    assert fingerprints.fingerprint(need(category="performance", content="Text.\n")) != base
    assert fingerprints.fingerprint(need(category="functional", content="Other text.\n")) != base


def test_review_all_stamps_every_authored_link_in_the_sources(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = review(mini, capsys, "--all")
    assert status == 0 and out.endswith("need(s) stamped\n")
    text = (mini.root / "needs" / "tests.md").read_text()
    assert ":reviewed: ITEM_UNIT@" in text and ", SWR_001@" in text  # readable in the diff, one TARGET@fingerprint per link
    assert l01(mini) == []
    assert review(mini, capsys, "--all")[1] == "techfile review: every link was already stamped as it is now\n"


def test_a_changed_target_makes_its_incoming_links_suspect_until_reviewed(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    review(mini, capsys, "--all")
    mini.replace("requirements.md", ":category: functional", ":category: performance")
    suspect = l01(mini)
    assert [need_id for need_id, _ in suspect] == ["TEST_001"]
    assert "links to SWR_001, which changed since the link was reviewed (SWR_001@" in suspect[0][1] and "then techfile review SWR_001" in suspect[0][1]
    # the requirement's own links (to SYS_001, ITEM_UNIT, RC_001) are not suspect: their targets did not change
    status, out, _ = review(mini, capsys, "SWR_001")
    assert status == 0 and "TEST_001: reviewed ITEM_UNIT@" in out
    assert l01(mini) == []


def test_reviewing_one_target_leaves_the_other_suspect_links(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    review(mini, capsys, "--all")
    mini.replace("requirements.md", ":category: functional", ":category: performance")
    mini.replace("architecture.md", ":level: unit", ":level: item")
    assert {(n, m.split(",")[0]) for n, m in l01(mini)} >= {("TEST_001", "links to SWR_001"), ("TEST_001", "links to ITEM_UNIT")}
    review(mini, capsys, "SWR_001")
    assert [m.split(",")[0] for n, m in l01(mini) if n == "TEST_001"] == ["links to ITEM_UNIT"]


def test_status_change_is_not_a_change(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    review(mini, capsys, "--all")
    mini.replace("requirements.md", ":status: approved", ":status: draft")
    assert l01(mini) == []


def test_a_malformed_or_unlinked_stamp_is_a_gap(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    mini.replace("tests.md", ":junit: *::test_one", ":junit: *::test_one\n:reviewed: SWR_001, HAZ_001@0123456789")
    messages = sorted(m for _, m in l01(mini))
    assert messages == [
        "reviewed: 'SWR_001' is not a review stamp TARGET@fingerprint (run techfile review TEST_001)",
        "reviewed: HAZ_001 is stamped but not linked (run techfile review TEST_001)",
    ]


def test_unreviewed_links_are_gaps_when_the_project_asks(mini: Mini) -> None:
    (mini.root / "schemas").mkdir()
    (mini.root / "schemas" / "trace_rules.toml").write_text('extends = "techfile:default"\n\n[[rules]]\nid = "L01"\nparams = { unreviewed = "gap" }\n')
    (mini.root / "pyproject.toml").write_text((mini.root / "pyproject.toml").read_text() + 'trace_rules = "schemas/trace_rules.toml"\n')
    assert ("TEST_001", "links to SWR_001, a link never reviewed: review it, then techfile review TEST_001") in l01(mini)


def test_review_of_an_unknown_or_generated_need_is_exit_2_and_changes_nothing(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    mini.write_evidence()
    before = {p: p.read_bytes() for p in mini.root.rglob("*.md")}
    status, _, err = review(mini, capsys, "SWR_001", "SWR_01")
    assert status == 2 and "SWR_01 is not the ID of any need (fix: did you mean SWR_001?)" in err
    status, _, err = review(mini, capsys, "RES_ONE")
    assert status == 2 and "RES_ONE is generated evidence" in err
    assert review(mini, capsys)[0] == 2
    assert {p: p.read_bytes() for p in mini.root.rglob("*.md")} == before


def test_review_writes_rst_options_at_their_indent(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    path = mini.root / "needs" / "more.rst"
    path.write_text("More\n====\n\n.. testspec:: Rst test\n   :id: TEST_002\n   :level: unit\n   :verifies: SWR_001\n\n   Body.\n")
    index = mini.root / "docs" / "index.md"
    index.write_text(index.read_text() + "\n```{toctree}\n../needs/more\n```\n")
    assert review(mini, capsys, "TEST_002")[0] == 0
    assert "   :verifies: SWR_001\n   :reviewed: SWR_001@" in path.read_text()
    assert l01(mini) == []


def test_a_yaml_option_block_is_refused(mini: Mini, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    mini.append("tests.md", "```{testspec} Yaml\n---\nid: TEST_003\nlevel: unit\nverifies: SWR_001\n---\nBody.\n```\n")
    before = (mini.root / "needs" / "tests.md").read_bytes()
    status, _, err = review(mini, capsys, "TEST_003")
    if status == 0:  # the reader may not read YAML option blocks at all: then TEST_003 is unknown, also exit 2
        pytest.fail("a YAML option block was written to")
    assert status == 2 and (mini.root / "needs" / "tests.md").read_bytes() == before
    assert "YAML block" in err or "TEST_003" in err
