"""JUnit XML reports from any runner become result needs.

Reads the flavours real runners write: pytest (xunit1 and xunit2), Jest
(jest-junit), Mocha (mocha-junit-reporter), CTest ``--output-junit``, Maven
Surefire (``flakyFailure``/``rerunFailure``), Go (gotestsum, go-junit-report),
the JUnit 5 console launcher. Each ``<testcase>`` becomes one ``result``
need that links to what it verifies: the ``verifies`` property of the case
(``@pytest.mark.verifies`` writes it) and the authored test specifications
whose ``junit`` patterns match it.

IDs come from the case's identity (suite, class name, name), never from its
outcome, so a result keeps its ID from run to run.
"""

from __future__ import annotations

import argparse
import hashlib
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from techfile import provenance, safexml
from techfile.errors import TechfileError
from techfile.evidence import EvidenceError, EvidenceNeed, EvidenceSource, write_needs_json
from techfile.needmodel import NeedModel
from techfile.project import JUnitInput, JUnitJob, Project, load_project

LEVELS = ("unit", "integration", "system")
MESSAGE_LIMIT = 300
OUTPUT_LIMIT = 4000
# Suite properties that are the JVM's system properties (Surefire, JUnit 5): not evidence.
_JVM_PROPERTY = re.compile(r"^(java|javax|sun|jdk|os|user|file|line|path|native|awt|stdout|stderr|surefire|maven|idea|guice)\.|^(basedir|localRepository)$")


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


def _path(source: JUnitInput, root_dir: Path) -> Path:
    return Path(source.path) if Path(source.path).is_absolute() else root_dir / source.path


