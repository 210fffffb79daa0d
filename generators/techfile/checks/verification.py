"""Which tests verify a need and whether their results count as passing.

Shared by the rules (R05, R12, R13, R23) and by the Verification and gaps
pages, so a page never shows as passing what a rule reports as a gap.
"""

from __future__ import annotations

from dataclasses import dataclass

from techfile.corpus import Corpus, Need
from techfile.model.roles import Relation, Role

PASSED, FAILED, ERROR, SKIPPED = "passed", "failed", "error", "skipped"


def test_specs(corpus: Corpus, need: Need, *, level: str | None = None, aspect: str | None = None) -> list[Need]:
    """Test specifications that verify ``need``."""
    specs = corpus.incoming(need, Relation.VERIFIES, Role.TEST_SPECIFICATION)
    if level is not None:
        specs = [spec for spec in specs if corpus.value(spec, "level") == level]
    if aspect is not None:
        specs = [spec for spec in specs if (corpus.value(spec, "aspect") or "implementation") == aspect]
    return specs


def direct_results(corpus: Corpus, need: Need) -> list[Need]:
    """Results that name ``need`` themselves (the ``verifies`` property of a JUnit case)."""
    return corpus.incoming(need, Relation.VERIFIES, Role.TEST_RESULT)


def spec_results(corpus: Corpus, spec: Need) -> list[Need]:
    return corpus.incoming(spec, Relation.RESULT_OF, Role.TEST_RESULT)


def accepted_failure(corpus: Corpus, result: Need) -> Need | None:
    """An anomaly found by this failed result that carries a safety-impact evaluation."""
    for anomaly in corpus.incoming(result, Relation.FOUND_BY, Role.ANOMALY):
        if corpus.value(anomaly, "safety_impact"):
            return anomaly
    return None


@dataclass(frozen=True)
class Verdict:
    """Whether a set of results verifies, and if not, why (one line per problem)."""

    problems: tuple[str, ...]
    passed: int

    @property
    def ok(self) -> bool:
        return not self.problems


def judge(corpus: Corpus, results: list[Need], release: Need | None, subject: str) -> Verdict:
    """Judge the results of one test (``subject`` names it in the problems).

    Passing means: at least one result passed, none failed or erred unless an
    anomaly with a safety-impact evaluation records the failure, and every
    result is for the version of the release under evaluation.
    """
    if not results:
        if not corpus.by_role(Role.TEST_RESULT):
            return Verdict((f"{subject} has no test result (there is no test evidence in the tree)",), 0)
        return Verdict((f"{subject} has no test result",), 0)
    problems: list[str] = []
    passed = accepted = 0
    version = corpus.value(release, "version") if release is not None else None
    for result in results:
        outcome = corpus.value(result, "result")
        tested = corpus.value(result, "software_version")
        if release is not None and version and tested != version:
            problems.append(f"{result.id} is for version {tested}, the release {release.id} is {version}")
        if outcome == PASSED:
            passed += 1
        elif outcome in (FAILED, ERROR):
            if accepted_failure(corpus, result) is None:
                problems.append(f"{result.id} {outcome}")
            else:
                accepted += 1
    if passed + accepted == 0 and not problems:
        problems.append(f"{subject} has no passing result (all skipped)")
    return Verdict(tuple(problems), passed)


def verification_verdicts(corpus: Corpus, need: Need, release: Need | None, **spec_filter: str) -> list[Verdict]:
    """One verdict per test of ``need``: each test specification, and the direct results together."""
    verdicts = [
        judge(corpus, spec_results(corpus, spec), release, spec.id)
        for spec in test_specs(corpus, need, **spec_filter)
    ]
    direct = direct_results(corpus, need)
    if direct and not spec_filter:
        verdicts.append(judge(corpus, direct, release, "automated tests"))
    return verdicts


def verified_by_passing_test(corpus: Corpus, need: Need, release: Need | None) -> bool:
    verdicts = verification_verdicts(corpus, need, release)
    return bool(verdicts) and all(v.ok for v in verdicts)
