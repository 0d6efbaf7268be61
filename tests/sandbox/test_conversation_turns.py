"""The sandbox's conversation WebSocket: replies, audio, tools, interruptions, pings, faults
and the record a conversation leaves behind."""

import base64
import json
import math
import struct
import time

import pytest

from sandbox import conversation
from sandbox.records import Fault
from sandbox.store import store
from tests.sandbox.conversation_client import (
    ALLOWING_OVERRIDES,
    FIRST_MESSAGE,
    PROMPT,
    ConversationClient,
    agent_with,
    signed_query,
    spoken,
    synchronously,
)

BOOKING_TOOL = {
    "type": "client",
    "name": "book_appointment",
    "description": "Books an appointment.",
    "parameters": {"type": "object", "properties": {"date": {"type": "string"}}},
}


def _tone(seconds: float, amplitude: int) -> dict:
    """16 kHz PCM audio chunk of a 440 Hz tone (amplitude 0: silence)."""
    samples = [
        round(amplitude * math.sin(n * 2 * math.pi * 440 / 16000))
        for n in range(int(16000 * seconds))
    ]
    return {
        "user_audio_chunk": base64.b64encode(struct.pack(f"<{len(samples)}h", *samples)).decode()
    }


@synchronously
async def test_a_typed_message_gets_a_reply_and_no_transcript():
    async with ConversationClient(signed_query(agent_with())) as client:
        await client.greeted()
        await client.send({"type": "user_message", "text": "I need help with my order"})
        reply = await client.agent_turn()
    first_words = " ".join(PROMPT.split()[:6])
    assert reply.text == (
        f'You said: "I need help with my order". My instructions begin: "{first_words}...".'
    )
    assert len(reply.audio) > 1
    kinds = [message["type"] for message in client.received]
    assert "user_transcript" not in kinds
    assert "interruption" not in kinds  # the greeting had been sent in full


@synchronously
async def test_audio_holding_text_is_heard_as_that_text():
    async with ConversationClient(signed_query(agent_with())) as client:
        await client.greeted()
        await client.send(spoken("What are your opening hours?"))
        transcript = await client.expect("user_transcript")
        reply = await client.agent_turn()
    assert transcript["user_transcript"] == "What are your opening hours?"
    assert reply.text.startswith('You said: "What are your opening hours?".')


@synchronously
async def test_speech_is_heard_when_a_quiet_chunk_ends_it():
    async with ConversationClient(signed_query(agent_with())) as client:
        await client.greeted()
        await client.send(_tone(0.25, amplitude=8000))
        await client.send(_tone(0.25, amplitude=8000))
        await client.expect_nothing()  # the user is still speaking
        await client.send(_tone(0.1, amplitude=200))
        transcript = await client.expect("user_transcript")
        reply = await client.agent_turn()
    assert transcript["user_transcript"] == "[0.50 seconds of speech]"
    assert reply.text.startswith('You said: "[0.50 seconds of speech]".')


@synchronously
async def test_a_client_tool_named_by_the_user_is_called_and_its_result_spoken():
    agent = agent_with({"agent": {"prompt": {"tools": [BOOKING_TOOL]}}})
    async with ConversationClient(signed_query(agent)) as client:
        await client.greeted()
        text = "Please book appointment date=2025-11-20 time=10:00."
        await client.send({"type": "user_message", "text": text})
        call = await client.expect("client_tool_call")
        result = {"tool_call_id": call["tool_call_id"], "result": "Booked", "is_error": False}
        await client.send({"type": "client_tool_result", **result})
        reply = await client.agent_turn()
    assert call["tool_name"] == "book_appointment"
    assert call["parameters"] == {"date": "2025-11-20", "time": "10:00"}
    assert reply.text == "book_appointment returned: Booked"
    transcript = store.conversations[client.conversation_id].transcript
    assert [(turn["role"], turn["message"]) for turn in transcript[1:]] == [
        ("user", text),
        ("agent", ""),
        ("agent", reply.text),
    ]
    (recorded,) = transcript[2]["tool_calls"]
    assert recorded["request_id"] == call["tool_call_id"]
    assert recorded["tool_name"] == "book_appointment"


@synchronously
async def test_a_failed_tool_is_reported_and_a_stray_result_ignored():
    agent = agent_with({"agent": {"prompt": {"tools": [BOOKING_TOOL]}}})
    async with ConversationClient(signed_query(agent)) as client:
        await client.greeted()
        await client.send({"type": "user_message", "text": "book_appointment"})
        call = await client.expect("client_tool_call")
        failure = {"tool_call_id": call["tool_call_id"], "result": "No slots", "is_error": True}
        await client.send({"type": "client_tool_result", **failure})
        assert (await client.agent_turn()).text == "book_appointment failed: No slots"
        await client.send({"type": "client_tool_result", **failure})  # answered already
        await client.expect_nothing()