def read_report(source: JUnitInput, root_dir: Path) -> list[Case]:
    """The test cases of one report; :class:`EvidenceError` names file and line of any problem."""
    path = _path(source, root_dir)
    shown = _shown(path, root_dir)
    root = safexml.parse(path, shown)
    if root.tag not in ("testsuites", "testsuite"):
        raise EvidenceError(
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
                    raise EvidenceError("<testcase> has no name", path=shown, line=child.line, fix="the report is not valid JUnit XML")
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
                    level=source.level,
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
    if not cases:
        raise EvidenceError("the report holds no <testcase>: the run executed no tests", path=shown, line=root.line, fix="check the test selection of the run")
    return cases


def _shown(path: Path, root_dir: Path) -> str:
    try:
        return path.resolve().relative_to(root_dir.resolve()).as_posix()
    except ValueError:
        return str(path)


def result_id(case: Case) -> str:
    """``RES_<readable slug>_<hash of the identity>``: stable, valid under the ID pattern."""
    digest = hashlib.sha256("\x1f".join(case.identity).encode("utf-8")).hexdigest()[:10].upper()
    tail = case.classname.rsplit(".", 1)[-1] if case.classname and case.classname != case.name else ""
    slug = re.sub(r"[^A-Z0-9]+", "_", f"{tail}_{case.name}".upper()).strip("_")[:48].strip("_")
    return f"RES_{slug}_{digest}" if slug else f"RES_{digest}"


class JUnitSource(EvidenceSource):
    """JUnit XML reports of one job, merged into one set of result needs."""

    name = "junit"

    def __init__(self, job: JUnitJob, root_dir: Path, model: NeedModel | None, specs: dict[str, tuple[str, ...]], software_version: str, commit: str) -> None:
        self.job = job
        self.root_dir = root_dir
        self.model = model
        self.specs = specs
        self.software_version = software_version
        self.commit = commit

    def _is_spec(self, need_id: str) -> bool:
        if need_id in self.specs:
            return True
        spec_type = self.model.types.get("testspec") if self.model else None
        return bool(spec_type and spec_type.id_pattern.fullmatch(need_id))

    def _links(self, case: Case) -> dict[str, tuple[str, ...]]:
        result_of = {i for i in case.verifies if self._is_spec(i)}
        verifies = {i for i in case.verifies if i not in result_of}
        candidates = [f"{case.classname}::{case.name}", f"{case.suite}::{case.name}", case.name]
        if case.test_file:
            candidates.append(f"{case.test_file}::{case.name}")
        for spec_id, patterns in self.specs.items():
            if any(fnmatchcase(candidate, pattern) for pattern in patterns for candidate in candidates):
                result_of.add(spec_id)
        links = {}
        if result_of:
            links["result_of"] = tuple(sorted(result_of))
        if verifies:
            links["verifies"] = tuple(sorted(verifies))
        return links

    def read(self) -> list[EvidenceNeed]:
        cases: list[Case] = []
        first_seen: dict[tuple[str, ...], Case] = {}
        digests: dict[str, str] = {}
        for source in self.job.inputs:
            path = _path(source, self.root_dir)
            for case in read_report(source, self.root_dir):
                other = first_seen.get(case.identity)
                if other is not None and other.source != case.source:
                    raise EvidenceError(
                        f"test case {case.classname}::{case.name} (suite {case.suite!r}) is also in {other.source}:{other.xml_line}",
                        path=case.source,
                        line=case.xml_line,
                        fix="merge reports of different test runs only; give repeated runs distinct suite names or class prefixes (e.g. pytest --junit-prefix)",
                    )
                first_seen.setdefault(case.identity, case)
                cases.append(case)
            digests[_shown(path, self.root_dir)] = hashlib.sha256(path.read_bytes()).hexdigest()
        needs: dict[str, EvidenceNeed] = {}
        for case in sorted(cases, key=lambda c: c.identity):
            need_id = result_id(case)
            suffix = 2
            while need_id in needs:  # two identities with one ID: numbered in identity order
                need_id = f"{result_id(case)}_{suffix}"
                suffix += 1
            needs[need_id] = self._need(need_id, case, digests[case.source])
        return list(needs.values())

    def _need(self, need_id: str, case: Case, digest: str) -> EvidenceNeed:
        fields = {
            "result": case.outcome,
            "message": case.message,
            "time_s": case.time,
            "case": case.name,
            "classname": case.classname,
            "suite": case.suite,
            "level": case.level or "",
            "test_file": case.test_file,
            "test_line": case.test_line,
            "timestamp": case.timestamp,
            "host": case.host,
            "runner": case.runner,
            "software_version": self.software_version,
            "commit": self.commit,
            "source_file": case.source,
            "source_line": str(case.xml_line),
            "source_sha256": digest,
            "properties": "; ".join(f"{name}={value}" for name, value in case.properties),
        }
        content = ""
        if case.output:
            fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", case.output)), default=0))
            content = f"{fence}text\n{case.output}\n{fence}"
        return EvidenceNeed(
            id=need_id,
            type="result",
            title=case.name,
            content=content,
            fields={k: v for k, v in fields.items() if v},
            links=self._links(case),
        )


def _specs(project: Project | None, model: NeedModel | None) -> dict[str, tuple[str, ...]]:
    """Authored test specifications and their ``junit`` case patterns."""
    if project is None or model is None:
        return {}
    from techfile.sources import read_corpus

    corpus = read_corpus(project, model, imports=False)
    return {
        spec.id: tuple(p.strip() for p in (spec.get("junit") or "").split(",") if p.strip())
        for spec in corpus.by_type.get("testspec", [])
    }


def _parse_input(argument: str, default_level: str | None) -> JUnitInput:
    level, _, path = argument.partition("=")
    if path and level in LEVELS:
        return JUnitInput(path, level)
    return JUnitInput(argument, default_level)


def run_junit_command(args: argparse.Namespace) -> int:
    from techfile.needmodel import load_need_model

    try:
        project: Project | None = load_project(args.project)
    except TechfileError:
        if not args.files:
            raise
        project = None
    root_dir = project.root if project else Path.cwd()
    if args.files:
        if not args.output:
            raise TechfileError("--output is required with FILE arguments", fix="add -o needs/generated/junit.json")
        jobs = [JUnitJob(tuple(_parse_input(a, args.level) for a in args.files), args.output, None)]
    else:
        jobs = list(project.junit) if project else []
        if not jobs:
            raise TechfileError("no FILE given and no [[tool.techfile.junit]] job in pyproject.toml", fix="pass reports: techfile junit report.xml -o out.json")
    model = load_need_model(project.need_model) if project else None
    specs = _specs(project, model)
    for job in jobs:
        version = provenance.software_version(root_dir, args.software_version or job.software_version)
        source = JUnitSource(job, root_dir, model, specs, version, provenance.commit(root_dir, args.commit))
        needs = source.read()
        created = max((n.fields.get("timestamp", "") for n in needs), default="")
        output = Path(job.output) if Path(job.output).is_absolute() else root_dir / job.output
        write_needs_json(output, needs, version=version, creator=source.name, created=created)
        outcomes = {o: sum(1 for n in needs if n.fields["result"] == o) for o in ("passed", "failed", "error", "skipped")}
        print(f"techfile junit: {len(needs)} results ({', '.join(f'{v} {k}' for k, v in outcomes.items())}) -> {_shown(output, root_dir)}")
    return 0
