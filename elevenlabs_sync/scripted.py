"""A scripted conversation: Switchboard, as the caller, types each turn of a script to the
agent over ElevenLabs' conversation WebSocket and notes what comes back (the reply, the tools
called, how long the reply took, whether the agent ended the call).

It speaks ElevenLabs' protocol (shared/elevenlabs/agent.asyncapi.yaml) as the relay's
browser clients do, with a signed URL minted on the server, and reads ElevenLabs' frames
with the relay's own readers (testruns/transcript.py), so what it writes into the
conversation's record is what a browser conversation would have written.
"""

import json
import time
from dataclasses import dataclass, field, replace
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI, WebSocketException
from websockets.sync.client import ClientConnection, connect

from elevenlabs_sync.relay import UPSTREAM_MAX_FRAME_BYTES, is_audio
from testruns.expectations import ToolCall, TurnSeen
from testruns.scripts import Script, user_text
from testruns.transcript import TranscriptEvent, transcript_event, typed_event

# A voice agent's reply is over when its audio stops: this long without an audio frame.
AUDIO_QUIET_SECONDS = 0.5
# What a client tool the script does not answer returns, as the sandbox's simulations do.
TOOL_RESULT = "ok"


class ConversationFailed(Exception):
    """The conversation could not be held (not reached, closed with an error, no reply in
    time): the attempt ends in an error, not a verdict."""


@dataclass
class Held:
    """What a scripted conversation came to."""

    conversation_id: str = ""  # ElevenLabs' id, from the first frame
    first_message: str = ""
    seen: list[TurnSeen] = field(default_factory=list)
    events: list[TranscriptEvent] = field(default_factory=list)
    seconds: float = 0.0

    def transcript(self) -> list[dict]:
        """The conversation as the run shows it: [{"role", "text", "tool_calls"?,
        "latency_ms"?}]."""
        lines: list[dict] = []
        if self.first_message:
            lines.append({"role": "agent", "text": self.first_message})
        for seen in self.seen:
            lines.append({"role": "user", "text": seen.user})
            reply: dict[str, Any] = {"role": "agent", "text": seen.reply}
            if seen.tool_calls:
                reply["tool_calls"] = [
                    {"name": call.name, "arguments": call.arguments} for call in seen.tool_calls
                ]
            if seen.latency_ms is not None:
                reply["latency_ms"] = round(seen.latency_ms, 1)
            lines.append(reply)
        return lines


def conversation_hold(
    *,
    url: str,
    script: Script,
    text_only: bool,
    first_message: bool,
    turn_timeout: float,
    connect_timeout: float,
) -> Held:
    """Hold the scripted conversation at `url` (a signed URL) to its end. `text_only` asks
    ElevenLabs for text replies only (where the agent allows it); `first_message` says the
    agent opens with one, to wait for before the first turn."""
    held = Held()
    started = time.monotonic()
    try:
        with connect(
            url,
            open_timeout=connect_timeout,
            max_size=UPSTREAM_MAX_FRAME_BYTES,
            compression=None,
        ) as socket:
            caller = _Caller(socket, held, started, text_only=text_only, timeout=turn_timeout)
            caller.start(script.dynamic_variables, first_message=first_message)
            for turn in script.turns:
                seen = caller.say(user_text(turn, script.dynamic_variables))
                if seen is None:  # the agent had ended the call after the turn before
                    _ended_after_last(held)
                    break
                held.seen.append(seen)
                if caller.ended:
                    break
            if script.ends_within_turns and not caller.ended and caller.ends_soon():
                _ended_after_last(held)
    except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as error:
        raise ConversationFailed(f"ElevenLabs could not be reached: {error}") from error
    except WebSocketException as error:
        raise ConversationFailed(f"The conversation broke off: {error}") from error
    held.seconds = time.monotonic() - started
    return held


def _ended_after_last(held: Held) -> None:
    if held.seen:
        held.seen[-1] = replace(held.seen[-1], ended=True)


