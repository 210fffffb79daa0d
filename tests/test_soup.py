"""SOUP and SBOM evidence (`techfile soup`): the dependency files written by
the real tools (tests/fixtures/soup/README.md) give exact packages, bad input
is refused at its file and line with nothing written, and the SOUP rules
(R17, R20, S01-S03) fire on their gaps and are quiet without. ``FIRING``
joins the catalogue-wide cases of ``test_rules.py``."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from miniproject import Mini, component
from techfile.cli import main
from techfile.evidence.interface import EvidenceNeed
from techfile.evidence.soup import KIND
from techfile.evidence.soup.formats import read_components
from techfile.evidence.soup.interface import Component, SoupInputError
from techfile.evidence.soup.mapping import assign_ids, component_id, component_need, derived_need
from techfile.evidence.soup.vulnerabilities import read_report
from techfile.model.roles import Role

FIXTURES = Path(__file__).parent / "fixtures" / "soup"
PROJECT = FIXTURES / "project"
REPO = Path(__file__).parent.parent

#: What every Python fixture locks (jsonschema 4.23.0 and packaging, with what they pull in).
PINNED = {
    "attrs": "26.1.0",
    "jsonschema": "4.23.0",
    "jsonschema-specifications": "2025.9.1",
    "packaging": "26.4",
    "referencing": "0.37.0",
    "rpds-py": "2026.9.1",
    "typing-extensions": "4.16.0",
}
#: The extra `cli` and the group `dev` of the fixture project, in the files that record them.
EXTRAS = {"click": "8.5.1", "iniconfig": "2.3.1"}


def versions(components: list[Component]) -> dict[str, str]:
    return {c.name.lower().replace("_", "-"): c.version for c in components}


def by_name(components: list[Component]) -> dict[str, Component]:
    return {c.name.lower().replace("_", "-"): c for c in components}


@pytest.mark.parametrize(
    ("file", "fmt", "expected"),
    [
        ("uv.lock", "uv.lock", {**PINNED, **EXTRAS}),
        ("poetry.lock", "poetry.lock", {**PINNED, **EXTRAS}),
        ("requirements.txt", "requirements", PINNED),
        ("pylock.toml", "pylock.toml", PINNED),
        ("pip-freeze.txt", "pip-freeze", PINNED),
        ("cyclonedx-req.cdx.json", "cyclonedx", PINNED),
        ("cyclonedx-env.cdx.json", "cyclonedx", {**PINNED, "pip": "23.2.1", "setuptools": "65.5.0"}),
    ],
)
def test_real_lock_files_give_exact_packages(file: str, fmt: str, expected: dict[str, str]) -> None:
    components, digests = read_components(PROJECT / file, file)
    assert versions(components) == expected
    assert len(components) == len(expected)
    assert {c.format for c in components} == {fmt}
    assert all(c.exact and c.source_file == file and c.source_line >= 1 for c in components)
    assert len(digests[file]) == 64


def test_uv_lock_tree_direct_transitive_runtime_dev() -> None:
    found = by_name(read_components(PROJECT / "uv.lock", "uv.lock")[0])
    assert (found["jsonschema"].direct, found["jsonschema"].runtime) == (True, True)
    assert (found["attrs"].direct, found["attrs"].runtime, found["attrs"].path) == (False, True, ("soup-fixture", "jsonschema"))
    assert found["typing-extensions"].path == ("soup-fixture", "jsonschema", "referencing")
    assert (found["click"].runtime, found["iniconfig"].runtime) == (False, False)  # an extra and a dev group
    assert found["rpds-py"].hashes and all(h.startswith("sha256:") for h in found["rpds-py"].hashes)
    assert found["jsonschema"].purl == "pkg:pypi/jsonschema@4.23.0"


def test_pip_compile_via_comments_give_the_tree() -> None:
    found = by_name(read_components(PROJECT / "requirements.txt", "requirements.txt")[0])
    assert {n for n, c in found.items() if c.direct} == {"jsonschema", "packaging"}
    assert found["typing-extensions"].path == ("jsonschema", "referencing")
    assert len(found["attrs"].hashes) == 2


def test_poetry_groups_and_optional_are_not_runtime() -> None:
    found = by_name(read_components(PROJECT / "poetry.lock", "poetry.lock")[0])
    assert {n for n, c in found.items() if not c.runtime} == {"click", "iniconfig"}


def test_cyclonedx_licences_are_normalised_spdx() -> None:
    found = by_name(read_components(PROJECT / "cyclonedx-env.cdx.json", "bom.json")[0])
    assert found["packaging"].license == "Apache-2.0 OR BSD-2-Clause"
    assert found["attrs"].license == "MIT"
    assert found["jsonschema"].path == ("soup-fixture",)


@pytest.mark.parametrize("folder", ["npm", "npm-v2"])  # lockfileVersion 3, and 2 (with its v1 `dependencies` tree, not read)
def test_npm_lock_nested_and_dev(folder: str) -> None:
    components = read_components(FIXTURES / folder / "package-lock.json", "package-lock.json")[0]
    assert sorted((c.name, c.version, c.direct, c.runtime) for c in components) == [
        ("debug", "4.3.4", True, True),
        ("is-number", "7.0.0", True, False),
        ("ms", "2.1.2", False, True),  # node_modules/debug/node_modules/ms
        ("ms", "2.1.3", True, True),
    ]
    assert {c.purl for c in components} >= {"pkg:npm/ms@2.1.2", "pkg:npm/debug@4.3.4"}
    assert {c.license for c in components} == {"MIT"}


def test_example_soup_list_comes_from_its_lock_file() -> None:
    found = by_name(read_components(REPO / "examples" / "pji_risk" / "uv.lock", "uv.lock")[0])
    runtime = {n for n, c in found.items() if c.runtime}
    assert runtime == {"numpy"}  # the train extra (scikit-learn and what it pulls in) is not runtime
    assert found["numpy"].version == "2.4.6" and found["scikit-learn"].version == "1.9.1"
    assert found["joblib"].path == ("pji-risk", "scikit-learn")


# ----------------------------------------------------------------- bad input ---


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("name", "text", "line", "says"),
    [
        ("uv.lock", (PROJECT / "uv.lock").read_text()[:700], None, "is not valid TOML"),
        ("poetry.lock", '[[package]]\nname = "a"\nversion = "1', 3, "is not valid TOML"),
        ("package-lock.json", '{\n  "lockfileVersion": 3,\n  "packages": {\n', 4, "is not valid JSON"),
        ("package-lock.json", '{\n  "lockfileVersion": 1,\n  "dependencies": {}\n}\n', 2, "lockfileVersion 1"),
        ("requirements.txt", "numpy==2.4.6\nscipy>=1.0\n", 2, "not pinned to one exact version"),
        ("requirements.txt", "numpy==2.*\n", 1, "not pinned"),
        ("requirements.txt", "-e ./src/mypkg\n", 1, "editable line"),
        ("requirements.txt", "pkg @ https://example.org/pkg-1.0.tar.gz\n", 1, "from a URL"),
        ("bom.xml", '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>\n<bom>&lol2;</bom>\n', 1, "no XML is parsed"),
        ("deps.dat", "just some text\n", 1, "not a dependency file techfile reads"),
        ("bom.json", '{"bomFormat": "CycloneDX", "specVersion": "1.2", "components": []}', 1, "specVersion 1.4, 1.5, 1.6"),
    ],
)
def test_bad_input_names_file_and_line(tmp_path: Path, name: str, text: str, line: int | None, says: str) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(SoupInputError) as raised:
        read_components(path, name)
    assert says in raised.value.message
    assert raised.value.path == name
    if line is not None:
        assert raised.value.line == line
    assert raised.value.fix


def test_truncated_uv_lock_names_its_line(tmp_path: Path) -> None:
    text = (PROJECT / "uv.lock").read_text()
    cut = text.index("[[package]]", 500) + len("[[package]]\nname = \"")
    path = _write(tmp_path, "uv.lock", text[:cut])
    with pytest.raises(SoupInputError) as raised:
        read_components(path, "uv.lock")
    assert raised.value.line == text[:cut].count("\n") + 1


def test_include_loop_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "a.txt", "numpy==2.4.6\n-r b.txt\n")
    _write(tmp_path, "b.txt", "-r a.txt\n")
    with pytest.raises(SoupInputError) as raised:
        read_components(tmp_path / "a.txt", "a.txt", "requirements")
    assert "a.txt -> b.txt -> a.txt" in raised.value.message
    assert (raised.value.path, raised.value.line) == ("b.txt", 1)


def test_includes_constraints_markers_and_extras(tmp_path: Path) -> None:
    _write(tmp_path, "base.txt", "attrs==26.1.0 ; python_version >= '3.8'\n")
    _write(tmp_path, "constraints.txt", "numpy<3\n")
    _write(tmp_path, "req.txt", "# pinned\n-r base.txt\n-c constraints.txt\nrequests[socks]==2.32.3 \\\n    --hash=sha256:abc\n")
    found = by_name(read_components(tmp_path / "req.txt", "req.txt", "requirements")[0])
    assert versions(list(found.values())) == {"attrs": "26.1.0", "requests": "2.32.3"}
    assert found["requests"].source_line == 4 and found["requests"].hashes == ("sha256:abc",)
    assert found["attrs"].source_file == "base.txt"


def test_huge_json_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    with path.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # sparse: 100 MB without writing them
    started = time.perf_counter()
    with pytest.raises(SoupInputError) as raised:
        read_components(path, "bom.json")
    assert "larger than" in raised.value.message and time.perf_counter() - started < 1


def test_cli_bad_input_exits_2_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _write(tmp_path, "requirements.txt", "numpy==2.4.6\nscipy\n")
    out = tmp_path / "soup.json"
    assert main(["soup", str(PROJECT / "uv.lock"), str(bad), "-o", str(out)]) == 2
    assert not out.exists()
    assert "requirements.txt:2" in capsys.readouterr().err


def test_cli_output_is_byte_identical_and_carries_source(tmp_path: Path) -> None:
    first, second = tmp_path / "one.json", tmp_path / "two.json"
    assert main(["soup", str(PROJECT / "uv.lock"), "-o", str(first), "--software-version", "1.0.0"]) == 0
    assert main(["soup", str(PROJECT / "uv.lock"), "-o", str(second), "--software-version", "1.0.0"]) == 0
    assert first.read_bytes() == second.read_bytes()
    needs = json.loads(first.read_text())["versions"]["1.0.0"]["needs"]
    attrs = needs["COMP_ATTRS_26_1_0"]
    assert attrs["type"] == "component" and attrs["version"] == "26.1.0"
    assert attrs["scope"] == "runtime" and attrs["dependency"] == "transitive" and attrs["pulled_in_by"] == "soup-fixture > jsonschema"
    assert attrs["source_line"] == "5" and attrs["source_file"].endswith("uv.lock") and len(attrs["source_sha256"]) == 64


def test_regenerate_gives_what_was_written() -> None:
    components, digests = read_components(PROJECT / "uv.lock", "uv.lock")
    written = {need_id: component_need(need_id, c, digests["uv.lock"]) for need_id, c in assign_ids(components).items()}
    regenerated = KIND.regenerate(PROJECT / "uv.lock", "uv.lock")
    assert set(regenerated) == set(written)
    for need_id, need in regenerated.items():
        assert need.title == written[need_id].title and need.content == written[need_id].content
        assert {k: v for k, v in written[need_id].fields.items() if k not in ("source_file", "source_sha256")} == need.fields


def _synthetic_uv_lock(count: int) -> str:
    lines = ['version = 1\nrevision = 3\nrequires-python = ">=3.11"\n']
    lines.append('[[package]]\nname = "big"\nversion = "0.1.0"\nsource = { editable = "." }\ndependencies = [\n' + "".join(f'    {{ name = "pkg{i}" }},\n' for i in range(0, count, 10)) + "]\n")
    for i in range(count):
        deps = "".join(f'    {{ name = "pkg{j}" }},\n' for j in range(i + 1, min(i + 10, count)) if i % 10 == 0)
        lines.append(
            f'[[package]]\nname = "pkg{i}"\nversion = "1.{i}.0"\nsource = {{ registry = "https://pypi.org/simple" }}\n'
            + (f"dependencies = [\n{deps}]\n" if deps else "")
            + f'wheels = [\n    {{ url = "https://files.example/pkg{i}-1.{i}.0-py3-none-any.whl", hash = "sha256:{i:064x}", size = 1 }},\n]\n'
        )
    return "\n".join(lines)


def test_two_thousand_locked_packages_read_in_about_a_second(tmp_path: Path) -> None:
    path = _write(tmp_path, "uv.lock", _synthetic_uv_lock(2000))
    started = time.perf_counter()
    components, _ = read_components(path, "uv.lock")
    elapsed = time.perf_counter() - started
    assert len(components) == 2000 and all(c.runtime for c in components)
    assert elapsed < 2.0, f"{elapsed:.2f} s"


# ------------------------------------------------------------------- rules ---

Mutation = Callable[[Mini], None]


def _no_support_level(m: Mini) -> None:
    m.replace("soup.md", ":support_level: actively_maintained\n", "")


def _runtime_dependency_without_soup(m: Mini) -> None:
    m.components.append(component("libbar", "2.0.0"))


def _soup_without_dependency(m: Mini) -> None:
    m.components = [component("libbar", "2.0.0")]
    m.append("soup.md", "```{soup} libbar\n:id: SOUP_BAR\n:manufacturer: Bar\n:version: 2.0.0\n:purl: pkg:pypi/libbar@2.0.0\n:license: MIT\n```\n")


def _denied_licence(m: Mini) -> None:
    m.replace("soup.md", ":license: MIT", ":license: GPL-3.0-only")


def _vulnerability(package: str = "libfoo", version: str = "1.2.3", vuln: str = "PYSEC-2099-9", **fields: str) -> list[EvidenceNeed]:
    """A complete pip-audit scan of ``package`` ``version`` with one vulnerability, as `techfile soup --vulnerabilities` writes it."""
    need_id = f"VULN_{vuln.replace('-', '_')}_{package.upper()}_{version.replace('.', '_')}"
    common = {"scanner": "pip-audit", "source_file": "audit.json", "scanned_on": "2026-12-01"}
    return [
        EvidenceNeed("SCAN_AUDIT_JSON", Role.VULNERABILITY_SCAN, "pip-audit report audit.json", fields={**common, "scan_status": "complete", "scanned_packages": f"{package}=={version}", **fields}),
        EvidenceNeed(need_id, Role.VULNERABILITY, f"{vuln} in {package} {version}", fields={**common, "vulnerability_id": vuln, "aliases": "CVE-2099-9", "package": package, "version": version}),
    ]


EVALUATION = """
```{vulnerability_evaluation} PYSEC-2099-9 in libfoo 1.2.3
:id: VEVAL_001
:vulnerability: CVE-2099-9
:package: libfoo
:version: 1.2.3
:exploitability: Not exploitable: the device never passes untrusted input to libfoo.
:risk: None beyond HAZ_001 as assessed.
:action: No action; upgrade with the next release.
:evaluation_date: 2026-12-01
```
"""


def _unevaluated_vulnerability(m: Mini) -> None:
    m.components += _vulnerability()


def _incomplete_scan(m: Mini) -> None:
    m.components += _vulnerability(scan_status="incomplete", scan_problem="skipped 1 package(s): libfoo (could not be audited)")
    m.append("soup.md", EVALUATION)


FIRING: dict[str, tuple[Mutation, str | None, str]] = {
    "S04": (_unevaluated_vulnerability, "VULN_PYSEC_2099_9_LIBFOO_1_2_3", "libfoo 1.2.3: PYSEC-2099-9 (reported by pip-audit) has no evaluation"),
    "S05": (_incomplete_scan, "SCAN_AUDIT_JSON", "the scan is incomplete (skipped 1 package(s)"),
    "R20": (_no_support_level, "SOUP_LIB", "support_level"),
    "S01": (_runtime_dependency_without_soup, "COMP_LIBBAR", "libbar 2.0.0 is a direct runtime dependency without a SOUP item"),
    "S02": (_soup_without_dependency, "SOUP_LIB", "records the package libfoo any more"),
    "S03": (_denied_licence, "COMP_LIBFOO", "is under GPL-3.0-only, outside the licence policy"),
}


def _rule(mini: Mini, rule: str) -> list[str]:
    return [f"{f.need_id}: {f.message}" for f in mini.findings() if f.rule.id == rule]


def test_development_components_need_no_soup(mini: Mini) -> None:
    dev = component("pytest", "8.0.0")
    mini.components.append(type(dev)(dev.id, dev.role, dev.title, fields={**dev.fields, "scope": "development", "license": "GPL-3.0-only"}))
    assert not _rule(mini, "S01") and not _rule(mini, "S03")


def test_transitive_runtime_needs_soup_only_when_configured(mini: Mini) -> None:
    dep = component("libbaz", "1.0.0")
    mini.components.append(type(dep)(dep.id, dep.role, dep.title, fields={**dep.fields, "dependency": "transitive", "scope": "runtime", "pulled_in_by": "app > libfoo", "license": "MIT"}))
    assert not _rule(mini, "S01")
    (mini.root / "schemas").mkdir(exist_ok=True)
    (mini.root / "schemas" / "trace_rules.toml").write_text('extends = "techfile:default"\n\n[[rules]]\nid = "S01"\nparams = { transitive = true }\n')
    text = (mini.root / "pyproject.toml").read_text()
    if 'trace_rules = "schemas/trace_rules.toml"' not in text:
        (mini.root / "pyproject.toml").write_text(text.replace("[tool.techfile]\n", '[tool.techfile]\ntrace_rules = "schemas/trace_rules.toml"\n', 1))
    assert _rule(mini, "S01") == ["COMP_LIBBAZ: libbaz 1.0.0 is a transitive runtime dependency, pulled in by app > libfoo, without a SOUP item: author one (IEC 62304 8.1.2) or move it out of the runtime dependencies"]


def test_licence_or_alternative_and_unparsable(mini: Mini) -> None:
    mini.replace("soup.md", ":license: MIT", ":license: GPL-3.0-only OR MIT")
    assert not _rule(mini, "S03")
    # AND binds the GPL to every choice the parenthesised OR offers
    mini.replace("soup.md", ":license: GPL-3.0-only OR MIT", ":license: GPL-3.0-only AND (MIT OR BSD-3-Clause)")
    assert any("outside the licence policy" in f for f in _rule(mini, "S03"))
    mini.replace("soup.md", ":license: GPL-3.0-only AND (MIT OR BSD-3-Clause)", ":license: (MIT AND BSD-3-Clause) OR GPL-3.0-only")
    assert not _rule(mini, "S03")
    bad = component("libqux", "1.0.0")
    mini.components.append(type(bad)(bad.id, bad.role, bad.title, fields={**bad.fields, "license_problem": "licence 'Foo Public' is not an SPDX expression"}))
    assert any("COMP_LIBQUX" in f and "not an SPDX expression" in f for f in _rule(mini, "S03"))


def test_interpreter_soup_is_confirmed_by_the_build_environment(mini: Mini) -> None:
    mini.append("soup.md", "```{soup} CPython\n:id: SOUP_PY\n:manufacturer: PSF\n:version: 3.12.0\n:purl: pkg:generic/cpython@3.12.0\n```\n")
    assert not [f for f in _rule(mini, "R17") if f.startswith("SOUP_PY")] and not [f for f in _rule(mini, "S02") if f.startswith("SOUP_PY")]
    mini.replace("soup.md", ":version: 3.12.0", ":version: 3.11.7")
    assert any(f.startswith("SOUP_PY") and "not the interpreter of the build environment (3.12.0)" in f for f in _rule(mini, "R17"))


# ------------------------------------------------------- vulnerabilities ---

REPORTS = FIXTURES / "reports"


def test_real_offline_pip_audit_is_not_an_all_clear() -> None:
    scan = read_report(REPORTS / "pip-audit-offline.json", "pip-audit-offline.json")
    assert (scan.scanner, scan.complete, scan.vulnerabilities) == ("pip-audit", False, ())
    assert scan.problem.startswith("skipped 7 package(s): attrs (Dependency not found on PyPI")


@pytest.mark.parametrize(
    ("file", "scanner", "found", "scanned_on"),
    [
        ("pip-audit.json", "pip-audit", [("PYSEC-2099-1", "jsonschema", "4.23.0", "")], ""),
        ("osv-scanner.json", "osv-scanner", [("GHSA-test-0002-0002", "referencing", "0.37.0", "")], ""),
        ("dependency-check.json", "dependency-check", [("CVE-2099-0003", "rpds-py", "2026.9.1", "")], "2026-11-29"),
        ("vex.cdx.json", "cyclonedx-vex", [("CVE-2099-0004", "attrs", "26.1.0", "not_affected"), ("CVE-2099-0005", "typing-extensions", "4.16.0", "in_triage")], "2026-11-30"),
    ],
)
def test_reports_in_documented_formats(file: str, scanner: str, found: list[tuple[str, str, str, str]], scanned_on: str) -> None:
    scan = read_report(REPORTS / file, file)
    assert (scan.scanner, scan.complete, scan.scanned_on) == (scanner, True, scanned_on)
    assert [(v.id, v.package, v.version, v.analysis_state) for v in scan.vulnerabilities] == found
    assert all(v.line > 1 or file == "pip-audit.json" for v in scan.vulnerabilities)


def test_dependency_check_without_data_source_is_incomplete(tmp_path: Path) -> None:
    data = json.loads((REPORTS / "dependency-check.json").read_text())
    del data["scanInfo"]["dataSource"]
    (tmp_path / "dc.json").write_text(json.dumps(data))
    scan = read_report(tmp_path / "dc.json", "dc.json")
    assert not scan.complete and "NVD database was not reached" in scan.problem


def test_unknown_report_is_refused(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text('{"something": []}')
    with pytest.raises(SoupInputError) as raised:
        read_report(tmp_path / "r.json", "r.json")
    assert "not a vulnerability report" in raised.value.message and "pip-audit" in (raised.value.fix or "")


def test_cli_writes_vulnerabilities_and_scans(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "soup.json"
    arguments = ["soup", str(PROJECT / "uv.lock"), "-o", str(out), "--software-version", "1.0.0", "--scanned-on", "2026-12-01"]
    assert main([*arguments, "--vulnerabilities", str(REPORTS / "pip-audit.json"), "--vulnerabilities", str(REPORTS / "pip-audit-offline.json")]) == 0
    needs = json.loads(out.read_text())["versions"]["1.0.0"]["needs"]
    vuln = needs["VULN_PYSEC_2099_1_JSONSCHEMA_4_23_0"]
    assert (vuln["type"], vuln["package"], vuln["version"], vuln["scanned_on"]) == ("vulnerability", "jsonschema", "4.23.0", "2026-12-01")
    assert needs["SCAN_PIP_AUDIT_OFFLINE_JSON"]["scan_status"] == "incomplete"
    assert "it is no evidence of no vulnerabilities" in capsys.readouterr().out


def test_evaluation_quiets_s04_and_vex_analysis_counts(mini: Mini) -> None:
    mini.components += _vulnerability()
    mini.append("soup.md", EVALUATION)
    assert not _rule(mini, "S04") and not _rule(mini, "S05")
    mini.replace("soup.md", ":action: No action; upgrade with the next release.\n", "")
    assert _rule(mini, "S04") == ["VULN_PYSEC_2099_9_LIBFOO_1_2_3: libfoo 1.2.3: PYSEC-2099-9: its evaluation VEVAL_001 lacks action"]


def test_vex_analysis_is_an_evaluation(mini: Mini) -> None:
    scan, vuln = _vulnerability()
    mini.components += [scan, EvidenceNeed(vuln.id, vuln.role, vuln.title, fields={**vuln.fields, "analysis_state": "not_affected", "analysis_detail": "code_not_reachable"})]
    assert not _rule(mini, "S04")


def test_scan_of_other_versions_or_before_the_release_is_flagged(mini: Mini) -> None:
    mini.components += _vulnerability(version="1.2.2")
    mini.append("soup.md", EVALUATION)
    assert not _rule(mini, "S04")  # 1.2.2 is not in use
    assert any("scanned other versions than the release's: libfoo 1.2.2 (the lock file has 1.2.3)" in f for f in _rule(mini, "S05"))
    mini.components = [component(), *_vulnerability()]
    mini.replace("release.md", ":version: 1.0.0", ":version: 1.0.0\n:release_date: 2026-12-15")
    assert _rule(mini, "S05") == ["SCAN_AUDIT_JSON: audit.json: the scan of 2026-12-01 is older than the release of 2026-12-15: rescan the release's dependencies"]


def test_deleting_a_soup_item_or_an_unevaluated_vulnerability_fails_check_naming_the_package(mini: Mini, capsys: pytest.CaptureFixture[str]) -> None:
    mini.write_evidence()
    assert main(["check", "--project", str(mini.root)]) == 0
    mini.components += _vulnerability()
    mini.write_evidence()
    assert main(["check", "--project", str(mini.root)]) == 1
    assert "libfoo 1.2.3: PYSEC-2099-9" in capsys.readouterr().out
    mini.components = [component()]
    (mini.root / "needs" / "soup.md").write_text("# SOUP\n")
    mini.write_evidence()
    assert main(["check", "--project", str(mini.root)]) == 1
    assert "libfoo 1.2.3 is a direct runtime dependency without a SOUP item" in capsys.readouterr().out


# ------------------------------------------------------------ SBOM and diff ---


def test_sbom_is_valid_cyclonedx_16_with_fda_fields_and_byte_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    sboms = []
    for name in ("one", "two"):
        sbom = tmp_path / f"{name}.cdx.json"
        assert main(["soup", str(PROJECT / "cyclonedx-env.cdx.json"), "-o", str(tmp_path / f"{name}.json"), "--software-version", "0.1.0", "--sbom", str(sbom)]) == 0
        sboms.append(sbom.read_bytes())
    assert sboms[0] == sboms[1]
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(sboms[0].decode()) is None
    document = json.loads(sboms[0])
    assert document["specVersion"] == "1.6" and "timestamp" not in document["metadata"]
    assert document["metadata"]["component"]["name"] == "soup-fixture"
    names = {c["name"]: c for c in document["components"]}
    assert set(names) == {"attrs", "jsonschema", "jsonschema-specifications", "packaging", "referencing", "rpds-py", "typing_extensions"}  # runtime only: not pip, setuptools
    assert names["packaging"]["licenses"] == [{"expression": "Apache-2.0 OR BSD-2-Clause"}]
    assert {"ref": "soup-fixture@0.1.0", "dependsOn": ["pkg:pypi/jsonschema@4.23.0", "pkg:pypi/packaging@26.4"]} in document["dependencies"]


def test_sbom_takes_supplier_and_support_from_the_soup_items(mini: Mini, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")
    lock = tmp_path / "requirements.txt"
    lock.write_text("libfoo==1.2.3\nlibbar==2.0.0\n")
    sbom = tmp_path / "bom.cdx.json"
    assert main(["soup", str(lock), "-o", str(mini.root / "needs" / "generated" / "soup.json"), "--sbom", str(sbom), "--software-version", "1.0.0", "--project", str(mini.root)]) == 0
    document = json.loads(sbom.read_text())
    libfoo = next(c for c in document["components"] if c["name"] == "libfoo")
    assert libfoo["supplier"] == {"name": "Foo Inc."}
    assert {"name": "techfile:support_level", "value": "actively_maintained"} in libfoo["properties"]
    assert document["metadata"]["timestamp"].startswith("2025-12-01T00:00:00")
    assert "SBOM component libbar 2.0.0: lacks supplier, support_level, end_of_support" in capsys.readouterr().out


def test_diff_between_two_sources(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "old.txt"
    old.write_text("attrs==25.0.0\njsonschema==4.23.0\npackaging==99.0\nsix==1.16.0\n")
    assert main(["soup", "--diff", str(old), str(PROJECT / "requirements.txt")]) == 0
    out = capsys.readouterr().out
    assert "## Added (4)" in out and "- typing-extensions 4.16.0" in out
    assert "## Removed (1)\n\n- six 1.16.0" in out
    assert "## Upgraded (1)\n\n- attrs 25.0.0 -> 26.1.0" in out
    assert "## Downgraded (1)\n\n- packaging 99.0 -> " in out
    assert "## Changed version (0)" in out


def test_diff_of_a_truncated_soup_list_names_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "old.json"
    old.write_text('{\n  "versions": {\n    "1.0.0": {"needs": {')
    assert main(["soup", "--diff", str(old), str(PROJECT / "requirements.txt")]) == 2
    err = capsys.readouterr().err
    assert "old.json:3" in err and "is not valid JSON" in err


def test_diff_between_two_generated_soup_lists(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["soup", str(PROJECT / "pylock.toml"), "-o", str(tmp_path / "old.json"), "--software-version", "0.1.0"]) == 0
    assert main(["soup", str(PROJECT / "uv.lock"), "-o", str(tmp_path / "new.json"), "--software-version", "0.2.0"]) == 0
    capsys.readouterr()
    assert main(["soup", "--diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "-o", str(tmp_path / "notes.md")]) == 0
    notes = (tmp_path / "notes.md").read_text()
    assert "## Added (2)\n\n- click 8.5.1\n- iniconfig 2.3.1" in notes and "## Removed (0)" in notes


# ------------------------------------------------------------ the tree view ---


def test_soup_tree_view_shows_who_pulls_in_what(tmp_path: Path) -> None:
    from techfile.sphinxext.views.data import CodeBlock, Rubric
    from techfile.sphinxext.views.soup_tree import soup_tree
    from test_views import evaluated, need

    components = [replace(need(component_id(c), "component", **derived_need("x", c).fields), title=c.name) for c in read_components(REPO / "examples" / "pji_risk" / "uv.lock", "uv.lock")[0]]
    soup = replace(need("SOUP_NUMPY", "soup", purl="pkg:pypi/numpy@2.4.6"), title="NumPy")
    blocks = soup_tree(evaluated(tmp_path, needs=[*components, soup]), {})
    assert [b.text for b in blocks if isinstance(b, Rubric)] == ["Runtime dependencies (shipped with the device)", "Development dependencies (groups, extras; not shipped)"]
    runtime, development = (b.text for b in blocks if isinstance(b, CodeBlock))
    assert runtime == "numpy 2.4.6  [SOUP_NUMPY]"
    lines = development.splitlines()
    # the train extra's two packages are the roots; scikit-learn, which mlflow pulls in too, is expanded once, under mlflow
    assert [line for line in lines if not line.startswith(("│", "├", "└", " "))] == ["mlflow 3.17.2", "scikit-learn 1.9.1  …"]
    at = lines.index("├── scikit-learn 1.9.1")
    assert lines[at + 1 : at + 3] == ["│   ├── joblib 1.6.0", "│   │   └── cloudpickle 3.1.3  …"]
    assert "├── numpy 2.4.6  [SOUP_NUMPY]  …" in development  # shown above: not expanded again


def test_installed_environment_gives_every_distribution() -> None:
    import sysconfig
    from importlib.metadata import version

    site = Path(sysconfig.get_paths()["purelib"])
    expected = {p.parent.name.split("-")[0] for p in site.glob("*.dist-info/METADATA")}
    components = read_components(site, "site-packages")[0]
    assert len(components) == len(expected)
    found = by_name(components)
    assert found["packaging"].version == version("packaging")
    assert found["jsonschema"].runtime and "attrs" in found["jsonschema"].dependencies
    assert found["license-expression"].license or found["license-expression"].supplier


def test_uv_extra_asked_for_by_a_runtime_dependency_is_runtime(tmp_path: Path) -> None:
    lock = """version = 1
