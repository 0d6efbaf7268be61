"""ElevenLabs' record of an ended conversation, read back into ours
(elevenlabs_sync/conversations.py and its task)."""

import asyncio
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from elevenlabs_adapter import ElevenLabsError, remote
from elevenlabs_sync import conversations, tasks
from elevenlabs_sync.conversations import conversation_reconcile, conversation_reconcile_sweep
from testruns.models import Conversation, ConversationStatus, TurnRole
from testruns.services import conversation_start, conversation_transcript_add
from testruns.transcript import Said
from tests.elevenlabs_sync.relay_client import ORIGIN, opened, socket, token_header

pytestmark = pytest.mark.django_db(transaction=True)

FINISHED_RECORD = {
    "status": "done",
    "metadata": {"call_duration_secs": 42},
    "analysis": {"call_successful": "success", "transcript_summary": "Asked for the hours."},
    "transcript": [
        {"role": "agent", "message": "Hello!", "time_in_call_secs": 0},
        {"role": "user", "message": "When do you open?", "time_in_call_secs": 3.5},
        {"role": "agent", "message": None, "time_in_call_secs": 4},  # a tool call, no words
    ],
}


@pytest.fixture
def ended(agent_in_testing, tester):
    """An ended conversation that ElevenLabs knows as conv_1."""
    conversation = conversation_start(
        agent=agent_in_testing, actor=tester, target="testing", version=1, config_revision="abc"
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        elevenlabs_conversation_id="conv_1",
        status=ConversationStatus.COMPLETED,
        ended_at=timezone.now() - timedelta(minutes=5),
    )
    return conversation


@pytest.fixture
def elevenlabs_answers(monkeypatch):
    """Make ElevenLabs answer `record` (or raise it) when a conversation is read."""
    asked = []

    def answer(record):
        def conversation_get(conversation_id):
            asked.append(conversation_id)
            if isinstance(record, Exception):
                raise record
            return record

        monkeypatch.setattr(remote, "conversation_get", conversation_get)
        return asked

    return answer


def test_a_conversation_held_through_the_relay_is_read_back_from_elevenlabs(
    application, tester, agent_in_testing, sandbox
):
    headers = [ORIGIN, token_header(tester)]

    async def talk():
        communicator = socket(application, agent_in_testing.pk, headers=headers)
        await opened(communicator)
        await communicator.disconnect(code=1000)

    asyncio.run(talk())
    conversation = Conversation.objects.get()
    deadline = time.monotonic() + 5  # the sandbox finishes its record as its socket closes
    while not conversation_reconcile(conversation_id=conversation.pk):
        assert time.monotonic() < deadline, "the sandbox never finished the conversation"
        time.sleep(0.1)

    conversation.refresh_from_db()
    assert conversation.reconciled_at is not None
    assert conversation.duration is not None
    assert conversation.duration >= 0
    assert conversation.turns.filter(role=TurnRole.AGENT).count() == 1  # ours, kept as written


def test_a_finished_record_gives_its_length_analysis_and_transcript_where_ours_has_none(
    ended, elevenlabs_answers
):
    elevenlabs_answers(FINISHED_RECORD)

    assert conversation_reconcile(conversation_id=ended.pk)

    ended.refresh_from_db()
    assert (ended.duration, ended.analysis) == (42, FINISHED_RECORD["analysis"])
    assert [(t.role, t.text, t.offset_ms) for t in ended.turns.all()] == [
        ("agent", "Hello!", 0),
        ("user", "When do you open?", 3_500),
    ]


def test_the_turns_the_relay_wrote_are_kept_as_written(ended, elevenlabs_answers):
    conversation_transcript_add(
        conversation_id=ended.pk, events=[Said(TurnRole.AGENT, "Hello! How", 0, 1)]
    )
    elevenlabs_answers(FINISHED_RECORD)

    conversation_reconcile(conversation_id=ended.pk)

    assert [turn.text for turn in ended.turns.all()] == ["Hello! How"]


def test_a_record_still_being_finished_is_asked_for_again(ended, elevenlabs_answers):
    elevenlabs_answers({**FINISHED_RECORD, "status": "processing"})

    assert not conversation_reconcile(conversation_id=ended.pk)

    ended.refresh_from_db()
    assert ended.reconciled_at is None
    assert not ended.turns.exists()


def test_a_conversation_read_back_once_is_not_read_again(ended, elevenlabs_answers):
    asked = elevenlabs_answers(FINISHED_RECORD)
    conversation_reconcile(conversation_id=ended.pk)

    assert conversation_reconcile(conversation_id=ended.pk)
    assert asked == ["conv_1"]


def test_the_task_gives_up_quietly_on_a_refusal_and_leaves_the_rest_to_the_sweep(
    ended, elevenlabs_answers
):
    elevenlabs_answers(ElevenLabsError("No such conversation", retryable=False))
    tasks.conversation_reconcile_task.delay(ended.pk)
    elevenlabs_answers({**FINISHED_RECORD, "status": "processing"})
    tasks.conversation_reconcile_task.delay(ended.pk)  # eager: no retry loop

    ended.refresh_from_db()
    assert ended.reconciled_at is None


def test_the_sweep_queues_ended_conversations_not_read_back_for_a_day(
    ended, agent_in_testing, tester, monkeypatch
):
    def another(ended_ago, **fields):
        conversation = conversation_start(
            agent=agent_in_testing, actor=tester, target="live", version=1, config_revision="abc"
        )
        fields = {"elevenlabs_conversation_id": "conv_x", **fields}
        Conversation.objects.filter(pk=conversation.pk).update(
            ended_at=timezone.now() - ended_ago, **fields
        )
        return conversation

    another(timedelta(seconds=30))  # its own task has not had its chance yet
    another(timedelta(days=2))  # given up on
    another(timedelta(minutes=5), reconciled_at=timezone.now())
    another(timedelta(minutes=5), elevenlabs_conversation_id="")  # never reached ElevenLabs
    queued = []
    monkeypatch.setattr(conversations, "reconcile_queue", queued.append)

    assert conversation_reconcile_sweep() == [ended.pk]
    assert queued == [ended.pk]
