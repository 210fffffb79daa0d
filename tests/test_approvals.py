"""Approvals kept in the repository (21 CFR 820.40, Part 11 11.50): the
content digest a signature binds to, ``techfile approve``, the rule D01 (a
document changed since its approval is a gap), the signature block of the
build and signed git tags."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from miniproject import Mini, pyproject
from sphinxbuild import add_sphinx_files, sphinx_build
from techfile import approvals
from techfile.cli import main
from techfile.corpus import Need
from techfile.errors import TechfileError
from techfile.pdf.frontmatter import Signature, TitlePage, front_matter_html
from techfile.project import load_project

INCLUDED = "# Index\n\nIntro.\n\n```{include} ../needs/part.txt\n```\n"


def _approve(root: Path, *arguments: str) -> int:
    return main(["approve", "--project", str(root), *arguments])


def _d01(mini: Mini) -> list[str]:
    return [f.text() for f in mini.findings() if f.rule.id == "D01"]


def _own(mini: Mini) -> list[str]:
    """Findings of D01 and of the need-model rules (N..), which an approval need must satisfy."""
    return [f.text() for f in mini.findings() if f.rule.id == "D01" or f.rule.id.startswith("N")]


def _with_include(mini: Mini) -> None:
    (mini.root / "needs" / "part.txt").write_text("Included text.\n")
    index = mini.root / "docs" / "index.md"
    index.write_text(index.read_text() + "\n```{include} ../needs/part.txt\n```\n")


# ------------------------------------------------------------------ digest


def test_digest_is_the_sha256_of_sha256sum_lines_sorted_by_path(mini: Mini) -> None:
    if shutil.which("sha256sum") is None:
        pytest.skip("sha256sum is not installed")
    _with_include(mini)
    project = load_project(mini.root)
    content = approvals.document_content(project, "docs/index")
    assert [path for path, _ in content.files] == ["docs/index.md", "needs/part.txt"]
    # what a reviewer types, without techfile
    listed = subprocess.run(["sha256sum", "needs/part.txt", "docs/index.md"], cwd=mini.root, capture_output=True, text=True, check=True).stdout
    manifest = "".join(sorted(listed.splitlines(keepends=True), key=lambda line: line.split("  ", 1)[1].encode()))
    assert manifest == content.manifest
    digest = subprocess.run(["sha256sum"], input=manifest, capture_output=True, text=True, check=True).stdout.split()[0]
    assert digest == content.sha256


def test_digest_is_stable_and_follows_the_content_only(mini: Mini) -> None:
    _with_include(mini)
    project = load_project(mini.root)
    first = approvals.document_content(project, "docs/index")
    os.utime(mini.root / "docs" / "index.md", (1, 1))  # a new mtime is no change
    assert approvals.document_content(project, "docs/index") == first
    (mini.root / "needs" / "part.txt").write_text("Included text, edited.\n")
    edited = approvals.document_content(project, "docs/index")
    assert edited.sha256 != first.sha256
    assert dict(edited.files)["docs/index.md"] == dict(first.files)["docs/index.md"]


def test_unknown_document_is_refused_with_the_closest_name(mini: Mini) -> None:
    project = load_project(mini.root)
    with pytest.raises(TechfileError) as error:
        approvals.document_content(project, "docs/indx")
    assert "'docs/index'" in str(error.value)


# ------------------------------------------------------------------ techfile approve


def test_approve_appends_approvals_with_the_next_id(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    before = {p: p.read_bytes() for p in mini.root.rglob("*.md")}
    assert _approve(mini.root, "docs/index", "--by", "Jane Roe", "--role", "Quality manager", "--meaning", "approval", "--date", "2026-11-30") == 0
    assert _approve(mini.root, "needs/risk.md", "--by", "Max Muster", "--role", "Software lead", "--meaning", "review", "--date", "2026-12-01", "--version", "1.0") == 0
    out = capsys.readouterr().out
    assert "needs/approvals.md: APPR_001: approval of docs/index by Jane Roe, 2026-11-30" in out
    assert "needs/approvals.md: APPR_002: review of needs/risk by Max Muster" in out
    assert {p: p.read_bytes() for p in before} == before  # no authored file but the approvals file is touched
    text = (mini.root / "needs" / "approvals.md").read_text()
    content = approvals.document_content(load_project(mini.root), "docs/index")
    assert (
        f"```{{approval}} Approval of docs/index by Jane Roe\n:id: APPR_001\n:approver: Jane Roe\n:approver_role: Quality manager\n:meaning: approval\n:approved_on: 2026-11-30\n:document: docs/index\n:document_version: 1.0.0\n:content_sha256: {content.sha256}\n"
        in text
    )
    assert ":id: APPR_002" in text and ":document: needs/risk\n" in text and ":document_version: 1.0\n" in text
    assert ":commit:" not in text  # not a git checkout
    assert _own(mini) == []  # the approvals are valid needs, and both documents are as signed


def test_approve_refuses_bad_input_with_exit_2(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    assert _approve(mini.root, "docs/nowhere", "--by", "Jane Roe", "--role", "QM") == 2
    assert "'docs/nowhere' is not a document of the technical file" in capsys.readouterr().err
    assert _approve(mini.root, "docs/index", "--role", "QM") == 2
    assert "--by is required" in capsys.readouterr().err
    assert _approve(mini.root, "docs/index", "--by", "Jane Roe", "--role", "QM", "--date", "2026-13-01") == 2
    assert "is not a date" in capsys.readouterr().err
    assert _approve(mini.root, "docs/index", "--by", "Jane Roe", "--role", "QM", "--file", "elsewhere/approvals.md") == 2
    assert "not a MyST (.md) file under the source folders" in capsys.readouterr().err
    assert _approve(mini.root, "needs/approvals", "--by", "Jane Roe", "--role", "QM") == 2
    assert not (mini.root / "needs" / "approvals.md").exists()
    assert not (mini.root / "elsewhere").exists()


def test_approve_a_release_links_it(mini: Mini) -> None:
    assert _approve(mini.root, "REL_1", "--by", "Jane Roe", "--role", "QM", "--meaning", "release", "--date", "2026-12-01") == 0
    text = (mini.root / "needs" / "approvals.md").read_text()
    assert ":document: needs/release\n" in text and ":approves: REL_1\n" in text
    assert _own(mini) == []


def test_status_lists_every_document(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    _approve(mini.root, "docs/index", "--by", "Jane Roe", "--role", "QM", "--date", "2026-11-30")
    capsys.readouterr()
    assert _approve(mini.root, "--status") == 0
    lines = dict(re.split(r"\s{2,}", line, maxsplit=1) for line in capsys.readouterr().out.splitlines())
    assert lines["docs/index"] == "approved: APPR_001 (approval, 2026-11-30, Jane Roe)"
    assert lines["needs/risk"] == "never approved"
    (mini.root / "docs" / "index.md").write_text((mini.root / "docs" / "index.md").read_text() + "\nMore.\n")
    assert _approve(mini.root, "--status") == 1
    assert re.search(r"^docs/index +changed since APPR_001 \(approval, 2026-11-30, Jane Roe\): docs/index\.md \(changed\)$", capsys.readouterr().out, re.M)


# ------------------------------------------------------------------ rule D01


def _approved_then_edited(mini: Mini) -> None:
    assert _approve(mini.root, "docs/index", "--by", "Jane Roe", "--role", "QM", "--date", "2026-11-30") == 0
    index = mini.root / "docs" / "index.md"
    index.write_text(index.read_text() + "\nEdited after the approval.\n")


# rule -> (mutation, need the finding is about, text in the message), for tests/test_rules.py
FIRING = {"D01": (_approved_then_edited, "APPR_001", "docs/index changed since its approval APPR_001")}


def test_d01_fires_on_a_document_edited_after_approval(mini: Mini) -> None:
    _with_include(mini)
    _approve(mini.root, "docs/index", "--by", "Jane Roe", "--role", "QM", "--date", "2026-11-30")
    assert _d01(mini) == []
    (mini.root / "needs" / "part.txt").write_text("Edited after approval.\n")
    found = _d01(mini)
    lines = (mini.root / "needs" / "approvals.md").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.startswith("```{approval}"))
    assert found == [
        f"needs/approvals.md:{line}: techfile.D01: APPR_001: docs/index changed since its approval APPR_001 of 2026-11-30 by Jane Roe: "
        "needs/part.txt (changed) (21 CFR 820.40 a; ISO 13485 4.2.4; IEC 62304 5.1.1; 21 CFR 11.50)"
    ]
    # approved again: the latest approval is what counts
    _approve(mini.root, "docs/index", "--by", "Jane Roe", "--role", "QM", "--date", "2026-12-01")
    assert _d01(mini) == []


def test_d01_names_added_and_removed_files(mini: Mini) -> None:
    _approve(mini.root, "docs/index", "--by", "Jane Roe", "--role", "QM")
    _with_include(mini)
    assert any("needs/part.txt (added)" in text and "docs/index.md (changed)" in text for text in _d01(mini))


def test_d01_approval_of_a_document_that_does_not_exist(mini: Mini) -> None:
    mini.append(
        "release.md",
        """
        ```{approval} Approval of a ghost
        :id: APPR_007
        :approver: Jane Roe
        :approver_role: QM
        :meaning: approval
        :approved_on: 2026-11-30
        :document: docs/ghost
        :content_sha256: 0000000000000000000000000000000000000000000000000000000000000000
        ```
        """,
    )
    assert any("APPR_007: approves the document docs/ghost, which is not a document" in text for text in _d01(mini))


def test_d01_required_documents(mini: Mini) -> None:
    rules = mini.root / "schemas" / "trace_rules.toml"
    rules.parent.mkdir()
    rules.write_text('extends = "techfile:default"\n\n[[rules]]\nid = "D01"\nparams = { required_documents = ["docs/index", "docs/missing"] }\n')
    (mini.root / "pyproject.toml").write_text(pyproject('trace_rules = "schemas/trace_rules.toml"\n'))
    found = _d01(mini)
    assert "docs/index.md:1: techfile.D01: docs/index has no approval" in found[0]
    assert any("schemas/trace_rules.toml:3: techfile.D01: required_documents names docs/missing" in text for text in found)
    rules.write_text('extends = "techfile:default"\n\n[[rules]]\nid = "D01"\nparams = { required_documents = "all" }\n')
    assert len(_d01(mini)) == len(approvals.controlled_documents(load_project(mini.root)))
    # approved: docs/index is no gap any more, and the approvals file, which every approval changes, is none either
    _approve(mini.root, "docs/index", "--by", "Jane Roe", "--role", "QM")
    documents = approvals.controlled_documents(load_project(mini.root))
    found = _d01(mini)
    assert "needs/approvals" in documents and len(found) == len(documents) - 2
    assert not any(text.startswith(("docs/index.md:", "needs/approvals.md:")) for text in found)
    rules.write_text('extends = "techfile:default"\n\n[[rules]]\nid = "D01"\nparams = { required_documents = "docs/index" }\n')
    with pytest.raises(TechfileError, match="required_documents"):
        mini.findings()


# ------------------------------------------------------------------ signed tags


def _git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": "2026-11-30T12:00:00+00:00", "GIT_COMMITTER_DATE": "2026-11-30T12:00:00+00:00"}
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True, env=env).stdout.strip()


def _signing_repository(tmp_path: Path, repo: Path | None = None) -> tuple[Path, str]:
    """A real repository (``repo``, else a new one) with everything in it committed and signed, and an
    SSH key allowed to sign for jane@example.org that git is set to use."""
    if shutil.which("git") is None or shutil.which("ssh-keygen") is None:
        pytest.skip("git and ssh-keygen are needed")
    keys = tmp_path / "keys"
    keys.mkdir()
    key = keys / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "jane", "-f", str(key)], check=True)
    allowed = keys / "allowed_signers"
    allowed.write_text(f"jane@example.org {key.with_suffix('.pub').read_text().strip()}\n")
    if repo is None:
        repo = tmp_path / "repo"
        repo.mkdir()
        (repo / "srs.md").write_text("# SRS\n")
    _git(repo, "init", "-q", "-b", "main")
    for name, value in (("user.name", "Jane Roe"), ("user.email", "jane@example.org"), ("gpg.format", "ssh"), ("user.signingkey", str(key)), ("gpg.ssh.allowedSignersFile", str(allowed))):
        _git(repo, "config", name, value)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-S", "-m", "Sources")
    return repo, _git(repo, "rev-parse", "HEAD")


def _approval(commit: str | None, tag: str | None, verify: bool = False) -> approvals.Approval:
    need = Need("APPR_001", "approval", "Approval", "needs/approvals.md", 1, {}, {})
    return approvals.Approval(need, "Jane Roe", "QM", "approval", "2026-11-30", "docs/srs", None, commit, None, {}, tag, verify, ())


def test_signed_tag_and_commit_are_verified_by_git(tmp_path: Path) -> None:
    repo, commit = _signing_repository(tmp_path)
    _git(repo, "tag", "-s", "-m", "SRS approved", "approval/srs", commit)
    _git(repo, "tag", "-a", "-m", "not signed", "unsigned", commit)
    signed = approvals.verify_signatures(repo, _approval(commit, "approval/srs", verify=True))
    assert [v.verified for v in signed] == [True, True]
    assert signed[0].text.startswith("signature verified: jane@example.org (ED25519 key SHA256:")
    unsigned = approvals.verify_signatures(repo, _approval(commit, "unsigned"))
    assert not unsigned[0].verified and unsigned[0].text.startswith("not verified: ")
    missing = approvals.verify_signatures(repo, _approval(commit, "approval/none"))
    assert missing[0].text == "not verified: no annotated tag approval/none in this clone"
    # a tag signed by a key nobody allowed
    (repo / "allowed").write_text("")
    _git(repo, "config", "gpg.ssh.allowedSignersFile", str(repo / "allowed"))
    assert not approvals.verify_signatures(repo, _approval(commit, "approval/srs"))[0].verified


def test_signed_tag_on_another_commit_is_not_the_approval(tmp_path: Path) -> None:
    repo, commit = _signing_repository(tmp_path)
    (repo / "srs.md").write_text("# SRS, edited\n")
    _git(repo, "commit", "-q", "-am", "edit")
    _git(repo, "tag", "-s", "-m", "later", "approval/later")
    found = approvals.verify_signatures(repo, _approval(commit, "approval/later"))
    assert not found[0].verified and "not at the approval's commit" in found[0].detail


# ------------------------------------------------------------------ slow: the build


def _site(mini: Mini) -> Mini:
    add_sphinx_files(mini.root)
    (mini.root / "pyproject.toml").write_text(pyproject('catalogue_doc = "docs/rules"\n'))
    (mini.root / "docs" / "rules.md").write_text("# Rules\n\n```{techfile-rules}\n```\n")
    index = mini.root / "docs" / "index.md"
    index.write_text(index.read_text() + "\n```{toctree}\n:glob:\n\n../needs/*\nrules\n```\n")
    mini.write_evidence()
    return mini


def _signatures(page: Path) -> str:
    raw = page.read_text()
    match = re.search(r'<div class="techfile-signatures.*?(?=<section|<div class="techfile-history|\Z)', raw, re.S)
    assert match, "no signature block"
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0))))


@pytest.mark.slow
def test_check_and_build_agree_and_the_block_shows_each_status(mini: Mini) -> None:
    site = _site(mini)
    _, commit = _signing_repository(site.root.parent, site.root)
    _git(site.root, "tag", "-s", "-m", "risk reviewed", "review/risk")
    _approve(site.root, "docs/index", "--by", "Jane Roe", "--role", "Quality manager", "--date", "2026-11-30")
    _approve(site.root, "needs/risk", "--by", "Max Muster", "--role", "Software lead", "--meaning", "review", "--date", "2026-12-01", "--tag", "review/risk", "--verify-commit")
    assert f":commit: {commit}\n:content_sha256:" in (site.root / "needs" / "approvals.md").read_text()
    index = site.root / "docs" / "index.md"
    index.write_text(index.read_text() + "\nEdited after the approval.\n")
    checked = sorted((f.path, f.line, f.need_id, f.message) for f in site.findings() if f.rule.id == "D01")
    assert len(checked) == 1 and checked[0][2] == "APPR_001"

    build = sphinx_build(site.root)
    assert build.status == 1, build.output  # -W: the gap fails the build
    assert "techfile.D01" in build.output and "needs/approvals.md:" in build.output
    built = sorted((f["path"], f["line"], f["need"], f["message"]) for f in build.findings() if f["rule"] == "D01")
    assert built == checked

    index_block = _signatures(build.outdir / "docs" / "index.html")
    assert "Approvals" in index_block
    assert re.search(rf"APPR_001 Jane Roe Quality manager Approval 2026-11-30 1\.0\.0 {commit[:12]} superseded: document changed since", index_block), index_block
    risk_block = _signatures(build.outdir / "needs" / "risk.html")
    assert re.search(
        rf"APPR_002 Max Muster Software lead Review 2026-12-01 1\.0\.0 {commit[:12]} current ?; tag review/risk: signature verified: jane@example\.org \(ED25519 key SHA256:\S+\) ?; commit {commit[:12]}: signature verified: jane@example\.org",
        risk_block,
    ), risk_block
    assert "Not yet approved." in _signatures(build.outdir / "needs" / "tests.html")
    raw = (build.outdir / "needs" / "risk.html").read_text()
    assert raw.index("techfile-control") < raw.index("techfile-signatures") < raw.index("HAZ_001")

    # approved again, and a page approved for the first time: the incremental build shows both,
    # also on a page whose own source did not change (needs/tests)
    assert _approve(site.root, "docs/index", "--by", "Jane Roe", "--role", "Quality manager", "--date", "2026-12-02") == 0
    assert _approve(site.root, "needs/tests", "--by", "Max Muster", "--role", "Software lead", "--date", "2026-12-02") == 0
    # once approvals are recorded, the requirements need a current one too (R03)
    assert _approve(site.root, "needs/requirements", "--by", "Max Muster", "--role", "Software lead", "--meaning", "review", "--date", "2026-12-02") == 0
    build = sphinx_build(site.root)
    assert build.status == 0, build.output
    index_block = _signatures(build.outdir / "docs" / "index.html")
    assert "superseded: document changed since" in index_block and re.search(rf"APPR_003 Jane Roe Quality manager Approval 2026-12-02 1\.0\.0 {commit[:12]} current", index_block), index_block
    assert re.search(rf"APPR_004 Max Muster Software lead Approval 2026-12-02 1\.0\.0 {commit[:12]} current", _signatures(build.outdir / "needs" / "tests.html"))


def test_title_page_prints_the_release_signatures() -> None:
    title = TitlePage(device="Dev", version="1.0.0", commit="abc", date="2026-12-01", date_source="commit", signatures=(Signature("Jane <Roe>", "QM", "Release", "2026-12-01", "current"),))
    text = front_matter_html(title, [])
    assert '<p class="techfile-pdf-signatures-title">Signatures</p>' in text
    assert "<tr><td>Jane &lt;Roe&gt;</td><td>QM</td><td>Release</td><td>2026-12-01</td><td>current</td></tr>" in text
    assert "techfile-pdf-signatures" not in front_matter_html(TitlePage(device="Dev", version="1.0.0", commit="abc", date="2026-12-01", date_source="commit"), [])
