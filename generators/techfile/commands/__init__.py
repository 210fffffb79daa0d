"""The ``techfile`` subcommands: one module each, with ``register(commands)``
adding its parser and handler. Evidence kinds add theirs (``techfile
junit``) from their own packages."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from techfile.corpus import Corpus


def refuse_unreadable(corpus: Corpus) -> None:
    """Every source the reader refused (read with ``collect``), not only the first: one fix-up round for the writer.

    All but the last are printed to stderr; the last is raised (exit 2)."""
    if not corpus.problems:
        return
    for problem in corpus.problems[:-1]:
        print(problem.command_line(), file=sys.stderr)
    raise corpus.problems[-1]
