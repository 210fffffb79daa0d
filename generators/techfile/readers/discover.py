"""Find and read source files as the Sphinx build would, refusing what
would make it hang or crash.

Sphinx walks its source folder following symbolic links and pruning
excluded folders; a link back to a parent makes that walk run forever, and
a file it cannot decode ends the build in a crash report. Here both are
problems with a location: ``techfile check`` refuses them (exit 2), and the
extension excludes the offending path from the build and reports it.
"""

from __future__ import annotations

import codecs
import errno
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from techfile.errors import TechfileError


class UnreadableSource(TechfileError):
    """A source the Sphinx build cannot read either: it would crash or hang on it.

    The extension leaves such a document out of the build (and reports this
    error); ``document`` is the document it was found in, once known.
    """

    document: Path | None = None


@dataclass
class Discovery:
    files: list[Path] = field(default_factory=list)
    problems: list[TechfileError] = field(default_factory=list)
    refused: list[Path] = field(default_factory=list)
    """Paths the build must not walk or read (symlink loops)."""


def walk(top: Path, suffixes: Iterable[str], excluded: Callable[[Path], bool], shown: Callable[[Path], str]) -> Discovery:
    """Files under ``top`` with one of ``suffixes``, following links as Sphinx does, loops refused."""
    found = Discovery()
    suffixes = tuple(suffixes)
    if not top.exists():
        return found
    ancestors: dict[str, list[str]] = {}
    for folder, dirs, files in os.walk(top, followlinks=True):
        here = Path(folder)
        real = os.path.realpath(folder)
        chain = ancestors.get(folder, [])
        kept = []
        for name in sorted(dirs):
            path = here / name
            if excluded(path):
                continue
            target = os.path.realpath(path)
            # a link to this folder, to one above it, or back into the walk so far
            if target == real or target in chain or real.startswith(target.rstrip(os.sep) + os.sep):
                found.problems.append(
                    UnreadableSource(
                        f"symbolic link loop: {shown(path)} points back to {shown(Path(target))}, so the build would walk it forever",
                        path=shown(path),
                        fix="remove the link, or add its folder to [tool.techfile] exclude",
                    )
                )
                found.refused.append(path)
                continue
            ancestors[str(path)] = [*chain, real]
            kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            path = here / name
            if not name.endswith(suffixes) or excluded(path):
                continue
            try:
                path.stat()
            except OSError as exc:
                why = "a symbolic link loop" if exc.errno == errno.ELOOP else exc.strerror or str(exc)
                found.problems.append(UnreadableSource(f"cannot read: {why}", path=shown(path), fix="remove or repair the link"))
                found.refused.append(path)
                continue
            found.files.append(path)
    return found


def decode(data: bytes, shown: str) -> str:
    """``data`` as text, as Sphinx reads a source (UTF-8, a BOM dropped); a located error otherwise."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise UnreadableSource("the file is UTF-16 or UTF-32, not UTF-8", path=shown, line=1, fix="save it as UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise UnreadableSource(
            f"not valid UTF-8: byte 0x{data[exc.start]:02x} at column {column} ({exc.reason})",
            path=shown,
            line=line,
            fix="save the file as UTF-8",
        ) from None


def read(path: Path, shown: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        why = "a symbolic link loop" if exc.errno == errno.ELOOP else exc.strerror or str(exc)
        raise UnreadableSource(f"cannot read: {why}", path=shown) from None
    return decode(data, shown)
