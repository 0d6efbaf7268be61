"""The conversation WebSocket: ElevenLabs' /v1/convai/conversation, played deterministically.

One consumer per call. It checks the caller, waits briefly for the client's initiation data,
then runs the version asked for (else a branch's tip) by sandbox.conversation_rules, speaking
through sandbox.speech. Replies stream as paced audio chunks in a background task, so user
input can arrive (and interrupt) mid-reply. An agent with the built-in end_call tool ends the
call itself when the user says goodbye: its farewell, then the tool call, then a normal close.
docs/elevenlabs.md, "The sandbox's conversation
WebSocket", states the rules.

No database: the sandbox is async end to end and stands in front of Django.
"""

import asyncio
import base64
import functools
import json
import time
from dataclasses import dataclass
from typing import Any

from sandbox import speech
from sandbox.conversation_protocol import AUDIO_CHUNK, ProtocolError, caller, client_message
from sandbox.conversation_rules import (
    END_CALL_CLOSE_REASON,
    FAREWELL,
    Session,
    end_call_records,
    ends_call,
    refuse_overrides_not_allowed,
    reply_to,
    session_for,
    tool_mentioned,
    tool_parameters,
    tool_result_reply,
)
from sandbox.conversation_socket import ConversationSocket
from sandbox.records import Conversation
from sandbox.store import store
from sandbox.webhooks import send_post_call

NORMAL_CLOSURE = 1000


@dataclass
class AgentTurn:
    """One thing the agent says. Its audio goes out chunk by chunk; until the last chunk is
    on its way, user input interrupts it."""

    event_id: int  # shared by its agent_response, audio, interruption and correction
    text: str
    chunks: list[str]
    entry: dict  # its line in the conversation's transcript
    spoken: int = 0
    interrupted: bool = False

    @property
    def speaking(self) -> bool:
        return not self.interrupted and self.spoken < len(self.chunks)

    @property
    def heard(self) -> str:
        return "".join(self.chunks[: self.spoken]).strip()


