"""The dependency sources by format name, and which one a file is.

Adding a format is adding a module to :mod:`~techfile.evidence.soup.sources`
and its class here."""

from __future__ import annotations

import hashlib
from pathlib import Path

from techfile.evidence.soup.graph import resolve
from techfile.evidence.soup.interface import Component, DependencySource, SoupInputError
from techfile.evidence.soup.sources import read_text
from techfile.evidence.soup.sources.cyclonedx import CycloneDx
from techfile.evidence.soup.sources.freeze import PipFreeze
from techfile.evidence.soup.sources.installed import Installed
from techfile.evidence.soup.sources.npm import NpmLock
from techfile.evidence.soup.sources.poetrylock import PoetryLock
from techfile.evidence.soup.sources.pylock import PyLock
from techfile.evidence.soup.sources.requirements import Requirements
from techfile.evidence.soup.sources.uvlock import UvLock

#: In detection order: the specific formats before the requirements reader, which takes any pinned text file.
SOURCES: tuple[DependencySource, ...] = (UvLock(), PoetryLock(), PyLock(), NpmLock(), CycloneDx(), Installed(), PipFreeze(), Requirements())
FORMATS = {source.format: source for source in SOURCES}


def supported() -> str:
    return "; ".join(source.description for source in SOURCES)


def detect(path: Path, shown: str, head: str) -> DependencySource:
    for source in SOURCES:
        if source.detects(path, head):
            return source
    if head.lstrip().startswith("<"):
        raise SoupInputError("is XML; techfile reads SBOMs as CycloneDX JSON only (no XML is parsed)", path=shown, line=1, fix="convert it: `cyclonedx convert --input-format xml --output-format json`")
    raise SoupInputError("is not a dependency file techfile reads", path=shown, line=1, fix=f"give --format, or one of: {supported()}")


def read_components(path: Path, shown: str, format: str | None = None) -> tuple[list[Component], dict[str, str]]:
    """The components of one dependency file, and the SHA-256 of each file read (shown path -> digest).

    The digest of an environment is of its sorted METADATA files."""
    if path.is_dir():
        source: DependencySource = FORMATS["installed"]
        if format not in (None, "installed") or not source.detects(path, ""):
            raise SoupInputError("is a folder; only an installed environment (site-packages with *.dist-info) is read from a folder", path=shown, fix="name the lock file, or --format installed with a site-packages folder")
        digest = hashlib.sha256()
        for metadata in sorted(path.glob("*.dist-info/METADATA")):
            digest.update(metadata.read_bytes())
        return resolve(source.read(path, shown, ""), shown), {shown: digest.hexdigest()}
    text = read_text(path, shown)
    if format is not None:
        if format not in FORMATS:
            raise SoupInputError(f"--format {format!r} is not a format techfile reads", fix=f"one of: {', '.join(FORMATS)}")
        source = FORMATS[format]
    else:
        source = detect(path, shown, text[:4096])
    lock = source.read(path, shown, text)
    return resolve(lock, shown), {shown: hashlib.sha256(path.read_bytes()).hexdigest(), **lock.included}
