"""Requirements files (pip-tools' ``pip-compile`` output, hand-pinned
files): one exact pin per line (``name==version`` or ``===``), ``--hash``
options, environment markers, extras, ``-r`` and ``-c`` includes (followed,
a loop refused), and pip-compile's ``# via`` comments for the tree.
Editable (``-e``) and URL lines are refused with the reason: they name no
version a SOUP evaluation can be for."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from techfile.evidence.soup.graph import key, locked
from techfile.evidence.soup.interface import DependencySource, Lock, Locked, SoupInputError
from techfile.evidence.soup.sources import read_text

_OPTION = re.compile(r"^(-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)")
_IGNORED_OPTIONS = ("--index-url", "-i", "--extra-index-url", "--find-links", "-f", "--trusted-host", "--no-binary", "--only-binary", "--prefer-binary", "--pre", "--no-index")
SUPPORTED = "name==version lines (with --hash, extras and markers), -r/-c includes, and index options"


class RequirementsError(SoupInputError):
    """A requirements file that cannot be read as exact pins."""


@dataclass
class _State:
    packages: list[Locked] = field(default_factory=list)
    via: dict[str, set[str]] = field(default_factory=dict)
    direct: set[str] = field(default_factory=set)
    seen: dict[str, int] = field(default_factory=dict)
    included: dict[str, str] = field(default_factory=dict)


def _logical_lines(text: str) -> list[tuple[int, str, list[str]]]:
    """(first line number, the requirement joined over ``\\`` continuations, the comment lines that follow it)."""
    out: list[tuple[int, str, list[str]]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not pending and stripped.startswith("#"):
            if out:
                out[-1][2].append(stripped)
            continue
        if not pending:
            start = number
        body = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if body.endswith("\\"):
            pending += body[:-1] + " "
            continue
        pending += body
        if pending.strip():
            out.append((start, pending.strip(), []))
        pending = ""
    return out


def _via(comments: list[str]) -> tuple[set[str], bool]:
    """The parents named by pip-compile's ``# via`` comments, and whether an input file asks for it directly."""
    names: set[str] = set()
    direct = False
    collecting = False
    for comment in comments:
        text = comment.lstrip("#").strip()
        if text.startswith("via"):
            collecting = True
            text = text[3:].strip()
        if not collecting or not text:
            continue
        if text.startswith(("-r ", "-c ")) or text.startswith("pyproject.toml") or text.endswith((".in", ".txt", ".toml")):
            direct = direct or text.startswith(("-r ", "pyproject.toml")) or text.endswith((".in", ".toml"))
        else:
            names.add(key(text.split()[0]))
    return names, direct


class Requirements(DependencySource):
    format = "requirements"
    description = "requirements files (pip-compile output or hand-pinned: name==version, --hash, markers, extras, -r/-c)"
    ecosystem = "pypi"

    def detects(self, path: Path, head: str) -> bool:
        return path.suffix in (".txt", ".in")

    def read(self, path: Path, shown: str, text: str) -> Lock:
        state = _State()
        self._read(path, shown, text, state, (path.resolve(),), constraint=False)
        # pip-compile's "# via" comments are the tree: a package is a dependency of each parent they name
        packages = tuple(
            locked(p.name, p.version, p.line, dependencies=sorted(n for n, parents in state.via.items() if key(p.name) in parents), hashes=p.hashes, source_file=p.source_file)
            for p in state.packages
        )
        roots = tuple(sorted(state.direct)) if state.via else None
        return Lock(self.format, packages, roots, included=state.included)

    def _read(self, path: Path, shown: str, text: str, state: _State, chain: tuple[Path, ...], *, constraint: bool) -> None:
        for line, body, comments in _logical_lines(text):
            include = _OPTION.match(body)
            if include:
                target = (path.parent / include.group(2)).resolve()
                if target in chain:
                    loop = " -> ".join(p.name for p in (*chain, target))
                    raise RequirementsError(f"includes {include.group(2)}, which includes it again ({loop})", path=shown, line=line, fix="remove the -r/-c line that closes the loop")
                included = str(Path(shown).parent / include.group(2))
                included_text = read_text(target, included, RequirementsError)
                state.included[included] = hashlib.sha256(target.read_bytes()).hexdigest()
                self._read(target, included, included_text, state, (*chain, target), constraint=constraint or include.group(1) in ("-c", "--constraint"))
                continue
            if body.startswith(("-e", "--editable")):
                raise RequirementsError(f"is an editable line ({body}): it names a working copy, not a version", path=shown, line=line, fix=f"list the project's own package outside the SOUP source, or pin the released version; supported: {SUPPORTED}")
            if body.startswith(_IGNORED_OPTIONS):
                continue
            if body.startswith("-"):
                raise RequirementsError(f"has the option {body.split()[0]}, which techfile does not read", path=shown, line=line, fix=f"supported: {SUPPORTED}")
            hashes = tuple(re.findall(r"--hash[=\s]+(\S+)", body))
            spec = re.sub(r"--hash[=\s]+\S+", "", body).strip()
            try:
                requirement = Requirement(spec)
            except InvalidRequirement as exc:
                raise RequirementsError(f"is not a requirement: {exc}", path=shown, line=line, fix=f"supported: {SUPPORTED}") from None
            if requirement.url:
                raise RequirementsError(f"installs {requirement.name} from a URL ({requirement.url}): no version a SOUP evaluation can be for", path=shown, line=line, fix="pin it from an index (name==version), or record it as a SOUP item by hand")
            pins = [s for s in requirement.specifier if s.operator in ("==", "===") and "*" not in s.version]
            if constraint:
                continue  # a constraint limits versions; it does not add a package
            if len(pins) != 1 or len(requirement.specifier) != 1:
                raise RequirementsError(
                    f"{requirement.name}{requirement.specifier or ''} is not pinned to one exact version",
                    path=shown,
                    line=line,
                    fix="pin every line (name==version): generate the file with `pip-compile --generate-hashes` or `pip freeze`",
                )
            name = key(requirement.name)
            if name in state.seen:
                continue
            state.seen[name] = line
            parents, direct = _via(comments)
            if parents:
                state.via[name] = parents
            if direct or not parents:
                state.direct.add(name)
            state.packages.append(Locked(requirement.name, pins[0].version, line, hashes=hashes, source_file=shown if chain[1:] else ""))
