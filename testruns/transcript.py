"""What is said in a conversation, read from ElevenLabs' conversation protocol
(shared/elevenlabs/agent.asyncapi.yaml) as its frames pass through the relay.

The server's frames carry most of the transcript: the user's words as ElevenLabs heard them
(`user_transcript`), the agent's (`agent_response`, rewritten by `agent_response_correction`
when the user cut it short), interruptions and client tool calls. Everything else (audio,
pings, voice activity, tentative transcripts) says nothing that lasts and is not kept. Text the
user types is the client's to tell: ElevenLabs does not echo it.
"""

from dataclasses import dataclass, field
from typing import Any

from testruns.models import TurnRole


@dataclass(frozen=True)
class Said:
    """A new turn."""

    role: TurnRole
    text: str
    offset_ms: int
    event_id: int | None = None


@dataclass(frozen=True)
class Corrected:
    """The agent's turn `event_id` now reads `text`: what it said before it was cut off."""

    event_id: int
    text: str


@dataclass(frozen=True)
class Interrupted:
    """The user cut the agent's turn `event_id` short."""

    event_id: int


@dataclass(frozen=True)
class ToolCalled:
    """The agent called a client tool during its turn `event_id`."""

    event_id: int | None
    offset_ms: int
    call: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Identified:
    """ElevenLabs' own id for the conversation, from its first frame."""

    conversation_id: str


TranscriptEvent = Said | Corrected | Interrupted | ToolCalled | Identified


def transcript_event(message: Any, *, offset_ms: int) -> TranscriptEvent | None:
    """The event a server frame (decoded JSON) adds to the transcript, if any. A frame missing
    what the schema requires adds nothing: it is relayed as it came, not guessed at."""
    if not isinstance(message, dict):
        return None
    kind = message.get("type")
    if kind == "conversation_initiation_metadata":
        conversation_id = _field(
            message, "conversation_initiation_metadata_event", "conversation_id"
        )
        return Identified(conversation_id) if isinstance(conversation_id, str) else None
    if kind == "user_transcript":
        text = _field(message, "user_transcription_event", "user_transcript")
        event_id = _field(message, "user_transcription_event", "event_id")
        if isinstance(text, str):
            return Said(TurnRole.USER, text, offset_ms, _event_id(event_id))
    if kind == "agent_response":
        text = _field(message, "agent_response_event", "agent_response")
        event_id = _field(message, "agent_response_event", "event_id")
        if isinstance(text, str):
            return Said(TurnRole.AGENT, text, offset_ms, _event_id(event_id))
    if kind == "agent_response_correction":
        text = _field(message, "agent_response_correction_event", "corrected_agent_response")
        event_id = _event_id(_field(message, "agent_response_correction_event", "event_id"))
        if isinstance(text, str) and event_id is not None:
            return Corrected(event_id, text)
    if kind == "interruption":
        event_id = _event_id(_field(message, "interruption_event", "event_id"))
        if event_id is not None:
            return Interrupted(event_id)
    if kind == "client_tool_call":
        call = message.get("client_tool_call")
        if isinstance(call, dict) and isinstance(call.get("tool_name"), str):
            kept = {key: call.get(key) for key in ("tool_name", "tool_call_id", "parameters")}
            return ToolCalled(_event_id(call.get("event_id")), offset_ms, kept)
    return None


def typed_event(message: Any, *, offset_ms: int) -> Said | None:
    """The turn a client frame adds: text the user typed (`user_message`), which ElevenLabs
    answers without echoing it back as a `user_transcript`."""
    if isinstance(message, dict) and message.get("type") == "user_message":
        text = message.get("text")
        if isinstance(text, str):
            return Said(TurnRole.USER, text, offset_ms)
    return None


def _field(message: dict, event: str, name: str) -> Any:
    body = message.get(event)
    return body.get(name) if isinstance(body, dict) else None


def _event_id(value: Any) -> int | None:
    # bool is an int to Python, not to the schema.
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
