"""The contract check itself: it must refuse what the protocol does not allow."""

import pytest

from tests.contracts.asyncapi import assert_valid_client_message, assert_valid_server_message

RESPONSE = {
    "type": "agent_response",
    "agent_response_event": {"agent_response": "Hi", "event_id": 1},
}


@pytest.mark.parametrize(
    "message",
    [
        RESPONSE,
        {"type": "ping", "ping_event": {"event_id": 2, "ping_ms": None}},  # nullable
        {"type": "audio", "audio_event": {"audio_base_64": "AAECAw==", "event_id": 3}},
        {"type": "error", "error_event": {"code": 1008, "error_type": None}},
    ],
)
def test_messages_the_contract_allows_pass(message):
    assert_valid_server_message(message)


@pytest.mark.parametrize(
    ("message", "complaint"),
    [
        ({"type": "agent_response", "agent_response_event": {"agent_response": "Hi"}}, "event_id"),
        ({"type": "shout"}, "no server message of type 'shout'"),
        ({"agent_response_event": {}}, "no server message of type None"),
        (
            {"type": "audio", "audio_event": {"audio_base_64": "not base64!", "event_id": 1}},
            "base64",
        ),
        (
            {**RESPONSE, "agent_response_event": {"agent_response": "Hi", "event_id": "1"}},
            "integer",
        ),
        ({"type": "error", "error_event": {"code": 1006}}, "1006"),
        ({**RESPONSE, "extra": True}, "'extra' was unexpected"),
    ],
)
def test_messages_the_contract_refuses_fail_saying_why(message, complaint):
    with pytest.raises(AssertionError, match=complaint.replace("(", r"\(")):
        assert_valid_server_message(message)


def test_strictness_can_be_relaxed_for_undeclared_properties():
    assert_valid_server_message({**RESPONSE, "extra": True}, strict=False)


def test_client_messages_are_checked_by_type_and_audio_by_its_key():
    assert_valid_client_message({"user_audio_chunk": "AAAA"})
    assert_valid_client_message({"type": "user_message", "text": None})
    with pytest.raises(AssertionError, match="tool_call_id"):
        assert_valid_client_message(
            {"type": "client_tool_result", "result": "x", "is_error": False}
        )
    with pytest.raises(AssertionError, match="no client message"):
        assert_valid_client_message({"type": "agent_response"})
