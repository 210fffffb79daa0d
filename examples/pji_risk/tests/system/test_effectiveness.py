"""System tests: effectiveness of the risk controls against foreseeable misuse.

504 records are corrupted in the ways seen in practice (units, swapped
columns, strings for numbers, out-of-scope patients...) and none may yield an
estimate; a tampered model file must be refused when the program starts.

Known limit, deliberately not tested as "detected": a corruption that stays
inside every plausible range is undetectable by validation (weight of 65 kg
typed as BMI 65, age 29 and BMI 68 swapped). Those remain residual risks,
addressed by labelling and user training, not by this software.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from pji_risk import cli
from pji_risk.model import LogisticModel
from pji_risk.validation import FIELDS, ValidationError
from training import synthetic

CliRunner = Callable[..., subprocess.CompletedProcess[bytes]]
Record = dict[str, object]
Corruption = Callable[[Record, random.Random], tuple[Record, set[str]]]
"""Returns the corrupted record and the fields that must be named as problems."""


def _set(record: Record, **changes: object) -> Record:
    return record | changes


def _number(record: Record, field: str) -> float:
    value = record[field]
    assert isinstance(value, (int, float))
    return float(value)


def _swap(record: Record, a: str, b: str) -> Record:
    return record | {a: record[b], b: record[a]}


CORRUPTIONS: dict[str, Corruption] = {
    "weight_kg_as_bmi": lambda r, g: (_set(r, bmi=round(g.uniform(70.5, 180.0), 1)), {"bmi"}),
    "height_cm_as_bmi": lambda r, g: (_set(r, bmi=g.randint(140, 205)), {"bmi"}),
    "bmi_in_kg_per_cm2": lambda r, g: (_set(r, bmi=_number(r, "bmi") / 10_000.0), {"bmi"}),
    "negative_bmi": lambda r, g: (_set(r, bmi=-_number(r, "bmi")), {"bmi"}),
    "bmi_decimal_comma": lambda r, g: (_set(r, bmi=f"{r['bmi']:.1f}".replace(".", ",")), {"bmi"}),
    "age_in_months": lambda r, g: (_set(r, age_years=int(_number(r, "age_years")) * 12), {"age_years"}),
    "birth_year_as_age": lambda r, g: (_set(r, age_years=g.randint(1925, 2007)), {"age_years"}),
    "child_age": lambda r, g: (_set(r, age_years=round(g.uniform(0.0, 17.9), 1)), {"age_years"}),
    "age_as_string": lambda r, g: (_set(r, age_years=str(r["age_years"])), {"age_years"}),
    "asa_5_or_6": lambda r, g: (_set(r, asa_class=g.choice([5, 6])), {"asa_class"}),
    "asa_0": lambda r, g: (_set(r, asa_class=0), {"asa_class"}),
    "asa_roman_numeral": lambda r, g: (_set(r, asa_class=g.choice(["I", "II", "III", "IV"])), {"asa_class"}),
    "swapped_sex_joint": lambda r, g: (_swap(r, "sex", "joint"), {"sex", "joint"}),
    "swapped_smoking_procedure": lambda r, g: (_swap(r, "smoking", "procedure"), {"smoking", "procedure"}),
    "swapped_age_asa": lambda r, g: (_swap(r, "age_years", "asa_class"), {"age_years", "asa_class"}),
    "bool_as_0_1": lambda r, g: (_set(r, diabetes=1 if r["diabetes"] else 0), {"diabetes"}),
    "bool_as_text": lambda r, g: (
        _set(r, rheumatoid_arthritis=g.choice(["yes", "no", "true", "N"])),
        {"rheumatoid_arthritis"},
    ),
    "sex_abbreviated": lambda r, g: (_set(r, sex="M" if r["sex"] == "male" else "F"), {"sex"}),
    "misspelled_category": lambda r, g: (
        _set(r, smoking=g.choice(["curent", "Never", "ex-smoker", "smoker"])),
        {"smoking"},
    ),
    "missing_field": lambda r, g: (
        lambda f: ({k: v for k, v in r.items() if k != f}, {f})
    )(g.choice(FIELDS)),
    "null_field": lambda r, g: (lambda f: (_set(r, **{f: None}), {f}))(g.choice(FIELDS)),
    "renamed_field": lambda r, g: ({("BMI" if k == "bmi" else k): v for k, v in r.items()}, {"bmi", "BMI"}),
    "extra_field": lambda r, g: (_set(r, weight_kg=round(g.uniform(45, 150), 1)), {"weight_kg"}),
    "non_finite_number": lambda r, g: (
        lambda f: (_set(r, **{f: g.choice([math.nan, math.inf, -math.inf])}), {f})
    )(g.choice(["age_years", "bmi"])),
}

PER_KIND = 21
SEED = 2024  # not the cohort seed: these records are not from the released data sets


def base_records() -> list[Record]:
    records, _ = synthetic.generate_cohort(n=PER_KIND * len(CORRUPTIONS), seed=SEED)
    return records


def corrupted(kind: str) -> list[tuple[Record, set[str]]]:
    """The deterministic corrupted records of one kind."""
    rng = random.Random(f"{SEED}-{kind}")
    index = list(CORRUPTIONS).index(kind)
    return [CORRUPTIONS[kind](record, rng) for record in base_records()[index * PER_KIND : (index + 1) * PER_KIND]]


def test_effectiveness_corpus_has_at_least_500_records() -> None:
    assert sum(len(corrupted(kind)) for kind in CORRUPTIONS) >= 500


def test_effectiveness_uncorrupted_records_are_accepted(model: LogisticModel) -> None:
    """Control: the records are valid before corruption, so refusals below are due to the corruption."""
    for record in base_records():
        assert 0.0 < _number(cli.estimate(record, model), "probability") < 1.0


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_effectiveness_corrupted_records_yield_no_estimate(model: LogisticModel, kind: str) -> None:
    for record, fields in corrupted(kind):
        with pytest.raises(ValidationError) as caught:
            cli.estimate(record, model)
        named = {problem.field for problem in caught.value.problems}
        assert fields <= named, f"{kind}: {record} refused for {named}, expected {fields}"


def test_effectiveness_cli_refuses_one_of_each_kind(run_cli: CliRunner) -> None:
    for kind in CORRUPTIONS:
        record, _ = corrupted(kind)[0]
        result = run_cli(json.dumps(record).encode("utf-8"))  # NaN/Infinity are written as such and refused
        assert result.returncode == 2, kind
        output = json.loads(result.stdout)
        assert output["error"] == "invalid input" and "probability" not in output, kind


def _installed_copy(tmp_path: Path, example_root: Path) -> Path:
    """A copy of the package, as if installed elsewhere, that the test may damage."""
    shutil.copytree(example_root / "pji_risk", tmp_path / "pji_risk", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_effectiveness_tampered_model_refused_at_start(
    tmp_path: Path, example_root: Path, run_cli: CliRunner, valid_record: Record
) -> None:
    root = _installed_copy(tmp_path, example_root)
    stdin = json.dumps(valid_record).encode("utf-8")
    assert run_cli(stdin, pythonpath=root).returncode == 0  # control: the intact copy works

    model_file = root / "pji_risk" / "model.json"
    document = json.loads(model_file.read_text(encoding="utf-8"))
    document["features"][2]["coefficient"] = -1.0  # BMI >= 35 made protective
    model_file.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    result = run_cli(stdin, pythonpath=root)
    assert result.returncode == 3
    output = json.loads(result.stdout)
    assert output["error"] == "model unavailable"
    assert "not the released model" in output["detail"]
    assert "probability" not in output


def test_effectiveness_missing_model_refused_at_start(
    tmp_path: Path, example_root: Path, run_cli: CliRunner, valid_record: Record
) -> None:
    root = _installed_copy(tmp_path, example_root)
    (root / "pji_risk" / "model.json").unlink()
    result = run_cli(json.dumps(valid_record).encode("utf-8"), pythonpath=root)
    assert result.returncode == 3
    assert "model file not found" in json.loads(result.stdout)["detail"]


def test_effectiveness_model_checked_before_input_is_read(
    tmp_path: Path, example_root: Path, run_cli: CliRunner
) -> None:
    root = _installed_copy(tmp_path, example_root)
    model_file = root / "pji_risk" / "model.json"
    model_file.write_bytes(model_file.read_bytes() + b" ")
    assert run_cli(b"{not json", pythonpath=root).returncode == 3
