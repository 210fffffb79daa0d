"""Acceptance criteria of ML software requirements: a small grammar of our
own, parsed by a tokenizer and a recursive-descent parser (never ``eval``),
and evaluated against the metrics of a model version's run.

One criterion per line (or separated by ``;``)::

    criteria   := criterion ((";" | NEWLINE) criterion)*
    criterion  := metric test [ "for" "each" dims [ "with" "n" ">=" NUMBER ] ]
    test       := OP NUMBER | "in" "[" NUMBER "," NUMBER "]"
    metric     := NAME [ "." BOUND ]        BOUND: ci_lower | ci_upper
    dims       := NAME ("," NAME)*
    OP         := ">=" | "<=" | ">" | "<" | "=="

A metric is looked up in the run's final metrics by the naming of the
technical file's MLflow convention: ``auc`` is ``test/auc`` (the
sequestered test set is what acceptance is judged on), ``validation_auc``
is ``validation/auc`` (a leading ``test_``, ``validation_`` or
``training_`` names the split), ``auc.ci_lower`` is ``test/auc/ci_low``,
and per subgroup ``test/subgroup/<dim>/<value>/<metric>`` with its size
``test/subgroup/<dim>/<value>/n``. A name holding ``/`` is taken as the
metric key itself. A bound is also found as ``test/auc_ci_low``: MLflow's
file store keeps each metric in a file, so it cannot hold both
``test/auc`` and ``test/auc/ci_low``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from techfile.evidence.interface import EvidenceError


class CriterionError(EvidenceError):
    """An acceptance criterion that does not parse; raised with the requirement's file and line."""


