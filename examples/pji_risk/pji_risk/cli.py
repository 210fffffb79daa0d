"""Command line interface: ``pji-risk estimate`` (one JSON record on stdin).

Exit codes, so that a calling system can act without parsing text:

* 0: estimate written to stdout;
* 2: invalid input (not JSON, or a record outside the intended use); stdout
  holds ``{"error": "invalid input", "problems": [...]}`` listing every
  problem; no estimate is produced;
* 3: the model file is missing, malformed or not the released one; nothing is
  estimated.

The model is loaded and verified before the input is read, so a tampered
installation is refused whatever the input.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import NoReturn, TextIO

from pji_risk import __version__
from pji_risk.explain import contributing_factors
from pji_risk.model import LogisticModel, ModelError, load_model
from pji_risk.report import build_report
from pji_risk.validation import Problem, ValidationError, validate

EXIT_OK = 0
EXIT_INVALID_INPUT = 2
EXIT_MODEL_ERROR = 3


def estimate(raw: object, model: LogisticModel) -> dict[str, object]:
    """Validation -> model -> explanation -> report, for one parsed JSON value.

    Raises :class:`ValidationError` before the model is used if ``raw`` is not
    a valid record.
    """
    record = validate(raw)
    probability = model.predict(record)
    return build_report(probability, contributing_factors(record, model), model.model_version)


def _reject_constant(name: str) -> NoReturn:
    """``json`` accepts NaN and Infinity by default; they are not JSON and not data."""
    raise ValueError(f"{name} is not allowed in JSON input")


def _reject_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """``json`` silently keeps the last of duplicated keys; two BMIs are an error, not a choice."""
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate field {key!r}")
        result[key] = value
    return result


def parse_input(text: str) -> object:
    """Parse stdin strictly; raise :class:`ValidationError` if it is not one JSON value."""
    if not text.strip():
        raise ValidationError([Problem("(input)", "empty input: expected one JSON object")])
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_reject_duplicates)
    except ValueError as error:  # json.JSONDecodeError is a ValueError
        raise ValidationError([Problem("(input)", f"not valid JSON: {error}")]) from None


def _read_input(stdin: TextIO | None) -> str:
    """Read all of stdin as UTF-8; undecodable bytes are invalid input, not a crash."""
    if stdin is not None:
        return stdin.read()
    try:
        return sys.stdin.buffer.read().decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValidationError([Problem("(input)", f"not UTF-8 text: {error}")]) from None


def _write(stream: TextIO, payload: dict[str, object]) -> None:
    stream.write(json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Entry point of ``pji-risk`` and ``python -m pji_risk``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="pji-risk",
        description="Estimate the one-year risk of periprosthetic joint infection (decision support only).",
    )
    parser.add_argument("--version", action="version", version=f"pji-risk {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("estimate", help="read one patient record (JSON object) on stdin, write the estimate")
    parser.parse_args(argv)

    sink = stdout if stdout is not None else sys.stdout
    try:
        model = load_model()
    except ModelError as error:
        _write(sink, {"error": "model unavailable", "detail": str(error)})
        print(f"pji-risk: {error}", file=sys.stderr)
        return EXIT_MODEL_ERROR
    try:
        result = estimate(parse_input(_read_input(stdin)), model)
    except ValidationError as error:
        _write(sink, {"error": "invalid input", "problems": [problem.as_dict() for problem in error.problems]})
        return EXIT_INVALID_INPUT
    _write(sink, result)
    return EXIT_OK
