"""``techfile init [DIR]``: start a technical file in an existing repository.

Writes, from the templates shipped in the package (``data/scaffold``): a
minimal conf.py (or adds the extension to an existing one), the
``[tool.techfile]`` table (creating pyproject.toml if there is none, and
otherwise appending the table without rewriting any other), the IEC 62304
document set with clear ``[TO DO: ...]`` placeholders, a ``needs/`` folder
with one example of each core need type, the rule catalogue page, the
evidence import page, and the project's own declarations (a need model and
trace rules that extend techfile's, a risk matrix to adapt).

It never overwrites a file: one that exists is kept as it is, whatever it
holds, so running it twice changes nothing. It prints what it did to each
file.
"""

from __future__ import annotations

import argparse
import ast
import re
import tomllib
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from techfile import resources
from techfile.errors import TechfileError
from techfile.fileio import write_atomic

EXTENSIONS = ("myst_parser", "sphinx_needs", "techfile.sphinxext")
LEVEL_TITLES = {"basic": "Basic", "enhanced": "Enhanced"}
_CONF_ADDITION = '''
# Added by `techfile init`: the technical file's extensions (techfile
# configures sphinx-needs, MyST and PlantUML from pyproject.toml).
extensions = [*globals().get("extensions", []), *(name for name in {names!r} if name not in globals().get("extensions", []))]
'''


@dataclass(frozen=True)
class Action:
    verb: str
    """wrote, updated, unchanged or kept."""
    path: str
    note: str = ""

    def line(self) -> str:
        return f"  {self.verb:<9} {self.path}" + (f"  ({self.note})" if self.note else "")


def register(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "init",
        help="start a technical file in this repository",
        description="Write conf.py (or add the extension to yours), the [tool.techfile] table, the IEC 62304 "
        "document set, example needs and the project's declarations. Never overwrites a file; running it "
        "twice changes nothing.",
    )
    parser.add_argument("dir", nargs="?", type=Path, default=Path("."), help="the repository (default: here)")
    parser.add_argument("--safety-class", choices=("A", "B", "C"), default="C", help="IEC 62304 class of the software system (default: C, as for unclassified software, 4.3 a)")
    parser.add_argument("--documentation-level", choices=tuple(LEVEL_TITLES), default="enhanced", help="FDA documentation level (default: enhanced)")
    parser.add_argument("--project-name", help="name of the device (default: the folder's name)")
    parser.add_argument("--ci", choices=tuple(CI_TEMPLATES), help="also write a CI pipeline that builds and checks the technical file on every pull request (github: .github/workflows/techfile.yml; gitlab: .gitlab-ci.yml)")
    parser.set_defaults(handler=run)


