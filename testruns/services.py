from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from agents.models import VoiceAgent
from agents.services import refuse_if_archived
from common.errors import Conflict, InvalidInput
from testruns.models import (
    Channel,
    Conversation,
    ConversationStatus,
    ConversationTurn,
    TestResult,
    TestSource,
    TurnRole,
)
from testruns.transcript import (
    Corrected,
    Identified,
    Said,
    ToolCalled,
    TranscriptEvent,
)
from workspaces.permissions import SignedInUser, User, require_role
from workspaces.roles import Action


def result_record(
    *,
    agent: VoiceAgent,
    actor: User,
    duration: float,
    status: str,
    transcript: str = "",
    rating: int | None = None,
    notes: str = "",
    source: str = TestSource.MANUAL,
    source_ref: str = "",
) -> TestResult:
    """Record a test of the agent's current working config."""
    actor = require_role(actor, agent.workspace, Action.RECORD_TEST)
    refuse_if_archived(agent)
    result = TestResult(
        agent=agent,
        tested_by=actor,
        duration=duration,
        transcript=transcript,
        rating=rating,
        notes=notes,
        status=status,
        version=agent.version,
        config_revision=agent.config_revision,
        source=source,
        source_ref=source_ref,
    )
    return result_save(result)


def result_record_from_conversation(
    *,
    conversation: Conversation,
    actor: User,
    status: str,
    rating: int | None = None,
    notes: str = "",
) -> TestResult:
    """Judge a finished conversation: a test result of the version and config it talked to,
    with the conversation's length and transcript, linked to it as the gate's evidence. One
    verdict a conversation: a second (a double click, a stale tab, a retried script) is refused
    rather than counted twice."""
    agent = conversation.agent
    actor = require_role(actor, agent.workspace, Action.RECORD_TEST)
    refuse_if_archived(agent)
    return conversation_judge(
        conversation=conversation,
        tested_by=actor,
        status=status,
        rating=rating,
        notes=notes,
        already_judged="A test result was saved for this conversation already; see the agent's "
        "test results.",
    )


def conversation_judge(
    *,
    conversation: Conversation,
    tested_by: SignedInUser | None,
    status: str,
    rating: int | None,
    notes: str,
    tested_by_name: str = "",
    already_judged: str,
) -> TestResult:
    """The verdict on an ended conversation, once: a result of the version and config it talked
    to, with its length and transcript, linked to it. The caller has checked who may judge it;
    `already_judged` is what a second verdict is told."""
    with transaction.atomic():
        # Locked, so two verdicts sent at once cannot both find none before them; read again,
        # as the relay may have closed it since `conversation` was read.
        ended_at = (
            Conversation.objects.select_for_update()
            .values_list("ended_at", flat=True)
            .get(pk=conversation.pk)
        )
        if ended_at is None:
            raise Conflict(
                "The conversation is still going on; end it, then say what you made of it.",
                code="conversation_active",
            )
        if TestResult.objects.filter(conversation=conversation).exists():
            raise Conflict(already_judged, code="already_recorded")
        result = TestResult(
            agent=conversation.agent,
            tested_by=tested_by,
            tested_by_name=tested_by_name,
            duration=(ended_at - conversation.started_at).total_seconds(),
            transcript="\n".join(turn.line for turn in conversation.turns.all()),
            rating=rating,
            notes=notes,
            status=status,
            version=conversation.version,
            config_revision=conversation.config_revision,
            source=SOURCES.get(conversation.channel, TestSource.BROWSER),
            source_ref=conversation.elevenlabs_conversation_id,
            conversation=conversation,
        )
        return result_save(result)


SOURCES: dict[str, str] = {
    Channel.PHONE: TestSource.PHONE,
    Channel.INVITE: TestSource.INVITE,
    Channel.SCRIPTED: TestSource.SCENARIO,
}


def result_save(result: TestResult) -> TestResult:
    """Save a test result built by a service, its fields checked as a form would check them."""
    try:
        # The agent and the tester were just read, so their rows are not looked up again; each
        # of the table's check constraints restates a field's validators, which are checked
        # here without a query (the database still enforces the constraints).
        result.full_clean(
            exclude=["agent", "tested_by", "conversation"], validate_constraints=False
        )
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise InvalidInput(f"{field}: {messages[0]}", errors=error.message_dict) from error
    result.save()
    return result


def conversation_start(
    *,
    agent: VoiceAgent,
    actor: User,
    target: str,
    version: int,
    config_revision: str,
    channel: str = Channel.BROWSER,
) -> Conversation:
    """Open the record of a test conversation with one version of the agent."""
    actor = require_role(actor, agent.workspace, Action.TALK_TO_AGENT)
    refuse_if_archived(agent)
    return Conversation.objects.create(
        agent=agent,
        target=target,
        version=version,
        config_revision=config_revision,
        channel=channel,
        started_by=actor,
        started_by_name=actor.get_username(),
    )


def conversation_transcript_add(*, conversation_id: int, events: Iterable[TranscriptEvent]) -> None:
    """Write what was said in one conversation, in the order it was said."""
    conversation_transcripts_add(said={conversation_id: events})


