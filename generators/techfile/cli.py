"""The ``techfile`` command. Each subcommand registers itself: the modules
of :mod:`techfile.commands` and every evidence kind (``techfile junit``).

Exit status (the same table is in ``techfile --help`` and the README), so
that CI can tell a gap from a broken input from a bug of techfile:

* 0: no open gap;
* 1: open gaps;
* 2: bad input or usage: one message naming the file, the line and the fix
  (argparse's own usage errors exit 2 as well);
* 3: internal error, a bug of techfile: one line saying so and where the
  full traceback was saved, for the bug report; ``--debug`` prints it too;
* 128 + N when stopped by signal N: 130 Ctrl-C, 141 when the reader of the
  output closed the pipe (``techfile check | head``), 143 SIGTERM; one line,
  no traceback.

The traceback of an internal error goes to a file, the way Sphinx saves its
crash report: a user who did nothing wrong should see one line that says
"not your fault, here is what to send", not forty lines of frames that bury
it; the maintainer gets the frames, the versions and the command line.

SIGTERM and SIGHUP (a CI job cancelled, a terminal closed) are turned into an
exception, as Python already does for Ctrl-C, so that cleanup runs: a write
interrupted there removes its temporary file (:mod:`techfile.fileio`).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import pkgutil
import platform
import re
import shlex
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Iterator, Sequence
from types import FrameType

import techfile.commands
from techfile import __version__
from techfile.errors import TechfileError, current_folder

CLEAN, GAPS, BAD_INPUT, INTERNAL_ERROR = 0, 1, 2, 3
INTERRUPTED = 128 + signal.SIGINT
BROKEN_PIPE = 128 + 13  # SIGPIPE, which Windows lacks

EXIT_STATUS = """\
exit status:
  0        no open gap
  1        open gaps
  2        bad input or usage (the message names the file, the line and the fix)
  3        internal error of techfile (the traceback is saved to a file; --debug prints it)
  128+N    stopped by signal N: 130 Ctrl-C, 141 output pipe closed, 143 SIGTERM"""


class Stopped(BaseException):
    """A terminating signal, raised where the program is so that cleanup runs.

    A :class:`BaseException`, like :class:`KeyboardInterrupt`, so that no
    ``except Exception`` of a command takes it for an error to handle.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        self.name = signal.Signals(signum).name


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand: techfile's own and those of the evidence kinds (plugins included)."""
    from techfile.evidence.registry import kinds

    parser = argparse.ArgumentParser(
        prog="techfile",
        description="Documentation-as-code for the technical file of medical-device software.",
        epilog=EXIT_STATUS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"techfile {__version__}")
    parser.add_argument("--debug", action="store_true", help="on an internal error, print the traceback as well")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in sorted(pkgutil.iter_modules(techfile.commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"techfile.commands.{module.name}").register(commands)
    for kind in kinds().values():
        kind.add_command(commands)
    for command in commands.choices.values():
        # also after the subcommand (techfile check --debug); SUPPRESS keeps a --debug given before it
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``techfile`` command; its exit status (module docstring), never a traceback unless ``--debug``."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in arguments  # until the arguments are parsed: building the parser may fail too
    with _signals_raise():
        try:
            parser = build_parser()
            args = parser.parse_args(arguments)
            debug = bool(args.debug)
            if getattr(args, "handler", None) is None:
                parser.print_help()
                status = CLEAN
            else:
                status = int(args.handler(args))
            sys.stdout.flush()  # a closed pipe shows here, not after main has returned
            return status
        except TechfileError as error:
            _say(error.command_line())
            return BAD_INPUT
        except KeyboardInterrupt:
            _say("techfile: interrupted")
            return INTERRUPTED
        except Stopped as stop:
            _say(f"techfile: stopped by {stop.name}")
            return 128 + stop.signum
        except BrokenPipeError:
            _silence_stdout()
            return BROKEN_PIPE
        except Exception as exc:  # anything else is techfile's bug, never "open gaps" or "bad input"
            return _internal_error(exc, arguments, debug)


def _say(line: str) -> None:
    print(line, file=sys.stderr)


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`Stopped` while ``main`` runs.

    Only where they would kill the process anyway (the default action), and
    only in the main thread (the only one Python lets set a handler): a
    program embedding :func:`main` with its own handlers, or ``nohup``
    ignoring SIGHUP, keeps them. The previous handlers come back afterwards.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, signal.Handlers] = {}
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) is signal.SIG_DFL:
            previous[number] = signal.SIG_DFL
            signal.signal(number, _raise_stopped)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signum)


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that Python's final flush does not fail again on the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # not a real file (captured output): nothing to flush later
        pass


def _internal_error(exc: Exception, arguments: list[str], debug: bool) -> int:
    """One line on standard error: an internal error, of which version, and where its report is."""
    report, reason = _save_report(exc, arguments)
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    summary = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
    if report:
        where = f"the full traceback is saved in {report}; please report it with that file" + ("" if debug else " (--debug prints it here)")
    else:
        where = f"the traceback could not be saved ({reason}); run again with --debug to print it"
    _say(f"techfile: internal error of techfile {__version__}, not a problem of your files ({summary}); {where}")
    return INTERNAL_ERROR


def _save_report(exc: Exception, arguments: list[str]) -> tuple[str | None, str]:
    """Write the crash report to a new file in the system's temp folder; (its path, or None and why not)."""
    try:
        handle, name = tempfile.mkstemp(prefix="techfile-error-", suffix=".log")
        with os.fdopen(handle, "w", encoding="utf-8", errors="backslashreplace") as stream:
            stream.write(_report(exc, arguments))
    except OSError as error:
        return None, error.strerror or str(error)
    return name, ""


def _report(exc: Exception, arguments: list[str]) -> str:
    """What a maintainer needs to reproduce the bug: versions, command, folder, traceback."""
    lines = [
        f"techfile {__version__}: internal error",
        f"command: {shlex.join(['techfile', *arguments])}",
        f"folder: {current_folder() or '(removed)'}",
        f"python: {platform.python_implementation()} {platform.python_version()} on {platform.platform()}",
        f"packages: {_versions()}",
        "",
        "".join(traceback.format_exception(exc)),
    ]
    return "\n".join(lines)


def _versions() -> str:
    """Versions of the distributions techfile depends on, as installed."""
    from importlib import metadata

    try:
        required = metadata.requires("techfile") or []
    except metadata.PackageNotFoundError:
        return "(techfile not installed as a distribution)"
    versions = []
    for requirement in required:
        if "extra ==" in requirement:
            continue
        name = re.split(r"[^A-Za-z0-9._-]", requirement, maxsplit=1)[0]
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (missing)")
    return ", ".join(versions)
