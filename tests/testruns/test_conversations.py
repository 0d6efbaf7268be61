"""Conversation records: opening, writing what is said, closing, and judging one
(testruns/services.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from common.errors import Conflict, RoleRequired
from testruns.models import Conversation, ConversationStatus, ConversationTarget, TurnRole
from testruns.services import (
    ABANDONED,
    ABANDONED_AFTER_THE_LIMIT,
    conversation_end,
    conversation_start,
    conversation_transcript_add,
    conversations_abandoned_close,
    result_record_from_conversation,
)
from testruns.transcript import Corrected, Identified, Interrupted, Said, ToolCalled


@pytest.fixture
def conversation(agent, tester):
    return conversation_start(
        agent=agent,
        actor=tester,
        target=ConversationTarget.TESTING,
        version=3,
        config_revision="abc",
    )


def turns_of(conversation):
    return [
        (turn.role, turn.text, turn.corrected, turn.interrupted, turn.tool_calls)
        for turn in conversation.turns.all()
    ]


def test_a_viewer_may_not_start_a_conversation(agent, viewer):
    with pytest.raises(RoleRequired):
        conversation_start(
            agent=agent,
            actor=viewer,
            target=ConversationTarget.LIVE,
            version=1,
            config_revision="a",
        )


def test_what_is_said_is_written_in_order_with_corrections_and_interruptions(conversation):
    call = {"tool_name": "open_ticket", "tool_call_id": "c1", "parameters": {}}

    conversation_transcript_add(
        conversation_id=conversation.pk,
        events=[
            Identified("conv_9"),
            Said(TurnRole.AGENT, "Hello! How can I help?", 0, 1),
            Interrupted(1),
            Corrected(1, "Hello! How"),
            Said(TurnRole.USER, "Open a ticket", 800),
            ToolCalled(2, 900, call),  # before the turn it belongs to was said
            Said(TurnRole.AGENT, "Done.", 1_000, 3),
            ToolCalled(3, 1_100, call),
        ],
    )

    conversation.refresh_from_db()
    assert conversation.elevenlabs_conversation_id == "conv_9"
    assert turns_of(conversation) == [
        (TurnRole.AGENT, "Hello! How", True, True, []),
        (TurnRole.USER, "Open a ticket", False, False, []),
        (TurnRole.AGENT, "", False, False, [call]),
        (TurnRole.AGENT, "Done.", False, False, [call]),
    ]


def test_batches_add_to_what_is_there(conversation):
    conversation_transcript_add(
        conversation_id=conversation.pk, events=[Said(TurnRole.AGENT, "Hi", 0, 1)]
    )
    conversation_transcript_add(conversation_id=conversation.pk, events=[Corrected(1, "H")])

    assert turns_of(conversation) == [(TurnRole.AGENT, "H", True, False, [])]


def test_a_conversation_ends_once_whoever_reports_it(conversation):
    assert conversation_end(
        conversation_id=conversation.pk, status=ConversationStatus.COMPLETED, reason="first"
    )
    assert not conversation_end(
        conversation_id=conversation.pk, status=ConversationStatus.INTERRUPTED, reason="second"
    )

    conversation.refresh_from_db()
    assert (conversation.status, conversation.end_reason) == ("completed", "first")
    assert conversation.ended_at is not None


def test_a_result_judging_a_conversation_tests_the_version_it_talked_to(
    conversation, tester, agent
):
    conversation_transcript_add(
        conversation_id=conversation.pk,
        events=[Said(TurnRole.AGENT, "Hi", 0, 1), Said(TurnRole.USER, "Bye", 500)],
    )
    conversation_end(conversation_id=conversation.pk, status="completed", reason="done")
    conversation.refresh_from_db()
    conversation.started_at = conversation.ended_at - timedelta(seconds=42)

    result = result_record_from_conversation(
        conversation=conversation, actor=tester, status="passed", rating=5, notes="Good"
    )

    assert (result.version, result.config_revision) == (3, "abc")
    assert (result.duration, result.transcript) == (42.0, "Agent: Hi\nUser: Bye")
    assert (result.source, result.conversation, result.agent) == ("browser", conversation, agent)


def test_a_conversation_still_going_on_cannot_be_judged(conversation, tester):
    with pytest.raises(Conflict, match="still going on"):
        result_record_from_conversation(conversation=conversation, actor=tester, status="passed")


def test_a_conversation_its_relay_left_open_is_closed_past_the_workspaces_limit(
    conversation, agent, tester
):
    workspace = agent.workspace
    workspace.conversation_max_seconds = 60
    workspace.save()
    conversation_transcript_add(
        conversation_id=conversation.pk, events=[Said(TurnRole.AGENT, "Hi", 0, 1)]
    )
    recent = conversation_start(
        agent=agent, actor=tester, target="testing", version=3, config_revision="abc"
    )
    started = timezone.now() - timedelta(seconds=60) - ABANDONED_AFTER_THE_LIMIT
    Conversation.objects.filter(pk=conversation.pk).update(
        started_at=started - timedelta(seconds=1)
    )
    Conversation.objects.filter(pk=recent.pk).update(started_at=started + timedelta(seconds=30))

    assert conversations_abandoned_close() == [conversation.pk]

    conversation.refresh_from_db()
    assert (conversation.status, conversation.end_reason) == ("interrupted", ABANDONED)
    assert turns_of(conversation) == [(TurnRole.AGENT, "Hi", False, False, [])]
    recent.refresh_from_db()
    assert recent.status == "active"


def test_a_conversation_is_judged_once(conversation, tester):
    conversation_end(conversation_id=conversation.pk, status="completed", reason="done")
    conversation.refresh_from_db()
    result_record_from_conversation(conversation=conversation, actor=tester, status="passed")

    with pytest.raises(Conflict, match="saved for this conversation already"):
        result_record_from_conversation(conversation=conversation, actor=tester, status="failed")

    assert conversation.test_results.count() == 1
