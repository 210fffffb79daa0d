"""``MANIFEST.json``: what a release packet holds and what it was built from.

Every file of the packet except the manifest and its signature is listed
with its size and SHA-256, by its path inside the packet (POSIX, relative).
Beside the files: the release ID and version, the commit, the software
version, the build date (and where it comes from), the techfile version,
and whether the working tree was that of the commit.
It is written with sorted keys, two-space indent and a final newline, so
the same packet gives the same bytes, and those bytes are what is signed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from techfile.errors import TechfileError

MANIFEST = "MANIFEST.json"
SIGNATURE = "MANIFEST.json.sig"
FORMAT = "techfile-release-packet/1"
#: The files that are not listed in the manifest: itself, and the signature of its bytes.
UNLISTED = frozenset({MANIFEST, SIGNATURE})
_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileEntry:
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    release: str
    version: str
    commit: str
    software_version: str
    build_date: str
    """ISO 8601 UTC time of the build (``2026-11-30T00:00:00Z``): every timestamp inside the packet."""
    source_date_epoch: int
    build_date_source: str
    """``SOURCE_DATE_EPOCH`` or ``commit``: where the build date comes from."""
    techfile_version: str
    files: dict[str, FileEntry] = field(default_factory=dict)
    working_tree: str = "unknown"
    """``clean``, ``modified`` (files differ from the commit: the packet is not of the commit alone) or ``not a git checkout``."""

    def to_bytes(self) -> bytes:
        document: dict[str, Any] = {
            "format": FORMAT,
            "release": {"id": self.release, "version": self.version},
            "commit": self.commit,
            "software_version": self.software_version,
            "build_date": self.build_date,
            "source_date_epoch": self.source_date_epoch,
            "build_date_source": self.build_date_source,
            "techfile_version": self.techfile_version,
            "working_tree": self.working_tree,
            "files": {path: {"size": entry.size, "sha256": entry.sha256} for path, entry in sorted(self.files.items())},
        }
        return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def sha256_stream(chunks: Iterable[bytes]) -> FileEntry:
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return FileEntry(size, digest.hexdigest())


def file_entry(path: Path) -> FileEntry:
    with path.open("rb") as stream:
        return sha256_stream(iter(lambda: stream.read(_CHUNK), b""))


def tree_entries(folder: Path) -> dict[str, FileEntry]:
    """Every regular file under ``folder`` except the unlisted ones, by POSIX path relative to it."""
    found: dict[str, FileEntry] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and not path.is_symlink() and relative not in UNLISTED:
            found[relative] = file_entry(path)
    return found


def parse(data: bytes, where: str) -> Manifest:
    """Read a manifest back; :class:`TechfileError` at ``where`` when it is not one techfile wrote."""
    fix = "verify the packet techfile release wrote, unchanged; a manifest that does not parse cannot vouch for any file"
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TechfileError(f"{MANIFEST} is not JSON ({error})", path=where, fix=fix) from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise TechfileError(f"{MANIFEST} is not a techfile release manifest (format is not {FORMAT!r})", path=where, fix=fix)
    try:
        files = {str(path): FileEntry(int(entry["size"]), str(entry["sha256"])) for path, entry in _mapping(document["files"]).items()}
        release = _mapping(document["release"])
        return Manifest(
            release=str(release["id"]),
            version=str(release["version"]),
            commit=str(document["commit"]),
            software_version=str(document["software_version"]),
            build_date=str(document["build_date"]),
            source_date_epoch=int(document["source_date_epoch"]),
            build_date_source=str(document["build_date_source"]),
            techfile_version=str(document["techfile_version"]),
            files=files,
            working_tree=str(document.get("working_tree", "unknown")),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise TechfileError(f"{MANIFEST} lacks or mistypes {error}", path=where, fix=fix) from error


def _mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"{value!r} is not an object")
    return value