def _templates(folder: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    """(relative path, template) of every template under ``folder``.

    A template ending in ``.tmpl`` (conf.py) is written without it: as a
    ``.py`` file in the package it would be byte-compiled, even imported.
    """
    found: list[tuple[str, Traversable]] = []
    for item in sorted(folder.iterdir(), key=lambda i: i.name):
        if item.name.startswith((".", "__")):
            continue
        if item.is_dir():
            found += _templates(item, f"{prefix}{item.name}/")
        elif item.name != "pyproject.toml":
            found.append((f"{prefix}{item.name.removesuffix('.tmpl')}", item))
    return found


def _write_new(root: Path, relative: str, text: str) -> Action:
    target = root / relative
    if target.exists():
        same = target.is_file() and target.read_text(encoding="utf-8", errors="replace") == text
        return Action("unchanged" if same else "kept", relative, "" if same else "exists; not overwritten")
    write_atomic(target, text.encode("utf-8"))
    return Action("wrote", relative)


def _read_exact(path: Path) -> str:
    """The file's text as it is on disk: no newline translation, so an update keeps CRLF lines."""
    from techfile.readers.discover import decode

    data = path.read_bytes()
    try:
        return data.decode("utf-8")  # a BOM kept: the file is appended to as it is
    except UnicodeDecodeError:
        decode(data, path.name)  # raises the error at the line of the bad byte
        raise


def _appended(source: str, addition: str) -> str:
    """``source`` unchanged, a blank line, then ``addition`` in the file's own line endings."""
    newline = "\r\n" if "\r\n" in source else "\n"
    if source and not source.endswith("\n"):
        source += newline
    return source + newline + addition.replace("\n", newline)


def _strings_of_conf(path: Path) -> set[str]:
    """The string constants of an existing conf.py; :class:`TechfileError` if it is not Python."""
    try:
        tree = ast.parse(_read_exact(path))
    except SyntaxError as exc:
        raise TechfileError(f"conf.py is not valid Python: {exc.msg}", path=path, line=exc.lineno, fix="fix it, then run techfile init again") from None
    return {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def _table_of_pyproject(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(_read_exact(path))
    except tomllib.TOMLDecodeError as exc:
        raise TechfileError(f"pyproject.toml is not valid TOML: {exc}", path=path, fix="fix it, then run techfile init again") from None


def _conf(root: Path, text: str) -> Action:
    path = root / "conf.py"
    if not path.exists():
        return _write_new(root, "conf.py", text)
    source = _read_exact(path)
    named = _strings_of_conf(path)
    if "techfile.sphinxext" in named:
        return Action("unchanged", "conf.py", "already lists techfile.sphinxext")
    missing = tuple(name for name in EXTENSIONS if name not in named)
    write_atomic(path, _appended(source, _CONF_ADDITION.format(names=missing).lstrip("\n")).encode("utf-8"))
    return Action("updated", "conf.py", f"added {', '.join(missing)} to extensions")


def _pyproject(root: Path, table: str) -> Action:
    path = root / "pyproject.toml"
    if not path.exists():
        write_atomic(path, table.lstrip("\n").encode("utf-8"))
        return Action("wrote", "pyproject.toml")
    source = _read_exact(path)
    if "techfile" in _table_of_pyproject(path).get("tool", {}):
        return Action("unchanged", "pyproject.toml", "already has [tool.techfile]")
    write_atomic(path, _appended(source, table).encode("utf-8"))
    return Action("updated", "pyproject.toml", "appended [tool.techfile]; no other table touched")


def _risk_matrix() -> str:
    default = resources.data("defaults", "risk_matrix.toml").read_text(encoding="utf-8")
    return (
        "# The risk acceptability policy of this device's risk management plan\n"
        "# (ISO 14971 4.4 d), written by `techfile init` from techfile's default:\n"
        "# review every level and cell and make it yours.\n#\n" + default
    )


CI_TEMPLATES = {"github": ("github.yml", ".github/workflows/techfile.yml"), "gitlab": ("gitlab.yml", ".gitlab-ci.yml")}
"""``--ci`` choice -> (template in ``data/ci``, where it is written)."""


def ci_pipeline(root: Path, kind: str) -> Action:
    template, target = CI_TEMPLATES[kind]
    return _write_new(root, target, resources.data("ci", template).read_text(encoding="utf-8"))


def scaffold(root: Path, *, safety_class: str, documentation_level: str, project: str) -> list[Action]:
    """Write the technical file's starting files into ``root``; what was done to each."""
    if not root.is_dir():
        raise TechfileError("no such folder", path=root, fix="create it, or run techfile init inside your repository")
    # the two files init edits are read first: one it cannot read stops it before it writes anything
    if (root / "conf.py").is_file():
        _strings_of_conf(root / "conf.py")
    if (root / "pyproject.toml").is_file():
        _table_of_pyproject(root / "pyproject.toml")
    values = {
        "project": project,
        "safety_class": safety_class,
        "documentation_level": documentation_level,
        "documentation_level_title": LEVEL_TITLES[documentation_level],
    }
    folder = resources.data("scaffold")
    actions = []
    for relative, template in _templates(folder):
        # ${name} placeholders only: templates hold regexes whose `$` must stay
        text = re.sub(r"\$\{(\w+)\}", lambda match: values[match.group(1)], template.read_text(encoding="utf-8"))
        actions.append(_conf(root, text) if relative == "conf.py" else _write_new(root, relative, text))
    actions.append(_write_new(root, "schemas/risk_matrix.toml", _risk_matrix()))
    actions.append(_pyproject(root, (folder / "pyproject.toml").read_text(encoding="utf-8")))
    return actions


def run(args: argparse.Namespace) -> int:
    root = args.dir.resolve()
    project = args.project_name or root.name
    actions = scaffold(root, safety_class=args.safety_class, documentation_level=args.documentation_level, project=project)
    if args.ci:
        actions.append(ci_pipeline(root, args.ci))
    print(f"techfile init: {root} (software safety class {args.safety_class}, FDA documentation level {args.documentation_level})")
    for action in actions:
        print(action.line())
    if any(action.verb in ("wrote", "updated") for action in actions):
        print(
            "next: fill in the [TO DO: ...] placeholders, run `techfile check` for the gaps, and build with "
            "`sphinx-build -b html . _build/html`"
        )
    return 0