OPERATORS = (">=", "<=", "==", ">", "<")
BOUNDS = {"ci_lower": "ci_low", "ci_upper": "ci_high"}
SPLITS = ("test", "validation", "training")
_TOKEN = re.compile(
    r"[ \t\r]*(?:(?P<number>[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)|(?P<op>>=|<=|==|>|<)|(?P<punct>[\[\],;.])|(?P<name>[A-Za-z_][A-Za-z0-9_/-]*)|(?P<newline>\n)|(?P<bad>\S))"
)
GRAMMAR_FIX = (
    "write e.g. `test_auc >= 0.70`, `calibration_slope in [0.8, 1.2]`, `auc.ci_lower >= 0.68` or "
    "`auc >= 0.65 for each sex, age_band with n >= 50`, one per line"
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    column: int


@dataclass(frozen=True)
class Criterion:
    """One parsed criterion."""

    text: str
    """As written (whitespace collapsed): the result's ``case`` and what messages quote."""
    metric: str
    bound: str | None
    """``ci_lower``, ``ci_upper`` or None."""
    operator: str
    """One of :data:`OPERATORS`, or ``in``."""
    low: float
    high: float | None
    """The upper end of an ``in`` range."""
    dimensions: tuple[str, ...] = ()
    min_n: int = 0

    def key(self, prefix: str = "") -> str:
        """The MLflow metric key it reads (``prefix``: ``subgroup/sex/female/`` for one subgroup)."""
        split, name = "test", self.metric
        if "/" in name:
            return name + (f"/{BOUNDS[self.bound]}" if self.bound else "")
        for known in SPLITS:
            if name.startswith(known + "_"):
                split, name = known, name[len(known) + 1 :]
                break
        return f"{split}/{prefix}{name}" + (f"/{BOUNDS[self.bound]}" if self.bound else "")

    def keys(self, prefix: str = "") -> tuple[str, ...]:
        """The keys it reads, in the order tried: ``test/auc/ci_low``, then ``test/auc_ci_low``."""
        key = self.key(prefix)
        if self.bound:
            return (key, key[: -len(BOUNDS[self.bound]) - 1] + "_" + BOUNDS[self.bound])
        return (key,)

    def lookup(self, metrics: Mapping[str, float], prefix: str = "") -> tuple[str, float | None]:
        """The first of :meth:`keys` the metrics hold, and its value (the first key and None when none)."""
        for key in self.keys(prefix):
            if key in metrics:
                return key, metrics[key]
        return self.keys(prefix)[0], None

    def holds(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.operator == "in":
            assert self.high is not None
            return self.low <= value <= self.high
        return {">=": value >= self.low, "<=": value <= self.low, ">": value > self.low, "<": value < self.low, "==": value == self.low}[self.operator]

    @property
    def threshold(self) -> str:
        """The test in words: ``>= 0.7``, ``in [0.8, 1.2]``."""
        if self.operator == "in":
            return f"in [{_number(self.low)}, {_number(self.high or 0.0)}]"
        return f"{self.operator} {_number(self.low)}"


def _number(value: float) -> str:
    return f"{value:g}"


def tokenize(text: str) -> Iterator[Token]:
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:  # only trailing blanks are left
            return
        position = match.end()
        kind = match.lastgroup or "bad"
        yield Token(kind, match.group(kind), match.start(kind))
    return


class _Parser:
    """Recursive descent over the tokens of one field value."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = list(tokenize(text))
        self.index = 0

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def fail(self, expected: str) -> CriterionError:
        token = self.peek()
        found = f"{token.text!r} at column {token.column + 1}" if token else "the end"
        return CriterionError(f"acceptance criterion {self.text.strip()!r}: expected {expected}, found {found}", fix=GRAMMAR_FIX)

    def take(self, kind: str, text: str | None = None, expected: str | None = None) -> Token:
        token = self.peek()
        if token is None or token.kind != kind or (text is not None and token.text != text):
            raise self.fail(expected or repr(text) if text else (expected or kind))
        self.index += 1
        return token

    def at(self, kind: str, text: str | None = None) -> bool:
        token = self.peek()
        return token is not None and token.kind == kind and (text is None or token.text == text)

    def number(self) -> float:
        return float(self.take("number", expected="a number").text)

    def criteria(self) -> list[Criterion]:
        found: list[Criterion] = []
        while True:
            while self.at("newline") or self.at("punct", ";"):
                self.index += 1
            if self.peek() is None:
                return found
            found.append(self.criterion())
            if self.peek() is not None and not (self.at("newline") or self.at("punct", ";")):
                raise self.fail("`for each ...`, `;` or the end of the criterion")

    def criterion(self) -> Criterion:
        start = self.index
        metric = self.take("name", expected="a metric name").text
        bound: str | None = None
        if self.at("punct", "."):
            self.index += 1
            bound = self.take("name", expected="ci_lower or ci_upper").text
            if bound not in BOUNDS:
                self.index -= 1
                raise self.fail("ci_lower or ci_upper")
        if self.at("name", "in"):
            self.index += 1
            self.take("punct", "[")
            low = self.number()
            self.take("punct", ",")
            high = self.number()
            self.take("punct", "]")
            if low > high:
                raise CriterionError(f"acceptance criterion {self.text.strip()!r}: the range [{_number(low)}, {_number(high)}] is empty", fix="write the lower end first")
            operator = "in"
        elif self.at("op"):
            operator = self.take("op").text
            low, high = self.number(), None
        else:
            raise self.fail("a comparison (>=, <=, >, <, ==) or `in [low, high]`")
        dimensions: tuple[str, ...] = ()
        min_n = 0
        if self.at("name", "for"):
            self.index += 1
            self.take("name", "each", expected="`each`")
            names = [self.take("name", expected="a subgroup dimension").text]
            while self.at("punct", ","):
                self.index += 1
                names.append(self.take("name", expected="a subgroup dimension").text)
            dimensions = tuple(names)
            if self.at("name", "with"):
                self.index += 1
                self.take("name", "n", expected="`n`")
                self.take("op", ">=", expected="`>=`")
                size = self.number()
                if size != int(size) or size < 0:
                    raise CriterionError(f"acceptance criterion {self.text.strip()!r}: n >= {_number(size)} is not a whole number of records", fix="write n >= 50")
                min_n = int(size)
        last = self.tokens[self.index - 1]
        text = " ".join(self.text[self.tokens[start].column : last.column + len(last.text)].split())
        return Criterion(text=text, metric=metric, bound=bound, operator=operator, low=low, high=high, dimensions=dimensions, min_n=min_n)


def parse_criteria(text: str) -> list[Criterion]:
    """The criteria of one ``acceptance_criteria`` value; :class:`CriterionError` on the first that does not parse."""
    return _Parser(text).criteria()


# ---------------------------------------------------------------- evaluate ---


@dataclass(frozen=True)
class Evaluation:
    """One criterion judged on one population (overall, or one subgroup)."""

    criterion: Criterion
    outcome: str
    """``passed``, ``failed``, ``error`` (the metric was never logged) or ``skipped`` (subgroup below min n)."""
    metric_key: str
    value: float | None
    subgroup: tuple[str, str] | None = None
    """(dimension, value) of a per-subgroup evaluation."""
    n: int | None = None

    @property
    def message(self) -> str:
        where = f" in {self.subgroup[0]}={self.subgroup[1]}" if self.subgroup else ""
        size = f" (n={self.n})" if self.n is not None else ""
        if self.outcome == "error":
            return f"metric {self.metric_key} was never logged{where}"
        if self.outcome == "skipped":
            return f"{self.subgroup[0] if self.subgroup else ''}={self.subgroup[1] if self.subgroup else ''}: n={self.n} is below n >= {self.criterion.min_n}, not evaluated (a limitation to state)"
        assert self.value is not None
        verdict = "meets" if self.outcome == "passed" else "does not meet"
        return f"{self.metric_key} = {self.value:.6g}{size}{where} {verdict} {self.criterion.threshold}"


def subgroup_values(metrics: Mapping[str, float], dimension: str) -> list[str]:
    """The values of ``dimension`` with subgroup metrics, sorted."""
    prefix = f"test/subgroup/{dimension}/"
    return sorted({key[len(prefix) :].split("/", 1)[0] for key in metrics if key.startswith(prefix) and "/" in key[len(prefix) :]})


def evaluate(criterion: Criterion, metrics: Mapping[str, float]) -> list[Evaluation]:
    """The criterion on the overall metrics, or on every subgroup of its dimensions."""
    if not criterion.dimensions:
        key, value = criterion.lookup(metrics)
        if value is None:
            return [Evaluation(criterion, "error", key, None)]
        return [Evaluation(criterion, "passed" if criterion.holds(value) else "failed", key, value)]
    found: list[Evaluation] = []
    for dimension in criterion.dimensions:
        values = subgroup_values(metrics, dimension)
        if not values:
            found.append(Evaluation(criterion, "error", criterion.key(f"subgroup/{dimension}/<value>/"), None, (dimension, "*")))
            continue
        for level in values:
            prefix = f"subgroup/{dimension}/{level}/"
            key, value = criterion.lookup(metrics, prefix)
            size = metrics.get(f"test/{prefix}n")
            n = int(size) if size is not None else None
            if value is None or n is None:
                found.append(Evaluation(criterion, "error", key if value is None else f"test/{prefix}n", value, (dimension, level), n))
            elif n < criterion.min_n:
                found.append(Evaluation(criterion, "skipped", key, value, (dimension, level), n))
            else:
                found.append(Evaluation(criterion, "passed" if criterion.holds(value) else "failed", key, value, (dimension, level), n))
    return found
