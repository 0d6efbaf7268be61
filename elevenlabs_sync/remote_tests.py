"""A run's ElevenLabs tests, run on ElevenLabs: pushed to its agent-testing API when they
have changed, started together on the run's pinned branch with `repeat_count`, and followed
until each has a verdict (docs/testing.md)."""

import hashlib
import json
import logging
import time
from collections import defaultdict

from django.conf import settings

from common.errors import Conflict, DomainError
from elevenlabs_adapter import ElevenLabsError, agent_testing
from elevenlabs_sync.live import agent_on_elevenlabs
from testruns import runs
from testruns.models import AgentTest, AttemptStatus, TestAttempt, TestRun

logger = logging.getLogger(__name__)

# Polls of ElevenLabs that may fail in a row (a blip) before the run's remote tests are
# given up as errors.
POLL_FAILURES_TOLERATED = 5


def remote_tests_start(run: TestRun, attempts: list[TestAttempt]) -> dict[str, int]:
    """Push the run's ElevenLabs tests where changed, and start them on the pinned branch.
    Each test's id on ElevenLabs, to ours; none if they could not be started."""
    try:
        sync = agent_on_elevenlabs(run.agent)
        remote_ids = {_pushed(test): test.pk for test in _tests_of(attempts)}
        invocation_id = agent_testing.tests_run(
            sync.elevenlabs_agent_id,
            test_ids=list(remote_ids),
            branch_id=run.branch_id or None,
            repeat_count=run.repeat,
        )
    except (ElevenLabsError, DomainError) as error:
        runs.attempts_error(run=run, reason=f"The tests could not be started: {said(error)}")
        return {}
    TestRun.objects.filter(pk=run.pk).update(elevenlabs_invocation_id=invocation_id)
    run.elevenlabs_invocation_id = invocation_id
    return remote_ids


def _tests_of(attempts: list[TestAttempt]) -> list[AgentTest]:
    tests: dict[int, AgentTest] = {}
    for attempt in attempts:
        if attempt.test is None:
            raise Conflict(f"The test '{attempt.test_name}' was deleted after the run was queued.")
        tests.setdefault(attempt.test.pk, attempt.test)
    return list(tests.values())


def _pushed(test: AgentTest) -> str:
    """ElevenLabs' id of the test, as it is now: created or updated there if it has changed
    since it was last pushed."""
    fingerprint = hashlib.sha256(
        json.dumps([test.name, test.definition], sort_keys=True).encode()
    ).hexdigest()
    if test.elevenlabs_test_id and test.elevenlabs_fingerprint == fingerprint:
        return test.elevenlabs_test_id
    if test.elevenlabs_test_id:
        agent_testing.agent_test_update(
            test.elevenlabs_test_id, name=test.name, body=test.definition
        )
    else:
        test.elevenlabs_test_id = agent_testing.agent_test_create(
            name=test.name, body=test.definition
        )
    test.elevenlabs_fingerprint = fingerprint
    AgentTest.objects.filter(pk=test.pk).update(
        elevenlabs_test_id=test.elevenlabs_test_id, elevenlabs_fingerprint=fingerprint
    )
    return test.elevenlabs_test_id


def remote_tests_follow(
    run: TestRun, attempts: list[TestAttempt], remote_ids: dict[str, int]
) -> None:
    """Ask ElevenLabs how the tests are going until each has a verdict, recording each as it
    comes; stop (and cancel them there) if the run is cancelled."""
    tries: dict[int | None, list[TestAttempt]] = defaultdict(list)
    for attempt in sorted(attempts, key=lambda attempt: attempt.number):
        tries[attempt.test_id].append(attempt)
    by_test = {remote_id: tries[test_id] for remote_id, test_id in remote_ids.items()}
    failures = 0
    while True:
        if not runs.run_is_going_on(run.pk):
            invocation_cancel(run)
            return
        try:
            invocation = agent_testing.test_invocation_get(run.elevenlabs_invocation_id)
        except ElevenLabsError as error:
            failures += 1
            if failures > POLL_FAILURES_TOLERATED or not error.retryable:
                runs.attempts_error(
                    run=run, reason=f"ElevenLabs could not say how the tests went: {error}"
                )
                return
        else:
            failures = 0
            _record_verdicts(invocation, by_test)
            if invocation.finished:
                return
        time.sleep(settings.TEST_RUN_POLL_SECONDS)


def _record_verdicts(
    invocation: agent_testing.Invocation, by_test: dict[str, list[TestAttempt]]
) -> None:
    tries: dict[str, int] = defaultdict(int)
    for remote_run in invocation.runs:
        number = tries[remote_run.test_id]
        tries[remote_run.test_id] += 1
        attempts = by_test.get(remote_run.test_id, [])
        if number >= len(attempts) or remote_run.outcome == "pending":
            continue
        runs.attempt_finish(
            attempt=attempts[number],
            status=remote_run.outcome,
            reasons=[] if remote_run.outcome == AttemptStatus.PASSED else [remote_run.rationale],
            transcript=[_line(response) for response in remote_run.agent_responses],
        )


def _line(response: dict) -> dict:
    """One of ElevenLabs' agent responses as a line of the run's transcript."""
    line = {"role": response.get("role") or "agent", "text": response.get("message") or ""}
    if response.get("tool_calls"):
        line["tool_calls"] = response["tool_calls"]
    return line


def invocation_cancel(run: TestRun) -> None:
    run.refresh_from_db(fields=["elevenlabs_invocation_id"])
    if not run.elevenlabs_invocation_id:
        return
    try:
        agent_testing.test_invocation_cancel(run.elevenlabs_invocation_id)
    except ElevenLabsError as error:
        logger.warning("Test run %s: the tests on ElevenLabs were not cancelled: %s", run.pk, error)


def said(error: Exception) -> str:
    """An error's message, for a person."""
    return error.message if isinstance(error, DomainError | ElevenLabsError) else str(error)