revision = 3
requires-python = ">=3.11"

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "foo", extra = ["fast"] },
]

[[package]]
name = "foo"
version = "1.0.0"
source = { registry = "https://pypi.org/simple" }

[package.optional-dependencies]
fast = [
    { name = "speedup" },
]
slow = [
    { name = "sleepy" },
]

[[package]]
name = "sleepy"
version = "3.0.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "speedup"
version = "2.0.0"
source = { registry = "https://pypi.org/simple" }
"""
    found = by_name(read_components(_write(tmp_path, "uv.lock", lock), "uv.lock")[0])
    assert {n: (c.runtime, c.path) for n, c in found.items()} == {"foo": (True, ("app",)), "speedup": (True, ("app", "foo")), "sleepy": (False, ())}


def test_generated_soup_evidence_is_regenerated_by_the_integrity_check(mini: Mini) -> None:
    """The lock file and the report alone determine their needs: an edited record is a finding, in `techfile check` alike."""
    (mini.root / "requirements.txt").write_text("libfoo==1.2.3\n")
    (mini.root / "audit.json").write_text(json.dumps({"dependencies": [{"name": "libfoo", "version": "1.2.3", "vulns": [{"id": "PYSEC-2099-9", "fix_versions": [], "aliases": [], "description": "Invented."}]}], "fixes": []}))
    mini.components = []
    index = mini.root / "docs" / "index.md"
    index.write_text(index.read_text() + "\n```{needimport} /needs/generated/soup.json\n```\n")
    soup = mini.root / "needs" / "generated" / "soup.json"
    arguments = ["soup", "requirements.txt", "--vulnerabilities", "audit.json", "--scanned-on", "2026-12-01", "-o", "needs/generated/soup.json", "--software-version", "1.0.0", "--project", str(mini.root)]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(mini.root)  # the sources as a CI job names them, from the project root
        assert main(arguments) == 0
    mini.append("soup.md", EVALUATION.replace("CVE-2099-9", "PYSEC-2099-9"))
    integrity = [f for f in mini.findings() if f.rule.check == "evidence_integrity"]
    assert not integrity, [f.message for f in integrity]
    assert [f.text() for f in mini.findings() if f.rule.id.startswith("S") or f.rule.id in ("R17", "R20")] == []
    edited = soup.read_text().replace('"scan_status": "complete"', '"scan_status": "complete", "vulnerability_severity": "low"').replace('"dependency": "direct"', '"dependency": "transitive"')
    soup.write_text(edited)
    messages = [f.message for f in mini.findings() if f.rule.check == "evidence_integrity"]
    assert any("dependency is 'transitive', the file gives 'direct'" in m for m in messages), messages
