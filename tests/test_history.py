"""Revision history from git: :mod:`techfile.gitlog` on real repositories
made in tmp_path (fixed authors and dates, a rename, a shallow clone, no
repository at all), and the "Revision history" section every controlled
document of a build ends with."""

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
from techfile import gitlog
from techfile.gitlog import HistoryUnavailable, Revision

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture(autouse=True)
def _only_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never the repository around tmp_path; no git variable of the caller's (a hook's GIT_DIR)."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)


def git(root: Path, *args: str, date: str = "2025-01-01T12:00:00+00:00", author: str = "Ann Author") -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
        "GIT_AUTHOR_NAME": author,
        "GIT_AUTHOR_EMAIL": "a@example.com",
        "GIT_COMMITTER_NAME": "Cy Committer",
        "GIT_COMMITTER_EMAIL": "c@example.com",
    }
    done = subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def commit(root: Path, message: str, date: str, author: str = "Ann Author") -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message, date=date, author=author)
    return git(root, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """docs/a.md (renamed from docs/old.md), docs/b.md; four commits a day apart."""
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    git(root, "init", "-q")
    (root / "docs" / "old.md").write_text("# A\n")
    shas = {"start": commit(root, "Start A", "2025-03-01T10:00:00+00:00")}
    git(root, "mv", "docs/old.md", "docs/a.md")
    shas["rename"] = commit(root, "Rename A", "2025-03-02T10:00:00+00:00", author="Bo Renamer")
    (root / "docs" / "b.md").write_text("# B\n")
    shas["b"] = commit(root, "Add B", "2025-03-03T10:00:00+00:00")
    (root / "docs" / "a.md").write_text("# A\n\nMore.\n")
    shas["late"] = commit(root, "Edit A, late in the evening", "2025-03-04T23:30:00-02:00")  # 2025-03-05 in UTC
    return root, shas


# ------------------------------------------------------------------ gitlog


def test_history_newest_first_with_date_author_subject(repo: tuple[Path, dict[str, str]]) -> None:
    root, shas = repo
    revisions = gitlog.history(root, [Path("docs/a.md")])
    assert [r.commit for r in revisions] == [shas["late"], shas["rename"], shas["start"]]  # renames followed
    late = revisions[0]
    assert late == Revision(commit=shas["late"], short=late.short, date="2025-03-05", author="Ann Author", subject="Edit A, late in the evening")
    assert shas["late"].startswith(late.short) and len(late.short) >= 10
    assert revisions[1].author == "Bo Renamer"  # the author, not the committer


def test_history_of_several_files_follows_the_first(repo: tuple[Path, dict[str, str]]) -> None:
    root, shas = repo
    # absolute paths work as well as paths relative to the root
    both = gitlog.history(root, [root / "docs" / "a.md", Path("docs/b.md")])
    assert [r.commit for r in both] == [shas["late"], shas["b"], shas["rename"], shas["start"]]
    assert [r.commit for r in gitlog.history(root, [Path("docs/b.md")])] == [shas["b"]]
    assert [r.commit for r in gitlog.history(root, [Path("docs/b.md"), Path("docs/a.md")])] == [shas["late"], shas["b"], shas["rename"]]


def test_history_limit_paths_outside_and_from_a_subfolder(repo: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    root, shas = repo
    assert [r.commit for r in gitlog.history(root, [Path("docs/a.md")], limit=2)] == [shas["late"], shas["rename"]]
    assert [r.commit for r in gitlog.history(root, [Path("docs/a.md"), Path("docs/b.md")], limit=2)] == [shas["late"], shas["b"]]
    assert len(gitlog.history(root, [Path("docs/a.md")], limit=0)) == 3  # 0: all
    assert gitlog.history(root, [tmp_path / "elsewhere.md"]) == []
    assert gitlog.history(root, []) == []
    assert [r.commit for r in gitlog.history(root / "docs", [Path("b.md")])] == [shas["b"]]


def test_head_repository_and_shallow(repo: tuple[Path, dict[str, str]]) -> None:
    root, shas = repo
    assert gitlog.is_repository(root) and gitlog.is_repository(root / "docs")
    assert not gitlog.is_shallow(root)
    assert gitlog.head(root) == shas["late"]


def test_shallow_clone_raises_with_the_fetch_depth_fix(repo: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    root, _ = repo
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", root.as_uri(), str(clone)], check=True, capture_output=True)
    assert gitlog.is_repository(clone) and gitlog.is_shallow(clone)
    with pytest.raises(HistoryUnavailable) as raised:
        gitlog.history(clone, [Path("docs/a.md")])
    error = raised.value
    assert error.kind == gitlog.SHALLOW and not error.legitimate
    assert "shallow clone" in error.reason
    assert error.fix is not None and "fetch-depth: 0" in error.fix and "git fetch --unshallow" in error.fix
    assert "fetch-depth: 0" in str(error)  # a TechfileError: message and fix


def test_not_a_repository(tmp_path: Path) -> None:
    folder = tmp_path / "tarball"
    folder.mkdir()
    assert not gitlog.is_repository(folder)
    assert gitlog.head(folder) is None
    with pytest.raises(HistoryUnavailable) as raised:
        gitlog.history(folder, [Path("a.md")])
    assert raised.value.kind == gitlog.NOT_A_CHECKOUT and raised.value.legitimate
    assert raised.value.reason == "this build is not of a git checkout"
    with pytest.raises(HistoryUnavailable):
        gitlog.is_shallow(folder)


def test_git_missing(repo: tuple[Path, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, _ = repo
    tarball = tmp_path / "tarball"
    tarball.mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    with pytest.raises(HistoryUnavailable) as raised:
        gitlog.history(root, [Path("docs/a.md")])
    assert raised.value.kind == gitlog.GIT_MISSING and "install git" in (raised.value.fix or "")
    with pytest.raises(HistoryUnavailable) as raised:
        gitlog.history(tarball, [Path("a.md")])
    assert raised.value.kind == gitlog.NOT_A_CHECKOUT  # no .git: a tarball, git or not
    assert gitlog.head(root) is None


def test_before_the_first_commit(tmp_path: Path) -> None:
    root = tmp_path / "new"
    root.mkdir()
    git(root, "init", "-q")
    (root / "a.md").write_text("# A\n")
    assert gitlog.head(root) is None
    assert gitlog.history(root, [Path("a.md")]) == []
    assert gitlog.uncommitted(root, [Path("a.md")])


def test_uncommitted_changes(repo: tuple[Path, dict[str, str]]) -> None:
    root, _ = repo
    a, b = Path("docs/a.md"), Path("docs/b.md")
    assert not gitlog.uncommitted(root, [a, b]) and gitlog.changes(root) == frozenset()
    (root / "docs" / "a.md").write_text("# A, edited\n")
    assert gitlog.uncommitted(root, [a]) and not gitlog.uncommitted(root, [b])
    (root / "docs" / "new.md").write_text("# New\n")  # untracked
    (root / ".gitignore").write_text("ignored.md\n")
    (root / "docs" / "ignored.md").write_text("# Ignored\n")
    assert gitlog.uncommitted(root, [Path("docs/new.md")])
    assert not gitlog.uncommitted(root, [Path("docs/ignored.md")])
    top = root.resolve()
    assert gitlog.changes(root) == {top / "docs" / "a.md", top / "docs" / "new.md", top / ".gitignore"}
    git(root, "add", "docs/a.md")  # staged is still not committed
    assert gitlog.uncommitted(root, [a])
    assert gitlog.tracked(root) == {top / "docs" / "a.md", top / "docs" / "b.md"}


def test_one_git_log_per_question_and_a_new_answer_after_a_commit(repo: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    root, _ = repo
    logs: list[list[str]] = []
    run = subprocess.run

    def counting(command: list[str], *args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
        if "log" in command:
            logs.append(command)
        return run(command, *args, **kwargs)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(gitlog.subprocess, "run", counting)
    paths = [Path("docs/a.md"), Path("docs/b.md")]
    first = gitlog.history(root, paths)
    asked = len(logs)
    assert asked <= 2  # all of the files, and the first one's renames
    assert gitlog.history(root, paths) == first and len(logs) == asked
    (root / "docs" / "b.md").write_text("# B, again\n")
    newest = commit(root, "Edit B", "2025-04-01T10:00:00+00:00")
    assert gitlog.history(root, paths)[0].commit == newest


def test_a_hooks_git_dir_does_not_redirect_git(repo: tuple[Path, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, shas = repo
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    assert gitlog.head(root) == shas["late"]


def test_a_checkout_of_another_user_says_how_to_trust_it(tmp_path: Path) -> None:
    """A CI container's checkout owned by another user: git refuses, and says which command trusts it."""
    said = f"fatal: detected dubious ownership in repository at '{tmp_path}'\nTo add an exception for this directory, call:\n\n\tgit config --global --add safe.directory {tmp_path}\n"
    error = gitlog._failed(tmp_path, subprocess.CompletedProcess(["git"], 128, "", said), "read the checkout")
    assert error.kind == gitlog.GIT_FAILED and not error.legitimate
    assert error.reason == f"git could not read the checkout: detected dubious ownership in repository at '{tmp_path}'"
    assert error.fix == f"trust the checkout: `git config --global --add safe.directory {tmp_path}`"


# ------------------------------------------------------------------ slow: sphinx-build


@pytest.fixture
def site(mini: Mini) -> Mini:
    """The mini project as a site: every need page in the toctree, a rule catalogue, a file the index includes."""
    add_sphinx_files(mini.root)
    (mini.root / "pyproject.toml").write_text(pyproject('catalogue_doc = "docs/gaps"\n'))
    index = mini.root / "docs" / "index.md"
    index.write_text(index.read_text() + "\n```{include} part.txt\n```\n\n```{toctree}\n:glob:\n\n../needs/*\ngaps\n```\n")
    (mini.root / "docs" / "part.txt").write_text("Included text.\n")
    (mini.root / "docs" / "gaps.md").write_text("# Gaps\n\n```{techfile-gaps}\n```\n\n```{techfile-rules}\n```\n")
    (mini.root / ".gitignore").write_text("_build/\n")
    mini.write_evidence()
    return mini


def _section(outdir: Path, docname: str) -> str:
    """The HTML of a page's revision history section."""
    raw = (outdir / f"{docname}.html").read_text()
    match = re.search(r'<div class="techfile-history-block[^"]*" id="[^"]*">.*?</section>', raw, re.S)
    assert match, f"{docname}: no revision history"
    return match.group(0)


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", fragment))).strip()


def _history(outdir: Path, docname: str) -> str:
    """The text of a page's revision history section."""
    return _text(_section(outdir, docname))


def _rows(outdir: Path, docname: str) -> list[str]:
    """The rows of a page's revision history table, ``cell | cell | ...``, the heading first."""
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", _section(outdir, docname), re.S)
    return [" | ".join(_text(cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)) for row in rows]


@pytest.fixture
def committed(site: Mini) -> tuple[Mini, dict[str, str]]:
    """The site in git: everything, then the included file, then a need page renamed."""
    root = site.root
    git(root, "init", "-q")
    shas = {"start": commit(root, "Start the technical file", "2025-05-01T09:00:00+00:00")}
    (root / "docs" / "part.txt").write_text("Included text, reviewed.\n")
    shas["part"] = commit(root, "Review the included part", "2025-05-02T09:00:00+00:00", author="Rita Reviewer")
    git(root, "mv", "needs/soup.md", "needs/software_items.md")
    shas["rename"] = commit(root, "Rename the SOUP page", "2025-05-03T09:00:00+00:00")
    return site, shas


@pytest.mark.slow
def test_every_document_ends_with_its_history(committed: tuple[Mini, dict[str, str]]) -> None:
    site, shas = committed
    short = {name: sha[:10] for name, sha in shas.items()}
    build = sphinx_build(site.root)
    assert "techfile.history" not in build.output
    index = _history(build.outdir, "docs/index")
    # its source, the file it includes, the evidence it imports (committed here)
    assert "Changes to any of docs/index.md, docs/part.txt, needs/generated/" in index and "results.json" in index
    assert _rows(build.outdir, "docs/index") == [
        "Commit | Date | Author | Subject",
        f"{short['part']} | 2025-05-02 | Rita Reviewer | Review the included part",
        f"{short['start']} | 2025-05-01 | Ann Author | Start the technical file",
    ]
    # a need page: its own file's commits only; a renamed one keeps its history
    assert _rows(build.outdir, "needs/risk")[1:] == [f"{short['start']} | 2025-05-01 | Ann Author | Start the technical file"]
    assert [row.split(" | ")[0] for row in _rows(build.outdir, "needs/software_items")[1:]] == [short["rename"], short["start"]]
    # at the end of the page, once, and not in the table of contents
    raw = (build.outdir / "needs" / "risk.html").read_text()
    assert raw.count("techfile-history-block") == 1 and raw.index("techfile-history-block") > raw.index("RC_001")
    assert 'class="techfile-history' in raw
    toc = re.search(r'<div class="toctree-wrapper.*?</div>', (build.outdir / "docs" / "index.html").read_text(), re.S)
    assert toc and "Risk" in toc.group(0) and "Revision history" not in toc.group(0)
    for page in [*build.outdir.glob("docs/*.html"), *build.outdir.glob("needs/*.html")]:
        assert "techfile-history-block" in page.read_text(), page
    # the same commit, the same pages
    first = {doc: _history(build.outdir, doc) for doc in ("docs/index", "needs/risk")}
    shutil.rmtree(site.root / "_build")
    again = sphinx_build(site.root)
    assert {doc: _history(again.outdir, doc) for doc in first} == first


@pytest.mark.slow
def test_uncommitted_changes_and_the_limit(committed: tuple[Mini, dict[str, str]]) -> None:
    site, shas = committed
    site.append("tests.md", "\nA sentence not yet committed.\n")
    conf = site.root / "conf.py"
    conf.write_text(conf.read_text() + "techfile_history_limit = 1\n")
    git(site.root, "add", "conf.py")
    git(site.root, "commit", "-q", "-m", "One row a document", date="2025-05-04T09:00:00+00:00")
    build = sphinx_build(site.root)
    assert "techfile.history" not in build.output
    tests = _rows(build.outdir, "needs/tests")
    assert tests[1].startswith("uncommitted changes |  |  | the working tree differs from the last commit")
    assert tests[2:] == [f"{shas['start'][:10]} | 2025-05-01 | Ann Author | Start the technical file"]
    risk = _rows(build.outdir, "needs/risk")
    assert "uncommitted" not in " ".join(risk)
    index = _history(build.outdir, "docs/index")
    assert _rows(build.outdir, "docs/index")[1:] == [f"{shas['part'][:10]} | 2025-05-02 | Rita Reviewer | Review the included part"]
    assert "1 older revision not shown." in index
    assert "older" not in _history(build.outdir, "needs/risk")  # one commit, one row: nothing cut

    # committed, and built again without a clean: the page says so, though its text did not change
    newest = commit(site.root, "Commit the sentence", "2025-05-05T09:00:00+00:00")
    again = sphinx_build(site.root)
    assert _rows(again.outdir, "needs/tests")[1:] == [f"{newest[:10]} | 2025-05-05 | Ann Author | Commit the sentence"]
    assert "1 older revision not shown." in _history(again.outdir, "needs/tests")


@pytest.mark.slow
def test_shallow_clone_says_why_and_warns_once(committed: tuple[Mini, dict[str, str]], tmp_path: Path) -> None:
    site, _ = committed
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", site.root.as_uri(), str(clone)], check=True, capture_output=True)
    build = sphinx_build(clone)
    assert build.status == 1  # -W: the warning fails the build
    warnings = [line for line in build.output.splitlines() if "[techfile.history]" in line]
    assert len(warnings) == 1, build.output
    assert "docs/index.md" in warnings[0] and "shallow clone" in warnings[0] and "fetch-depth: 0" in warnings[0]
    for docname in ("docs/index", "needs/risk"):
        section = _history(build.outdir, docname)
        assert "No revision history: this build is of a shallow clone" in section
        assert "git fetch --unshallow" in section and "fetch-depth: 0" in section
        assert "<table" not in _section(build.outdir, docname)

    conf = clone / "conf.py"
    conf.write_text(conf.read_text() + 'suppress_warnings = ["techfile.history"]\n')
    shutil.rmtree(clone / "_build")
    quiet = sphinx_build(clone)
    assert quiet.status == 0, quiet.output  # the one warning was all that failed it
    assert "techfile.history" not in quiet.output
    assert "shallow clone" in _history(quiet.outdir, "docs/index")  # silenced, still said on the page


@pytest.mark.slow
def test_not_a_git_checkout_says_so_without_a_warning(site: Mini) -> None:
    build = sphinx_build(site.root)
    assert build.status == 0, build.output
    assert "history" not in build.output
    for docname in ("docs/index", "needs/risk"):
        section = _history(build.outdir, docname)
        assert "No revision history: this build is not of a git checkout." in section
        assert "<table" not in _section(build.outdir, docname)


@pytest.mark.slow
def test_latex_build_has_every_history(committed: tuple[Mini, dict[str, str]]) -> None:
    site, shas = committed
    build = sphinx_build(site.root, "latex")
    assert "techfile.history" not in build.output
    tex = next(build.outdir.glob("*.tex")).read_text()
    pages = len(list((site.root / "docs").glob("*.md"))) + len(list((site.root / "needs").glob("*.md")))
    assert tex.count("Revision history}") == pages
    assert shas["part"][:10] in tex and "Rita Reviewer" in tex
