"""Running an agent's tests: queued on the version under test, run by a worker
(`run_tests_task`), promoted to production on a pass when asked (docs/testing.md).

ElevenLabs' kinds of test run on ElevenLabs: pushed to its agent-testing API when they have
changed, started together on the pinned branch with `repeat_count`, and followed until each
has a verdict. Scripted conversations are held here, one after another, through the same
signed URLs and records as any test conversation (elevenlabs_sync/scripted.py).
"""

import hashlib
import json
import logging
import time
from collections import defaultdict

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction

from agents.models import Status, VoiceAgent
from common.errors import Conflict, DomainError, InvalidInput, RoleRequired
from deployments.models import AgentVersion
from deployments.services import clean_changes, deployment_create
from elevenlabs_adapter import ElevenLabsError, agent_testing, remote
from elevenlabs_sync.conversations import conversation_close
from elevenlabs_sync.live import Talk, agent_on_elevenlabs, conversation_record_start, talk_to
from elevenlabs_sync.scripted import ConversationFailed, Held, conversation_hold
from testruns import runs
from testruns.expectations import script_failures
from testruns.models import (
    AgentTest,
    AttemptStatus,
    Channel,
    ConversationStatus,
    ConversationTarget,
    TestAttempt,
    TestRun,
)
from testruns.scripts import script_parse
from testruns.services import conversation_transcript_add
from testruns.transcript import Identified
from workspaces.permissions import User, require_role
from workspaces.roles import Action

logger = logging.getLogger(__name__)

# Polls of ElevenLabs that may fail in a row (a blip) before the run's remote tests are
# given up as errors.
POLL_FAILURES_TOLERATED = 5


def run_start(
    *,
    agent: VoiceAgent,
    actor: User,
    suite: str = "",
    repeat: int = 1,
    pass_threshold: int | None = None,
    target: str | None = None,
    version: int | None = None,
    promote_on_pass: bool = False,
    changes: str = "",
) -> TestRun:
    """Queue a run of the agent's tests on the version under test (its testing branch unless
    `target`/`version` say otherwise); a worker runs it after commit. With `promote_on_pass`,
    a run in which every test passes deploys to production with `changes` as the note, as
    the caller (who needs the admin role now, and still has to then)."""
    promote_changes = None
    if promote_on_pass:
        require_role(actor, agent.workspace, Action.DEPLOY_PRODUCTION)
        promote_changes = clean_changes(changes, required=True)
        if target not in (None, ConversationTarget.TESTING) or version is not None:
            raise InvalidInput.for_field(
                "promote_on_pass",
                "Only a run on the testing branch can promote it to production; leave out "
                "target and version.",
            )
    talk = talk_to(agent, agent_on_elevenlabs(agent), target=target, version=version)
    run = runs.run_create(
        agent=agent,
        actor=actor,
        pinned=runs.Pinned(
            target=talk.target,
            version=talk.version,
            config_revision=talk.config_revision,
            branch_id=talk.branch_id or "",
            elevenlabs_version_id=talk.version_id or "",
        ),
        suite=suite,
        repeat=repeat,
        pass_threshold=pass_threshold,
        promote_changes=promote_changes,
    )
    transaction.on_commit(lambda: run_queue(run.pk))
    return run


def run_queue(run_id: int) -> None:
    from elevenlabs_sync.tasks import run_tests_task

    run_tests_task.delay(run_id)


def run_execute(*, run_id: int) -> str:
    """Run a queued run to its verdict, once (a second worker finds it claimed). Whatever
    stops it early, its unfinished attempts end in an error saying why, and it is judged."""
    run = runs.run_claim(run_id)
    if run is None:
        return "not claimed"
    try:
        _run(run)
    except SoftTimeLimitExceeded:
        runs.attempts_error(
            run=run,
            reason=f"The run took longer than {settings.TEST_RUN_TIME_LIMIT} s "
            "(TEST_RUN_TIME_LIMIT) and was stopped.",
        )
        _invocation_cancel(run)
    except Exception:
        logger.exception("Test run %s stopped on an unexpected error", run.pk)
        runs.attempts_error(run=run, reason="The run stopped on an unexpected error.")
        _invocation_cancel(run)
    run = runs.run_finish(run=run)
    _promote(run)
    return run.status


def _run(run: TestRun) -> None:
    attempts = list(run.attempts.select_related("test"))
    remote_attempts = [attempt for attempt in attempts if attempt.runs_on_elevenlabs]
    remote_ids = _invocation_start(run, remote_attempts) if remote_attempts else {}
    scripted = [attempt for attempt in attempts if not attempt.runs_on_elevenlabs]
    if scripted:
        _scripted_run(run, scripted)
    if remote_ids:
        _invocation_follow(run, remote_attempts, remote_ids)


# --- ElevenLabs' tests


def _invocation_start(run: TestRun, attempts: list[TestAttempt]) -> dict[str, int]:
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
        runs.attempts_error(run=run, reason=f"The tests could not be started: {_said(error)}")
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


