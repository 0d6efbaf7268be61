"""A run's scripted conversations, held one after another with the version under test
through the same signed URLs and records as any test conversation (elevenlabs_sync/
scripted.py holds each), judged by their scripts' expectations (docs/testing.md)."""

from django.conf import settings

from common.errors import Conflict, DomainError
from deployments.models import AgentVersion
from elevenlabs_adapter import ElevenLabsError, remote
from elevenlabs_sync.conversations import conversation_close
from elevenlabs_sync.live import Talk, agent_on_elevenlabs, conversation_record_start
from elevenlabs_sync.remote_tests import said
from elevenlabs_sync.scripted import ConversationFailed, Held, conversation_hold
from testruns import runs
from testruns.expectations import script_failures
from testruns.models import (
    AttemptStatus,
    Channel,
    ConversationStatus,
    ConversationTarget,
    TestAttempt,
    TestRun,
)
from testruns.scripts import script_parse
from testruns.services import conversation_transcript_add


def scripted_run(run: TestRun, attempts: list[TestAttempt]) -> None:
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
        runs.attempts_error(run=run, reason=f"The agent could not be reached: {said(error)}")
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
        failed = said(error)
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
    """Write what was said (ElevenLabs' id for it among it, from its first frame) into the
    conversation's record, and close it."""
    conversation_transcript_add(conversation_id=conversation_id, events=held.events)
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