@synchronously
async def test_only_client_tools_are_called():
    webhook_tool = {**BOOKING_TOOL, "type": "webhook"}
    agent = agent_with({"agent": {"prompt": {"tools": [webhook_tool]}}})
    async with ConversationClient(signed_query(agent)) as client:
        await client.greeted()
        await client.send({"type": "user_message", "text": "book_appointment"})
        assert (await client.agent_turn()).text.startswith('You said: "book_appointment".')


@pytest.mark.parametrize(
    "interjection",
    [{"type": "user_message", "text": "Stop, please."}, spoken("Stop, please.")],
    ids=["typed", "spoken"],
)
@synchronously
async def test_user_input_before_the_last_chunk_interrupts_the_agent(
    sandbox_settings, interjection
):
    sandbox_settings(audio_chunk_delay=5.0)  # far longer than the test takes
    async with ConversationClient(signed_query(agent_with())) as client:
        metadata = await client.start()
        greeting = await client.expect("agent_response")
        first_chunk = await client.expect("audio")
        await client.send(interjection)
        interruption = await client.expect("interruption")
        correction = await client.expect("agent_response_correction")
        if "user_audio_chunk" in interjection:
            await client.expect("user_transcript")
        reply = await client.expect("agent_response")
    heard = "".join(first_chunk["alignment"]["chars"]).strip()
    assert interruption["event_id"] == greeting["event_id"] == correction["event_id"]
    assert correction["original_agent_response"] == FIRST_MESSAGE
    assert correction["corrected_agent_response"] == heard
    assert FIRST_MESSAGE.startswith(heard)
    assert len(heard) < len(FIRST_MESSAGE)
    assert reply["agent_response"].startswith('You said: "Stop, please.".')
    transcript = store.conversations[metadata["conversation_id"]].transcript
    assert [turn["message"] for turn in transcript[:2]] == [heard, "Stop, please."]


@synchronously
async def test_pings_carry_the_last_round_trip(sandbox_settings):
    sandbox_settings(ping_interval=0.05)
    agent = agent_with({"agent": {"first_message": ""}})
    async with ConversationClient(signed_query(agent)) as client:
        await client.start()
        first = await client.expect("ping")
        await client.send({"type": "pong", "event_id": first["event_id"]})
        second = await client.expect("ping")
    assert first["ping_ms"] is None
    assert isinstance(second["ping_ms"], int)
    assert second["event_id"] > first["event_id"]


@pytest.mark.parametrize("latency_ms", [0, 200], ids=["at once", "on a slow socket"])
@synchronously
async def test_a_socket_fault_drops_the_connection_after_n_messages(latency_ms):
    store.faults.append(Fault(drop_socket_after=2, socket_latency_ms=latency_ms))
    async with ConversationClient(signed_query(agent_with())) as client:
        metadata = await client.start()
        await client.expect("agent_response")
        closed = await client.expect_close()
    assert closed.code == 4006
    assert store.conversations[metadata["conversation_id"]].status == "failed"
    assert store.faults == []  # used up: the next call goes through
    async with ConversationClient(signed_query(agent_with())) as client:
        await client.start()
        await client.agent_turn()


@synchronously
async def test_a_slow_socket_delays_every_server_message_keeping_their_order():
    store.faults.append(Fault(socket_latency_ms=300))
    assert store.fault_for("GET", "v1/convai/agents") is None  # not for HTTP requests
    async with ConversationClient(signed_query(agent_with())) as client:
        started = time.monotonic()
        await client.send({"type": "conversation_initiation_client_data"})
        await client.expect("conversation_initiation_metadata")
        first_arrived = time.monotonic()
        greeting = await client.agent_turn()
        asked = time.monotonic()
        await client.send({"type": "user_message", "text": "Are you there?"})
        await client.expect("agent_response")
        answered = time.monotonic()
    assert greeting.text == FIRST_MESSAGE
    assert first_arrived - started >= 0.3
    assert answered - asked >= 0.3
    assert store.faults == []  # used up: the next call goes at once


@synchronously
async def test_a_slow_socket_hears_the_client_at_once():
    # Only the way out is slow: what the client says is taken as it arrives.
    store.faults.append(Fault(socket_latency_ms=500))
    async with ConversationClient(signed_query(agent_with())) as client:
        await client.send({"type": "conversation_initiation_client_data"})
        await client.send({"type": "user_message", "text": "Hello?"})
        metadata = await client.expect("conversation_initiation_metadata")
        transcript = store.conversations[metadata["conversation_id"]].transcript
        heard_before_the_first_message_arrived = [turn["message"] for turn in transcript]
        said = []
        while len(said) < 2:
            message = await client.receive()
            if message["type"] == "agent_response":
                said.append(message["agent_response_event"]["agent_response"])
    assert "Hello?" in heard_before_the_first_message_arrived
    assert said[0] == FIRST_MESSAGE
    assert said[1].startswith('You said: "Hello?".')


