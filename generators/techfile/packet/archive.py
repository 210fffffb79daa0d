"""The packet as one ``.tar.gz``: written reproducibly, read safely.

Writing. The same folder gives the same bytes, whenever and wherever it is
packed: entries sorted by name, every directory before what it holds; every
timestamp the build date (``SOURCE_DATE_EPOCH``); owner and group 0 with
empty names; modes 0644 (0755 for folders and executables); the GNU tar
format, which needs no pax header (pax headers would carry times and long
names) and stores long names in ``././@LongLink`` records; a gzip header
without a file name and with mtime 0. The archive goes to a temporary file
next to the target and is renamed over it at the end
(:func:`techfile.fileio.write_atomic`), so no reader ever sees half an
archive, and a failed write leaves the previous one as it was.

Reading. A packet may come from anywhere, so nothing in it is extracted or
trusted: members are hashed from the archive stream. A member with an
absolute name, a ``..`` part, a link (symbolic or hard), a device or FIFO,
or a name given twice is refused (:class:`~techfile.errors.TechfileError`,
exit 2), and :func:`tarfile.data_filter` checks each member as well. An
unpacked folder is walked without following links; a link in it is refused
the same way.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from techfile.errors import TechfileError
from techfile.fileio import write_atomic
from techfile.packet.manifest import MANIFEST, SIGNATURE, FileEntry, file_entry, sha256_stream

SUFFIX = ".tar.gz"
_CHUNK = 1 << 20
_SMALL_LIMIT = 64 << 20
"""Largest manifest or signature read into memory: a packet from elsewhere may be hostile."""


# ------------------------------------------------------------------ writing


def _paths(folder: Path) -> list[Path]:
    """Every folder and file under ``folder``, sorted by POSIX name (a folder's entry before its contents)."""
    found = [path for path in folder.rglob("*") if path.is_dir() or path.is_file()]
    return sorted(found, key=lambda path: path.relative_to(folder).as_posix())


def _info(name: str, path: Path | None, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mtime = mtime
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if path is None or path.is_dir():
        info.type, info.mode, info.size = tarfile.DIRTYPE, 0o755, 0
    else:
        info.type, info.size = tarfile.REGTYPE, path.stat().st_size
        info.mode = 0o755 if path.stat().st_mode & stat.S_IXUSR else 0o644
    return info


def write_tree(stream: IO[bytes], folder: Path, top: str, mtime: int) -> None:
    """Write ``folder``'s files as a reproducible .tar.gz into ``stream``, each under the folder ``top``."""
    with gzip.GzipFile(filename="", mode="wb", fileobj=stream, mtime=0, compresslevel=9) as compressed, tarfile.open(fileobj=compressed, mode="w", format=tarfile.GNU_FORMAT) as archive:
        archive.addfile(_info(top, None, mtime))
        for path in _paths(folder):
            info = _info(f"{top}/{path.relative_to(folder).as_posix()}", path, mtime)
            if info.isdir():
                archive.addfile(info)
                continue
            with path.open("rb") as data:
                archive.addfile(info, data)


def write_archive(folder: Path, target: Path, top: str, mtime: int) -> None:
    """Pack ``folder`` into ``target`` atomically (module docstring); :class:`TechfileError` when it cannot be written.

    The archive is packed in memory (a packet is megabytes, not gigabytes)
    and written by :func:`techfile.fileio.write_atomic`, as every file
    techfile writes: a temporary file beside the target, renamed over it.
    """
    buffer = io.BytesIO()
    write_tree(buffer, folder, top, mtime)
    write_atomic(target, buffer.getvalue())


# ------------------------------------------------------------------ reading


@dataclass
class Contents:
    """What a packet holds: each file's size and digest by its path inside the packet, and the manifest's bytes."""

    where: str
    files: dict[str, FileEntry] = field(default_factory=dict)
    manifest: bytes | None = None
    signature: bytes | None = None


def _refuse(where: Path, member: str, why: str) -> TechfileError:
    return TechfileError(
        f"the packet holds {member!r}, {why}; techfile packets hold only files and folders under one folder",
        path=where,
        fix="do not unpack or trust this archive; get the packet again from where techfile release wrote it",
    )


def _checked_name(where: Path, name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if name.startswith(("/", "\\")) or path.is_absolute() or (len(name) > 1 and name[1] == ":"):
        raise _refuse(where, name, "an absolute path")
    if ".." in path.parts or "\\" in name or "\x00" in name:
        raise _refuse(where, name, "a path that climbs out of the packet ('..' or a backslash)")
    return path


def _members(where: Path, archive: tarfile.TarFile) -> Iterator[tuple[tarfile.TarInfo, PurePosixPath]]:
    seen: set[PurePosixPath] = set()
    for member in archive:
        path = _checked_name(where, member.name)
        if member.issym() or member.islnk():
            raise _refuse(where, member.name, f"a link to {member.linkname!r}")
        if not (member.isfile() or member.isdir()):
            raise _refuse(where, member.name, "a device, FIFO or other special file")
        try:
            tarfile.data_filter(member, "/nonexistent-techfile-packet")  # the standard library's own checks on top
        except tarfile.FilterError as error:
            raise _refuse(where, member.name, f"refused by tarfile's data filter ({error})") from error
        if path in seen and member.isfile():
            raise _refuse(where, member.name, "a name given twice (the second copy would hide the first)")
        seen.add(path)
        yield member, path


def _top(names: list[PurePosixPath]) -> PurePosixPath | None:
    """The folder the manifest lies in: the packet's root (None) or its one top folder."""
    if PurePosixPath(MANIFEST) in names:
        return None
    tops = {name.parts[0] for name in names if name.parts}
    for top in sorted(tops):
        if PurePosixPath(top, MANIFEST) in names:
            return PurePosixPath(top)
    return None


def _inside(path: PurePosixPath, top: PurePosixPath | None) -> str:
    """The path as the manifest names it: relative to the top folder; a file outside it keeps its full name."""
    return (path.relative_to(top) if top is not None and path.is_relative_to(top) else path).as_posix()


def _read_small(stream: IO[bytes], where: Path, name: str) -> bytes:
    data = stream.read(_SMALL_LIMIT + 1)
    if len(data) > _SMALL_LIMIT:
        raise _refuse(where, name, f"larger than {_SMALL_LIMIT >> 20} MiB")
    return data


def _collect(contents: Contents, name: str, stream: IO[bytes], where: Path) -> None:
    if name in (MANIFEST, SIGNATURE):
        data = _read_small(stream, where, name)
        if name == MANIFEST:
            contents.manifest = data
        else:
            contents.signature = data
        return
    contents.files[name] = sha256_stream(iter(lambda: stream.read(_CHUNK), b""))


def read_archive(path: Path) -> Contents:
    """Hash every member of the .tar(.gz) at ``path`` without extracting it; unsafe members refused."""
    contents = Contents(str(path))
    try:
        with tarfile.open(path, mode="r:*") as archive:
            members = list(_members(path, archive))
            top = _top([name for _, name in members])
            for member, name in members:
                if not member.isfile():
                    continue
                data = archive.extractfile(member)
                if data is not None:
                    _collect(contents, _inside(name, top), data, path)
    except (tarfile.TarError, EOFError, gzip.BadGzipFile) as error:
        raise TechfileError(f"not a readable .tar.gz archive ({error})", path=path, fix="give the packet techfile release wrote (a .tar.gz), or the folder it was unpacked into") from error
    except OSError as error:
        raise TechfileError(f"cannot read the packet: {error.strerror or error}", path=path, fix="check the path and its permissions") from error
    return contents


def read_folder(folder: Path) -> Contents:
    """Hash every file of an unpacked packet; links are refused, never followed."""
    contents = Contents(str(folder))
    names: list[PurePosixPath] = []
    for current, folders, files in os.walk(folder, followlinks=False):
        for name in sorted([*folders, *files]):
            path = Path(current, name)
            relative = PurePosixPath(path.relative_to(folder).as_posix())
            if path.is_symlink():
                raise _refuse(folder, relative.as_posix(), f"a symbolic link to {os.readlink(path)!r}")
            if path.is_file():
                names.append(relative)
            elif not path.is_dir():
                raise _refuse(folder, relative.as_posix(), "a device, FIFO or other special file")
    top = _top(names)
    for relative in sorted(names):
        with Path(folder, relative).open("rb") as stream:
            _collect(contents, _inside(relative, top), stream, folder)
    return contents


def read_packet(path: Path) -> Contents:
    if path.is_dir():
        return read_folder(path)
    if not path.exists():
        raise TechfileError("no such packet", path=path, fix="give the .tar.gz techfile release wrote, or the folder it was unpacked into")
    return read_archive(path)


__all__ = ["Contents", "file_entry", "read_packet", "write_archive", "write_tree"]
