"""The conversation WebSocket's wire format: who may connect, reading client frames, shaping
server messages.

The shapes follow ElevenLabs' AsyncAPI contract (tests/contracts/elevenlabs-agent.asyncapi
.yaml); the tests hold every message the sandbox sends against it. Checking client frames here
is deliberately light, only what the sandbox relies on, since jsonschema is a test dependency.
"""

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from sandbox import access
from sandbox.records import Agent
from sandbox.signing import verified_conversation
from sandbox.store import store

# ElevenLabs closes with 1002, 1008 or 1011 (ErrorData.code in the contract), but Daphne, which
# serves the sandbox, lets an application send only 1000 or 3000-4999: it turns anything else
# into 1011. So the sandbox closes with ElevenLabs' code + 3000 and carries the code itself in
# the `error` event it sends first.
INVALID_INPUT = 1008  # bad frames, missing fields, refused credentials
SERVER_ERROR = 1011
CLOSE_CODE_OFFSET = 3000
# What a client sees when the network drops (1006), likewise moved into the private range.
DROPPED_CONNECTION = 4006

# Each server message wraps its payload in a key of its own.
EVENT_KEYS = {
    "conversation_initiation_metadata": "conversation_initiation_metadata_event",
    "agent_response": "agent_response_event",
    "agent_response_correction": "agent_response_correction_event",
    "audio": "audio_event",
    "user_transcript": "user_transcription_event",
    "interruption": "interruption_event",
    "client_tool_call": "client_tool_call",
    "ping": "ping_event",
    "error": "error_event",
}

AUDIO_CHUNK = "user_audio_chunk"  # audio frames carry no type, only this key
_NONE = type(None)
# type -> field -> (accepted Python types, required); the fields the sandbox reads.
_CLIENT_FIELDS: dict[str, dict[str, tuple[tuple[type, ...], bool]]] = {
    "conversation_initiation_client_data": {
        "conversation_config_override": ((dict, _NONE), False),
        "dynamic_variables": ((dict, _NONE), False),
    },
    "user_message": {"text": ((str, _NONE), False)},
    "client_tool_result": {
        "tool_call_id": ((str,), True),
        "result": ((str,), True),
        "is_error": ((bool,), True),
    },
    "pong": {"event_id": ((int,), True)},
    "user_activity": {},
    "contextual_update": {"text": ((str,), True)},
    "feedback": {"event_id": ((int,), True), "score": ((str, _NONE), True)},
    "mcp_tool_approval_result": {"tool_call_id": ((str,), True), "is_approved": ((bool,), True)},
    "multimodal_message": {},
}


class ProtocolError(Exception):
    """Something the conversation cannot go on with; the socket is closed after saying so."""

    def __init__(self, message: str, *, error_type: str | None, code: int = INVALID_INPUT):
        super().__init__(message)
        self.message = message
        self.error_type = error_type
        self.code = code

    @property
    def close_code(self) -> int:
        return self.code + CLOSE_CODE_OFFSET

    def event(self) -> dict:
        """The payload of the `error` message announcing it."""
        event = {"code": self.code, "message": self.message, "reason": self.message}
        if self.error_type:
            event["error_type"] = self.error_type
        return event


def caller(scope: Mapping[str, Any]) -> tuple[Agent, str | None, str | None]:
    """The agent, branch and version a connection may talk to: those its signed URL names, or
    those of the query when an xi-api-key header is sent. ProtocolError otherwise."""
    agent_id, branch_id, version_id = _requested(scope)
    with store.lock:
        agent = store.agents.get(agent_id)
        if agent is None:
            raise _refusal(f"Agent {agent_id} does not exist.")
        if agent.branch(branch_id) is None:
            raise _refusal(f"Agent {agent_id} has no branch {branch_id}.")
        if version_id:
            _check_version(agent, branch_id, version_id)
    return agent, branch_id, version_id


def _requested(scope: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    """(agent_id, branch_id, version_id) the connection asks for, once its credentials pass."""
    query = parse_qs(scope["query_string"].decode("latin-1"))
    agent_id = query.get("agent_id", [""])[0]
    signature = query.get("conversation_signature", [""])[0]
    if signature:
        signed = verified_conversation(signature)
        if signed is None:
            raise _refusal("The conversation signature is invalid or has expired.")
        if agent_id and agent_id != signed[0]:
            raise _refusal("The conversation signature was issued for another agent.")
        return signed
    if not agent_id:
        raise _refusal("Connect with a signed URL, or with agent_id and an xi-api-key header.")
    presented = dict(scope["headers"]).get(access.API_KEY_HEADER.encode())
    if not presented:
        raise _refusal("Connecting by agent_id needs an xi-api-key header.")
    if not access.is_the_key(presented.decode("latin-1")):
        raise _refusal(f"{access.WRONG_KEY}.")
    return agent_id, query.get("branch_id", [None])[0], query.get("version_id", [None])[0]


def _check_version(agent: Agent, branch_id: str | None, version_id: str) -> None:
    """The version must be the agent's and, when a branch is named too, that branch's: as
    get-signed-url checks it before signing."""
    version = agent.version(version_id)
    if version is None:
        raise _refusal(f"Agent {agent.agent_id} has no version {version_id}.")
    if branch_id and version.branch_id != branch_id:
        raise _refusal(f"Version {version_id} is not on branch {branch_id}.")


def server_message(message_type: str, event: dict) -> dict:
    return {"type": message_type, EVENT_KEYS[message_type]: event}


def client_message(text: str | None, binary: bytes | None) -> tuple[str, dict]:
    """(message type, message) of a client frame; audio chunks get the type `user_audio_chunk`
    and their audio decoded under that key. Raises ProtocolError for anything unreadable."""
    if text is None:
        raise _invalid("Binary frames are not part of the protocol; send JSON text.")
    try:
        message = json.loads(text)
    except ValueError:
        raise _invalid("The frame is not valid JSON.") from None
    if not isinstance(message, dict):
        raise _invalid("A message must be a JSON object.")
    if "type" not in message and AUDIO_CHUNK in message:
        return AUDIO_CHUNK, {AUDIO_CHUNK: _audio(message[AUDIO_CHUNK])}
    message_type = message.get("type")
    if not isinstance(message_type, str) or message_type not in _CLIENT_FIELDS:
        raise _invalid(f"Unknown message type {message_type!r}.")
    fields = _CLIENT_FIELDS[message_type]
    for name, (kinds, required) in fields.items():
        if name not in message:
            if required:
                raise ProtocolError(
                    f"{message_type} needs the field {name!r}.", error_type="missing_fields"
                )
        elif not _is_instance(message[name], kinds):
            raise _invalid(f"{message_type}.{name} has the wrong type.")
    return message_type, message


def _is_instance(value: object, kinds: tuple[type, ...]) -> bool:
    """isinstance as JSON means it: true and false are not numbers."""
    if isinstance(value, bool) and bool not in kinds:
        return False
    return isinstance(value, kinds)


def _audio(chunk: object) -> bytes:
    if not isinstance(chunk, str):
        raise _invalid("user_audio_chunk must be a base64 string.")
    try:
        return base64.b64decode(chunk, validate=True)
    except binascii.Error:
        raise _invalid("user_audio_chunk is not valid base64.") from None


def _refusal(message: str) -> ProtocolError:
    # The contract has no error_type for refused credentials; its code 1008 covers them.
    return ProtocolError(message, error_type=None)


def _invalid(message: str) -> ProtocolError:
    return ProtocolError(message, error_type="invalid_message")
