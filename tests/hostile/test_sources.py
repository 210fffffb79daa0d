"""Hostile and tricky authoring inputs: ``techfile check`` and the Sphinx
build read the same needs, or both refuse the construct at the same line
with a fix; the build never crashes or hangs on them; nothing is written.

Each case is a change to the clean mini project (``tests/miniproject.py``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from miniproject import Mini, pyproject
from sphinxbuild import add_sphinx_files, sphinx_build
from techfile.cli import main

Change = Callable[[Path], None]


def write(relative: str, text: str | bytes) -> Change:
    def change(root: Path) -> None:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))

    return change


def both(*changes: Change) -> Change:
    def change(root: Path) -> None:
        for one in changes:
            one(root)

    return change


def symlink(relative: str, target: str) -> Change:
    def change(root: Path) -> None:
        os.symlink(target, root / relative)

    return change


# a requirement no test verifies: its R04 finding shows where each reader places it
NEED = "```{{swreq}} {title}\n:id: {id}\n:category: functional\n:derives_from: SYS_001\n:allocated_to: ITEM_UNIT\n```\n"

# name -> (change, file, line, message) of a construct both refuse
REFUSED: dict[str, tuple[Change, str, int, str]] = {
    "fence never closed": (write("needs/open.md", "# Open\n\n```{swreq} Open\n:id: SWR_050\n\n# A heading swallowed\n"), "needs/open.md", 3, "is never closed"),
    "option given twice": (write("needs/twice.md", "# T\n\n```{swreq} T\n:id: SWR_051\n:category: functional\n:category: performance\n```\n"), "needs/twice.md", 6, "is given twice"),
    "option continued": (write("needs/cont.md", "# C\n\n```{swreq} C\n:id: SWR_052\n:verification_rationale: one\n  two\n:category: functional\n```\n"), "needs/cont.md", 6, "seems to go on"),
    "include cycle": (write("needs/cycle.md", "# Cycle\n\n```{include} cycle.md\n```\n"), "needs/cycle.md", 3, "include cycle"),
    "not UTF-8": (write("needs/latin.md", b"# Caf\xe9\n"), "needs/latin.md", 1, "not valid UTF-8"),
    "UTF-16": (write("needs/wide.md", "# Wide\n".encode("utf-16")), "needs/wide.md", 1, "UTF-16"),
    "misspelt need type": (write("needs/typo.md", "# T\n\n```{swrequirement} T\n:id: SWR_053\n```\n"), "needs/typo.md", 3, "{swrequirement} is not a need type"),
    "needextend filter": (write("needs/ext.md", '# E\n\n```{needextend} status == "open"\n:status: closed\n```\n'), "needs/ext.md", 3, "needextend with a filter"),
    "list2need": (write("needs/list.md", "# L\n\n```{list2need}\n:types: swreq\n\n* (SWR_054) Listed\n```\n"), "needs/list.md", 3, "list2need is not read"),
    "folder link loop": (symlink("needs/back", ".."), "needs/back", 1, "symbolic link loop"),
    "file link loop": (symlink("needs/self.md", "self.md"), "needs/self.md", 1, "symbolic link loop"),
}

# name -> (change, ID, whether it is a need, where) of a construct both read the same way
READ: dict[str, tuple[Change, str, bool, str | None]] = {
    "indented code": (write("needs/a.md", "# A\n\nText.\n\n    " + NEED.format(title="Code", id="SWR_060").replace("\n", "\n    ")), "SWR_060", False, None),
    "HTML comment": (write("needs/a.md", "# A\n\n<!--\n" + NEED.format(title="Hidden", id="SWR_061") + "-->\n"), "SWR_061", False, None),
    "blockquote": (write("needs/a.md", "# A\n\n" + "".join("> " + line + "\n" for line in NEED.format(title="Quoted", id="SWR_062").splitlines())), "SWR_062", True, "needs/a.md:3"),
    "eval-rst": (write("needs/a.md", "# A\n\n```{eval-rst}\nText.\n\n.. swreq:: Rst\n   :id: SWR_063\n   :category: functional\n   :derives_from: SYS_001\n   :allocated_to: ITEM_UNIT\n```\n"), "SWR_063", True, "needs/a.md:6"),
    "include": (both(write("needs/_part.txt", "Intro.\n\n" + NEED.format(title="Included", id="SWR_064")), write("needs/a.md", "# A\n\n```{include} _part.txt\n```\n")), "SWR_064", True, "needs/_part.txt:3"),
    "rst file": (write("needs/b.rst", "B\n=\n\n.. swreq:: In rst\n   :id: SWR_065\n   :category: functional\n   :derives_from: SYS_001\n   :allocated_to: ITEM_UNIT\n"), "SWR_065", True, "needs/b.rst:4"),
    "BOM and CRLF": (write("needs/a.md", "\ufeff" + (NEED.format(title="Bom", id="SWR_066")).replace("\n", "\r\n")), "SWR_066", True, "needs/a.md:1"),
}


@pytest.fixture
def site(mini: Mini) -> Mini:
    add_sphinx_files(mini.root)
    (mini.root / "pyproject.toml").write_text(pyproject('catalogue_doc = "docs/index"\n'))
    index = mini.root / "docs" / "index.md"
    index.write_text(index.read_text() + "\n```{toctree}\n:glob:\n\n../needs/*\n```\n\n```{techfile-rules}\n```\n")
    mini.write_evidence()
    return mini


def snapshot(root: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != "_build" and not os.path.islink(os.path.join(folder, d))]
        for name in files:
            path = Path(folder, name)
            if not path.is_symlink():
                out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


def check(root: Path, capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    status = main(["check", "--project", str(root), *arguments])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_check_refuses_at_the_line_with_a_fix(site: Mini, case: str, capsys: pytest.CaptureFixture[str]) -> None:
    change, file, line, said = REFUSED[case]
    change(site.root)
    before = snapshot(site.root)
    status, _, err = check(site.root, capsys)
    assert status == 2, err
    assert re.search(rf"^techfile: error: {re.escape(file)}(:{line})?: .*{re.escape(said)}.*\(fix: ", err, re.M), err
    assert "Traceback" not in err
    assert snapshot(site.root) == before


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_the_build_refuses_it_too_and_does_not_crash(site: Mini, case: str) -> None:
    change, file, line, said = REFUSED[case]
    change(site.root)
    build = sphinx_build(site.root)  # a hang would end in the subprocess timeout, not pass
    output = build.output.replace(str(site.root) + "/", "")
    assert re.search(rf"^{re.escape(file)}:{line}: ERROR: .*{re.escape(said)}.*\[techfile.source\]", output, re.M), output
    assert "Traceback" not in output and "Exception occurred" not in output


def unverified_at(findings: list[dict[str, object]], need_id: str) -> list[str]:
    return [f"{f['path']}:{f['line']}" for f in findings if f["need"] == need_id and f["rule"] == "R04"]


@pytest.mark.parametrize("case", sorted(READ))
def test_check_reads_what_the_build_reads(site: Mini, case: str, capsys: pytest.CaptureFixture[str]) -> None:
    change, need_id, is_need, where = READ[case]
    change(site.root)
    status, out, err = check(site.root, capsys, "--format", "json")
    assert status == (1 if is_need else 0), err
    findings = json.loads(out)["findings"]
    assert unverified_at(findings, need_id) == ([where] if is_need else [])
    # a requirement just written is neither verified (R04) nor reviewed (R03): nothing else
    assert not [f for f in findings if f["need"] == need_id and f["rule"] not in ("R04", "R03")]


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(READ))
def test_the_build_reads_the_same_and_places_it_alike(site: Mini, case: str, capsys: pytest.CaptureFixture[str]) -> None:
    from test_parity import differences

    change, need_id, is_need, where = READ[case]
    change(site.root)
    build = sphinx_build(site.root, "needs")
    assert "techfile.parity" not in build.output and "techfile.source" not in build.output, build.output
    assert unverified_at(build.findings(), need_id) == ([where] if is_need else [])
    built = json.loads((build.outdir / "needs.json").read_text())["versions"][""]["needs"]
    assert main(["needs", "--project", str(site.root), "-o", str(site.root / "_build" / "read.json")]) == 0
    capsys.readouterr()
    read = json.loads((site.root / "_build" / "read.json").read_text())["versions"][""]["needs"]
    assert (need_id in read) is is_need and differences(read, built) == []
