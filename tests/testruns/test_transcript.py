"""Reading the transcript from ElevenLabs' conversation frames (testruns/transcript.py)."""

import pytest

from testruns.models import TurnRole
from testruns.transcript import (
    Corrected,
    Identified,
    Interrupted,
    Said,
    ToolCalled,
    transcript_event,
    typed_event,
)


def test_the_first_frame_names_the_conversation():
    frame = {
        "type": "conversation_initiation_metadata",
        "conversation_initiation_metadata_event": {"conversation_id": "conv_1"},
    }

    assert transcript_event(frame, offset_ms=0) == Identified("conv_1")


def test_what_the_user_said_and_what_the_agent_answered_are_turns():
    heard = {
        "type": "user_transcript",
        "user_transcription_event": {"user_transcript": "Hi", "event_id": 3},
    }
    answered = {
        "type": "agent_response",
        "agent_response_event": {"agent_response": "Hello!", "event_id": 4},
    }

    assert transcript_event(heard, offset_ms=120) == Said(TurnRole.USER, "Hi", 120, 3)
    assert transcript_event(answered, offset_ms=300) == Said(TurnRole.AGENT, "Hello!", 300, 4)


def test_a_correction_and_an_interruption_name_the_agents_turn():
    correction = {
        "type": "agent_response_correction",
        "agent_response_correction_event": {
            "original_agent_response": "Hello! How can I help?",
            "corrected_agent_response": "Hello! How",
            "event_id": 4,
        },
    }
    interruption = {"type": "interruption", "interruption_event": {"event_id": 4}}

    assert transcript_event(correction, offset_ms=0) == Corrected(4, "Hello! How")
    assert transcript_event(interruption, offset_ms=0) == Interrupted(4)


def test_a_client_tool_call_is_kept_with_its_parameters():
    frame = {
        "type": "client_tool_call",
        "client_tool_call": {
            "tool_name": "open_ticket",
            "tool_call_id": "call_1",
            "parameters": {"topic": "billing"},
            "event_id": 5,
        },
    }

    assert transcript_event(frame, offset_ms=900) == ToolCalled(
        5,
        900,
        {"tool_name": "open_ticket", "tool_call_id": "call_1", "parameters": {"topic": "billing"}},
    )


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "audio", "audio_event": {"audio_base_64": "AAAA", "event_id": 4}},
        {"type": "ping", "ping_event": {"event_id": 1}},
        {"type": "agent_response", "agent_response_event": {"event_id": 4}},  # no text
        {"type": "interruption", "interruption_event": {"event_id": True}},
        {"type": "user_transcript", "user_transcription_event": "Hi"},
        ["not", "an", "object"],
        None,
    ],
)
def test_frames_that_say_nothing_lasting_or_break_the_schema_add_nothing(frame):
    assert transcript_event(frame, offset_ms=0) is None


def test_text_the_user_typed_is_a_turn_of_theirs():
    assert typed_event({"type": "user_message", "text": "Hours?"}, offset_ms=50) == Said(
        TurnRole.USER, "Hours?", 50
    )
    assert typed_event({"type": "user_activity"}, offset_ms=50) is None
    assert typed_event({"type": "user_message", "text": 3}, offset_ms=50) is None
