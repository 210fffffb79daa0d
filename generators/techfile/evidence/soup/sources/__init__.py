"""The dependency sources, one module per format, and the shared reading
steps: the size limit, TOML and JSON decoding with the line of the error,
and the line of each table of a TOML array."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

from techfile.evidence.soup.interface import MAX_BYTES, SoupInputError


def read_text(path: Path, shown: str, error: type[SoupInputError] = SoupInputError) -> str:
    """The file's text, refused before decoding when larger than :data:`MAX_BYTES` or not UTF-8."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise error(f"is {size / 1e6:.0f} MB; dependency files larger than {MAX_BYTES // 2**20} MiB are refused", path=shown, fix="give the lock file or SBOM itself, not an archive or a dump")
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise error("does not exist", path=shown, fix="name an existing lock file, requirements file or SBOM") from None
    except IsADirectoryError:
        raise error("is a folder, not a file", path=shown, fix="name the lock file inside it") from None
    except UnicodeDecodeError as exc:
        raise error(f"is not UTF-8 text (byte {exc.start})", path=shown, fix="give the text file the tool wrote") from None


def load_toml(text: str, shown: str, error: type[SoupInputError]) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        # a truncated file ends mid-value: the error is "at end of document", on its last line
        line = int(found.group(1)) if found else max(1, len(text.splitlines()))
        raise error(f"is not valid TOML: {exc}", path=shown, line=line, fix="regenerate the file with the tool that wrote it (a truncated or hand-edited lock file)") from None


def load_json(text: str, shown: str, error: type[SoupInputError]) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"is not valid JSON: {exc.msg} (column {exc.colno})", path=shown, line=exc.lineno, fix="regenerate the file with the tool that wrote it (a truncated or hand-edited file)") from None


def table_lines(text: str, header: str) -> list[int]:
    """The line (1-based) of each ``header`` (``[[package]]``) in the text, in order: the i-th is the i-th table of the array."""
    wanted = header.strip()
    return [number for number, line in enumerate(text.splitlines(), 1) if line.strip() == wanted]


def json_line(text: str, needle: str, start: int = 0) -> int:
    """The line of the first ``needle`` at or after character ``start`` (1 when absent)."""
    at = text.find(needle, start)
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


def require(value: object, kind: type, what: str, shown: str, error: type[SoupInputError], line: int | None = None) -> Any:
    if not isinstance(value, kind):
        raise error(f"{what} is not {'a table' if kind is dict else 'a list' if kind is list else 'a string'}", path=shown, line=line, fix="regenerate the file with the tool that wrote it")
    return value