class _Caller:
    def __init__(
        self,
        socket: ClientConnection,
        held: Held,
        started: float,
        *,
        text_only: bool,
        timeout: float,
    ) -> None:
        self.socket, self.held, self.started = socket, held, started
        self.text_only, self.timeout = text_only, timeout
        self.ended = False

    def start(self, variables: dict, *, first_message: bool) -> None:
        initiation: dict[str, Any] = {
            "type": "conversation_initiation_client_data",
            "dynamic_variables": variables,
        }
        if self.text_only:
            initiation["conversation_config_override"] = {"conversation": {"text_only": True}}
        self.socket.send(json.dumps(initiation))
        opening = self._listen(wait_for_reply=first_message)
        self.held.first_message = opening.reply

    def say(self, text: str) -> TurnSeen | None:
        """What came of saying `text`; None if the agent had already ended the call (the
        end belongs to the turn before: a close that answers nothing said came too late to
        be seen then, a frame behind the reply)."""
        message = {"type": "user_message", "text": text}
        try:
            self.socket.send(json.dumps(message))
        except ConnectionClosed as closed:
            self._closed(closed)
            return None
        said = typed_event(message, offset_ms=self._offset_ms())
        if said is not None:
            self.held.events.append(said)
        seen = self._listen(wait_for_reply=True, user=text)
        return None if seen.ended and not (seen.reply or seen.tool_calls) else seen

    def ends_soon(self) -> bool:
        """Whether the agent ends the call within a moment of its last reply (a script that
        expects it to has said its last turn)."""
        deadline = time.monotonic() + AUDIO_QUIET_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            try:
                frame = self.socket.recv(timeout=left)
            except TimeoutError:
                return False
            except ConnectionClosed as closed:
                self._closed(closed)
                return True
            if isinstance(frame, str) and not is_audio(frame):
                message = json.loads(frame)
                if isinstance(message, dict) and message.get("type") == "ping":
                    self._pong(message)
        return False

    def _listen(self, *, wait_for_reply: bool, user: str = "") -> TurnSeen:
        """Read ElevenLabs' frames until the agent's reply is over: it has said something
        after the last tool it called and, a voice agent, stopped sending audio; or until
        the agent ends the conversation. Without `wait_for_reply`, until the conversation
        is under way."""
        sent = time.monotonic()
        deadline = sent + self.timeout
        replies: list[str] = []
        calls: list[ToolCall] = []
        latency_ms: float | None = None
        last_heard = sent  # the reply's last frame, text or audio
        identified = False
        while not self.ended:
            done = bool(replies) if wait_for_reply else identified
            if done and (self.text_only or not wait_for_reply):
                break
            now = time.monotonic()
            wait = min(deadline, last_heard + AUDIO_QUIET_SECONDS) if done else deadline
            if wait - now <= 0:
                if done:
                    break
                raise ConversationFailed(
                    f"The agent did not reply within {self.timeout:g} s (TEST_TURN_TIMEOUT)."
                )
            try:
                frame = self.socket.recv(timeout=wait - now)
            except TimeoutError:
                continue
            except ConnectionClosed as closed:
                self._closed(closed)
                break
            if isinstance(frame, bytes) or is_audio(frame):
                last_heard = time.monotonic()
                continue
            message = json.loads(frame)
            if not isinstance(message, dict):
                continue
            kind = message.get("type")
            event = transcript_event(message, offset_ms=self._offset_ms())
            if event is not None:
                self.held.events.append(event)
            if kind == "conversation_initiation_metadata":
                identified = True
                body = message.get("conversation_initiation_metadata_event") or {}
                self.held.conversation_id = str(body.get("conversation_id") or "")
            elif kind == "ping":
                self._pong(message)
            elif kind == "agent_response":
                text = (message.get("agent_response_event") or {}).get("agent_response")
                replies.append(text if isinstance(text, str) else "")
                latency_ms = _ms_since(sent) if latency_ms is None else latency_ms
                last_heard = time.monotonic()
            elif kind == "client_tool_call":
                call = message.get("client_tool_call") or {}
                calls.append(ToolCall(str(call.get("tool_name")), call.get("parameters") or {}))
                latency_ms = _ms_since(sent) if latency_ms is None else latency_ms
                self._answer(call)
                replies.clear()  # the reply is what the agent says once the tool has answered
            elif kind == "agent_tool_response":
                body = message.get("agent_tool_response") or {}
                calls.append(ToolCall(str(body.get("tool_name")), {}))
        return TurnSeen(
            user=user,
            reply=" ".join(replies),
            tool_calls=tuple(calls),
            latency_ms=latency_ms,
            ended=self.ended,
        )

    def _closed(self, closed: ConnectionClosed) -> None:
        received = closed.rcvd
        if received is None or received.code not in (1000, 1001):
            reason = f"{received.code} {received.reason}".strip() if received else "no reason"
            raise ConversationFailed(f"ElevenLabs closed the conversation ({reason}).")
        self.ended = True

    def _pong(self, message: dict) -> None:
        event_id = (message.get("ping_event") or {}).get("event_id")
        self.socket.send(json.dumps({"type": "pong", "event_id": event_id}))

    def _answer(self, call: dict) -> None:
        result = {
            "type": "client_tool_result",
            "tool_call_id": call.get("tool_call_id"),
            "result": TOOL_RESULT,
            "is_error": False,
        }
        self.socket.send(json.dumps(result))

    def _offset_ms(self) -> int:
        return int(_ms_since(self.started))


def _ms_since(moment: float) -> float:
    return (time.monotonic() - moment) * 1000
