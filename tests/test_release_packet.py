"""The release packet: ``techfile release`` and ``techfile verify``.

Fast tests on the archive, manifest and signature layer (real tar files,
real ``ssh-keygen`` keys and signatures); slow tests on the Mini project and
on a copy of the example, through the command line, as CI runs it.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from example_project import copy_example, make_evidence
from miniproject import Mini
from sphinxbuild import add_sphinx_files
from techfile.checks.run import check_corpus, load_declarations
from techfile.cli import main
from techfile.packet import signing
from techfile.packet.archive import read_packet, write_archive, write_tree
from techfile.packet.manifest import MANIFEST, SIGNATURE, Manifest, parse, tree_entries
from techfile.project import load_project
from techfile.readers.sources import read_corpus

EPOCH = 1764460800  # 2025-11-30T00:00:00Z
TOP = "device-1.0.0-technical-file"
needs_ssh_keygen = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen (openssh-client) is not installed")


# ------------------------------------------------------------------ helpers


def make_tree(folder: Path) -> Path:
    """A packet's worth of files: nested folders, an executable, a name beyond tar's 100 characters, a non-ASCII name."""
    (folder / "html" / "_static").mkdir(parents=True)
    (folder / "html" / "index.html").write_text("<html>index</html>\n")
    (folder / "html" / "_static" / "app.js").write_text("console.log(1)\n")
    (folder / "needs.json").write_text('{"needs": {}}\n')
    (folder / "tool.sh").write_text("#!/bin/sh\n")
    (folder / "tool.sh").chmod(0o775)
    deep = folder / "evidence" / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    (deep / "report.xml").write_text("<testsuite/>\n")
    (folder / "evidence" / "résumé.txt").write_text("ü\n")
    return folder


def write_manifest(folder: Path, key: Path | None = None) -> Manifest:
    manifest = Manifest(
        release="REL_1", version="1.0.0", commit="0" * 40, software_version="1.0.0", build_date="2025-11-30T00:00:00Z",
        source_date_epoch=EPOCH, build_date_source="SOURCE_DATE_EPOCH", techfile_version="test", files=tree_entries(folder),
    )
    data = manifest.to_bytes()
    (folder / MANIFEST).write_bytes(data)
    if key is not None:
        (folder / SIGNATURE).write_bytes(signing.sign(data, key))
    return manifest


def packet(tmp_path: Path, key: Path | None = None) -> Path:
    folder = make_tree(tmp_path / "tree")
    write_manifest(folder, key)
    target = tmp_path / f"{TOP}.tar.gz"
    write_archive(folder, target, TOP, EPOCH)
    return target


def techfile(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    status = main(list(arguments))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def unpack(archive: Path, into: Path) -> Path:
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / TOP


def ssh_key(folder: Path, name: str = "release") -> tuple[Path, Path]:
    """A real Ed25519 key without passphrase, and an allowed-signers file naming it for release@example.org."""
    key = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", str(key)], check=True)
    public = (folder / f"{name}.pub").read_text().split()
    signers = folder / f"{name}.allowed_signers"
    signers.write_text(f'release@example.org namespaces="{signing.NAMESPACE}" {public[0]} {public[1]}\n')
    return key, signers


# ------------------------------------------------------------------ the archive


def test_the_archive_is_byte_identical_whatever_the_files_times_and_order(tmp_path: Path) -> None:
    first = make_tree(tmp_path / "one")
    second = tmp_path / "two"
    # the same files, created in another order, with other times and another umask's permissions
    for path in sorted(first.rglob("*"), reverse=True):
        copy = second / path.relative_to(first)
        if path.is_file():
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(path.read_bytes())
            copy.chmod(0o700 if os.access(path, os.X_OK) else 0o600)
            os.utime(copy, (12345, 12345))
    write_archive(first, tmp_path / "a.tar.gz", TOP, EPOCH)
    write_archive(second, tmp_path / "b.tar.gz", TOP, EPOCH)
    data = (tmp_path / "a.tar.gz").read_bytes()
    assert data == (tmp_path / "b.tar.gz").read_bytes()
    # gzip: mtime 0, no file name (FLG has no FNAME bit)
    assert data[4:8] == b"\0\0\0\0" and not data[3] & 0x08
    with tarfile.open(tmp_path / "a.tar.gz") as tar:
        members = tar.getmembers()
    names = [member.name for member in members]
    assert names == sorted(names) and names[0] == TOP
    assert all(m.mtime == EPOCH and m.uid == m.gid == 0 and m.uname == m.gname == "" and not m.pax_headers for m in members)
    modes = {m.name.removeprefix(f"{TOP}/"): m.mode for m in members}
    assert modes["tool.sh"] == 0o755 and modes["needs.json"] == 0o644 and modes["html"] == 0o755
    assert any(len(name) > 100 for name in names) and f"{TOP}/evidence/résumé.txt" in names


def test_a_failed_write_leaves_no_archive_and_no_temporary(tmp_path: Path) -> None:
    folder = make_tree(tmp_path / "tree")
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "p.tar.gz"
    target.mkdir()  # a folder where the archive should go: the rename fails
    with pytest.raises(Exception, match="folder"):
        write_archive(folder, target, TOP, EPOCH)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["p.tar.gz"]


# ------------------------------------------------------------------ verify


def test_an_intact_packet_verifies_as_archive_and_as_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = packet(tmp_path)
    status, out, _ = techfile(capsys, "verify", str(archive))
    assert status == 0, out
    assert "intact: 6 files match MANIFEST.json (release REL_1 version 1.0.0" in out
    status, out, _ = techfile(capsys, "verify", str(unpack(archive, tmp_path / "unpacked")))
    assert status == 0, out


def test_verify_names_each_changed_missing_and_added_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = unpack(packet(tmp_path), tmp_path / "unpacked")
    page = folder / "html" / "index.html"
    data = bytearray(page.read_bytes())
    data[1] ^= 0x01  # one bit of one byte
    page.write_bytes(bytes(data))
    (folder / "needs.json").unlink()
    (folder / "html" / "extra.html").write_text("<p>not released</p>\n")
    for where in (folder, tmp_path / "tampered.tar.gz"):
        if where.suffix == ".gz":
            with where.open("wb") as stream:
                write_tree(stream, folder, TOP, EPOCH)
        status, out, _ = techfile(capsys, "verify", str(where))
        assert status == 1, out
        lines = out.splitlines()
        assert lines[0].startswith("html/extra.html: added (not in MANIFEST.json; 20 bytes)")
        assert lines[1].startswith("html/index.html: changed (sha256 ")
        assert lines[2].startswith("needs.json: missing (MANIFEST.json lists 14 bytes")
        assert "NOT intact: 3 file(s) differ" in lines[3]


def _hostile(tmp_path: Path, member: tarfile.TarInfo, data: bytes = b"x") -> Path:
    target = tmp_path / "hostile.tar.gz"
    with tarfile.open(target, "w:gz") as tar:
        manifest = tarfile.TarInfo(f"{TOP}/{MANIFEST}")
        manifest.size = 2
        tar.addfile(manifest, io.BytesIO(b"{}"))
        member.size = len(data) if member.isfile() else 0
        tar.addfile(member, io.BytesIO(data) if member.isfile() else None)
    return target


@pytest.mark.parametrize(
    ("name", "kind", "linkname", "said"),
    [
        ("../evil.txt", tarfile.REGTYPE, "", "a path that climbs out of the packet"),
        (f"{TOP}/../../evil.txt", tarfile.REGTYPE, "", "a path that climbs out of the packet"),
        ("/etc/evil.txt", tarfile.REGTYPE, "", "an absolute path"),
        (f"{TOP}/passwd", tarfile.SYMTYPE, "/etc/passwd", "a link to '/etc/passwd'"),
        (f"{TOP}/up", tarfile.SYMTYPE, "../../..", "a link to '../../..'"),
        (f"{TOP}/hard", tarfile.LNKTYPE, "/etc/shadow", "a link to '/etc/shadow'"),
        (f"{TOP}/fifo", tarfile.FIFOTYPE, "", "a device, FIFO or other special file"),
    ],
)
def test_unsafe_members_are_refused_unextracted(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, kind: bytes, linkname: str, said: str) -> None:
    member = tarfile.TarInfo(name)
    member.type, member.linkname = kind, linkname
    status, _, err = techfile(capsys, "verify", str(_hostile(tmp_path, member)))
    assert status == 2
    assert f"the packet holds {name!r}, {said}" in err and "fix: do not unpack or trust this archive" in err
    assert not (tmp_path.parent / "evil.txt").exists()


def test_a_name_given_twice_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "twice.tar.gz"
    with tarfile.open(target, "w:gz") as tar:
        for data in (b"{}", b"{}"):
            info = tarfile.TarInfo(f"{TOP}/{MANIFEST}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    status, _, err = techfile(capsys, "verify", str(target))
    assert status == 2 and "a name given twice" in err


def test_a_link_in_an_unpacked_folder_is_refused_not_followed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = unpack(packet(tmp_path), tmp_path / "unpacked")
    (folder / "html" / "secret").symlink_to("/etc/hostname")
    status, _, err = techfile(capsys, "verify", str(folder))
    assert status == 2 and "html/secret" in err and "a symbolic link to '/etc/hostname'" in err


def test_what_is_not_a_packet_is_bad_input_with_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = tmp_path / "plain.tar.gz"
    with tarfile.open(plain, "w:gz") as tar:
        info = tarfile.TarInfo("readme.txt")
        tar.addfile(info, io.BytesIO(b""))
    status, _, err = techfile(capsys, "verify", str(plain))
    assert status == 2 and "not a techfile release packet: no MANIFEST.json" in err and "fix: give the .tar.gz" in err
    (tmp_path / "junk.tar.gz").write_bytes(b"not gzip at all")
    status, _, err = techfile(capsys, "verify", str(tmp_path / "junk.tar.gz"))
    assert status == 2 and "not a readable .tar.gz archive" in err
    status, _, err = techfile(capsys, "verify", str(tmp_path / "absent.tar.gz"))
    assert status == 2 and "no such packet" in err


def test_a_manifest_techfile_did_not_write_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="not a techfile release manifest"):
        parse(b'{"files": {}}', "x")
    with pytest.raises(Exception, match="not JSON"):
        parse(b"\xff", "x")


# ------------------------------------------------------------------ signatures


@needs_ssh_keygen
def test_a_real_ssh_signature_verifies_and_names_the_signer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key, signers = ssh_key(tmp_path)
    archive = packet(tmp_path, key)
    status, out, _ = techfile(capsys, "verify", str(archive), "--allowed-signers", str(signers), "--identity", "release@example.org")
    assert status == 0, out
    assert 'signature: good: Good "techfile-release" signature for release@example.org with ED25519 key SHA256:' in out
    # Ed25519 signs deterministically: a signed packet is as reproducible as an unsigned one
    data = (tmp_path / "tree" / MANIFEST).read_bytes()
    assert signing.sign(data, key) == signing.sign(data, key)
    status, out, _ = techfile(capsys, "verify", str(archive), "--allowed-signers", str(signers), "--identity", "someone@example.org")
    assert status == 1 and "signature: BAD" in out


@needs_ssh_keygen
def test_a_tampered_manifest_fails_the_signature_even_when_its_digests_match(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key, signers = ssh_key(tmp_path)
    folder = unpack(packet(tmp_path, key), tmp_path / "unpacked")
    # the forger changes a file and writes its new digest into the manifest: the files match, the signature does not
    (folder / "needs.json").write_text('{"needs": {"FORGED": {}}}\n')
    document = json.loads((folder / MANIFEST).read_text())
    document["files"]["needs.json"] = {"size": (folder / "needs.json").stat().st_size, "sha256": tree_entries(folder)["needs.json"].sha256}
    (folder / MANIFEST).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    status, out, _ = techfile(capsys, "verify", str(folder), "--allowed-signers", str(signers), "--identity", "release@example.org")
    assert status == 1, out
    assert "signature: BAD" in out and "NOT intact: the signature does not verify" in out
    assert not [line for line in out.splitlines() if ": changed" in line]
    # a packet signed by another key fails too
    other, _ = ssh_key(tmp_path, "other")
    (folder / SIGNATURE).write_bytes(signing.sign((folder / MANIFEST).read_bytes(), other))
    status, out, _ = techfile(capsys, "verify", str(folder), "--allowed-signers", str(signers), "--identity", "release@example.org")
    assert status == 1 and "signature: BAD" in out


@needs_ssh_keygen
def test_an_unsigned_packet_fails_a_signature_check_and_a_bad_key_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, signers = ssh_key(tmp_path)
    archive = packet(tmp_path)
    status, out, _ = techfile(capsys, "verify", str(archive), "--allowed-signers", str(signers), "--identity", "release@example.org")
    assert status == 1 and "it was not signed" in out
    status, _, err = techfile(capsys, "verify", str(archive), "--allowed-signers", str(signers))
    assert status == 2 and "needs --identity" in err
    (tmp_path / "not-a-key").write_text("hello\n")
    with pytest.raises(Exception, match="could not sign"):
        signing.sign(b"data", tmp_path / "not-a-key")


def test_read_packet_keeps_manifest_and_signature_out_of_the_files(tmp_path: Path) -> None:
    contents = read_packet(packet(tmp_path))
    assert contents.manifest is not None and MANIFEST not in contents.files and SIGNATURE not in contents.files
    assert sorted(contents.files) == sorted(tree_entries(tmp_path / "tree"))


# ------------------------------------------------------------------ techfile release


def test_need_container_ids_are_counted_not_random_while_packing() -> None:
    import uuid

    from sphinx_needs import layout

    from techfile.packet.sphinxbuild import stable_need_container_ids

    runs = []
    for _ in range(2):
        with stable_need_container_ids():
            runs.append([str(layout.uuid.uuid4())[:8] for _ in range(3)])
    assert runs[0] == runs[1] and len(set(runs[0])) == 3
    assert layout.uuid is uuid  # restored: other builds in this process keep sphinx-needs' own


def test_archive_name_and_target() -> None:
    from techfile.packet.build import archive_name, target_path

    assert archive_name("PJI-Risk technical file", "1.0.0") == "pji-risk-1.0.0-technical-file.tar.gz"
    assert archive_name("Mini", "2.0 beta/1") == "mini-2.0-beta-1-technical-file.tar.gz"
    project = load_project(Path(__file__).resolve().parent.parent)
    assert target_path(Path("x/p.tgz"), project, "n.tar.gz") == Path("x/p.tgz")
    assert target_path(Path("out"), project, "n.tar.gz") == Path("out/n.tar.gz")
    assert target_path(None, project, "n.tar.gz") == project.root / "_build" / "release" / "n.tar.gz"



def quiet_mini(root: Path) -> Mini:
    """The Mini project, buildable by Sphinx, with the rules that fire on it disabled.

    The Mini is a project every core rule is quiet on; rules added to the
    default catalogue later (release gates) may ask for records it lacks,
    which are not what these tests are about.
    """
    mini = Mini(root)
    add_sphinx_files(root)
    mini.write_evidence()
    assert_no_open_gaps(root)
    return mini


def assert_no_open_gaps(root: Path) -> None:
    """The project is releasable as it is: the packet tests are about the packet, on a clean project."""
    project = load_project(root)
    declarations = load_declarations(project)
    findings = check_corpus(project, declarations, read_corpus(project, declarations.model)).findings
    assert [f"{finding.rule.id}: {finding.message}" for finding in findings if finding.fails] == []


def release(root: Path, *arguments: str, epoch: int | None = EPOCH) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "SOURCE_DATE_EPOCH"}
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = str(epoch)
    return subprocess.run([sys.executable, "-m", "techfile", "release", "--project", str(root), *arguments], capture_output=True, text=True, env=env, check=False)


def test_release_refuses_to_guess_the_build_date(tmp_path: Path) -> None:
    root = tmp_path / "project"
    quiet_mini(root)
    done = release(root, "--version", "1.0.0", "--no-pdf", "-o", str(tmp_path / "out"), epoch=None)
    assert done.returncode == 2, done.stderr
    assert "no build date: SOURCE_DATE_EPOCH is not set and git gives no commit date" in done.stderr
    assert not (tmp_path / "out").exists()


def test_release_of_an_unknown_version_names_the_versions(tmp_path: Path) -> None:
    root = tmp_path / "project"
    quiet_mini(root)
    done = release(root, "--version", "9.9.9", "--no-pdf", "-o", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "no release need has version '9.9.9' (versions: 1.0.0 (REL_1))" in done.stderr
    assert not (tmp_path / "out").exists()


def test_release_with_an_open_gap_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "project"
    mini = quiet_mini(root)
    mini.replace("tests.md", ":verifies: SWR_001, ITEM_UNIT", ":verifies: ITEM_UNIT")
    out = tmp_path / "out"
    out.mkdir()
    done = release(root, "--version", "1.0.0", "--no-pdf", "-o", str(out))
    assert done.returncode == 1, done.stderr
    assert "techfile.R04: SWR_001" in done.stderr
    assert "refused: release REL_1 (version 1.0.0) has open gaps; no packet written" in done.stderr
    assert list(out.iterdir()) == []


@pytest.mark.slow
@needs_ssh_keygen
def test_release_twice_gives_the_same_bytes_and_verifies(tmp_path: Path) -> None:
    root = tmp_path / "project"
    quiet_mini(root)
    (root / "requirements.txt").write_text("libfoo==1.2.3\n")
    key, signers = ssh_key(tmp_path)
    archives = []
    for run in ("first", "second"):
        done = release(root, "--version", "1.0.0", "--no-pdf", "--sign-key", str(key), "--include", str(root / "requirements.txt"), "-o", str(tmp_path / run))
        assert done.returncode == 0, done.stderr
        archives.append(tmp_path / run / "mini-1.0.0-technical-file.tar.gz")
        assert sorted(p.name for p in (tmp_path / run).iterdir()) == [archives[-1].name]  # no staging folder left behind
    assert archives[0].read_bytes() == archives[1].read_bytes()

    contents = read_packet(archives[0])
    assert contents.manifest is not None and contents.signature is not None
    manifest = parse(contents.manifest, "test")
    assert (manifest.release, manifest.version, manifest.source_date_epoch, manifest.build_date) == ("REL_1", "1.0.0", EPOCH, "2025-11-30T00:00:00Z")
    assert manifest.working_tree == "not a git checkout"
    files = set(manifest.files)
    assert {"html/index.html", "html/Mini-technical-file.xlsx", "html/techfile-findings.json", "needs.json", "techfile-findings.json",
            "evidence/needs/generated/results.json", "evidence/needs/generated/components.json", "evidence/requirements.txt"} <= files
    assert not {name for name in files if name.endswith((".buildinfo", "schema_violations.json")) or "/.doctrees/" in name}
    assert files == set(contents.files)

    verified = subprocess.run([sys.executable, "-m", "techfile", "verify", str(archives[0]), "--allowed-signers", str(signers), "--identity", "release@example.org"],
                              capture_output=True, text=True, check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Good \"techfile-release\" signature for release@example.org" in verified.stdout


@pytest.mark.slow
def test_a_failed_build_leaves_no_packet_and_no_staging_folder(tmp_path: Path) -> None:
    root = tmp_path / "project"
    quiet_mini(root)  # its pages are in no toctree: warnings, which -W makes errors
    out = tmp_path / "out"
    out.mkdir()
    (out / "mini-1.0.0-technical-file.tar.gz").write_bytes(b"the previous packet")
    done = release(root, "--version", "1.0.0", "--no-pdf", "-W", "-o", str(out))
    assert done.returncode == 2, done.stderr
    assert "the Sphinx HTML build ended with warnings, which -W makes errors; no packet written" in done.stderr
    assert [p.name for p in out.iterdir()] == ["mini-1.0.0-technical-file.tar.gz"]
    assert (out / "mini-1.0.0-technical-file.tar.gz").read_bytes() == b"the previous packet"


@pytest.mark.slow
def test_the_example_release_packet_with_its_pdf(tmp_path: Path) -> None:
    """The example as `make packet` builds it: evidence from its real test run, HTML, PDF, requirements file."""
    pytest.importorskip("weasyprint")
    root = copy_example(tmp_path / "repo")
    make_evidence(root)
    assert_no_open_gaps(root)
    requirements = root / "examples" / "pji_risk" / "requirements.txt"
    done = release(root, "--version", "1.0.0", "--include", str(requirements), "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr[-3000:]
    archive = tmp_path / "out" / "pji-risk-1.0.0-technical-file.tar.gz"
    contents = read_packet(archive)
    assert contents.manifest is not None
    files = set(parse(contents.manifest, "test").files)
    assert {"pdf/pji-risk-technical-file.pdf", "html/PJI-Risk-technical-file.xlsx", "evidence/examples/pji_risk/requirements.txt",
            "evidence/needs/generated/junit.json", "evidence/_build/evidence/junit/unit.xml", "evidence/_build/evidence/junit/system.xml"} <= files
    assert contents.files["pdf/pji-risk-technical-file.pdf"].size > 100_000
    with gzip.open(archive) as stream:
        assert stream.read(1)  # a gzip stream, readable to its end below by verify
    verified = subprocess.run([sys.executable, "-m", "techfile", "verify", str(archive)], capture_output=True, text=True, check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