class ConversationConsumer(ConversationSocket):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conversation: Conversation | None = None
        self.started_at = 0.0  # time.monotonic() when the conversation started
        self.session: Session | None = None
        self.ears: speech.Ears | None = None
        self.turn: AgentTurn | None = None
        self.pending_tools: dict[str, str] = {}  # tool_call_id -> tool name
        self.ending = False  # the agent has said goodbye: it hears nothing more

    # --- the call's life

    async def connect(self) -> None:
        # Refusals are accepted first, so the client can read why in an `error` message.
        await self.accept()
        try:
            self.agent, self.branch_id, self.version_id = caller(self.scope)
        except ProtocolError as refusal:
            await self._fail(refusal)
            return
        await self._expect_faults()
        self._spawn(self._start_unless_initiated)

    async def _start_unless_initiated(self) -> None:
        await asyncio.sleep(store.settings.initiation_wait)
        await self._start({})

    async def _start(self, initiation: dict) -> None:
        """Begin the conversation, once: on the client's first frame or when the wait ends."""
        if self.conversation is not None or self.closed:
            return
        with store.lock:
            self.conversation = store.conversation_start(
                self.agent, branch_id=self.branch_id, version_id=self.version_id, source="websocket"
            )
            # The version the conversation was routed to (the one asked for, else a branch's
            # tip, drawn by the traffic split when no branch was asked for), so what the agent
            # says matches what is recorded.
            version = self.agent.version(self.conversation.version_id)
            assert version is not None  # the conversation was just started on it
            config = version.conversation_config
            self.conversation.dynamic_variables = dict(initiation.get("dynamic_variables") or {})
        self.started_at = time.monotonic()
        system_variables = {
            "system__agent_id": self.agent.agent_id,
            "system__conversation_id": self.conversation.conversation_id,
        }
        refuse_overrides_not_allowed(initiation, version.platform_settings)
        self.session = session_for(config, initiation, system_variables=system_variables)
        self.ears = speech.Ears(self.session.input_format)
        self._spawn(self._keep_pinging)
        await self._send(
            "conversation_initiation_metadata",
            {
                "conversation_id": self.conversation.conversation_id,
                "agent_output_audio_format": self.session.output_format,
                "user_input_audio_format": self.session.input_format,
            },
        )
        if self.session.first_message:
            await self._say(self.session.first_message)

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        if self.conversation is not None:
            status = "failed" if self.failed else "done"
            store.conversation_end(self.conversation, status=status)
            await send_post_call(self.conversation)

    # --- what the client sends

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        await self._guarded(self._handle(text_data, bytes_data))

    async def _handle(self, text: str | None, binary: bytes | None) -> None:
        if self.closed:
            return
        message_type, message = client_message(text, binary)
        # Any first frame starts the conversation; initiation data after the start are late
        # and ignored, as the session is already running.
        await self._start(message if message_type == "conversation_initiation_client_data" else {})
        handlers = {"pong": self._on_pong}
        if not self.ending:  # after its farewell the agent only waits to hang up
            handlers |= {
                "user_message": self._on_user_message,
                AUDIO_CHUNK: self._on_audio,
                "client_tool_result": self._on_tool_result,
            }
        # The rest (contextual_update, feedback, user_activity, ...) change nothing the
        # sandbox says, so they are read, checked and let go.
        if message_type in handlers and not self.closed:
            await handlers[message_type](message)

    async def _on_user_message(self, message: dict) -> None:
        # Typed text is not echoed as a user_transcript: the client already has it.
        text = (message.get("text") or "").strip()
        if text:
            await self._interrupt()
            await self._user_said(text)

    async def _on_audio(self, message: dict) -> None:
        assert self.ears is not None  # set by _start, which every frame's handling runs first
        is_speech, transcript = self.ears.hear(message[AUDIO_CHUNK])
        if is_speech:
            await self._interrupt()
        if transcript:
            event = {"user_transcript": transcript, "event_id": self._event_id()}
            await self._send("user_transcript", event)
            await self._user_said(transcript)

    async def _on_tool_result(self, message: dict) -> None:
        tool_name = self.pending_tools.pop(message["tool_call_id"], None)
        if tool_name is not None:  # a result for no open call has nothing to answer
            reply = tool_result_reply(tool_name, message["result"], is_error=message["is_error"])
            await self._say(reply)

    # --- what the agent does

    async def _user_said(self, text: str) -> None:
        self._record("user", text)
        assert self.session is not None  # as the conversation has started
        if ends_call(text, self.session):
            # A goodbye ends the call even if the turn names a client tool too.
            self.ending = True
            await self._say(FAREWELL, then_end_call=True)
            return
        tool = tool_mentioned(text, self.session)
        if tool is None:
            await self._say(reply_to(text, self.session))
            return
        event_id = self._event_id()
        call = {
            "tool_name": tool["name"],
            "tool_call_id": f"call_{event_id}",
            "parameters": tool_parameters(text),
            "event_id": event_id,
        }
        self.pending_tools[call["tool_call_id"]] = tool["name"]
        # Recorded as ElevenLabs' transcripts record tool calls.
        recorded_call = {
            "request_id": call["tool_call_id"],
            "tool_name": tool["name"],
            "params_as_json": json.dumps(call["parameters"]),
            "tool_has_been_called": True,
            "type": "client",
        }
        self._record("agent", "", tool_calls=[recorded_call])
        await self._send("client_tool_call", call)

    async def _say(self, text: str, *, then_end_call: bool = False) -> None:
        """Say `text`; with `then_end_call`, call the end_call tool once it has been spoken."""
        # The agent never talks over itself: a new turn cuts the previous one short.
        await self._interrupt()
        assert self.session is not None  # the agent speaks once the conversation has started
        chunks = [] if self.session.text_only else speech.speech_chunks(text)
        self.turn = AgentTurn(self._event_id(), text, chunks, self._record("agent", text))
        await self._send("agent_response", {"agent_response": text, "event_id": self.turn.event_id})
        if chunks or then_end_call:
            self._spawn(functools.partial(self._speak, self.turn, then_end_call=then_end_call))

    async def _speak(self, turn: AgentTurn, *, then_end_call: bool = False) -> None:
        delay = store.settings.audio_chunk_delay
        session = self.session
        assert session is not None  # a turn is spoken once the conversation has started
        for chunk in turn.chunks:
            if not turn.speaking or self.closed:
                return
            turn.spoken += 1  # counted before sending: a chunk on its way has been heard
            audio = speech.synthesize(
                chunk, voice_id=session.voice_id, audio_format=session.output_format
            )
            event = {
                "audio_base_64": base64.b64encode(audio).decode(),
                "event_id": turn.event_id,
                "alignment": speech.alignment(chunk),
            }
            await self._send("audio", event)
            if turn.speaking:
                await asyncio.sleep(delay)
        if then_end_call and not self.closed:  # not after a drop
            await self._end_call(turn)

    async def _end_call(self, farewell: AgentTurn) -> None:
        """The built-in end_call tool, called once the farewell has been sent: recorded on the
        farewell's turn as ElevenLabs records a system tool call and its result, then a normal
        close. (A client that hangs up first leaves the farewell without the call.)"""
        assert self.session is not None
        assert self.session.end_call is not None  # as the farewell ends the call
        request_id = f"end_call_{farewell.event_id}"
        call, result = end_call_records(self.session.end_call, request_id)
        with store.lock:
            farewell.entry["tool_calls"] = [call]
            farewell.entry["tool_results"] = [result]
        await self._close(NORMAL_CLOSURE, reason=END_CALL_CLOSE_REASON, failed=False)

    async def _interrupt(self) -> None:
        """Cut the agent's turn short if it is still speaking, and say what was heard."""
        turn = self.turn
        if turn is None or not turn.speaking:
            return
        turn.interrupted = True
        with store.lock:
            turn.entry["message"] = turn.heard
        await self._send("interruption", {"event_id": turn.event_id})
        correction = {
            "original_agent_response": turn.text,
            "corrected_agent_response": turn.heard,
            "event_id": turn.event_id,
        }
        await self._send("agent_response_correction", correction)

    def _record(self, role: str, message: str, *, tool_calls: list[dict] | None = None) -> dict:
        """Add a turn to the conversation's transcript, and return it for later correction."""
        entry = {
            "role": role,
            "message": message,
            "time_in_call_secs": int(time.monotonic() - self.started_at),
            "tool_calls": tool_calls or [],
        }
        assert self.conversation is not None  # turns are recorded once it has started
        with store.lock:
            self.conversation.transcript.append(entry)
        return entry