def conversation_transcripts_add(*, said: Mapping[int, Iterable[TranscriptEvent]]) -> None:
    """Write what was said in several conversations, each in the order it was said, in one
    transaction: the relays' writer hands over what gathered in every conversation of its
    process (elevenlabs_sync/transcript_writer.py). What names a turn said in the same batch
    (a correction, an interruption, a tool call) is applied to it before it is written, the
    new turns of every conversation are written in one statement, and a turn both cut short
    and corrected is updated once."""
    with transaction.atomic():
        new_turns: list[ConversationTurn] = []
        for conversation_id, events in said.items():
            new_turns += _transcript_apply(conversation_id, events)
        ConversationTurn.objects.bulk_create(new_turns)


def _transcript_apply(conversation_id: int, events: Iterable[TranscriptEvent]) -> list:
    """Apply a conversation's events: the new turns, to be written; the changes to turns
    written before, made."""
    new_turns: list[ConversationTurn] = []
    changes: dict[int, dict] = {}  # event id -> what changes on the agent's turns written
    for event in events:
        if isinstance(event, Said):
            new_turns.append(
                ConversationTurn(
                    conversation_id=conversation_id,
                    role=event.role,
                    text=event.text,
                    offset_ms=event.offset_ms,
                    event_id=event.event_id,
                )
            )
            continue
        if isinstance(event, Identified):
            Conversation.objects.filter(pk=conversation_id).update(
                elevenlabs_conversation_id=event.conversation_id
            )
            continue
        named = [
            turn
            for turn in new_turns
            if turn.role == TurnRole.AGENT
            and event.event_id is not None
            and turn.event_id == event.event_id
        ]
        if isinstance(event, ToolCalled):
            if named:
                named[-1].tool_calls = [*named[-1].tool_calls, event.call]
            else:
                _tool_call_keep(conversation_id, event)
            continue
        change = (
            {"text": event.text, "corrected": True}
            if isinstance(event, Corrected)
            else {"interrupted": True}
        )
        for turn in named:
            for name, value in change.items():
                setattr(turn, name, value)
        if not named:
            changes.setdefault(event.event_id, {}).update(change)
    for event_id, change in changes.items():
        _agent_turns(conversation_id, event_id).update(**change)
    return new_turns


def conversation_end(*, conversation_id: int, status: str, reason: str) -> bool:
    """Close the record once, however many sides report the end: False if it was closed."""
    return bool(
        Conversation.objects.filter(pk=conversation_id, status=ConversationStatus.ACTIVE).update(
            status=status, end_reason=reason[:200], ended_at=timezone.now()
        )
    )


def _agent_turns(conversation_id: int, event_id: int) -> QuerySet[ConversationTurn]:
    return ConversationTurn.objects.filter(
        conversation_id=conversation_id, role=TurnRole.AGENT, event_id=event_id
    )


def _tool_call_keep(conversation_id: int, event: ToolCalled) -> None:
    """On the agent's turn that made the call; on a turn of its own when that turn is not
    known (a call made before the agent said anything)."""
    turn = _agent_turns(conversation_id, event.event_id).last() if event.event_id else None
    if turn is None:
        turn = ConversationTurn(
            conversation_id=conversation_id,
            role=TurnRole.AGENT,
            offset_ms=event.offset_ms,
            event_id=event.event_id,
        )
    turn.tool_calls = [*turn.tool_calls, event.call]
    turn.save()


def conversation_reconcile_apply(
    *,
    conversation_id: int,
    duration: float | None,
    analysis: dict | None,
    transcript: list[tuple[str, str, int]],
) -> None:
    """Take in ElevenLabs' record of an ended conversation: its length and analysis, and its
    transcript (role, text, offset in ms) where ours holds no turn at all (the relay's writer
    lost them). Turns the relay wrote stay as written: they are what the tester saw."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
        if not conversation.turns.exists():
            ConversationTurn.objects.bulk_create(
                ConversationTurn(conversation=conversation, role=role, text=text, offset_ms=offset)
                for role, text, offset in transcript
            )
        conversation.duration, conversation.analysis = duration, analysis
        conversation.reconciled_at = timezone.now()
        conversation.save(update_fields=["duration", "analysis", "reconciled_at"])


# Past the longest a conversation may last, the relay has ended it; one still open by then was
# held by a relay that stopped (a server restart or crash) and cannot end it any more.
ABANDONED_AFTER_THE_LIMIT = timedelta(minutes=5)
ABANDONED = "The relay stopped (the server restarted) before the conversation ended."


def conversations_abandoned_close() -> list[int]:
    """Close the records of conversations whose relay stopped before it could; their ids.
    What was said stays as it was written."""
    now = timezone.now()
    # A phone call has no relay: it ends when ElevenLabs' record says so
    # (elevenlabs_sync/conversations.py).
    going_on = Conversation.objects.filter(
        status=ConversationStatus.ACTIVE, channel__in=(Channel.BROWSER, Channel.INVITE)
    ).select_related("agent__workspace")
    return [
        conversation.pk
        for conversation in going_on
        if now > _last_moment(conversation)
        and conversation_end(
            conversation_id=conversation.pk,
            status=ConversationStatus.INTERRUPTED,
            reason=ABANDONED,
        )
    ]


def _last_moment(conversation: Conversation) -> datetime:
    limit = timedelta(seconds=conversation.agent.workspace.conversation_max_seconds)
    return conversation.started_at + limit + ABANDONED_AFTER_THE_LIMIT