def _invocation_follow(
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
            _invocation_cancel(run)
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


def _invocation_cancel(run: TestRun) -> None:
    run.refresh_from_db(fields=["elevenlabs_invocation_id"])
    if not run.elevenlabs_invocation_id:
        return
    try:
        agent_testing.test_invocation_cancel(run.elevenlabs_invocation_id)
    except ElevenLabsError as error:
        logger.warning("Test run %s: the tests on ElevenLabs were not cancelled: %s", run.pk, error)


# --- scripted conversations


def _scripted_run(run: TestRun, attempts: list[TestAttempt]) -> None:
    try:
        talk = Talk(
            run.target,
            run.version,
            run.config_revision,
            branch_id=run.branch_id or None,
            version_id=run.elevenlabs_version_id or None,
        )
        config = _config_tested(run)
    except (ElevenLabsError, DomainError) as error:
        runs.attempts_error(run=run, reason=f"The agent could not be reached: {_said(error)}")
        return
    for attempt in attempts:
        if not runs.run_is_going_on(run.pk):
            return
        if runs.attempt_claim(attempt):
            _scripted_attempt(run, attempt, talk, config)


def _scripted_attempt(run: TestRun, attempt: TestAttempt, talk: Talk, config: dict) -> None:
    script = script_parse(attempt.definition)
    try:
        record, _ = conversation_record_start(
            agent=run.agent, actor=run.started_by, talk=talk, channel=Channel.SCRIPTED
        )
    except DomainError as refusal:
        runs.attempt_finish(attempt=attempt, status=AttemptStatus.ERROR, reasons=[refusal.message])
        return
    held, failed = Held(), ""
    try:
        url = remote.signed_url(
            agent_on_elevenlabs(run.agent).elevenlabs_agent_id,
            branch_id=talk.branch_id,
            version_id=talk.version_id,
        )
        held = conversation_hold(
            url=url,
            script=script,
            text_only=_text_only_allowed(config),
            first_message=bool(_dig(config, "conversation_config", "agent", "first_message")),
            turn_timeout=settings.TEST_TURN_TIMEOUT,
            connect_timeout=settings.RELAY_CONNECT_TIMEOUT,
        )
    except (ElevenLabsError, ConversationFailed, DomainError) as error:
        failed = _said(error)
    _conversation_keep(record.pk, held, failed)
    reasons = [failed] if failed else script_failures(script, held.seen)
    runs.attempt_finish(
        attempt=attempt,
        status=AttemptStatus.ERROR
        if failed
        else (AttemptStatus.FAILED if reasons else AttemptStatus.PASSED),
        reasons=reasons,
        transcript=held.transcript(),
        latencies_ms=[seen.latency_ms for seen in held.seen if seen.latency_ms is not None],
        seconds=held.seconds,
        conversation=record,
    )


def _conversation_keep(conversation_id: int, held: Held, failed: str) -> None:
    """Write what was said into the conversation's record, and close it."""
    events = list(held.events)
    if held.conversation_id:
        events.insert(0, Identified(held.conversation_id))
    conversation_transcript_add(conversation_id=conversation_id, events=events)
    if failed:
        conversation_close(
            conversation_id=conversation_id, status=ConversationStatus.FAILED, reason=failed
        )
    else:
        conversation_close(
            conversation_id=conversation_id,
            status=ConversationStatus.COMPLETED,
            reason="The script was said to its end.",
        )


def _config_tested(run: TestRun) -> dict:
    """The config the run talks to: the testing branch's, read from ElevenLabs (it is not
    kept here), or a published version's snapshot."""
    if run.target == ConversationTarget.TESTING:
        sync = agent_on_elevenlabs(run.agent)
        if sync.testing_synced_revision and sync.testing_synced_revision != run.config_revision:
            raise Conflict(
                "The testing branch has moved on to another config since the run was queued; "
                "run the tests again."
            )
        return remote.agent_get(sync.elevenlabs_agent_id, branch_id=run.branch_id).config
    snapshot = AgentVersion.objects.get(agent=run.agent, number=run.version)
    return snapshot.config


def _text_only_allowed(config: dict) -> bool:
    """Whether the conversation may ask for text only: a voice agent's replies then come
    without audio, and each turn ends as soon as the reply is in."""
    allowed = _dig(
        config,
        "platform_settings",
        "overrides",
        "conversation_config_override",
        "conversation",
        "text_only",
    )
    return allowed is True


def _dig(config: dict, *path: str) -> object:
    for key in path:
        if not isinstance(config, dict):
            return None
        config = config.get(key)  # type: ignore[assignment]
    return config


# --- promotion


def _promote(run: TestRun) -> None:
    """Deploy the tested config to production if the run passed and asked for it: once,
    through the deploy service and its gates, as the one who started the run."""
    try:
        with transaction.atomic():
            if not runs.promotion_claim(run):
                return
            if run.started_by is None:
                raise RoleRequired(
                    f"{run.started_by_name}, who started the run, no longer has an account."
                )
            deployment = deployment_create(
                agent=run.agent,
                to_status=Status.PRODUCTION,
                changes=run.promote_changes,
                actor=run.started_by,
            )
    except DomainError as refusal:
        runs.promotion_record(run=run, version=None, refusal=refusal.message)
        return
    runs.promotion_record(run=run, version=deployment.version)


def _said(error: Exception) -> str:
    return error.message if isinstance(error, DomainError | ElevenLabsError) else str(error)
