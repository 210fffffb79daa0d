"""Read JUnit XML reports from any runner into :class:`Case` records.

Reads the flavours real runners write: pytest (xunit1 and xunit2), Jest
(jest-junit), Mocha (mocha-junit-reporter), CTest ``--output-junit``, Maven
Surefire (``flakyFailure``/``rerunFailure``), Go (gotestsum, go-junit-report),
the JUnit 5 console launcher. Reading only: what a case means for the
technical file is :mod:`techfile.evidence.junit.mapping`'s business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from techfile.evidence import safexml
from techfile.evidence.interface import EvidenceError
from techfile.evidence.junit.settings import JUnitInput, Level

MESSAGE_LIMIT = 300
OUTPUT_LIMIT = 4000
# Suite properties that are the JVM's system properties (Surefire, JUnit 5): not evidence.
_JVM_PROPERTY = re.compile(r"^(java|javax|sun|jdk|os|user|file|line|path|native|awt|stdout|stderr|surefire|maven|idea|guice)\.|^(basedir|localRepository)$")


class JUnitError(EvidenceError):
    """A JUnit report cannot be read; nothing is written."""


@dataclass
class Case:
    """One ``<testcase>`` as read, before it becomes a need."""

    source: str
    xml_line: int
    suite: str
    classname: str
    name: str
    outcome: str
    message: str
    time: str
    test_file: str
    test_line: str
    timestamp: str
    host: str
    runner: str
    level: str | None
    properties: list[tuple[str, str]] = field(default_factory=list)
    output: str = ""
    occurrence: int = 1

    @property
    def identity(self) -> tuple[str, ...]:
        return (self.suite, self.classname, self.name, str(self.occurrence))

    @property
    def verifies(self) -> list[str]:
        return [part.strip() for name, value in self.properties if name == "verifies" for part in value.split(",") if part.strip()]


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= MESSAGE_LIMIT else line[: MESSAGE_LIMIT - 1] + "…"


def detect_runner(root: safexml.Element) -> str:
    """The runner that wrote a report, from the marks each leaves."""
    suites = [root] if root.tag == "testsuite" else root.find_all("testsuite")
    names = {s.attrib.get("name", "") for s in suites}
    cases = [c for s in suites for c in s.find_all("testcase")]
    properties = {p.attrib.get("name", "") for s in suites for ps in s.find_all("properties") for p in ps.find_all("property")}
    if "pytest" in names:
        return "pytest"
    if any("surefire" in value for value in root.attrib.values()):
        return "maven-surefire"
    if names & {"JUnit Jupiter", "JUnit Vintage", "JUnit Platform Suite"}:
        return "junit-platform-console"
    if "Root Suite" in names or "mocha" in root.attrib.get("name", "").lower():
        return "mocha-junit-reporter"
    if "go.version" in properties:
        return "go (gotestsum / go-junit-report)"
    if cases and all("status" in c.attrib for c in cases):
        return "ctest"
    if "jest" in root.attrib.get("name", "").lower() or any("›" in c.attrib.get("classname", "") for c in cases):
        return "jest-junit"
    return "junit-xml"


def _properties(element: safexml.Element, *, suite: bool) -> list[tuple[str, str]]:
    found = []
    for group in element.find_all("properties"):
        for prop in group.find_all("property"):
            name = prop.attrib.get("name", "")
            value = prop.attrib.get("value", prop.text.strip())
            if name and not (suite and _JVM_PROPERTY.search(name)):
                found.append((name, value))
    return found


def _outcome(case: safexml.Element) -> tuple[str, str]:
    for tag, outcome in (("error", "error"), ("failure", "failed")):
        element = case.find(tag)
        if element is not None:
            return outcome, _one_line(element.attrib.get("message") or element.text or element.attrib.get("type", ""))
    skipped = case.find("skipped")
    status = case.attrib.get("status", "")
    if skipped is not None:
        return "skipped", _one_line(skipped.attrib.get("message") or skipped.text)
    if status in ("notrun", "disabled"):  # CTest writes DISABLED tests without <skipped>
        return "skipped", f"status {status}"
    if status == "fail":
        return "failed", "status fail"
    flaky = case.find_all("flakyFailure") + case.find_all("flakyError")
    if flaky:  # Surefire: failed, then passed on a rerun
        first = flaky[0]
        return "passed", _one_line(f"passed after {len(flaky)} flaky run(s): {first.attrib.get('message') or first.attrib.get('type', '')}")
    return "passed", ""


def _output(case: safexml.Element) -> str:
    parts = []
    for tag in ("failure", "error", "skipped", "rerunFailure", "rerunError", "flakyFailure", "flakyError", "system-out", "system-err"):
        for element in case.find_all(tag):
            text = element.text.strip()
            if text:
                parts.append(f"[{tag}]\n{text}")
    output = "\n".join(parts)
    return output if len(output) <= OUTPUT_LIMIT else output[:OUTPUT_LIMIT] + f"\n[... {len(output) - OUTPUT_LIMIT} more characters in the report]"


def input_path(source: JUnitInput, root_dir: Path) -> Path:
    return Path(source.path) if Path(source.path).is_absolute() else root_dir / source.path


def read_report(source: JUnitInput, root_dir: Path) -> list[Case]:
    """The test cases of one report of a job; :class:`EvidenceError` names file and line of any problem."""
    path = input_path(source, root_dir)
    return read_cases(path, shown_path(path, root_dir), source.level)


def _declared_tests(element: safexml.Element) -> int | None:
    """The ``tests`` count a suite declares, None when it declares none (or no number)."""
    value = element.attrib.get("tests", "").strip()
    return int(value) if value.isascii() and value.isdigit() else None


def declares_empty_run(root: safexml.Element) -> bool:
    """Whether a report with no ``<testcase>`` says so itself: the run it records executed no test.

    The JUnit 5 console launcher writes one report per engine, and an engine
    that found no test (Vintage, Platform Suite) writes ``<testsuite ...
    tests="0">`` with no case. That is evidence of an empty run, not a broken
    report: the root, or every suite, declares ``tests="0"``, and nothing
    declares more. A report that declares no count, or a count its cases do
    not bear out, is not read as empty (a truncated or emptied report would
    otherwise pass for a run of no test).
    """
    root_count = _declared_tests(root)
    suite_counts = [_declared_tests(suite) for suite in _nested_suites(root)]
    declared = [count for count in (root_count, *suite_counts) if count is not None]
    if not declared or any(count != 0 for count in declared):
        return False
    return root_count == 0 or (bool(suite_counts) and None not in suite_counts)


def _nested_suites(element: safexml.Element) -> list[safexml.Element]:
    found: list[safexml.Element] = []
    for child in element.find_all("testsuite"):
        found += [child, *_nested_suites(child)]
    return found


def read_cases(path: Path, shown: str, level: Level | None) -> list[Case]:
    """The test cases of the report at ``path`` (``shown`` as messages and needs name it).

    An empty list only for a report that declares an empty run
    (:func:`declares_empty_run`); any other report without a case is refused.
    """
    root = safexml.parse(path, shown)
    if root.tag not in ("testsuites", "testsuite"):
        raise JUnitError(
            f"root element <{root.tag}> is not <testsuites> or <testsuite>: not a JUnit XML report",
            path=shown,
            line=root.line,
            fix="pass the report the test runner wrote (e.g. pytest --junitxml)",
        )
    runner = detect_runner(root)
    cases: list[Case] = []
    seen: dict[tuple[str, ...], int] = {}

    def walk(suite: safexml.Element, path_names: list[str], timestamp: str, host: str, file: str, inherited: list[tuple[str, str]]) -> None:
        names = path_names + ([suite.attrib["name"]] if suite.attrib.get("name") else [])
        timestamp = suite.attrib.get("timestamp") or timestamp
        host = suite.attrib.get("hostname") or host
        file = suite.attrib.get("file") or file
        properties = inherited + _properties(suite, suite=True)
        for child in suite.children:
            if child.tag == "testsuite":
                walk(child, names, timestamp, host, file, properties)
            elif child.tag == "testcase":
                name = child.attrib.get("name", "")
                if not name:
                    raise JUnitError("<testcase> has no name", path=shown, line=child.line, fix="the report is not valid JUnit XML")
                outcome, message = _outcome(child)
                line = child.attrib.get("line", "")
                if runner == "pytest" and line.isdigit():
                    line = str(int(line) + 1)  # pytest writes the 0-based line of the test function
                case = Case(
                    source=shown,
                    xml_line=child.line,
                    suite=" / ".join(names),
                    classname=child.attrib.get("classname", ""),
                    name=name,
                    outcome=outcome,
                    message=message,
                    time=child.attrib.get("time", ""),
                    test_file=child.attrib.get("file") or file,
                    test_line=line,
                    timestamp=timestamp,
                    host=host,
                    runner=runner,
                    level=level,
                    properties=properties + _properties(child, suite=False),
                    output=_output(child),
                )
                key = case.identity[:3]
                seen[key] = seen.get(key, 0) + 1
                case.occurrence = seen[key]
                cases.append(case)

    if root.tag == "testsuite":
        walk(root, [], "", "", "", [])
    else:
        for suite in root.find_all("testsuite"):
            walk(suite, [], root.attrib.get("timestamp", ""), "", "", [])
    if not cases and not declares_empty_run(root):
        raise JUnitError(
            "the report holds no <testcase> and does not declare tests=\"0\": it is truncated, or the run executed no tests",
            path=shown,
            line=root.line,
            fix="check that the run completed and its test selection; a runner's report of an empty run says tests=\"0\"",
        )
    return cases


def shown_path(path: Path, root_dir: Path) -> str:
    try:
        return path.resolve().relative_to(root_dir.resolve()).as_posix()
    except ValueError:
        return str(path)