@synchronously
async def test_a_slow_socket_closes_after_what_it_sent_before():
    store.faults.append(Fault(socket_latency_ms=200))
    async with ConversationClient(signed_query(agent_with())) as client:
        await client.greeted()
        await client.send_frame(text="{not json")
        error = await client.expect("error")
        closed = await client.expect_close()
    assert (error["code"], closed.code) == (1008, 4008)
    assert store.conversations[client.conversation_id].status == "failed"


@synchronously
async def test_the_conversation_is_recorded_ended_and_reported(monkeypatch):
    reported = []

    async def send_post_call(ended):
        reported.append((ended.conversation_id, ended.status, ended.ended_at))

    monkeypatch.setattr(conversation, "send_post_call", send_post_call)
    async with ConversationClient(signed_query(agent_with())) as client:
        await client.greeted()
        await client.send({"type": "user_message", "text": "Thanks, bye."})
        reply = await client.agent_turn()
        assert reported == []
    record = store.conversations[client.conversation_id]
    assert [(turn["role"], turn["message"]) for turn in record.transcript] == [
        ("agent", FIRST_MESSAGE),
        ("user", "Thanks, bye."),
        ("agent", reply.text),
    ]
    assert all(turn["tool_calls"] == [] for turn in record.transcript)
    assert record.ended_at is not None
    assert reported == [(client.conversation_id, "done", record.ended_at)]


@synchronously
async def test_events_that_change_nothing_are_accepted():
    async with ConversationClient(signed_query(agent_with())) as client:
        await client.greeted()
        for message in (
            {"type": "contextual_update", "text": "The user is on the pricing page."},
            {"type": "feedback", "event_id": 1, "score": "like"},
            {"type": "user_activity"},
            {"type": "mcp_tool_approval_result", "tool_call_id": "t1", "is_approved": True},
        ):
            await client.send(message)
        await client.send({"type": "user_message", "text": "Hello"})
        # The reply is the very next message: nothing was said about the others.
        assert (await client.agent_turn()).text.startswith('You said: "Hello".')
    transcript = store.conversations[client.conversation_id].transcript
    assert [turn["role"] for turn in transcript] == ["agent", "user", "agent"]


MALFORMED = {
    "not JSON": ({"text": "hello"}, "invalid_message"),
    "not an object": ({"text": "[1, 2]"}, "invalid_message"),
    "binary": ({"binary": b"\x00\x01"}, "invalid_message"),
    "no type": ({"text": '{"text": "hi"}'}, "invalid_message"),
    "unknown type": ({"text": '{"type": "shout"}'}, "invalid_message"),
    "wrong field type": ({"text": '{"type": "user_message", "text": 5}'}, "invalid_message"),
    "missing field": ({"text": '{"type": "pong"}'}, "missing_fields"),
    "bad audio": ({"text": '{"user_audio_chunk": "***"}'}, "invalid_message"),
}


@pytest.mark.parametrize(("frame", "error_type"), MALFORMED.values(), ids=MALFORMED)
@synchronously
async def test_a_malformed_frame_ends_the_call_with_an_error(frame, error_type):
    async with ConversationClient(signed_query(agent_with())) as client:
        await client.greeted()
        await client.send_frame(**frame)
        error = await client.expect("error")
        closed = await client.expect_close()
    assert (error["code"], error["error_type"]) == (1008, error_type)
    assert closed.code == 4008
    assert store.conversations[client.conversation_id].status == "failed"


@synchronously
async def test_a_bad_override_fails_the_conversation_at_its_start():
    override = {"conversation": {"text_only": "yes"}}
    agent = agent_with(platform_settings=ALLOWING_OVERRIDES)
    async with ConversationClient(signed_query(agent)) as client:
        # Sent raw: the contract itself refuses a text_only that is not a boolean.
        initiation = {
            "type": "conversation_initiation_client_data",
            "conversation_config_override": override,
        }
        await client.send_frame(text=json.dumps(initiation))
        error = await client.expect("error")
        closed = await client.expect_close()
    assert (error["code"], error["error_type"]) == (1008, "override_error")
    assert "conversation.text_only" in error["message"]
    assert closed.code == 4008
    (record,) = store.conversations.values()
    assert record.status == "failed"
