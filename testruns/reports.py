"""A run's tests as people and CI systems read them: each test judged over its attempts
(the API's and the web UI's `tests`), and the run as a JUnit report."""

from collections import defaultdict
from dataclasses import dataclass

from testruns.junit import JUnitCase, JUnitSuite, junit_xml
from testruns.models import AttemptStatus, RunStatus, TestAttempt, TestRun

# A test's verdict in JUnit's words: a cancelled or unfinished test was skipped.
JUNIT_OUTCOMES: dict[str, str] = {
    AttemptStatus.PASSED: "passed",
    AttemptStatus.FAILED: "failed",
    AttemptStatus.ERROR: "error",
    AttemptStatus.CANCELLED: "skipped",
    AttemptStatus.PENDING: "skipped",
}


@dataclass(frozen=True)
class RunTest:
    """One test of a run, judged over its attempts."""

    name: str
    suite: str
    kind: str
    status: str  # an AttemptStatus: pending while attempts that could change it are unfinished
    passed_attempts: int
    attempts: list[TestAttempt]

    @property
    def seconds(self) -> float:
        return sum(attempt.seconds or 0.0 for attempt in self.attempts)


def run_tests_shown(run: TestRun) -> list[RunTest]:
    """The run's tests in order, each with its attempts (prefetched with the run)."""
    return tests_judged(list(run.attempts.all()), threshold=run.pass_threshold)


def tests_judged(attempts: list[TestAttempt], *, threshold: int) -> list[RunTest]:
    """Each test of `attempts`, by suite and name, judged over its attempts: the one rule
    the run's verdict (testruns/runs.py), its pages and its JUnit report all follow."""
    by_test: dict[str, list[TestAttempt]] = defaultdict(list)
    for attempt in attempts:
        by_test[attempt.test_name].append(attempt)
    return [
        _judged(tries, threshold=threshold)
        for tries in sorted(
            by_test.values(), key=lambda tries: (tries[0].suite, tries[0].test_name)
        )
    ]


def run_junit(run: TestRun) -> bytes:
    """The run as JUnit XML: a <testsuite> per suite, a <testcase> per test."""
    suites: dict[str, list[JUnitCase]] = defaultdict(list)
    classname = _classname(run.agent.name)
    for test in run_tests_shown(run):
        message, details = _story(test, run)
        suites[test.suite].append(
            JUnitCase(
                name=test.name,
                classname=f"{classname}.{_classname(test.suite)}",
                seconds=test.seconds,
                outcome=JUNIT_OUTCOMES[test.status],
                message=message,
                details=details,
            )
        )
    started = run.started_at or run.created_at
    properties = {
        "agent": run.agent.name,
        "agent_id": str(run.agent_id),
        "version": str(run.version),
        "config_revision": run.config_revision,
        "target": run.target,
        "repeat": str(run.repeat),
        "pass_threshold": str(run.pass_threshold),
        "run_status": run.status,
    }
    return junit_xml(
        name=f"{run.agent.name}: test run {run.pk}",
        suites=[
            JUnitSuite(name=suite, timestamp=started, cases=tuple(cases), properties=properties)
            for suite, cases in suites.items()
        ],
    )


def _judged(attempts: list[TestAttempt], *, threshold: int) -> RunTest:
    """Passed with `threshold` passing attempts; failed when failures alone put that out of
    reach; pending while unfinished attempts could still decide it; else an error (errors,
    not failures, kept it from the threshold), or cancelled if no attempt even erred."""
    statuses = [attempt.status for attempt in attempts]
    passes = statuses.count(AttemptStatus.PASSED)
    failures = statuses.count(AttemptStatus.FAILED)
    unfinished = statuses.count(AttemptStatus.PENDING) + statuses.count(AttemptStatus.RUNNING)
    if passes >= threshold:
        status = AttemptStatus.PASSED
    elif failures > len(statuses) - threshold:
        status = AttemptStatus.FAILED
    elif unfinished:
        status = AttemptStatus.PENDING
    elif AttemptStatus.ERROR in statuses:
        status = AttemptStatus.ERROR
    else:
        status = AttemptStatus.CANCELLED
    first = attempts[0]
    return RunTest(first.test_name, first.suite, first.kind, status, passes, attempts)


def _story(test: RunTest, run: TestRun) -> tuple[str, str]:
    """A line on why the test did not pass, and every attempt's reasons and transcript."""
    count = f"{test.passed_attempts} of {len(test.attempts)} attempts passed"
    if test.status == AttemptStatus.PASSED:
        message = ""
    elif run.status == RunStatus.CANCELLED and test.status != AttemptStatus.FAILED:
        message = "The run was cancelled."
    else:
        first_reason = next((r for a in test.attempts for r in a.reasons), "")
        message = f"{count}, {run.pass_threshold} needed. {first_reason}".strip()
    parts = []
    for attempt in test.attempts:
        parts.append(f"Attempt {attempt.number}: {attempt.status}")
        parts.extend(f"  {reason}" for reason in attempt.reasons)
        parts.extend(
            f"  {line.get('role', '?')}: {line.get('text', '')}" for line in attempt.transcript
        )
    return message, "\n".join(parts)


def _classname(name: str) -> str:
    """A name as a dotted classname's part: CI systems split classnames on dots."""
    return name.replace(".", "_").strip() or "_"
