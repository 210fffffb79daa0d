"""System tests: the real command line interface, run as a separate process."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

import pytest

from pji_risk.validation import FIELDS

CliRunner = Callable[..., subprocess.CompletedProcess[bytes]]

OUTPUT_KEYS = {
    "estimate_percent",
    "probability",
    "band",
    "contributing_factors",
    "model_version",
    "software_version",
    "statement",
}


@pytest.mark.verifies("SWR_015")
def test_cli_valid_input_gives_complete_estimate(run_cli: CliRunner, valid_record: dict[str, object]) -> None:
    raw = valid_record | {"smoking": "current", "bmi": 36.0}
    result = run_cli(json.dumps(raw).encode("utf-8"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    output = json.loads(result.stdout)
    assert set(output) == OUTPUT_KEYS
    assert output["band"] in {"low", "moderate", "high"}
    assert output["estimate_percent"].endswith(" %")
    assert [factor["factor"] for factor in output["contributing_factors"]] == ["bmi_ge_35", "smoking_current"]
    assert output["model_version"] == output["software_version"] == "1.0.0"


@pytest.mark.verifies("SWR_015")
def test_cli_invalid_input_exits_2_listing_all_problems(run_cli: CliRunner) -> None:
    raw = {"age_years": 17, "sex": "M", "bmi": 95, "asa_class": 5, "diabetes": 1, "shoe_size": 42}
    result = run_cli(json.dumps(raw).encode("utf-8"))
    assert result.returncode == 2
    output = json.loads(result.stdout)
    assert output["error"] == "invalid input"
    assert "probability" not in output and "estimate_percent" not in output
    fields = {problem["field"] for problem in output["problems"]}
    missing = set(FIELDS) - set(raw)
    assert fields == {"age_years", "sex", "bmi", "asa_class", "diabetes", "shoe_size"} | missing


@pytest.mark.verifies("SWR_015")
@pytest.mark.parametrize(
    "stdin",
    [b"{not json", b"", b"   \n", b'{"bmi": NaN}', b'{"bmi": 30, "bmi": 31}', b"\xff\xfe{}", b"[1, 2]", b'"text"'],
    ids=["malformed", "empty", "blank", "nan", "duplicate-key", "not-utf8", "array", "string"],
)
def test_cli_unreadable_json_exits_2(run_cli: CliRunner, stdin: bytes) -> None:
    result = run_cli(stdin)
    assert result.returncode == 2
    output = json.loads(result.stdout)
    assert output["error"] == "invalid input"
    assert len(output["problems"]) == 1
    assert "probability" not in output


@pytest.mark.verifies("SWR_015")
def test_cli_version_option(run_cli: CliRunner) -> None:
    result = run_cli(b"", "--version")
    assert result.returncode == 0
    assert result.stdout.decode().strip() == "pji-risk 1.0.0"
