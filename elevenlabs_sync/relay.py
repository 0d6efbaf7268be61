"""The conversation relay: a browser (or a script) talks to an agent under test through
`/ws/agents/{id}/conversation`, and Switchboard talks to ElevenLabs' conversation WebSocket on
its behalf, with a signed URL minted here, so the API key never leaves the server.

Frames pass unchanged both ways, in ElevenLabs' own protocol
(shared/elevenlabs/agent.asyncapi.yaml): a client written for ElevenLabs' socket, the official
browser client included, works against the relay's URL as it is. Each direction runs on its
own (the browser's in `receive`, ElevenLabs' in a task), so a slow side never holds up the other.

What is said is written as it passes, by the process's transcript writer
(elevenlabs_sync/transcript_writer.py): the relay never waits for the database, and the
writer keeps what it failed to write and tries again. When either side goes, what was said is
written before the conversation's record is closed, and the side still there is told why.

Refusals (not signed in, no role, no such agent, a target that cannot be talked to) are
accepted first and answered with an `error` frame and close code 1008, so a browser can show
why: a refused handshake carries no reason a page can read. An outsider and an unknown agent
get the same answer. Origins are checked before any of this, in config/asgi.py.

A caller without an account comes with an invite link's key (`?invite=<key>`) instead: the
conversation is with the version the link was made for, and the relay joins the link's group
on the channel layer, so revoking the link ends it (testruns/invites.py).
"""

import asyncio
import contextlib
import json
import logging
import re
import time
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from agents.selectors import agent_get_for
from common.errors import DomainError, InvalidInput, Upstream
from common.ids import is_id
from elevenlabs_sync.conversations import conversation_close
from elevenlabs_sync.live import OpenedConversation, conversation_open, conversation_open_by_invite
from elevenlabs_sync.transcript_writer import TranscriptWriter, transcript_writer
from testruns.invites import NO_SUCH_INVITE, REVOKED_MESSAGE, invite_for_key, invite_group
from testruns.models import ConversationStatus, ConversationTarget
from testruns.services import conversation_transcript_add
from testruns.transcript import Identified, TranscriptEvent, transcript_event, typed_event

logger = logging.getLogger(__name__)

SUBPROTOCOL = "convai"  # what ElevenLabs' browser client asks for
NORMAL, PROTOCOL_ERROR, INPUT_ERROR, INTERNAL_ERROR = 1000, 1002, 1008, 1011
CLOSE_WAIT_SECS = 10.0  # for the writer, and the browser, to finish when a side has gone
# ElevenLabs' frames the browser has not read yet, at most: a minute or more of the agent's
# audio. A browser that far behind has stopped reading (a frozen tab, a stalled network).
BROWSER_BACKLOG_FRAMES = 256
# ElevenLabs' frames are trusted as far as size goes: an agent's audio may come in large chunks.
UPSTREAM_MAX_FRAME_BYTES = 16 * 2**20


class ConversationRelay(AsyncWebsocketConsumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.upstream: ClientConnection | None = None
        self.conversation_id: int | None = None
        self.max_seconds = 0
        self.started = 0.0
        self.writer: TranscriptWriter | None = None
        self.outbox: asyncio.Queue[str | bytes] = asyncio.Queue(BROWSER_BACKLOG_FRAMES)
        self.browser_gone = False
        self.tasks: list[asyncio.Task] = []
        self.sender: asyncio.Task | None = None
        self.answered_pings: set[Any] = set()
        self.window_start, self.window_count, self.told_to_slow_down = 0.0, 0, False
        self.ending = False
        self.group: str | None = None  # an invite's conversations, ended when it is revoked

    # --- opening

    async def connect(self) -> None:
        offered = self.scope.get("subprotocols") or []
        await self.accept(SUBPROTOCOL if SUBPROTOCOL in offered else None)
        try:
            opened = await database_sync_to_async(_opened_for)(self.scope)
        except DomainError as refusal:
            code = INTERNAL_ERROR if isinstance(refusal, Upstream) else INPUT_ERROR
            await self._tell_and_close(refusal.message, code=code, error_type="value_error")
            return
        self.conversation_id, self.max_seconds = opened.record.pk, opened.max_seconds
        if opened.record.invite_id is not None and self.channel_layer is not None:
            self.group = invite_group(opened.record.invite_id)
            await self.channel_layer.group_add(self.group, self.channel_name)
        try:
            self.upstream = await connect(
                opened.url,
                open_timeout=settings.RELAY_CONNECT_TIMEOUT,
                max_size=UPSTREAM_MAX_FRAME_BYTES,
                ping_interval=None,  # ElevenLabs pings in its own protocol; answered below
                compression=None,
            )
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as error:
            reason = f"ElevenLabs could not be reached: {_unreachable(error)}"
            logger.warning("Conversation %s: %s", self.conversation_id, reason)
            self.ending = True
            await self._end(ConversationStatus.FAILED, reason)
            await self._tell_and_close(
                "ElevenLabs could not be reached; try again in a moment.",
                code=INTERNAL_ERROR,
                error_type="websocket_disconnect",
            )
            return
        self.started = time.monotonic()
        self.writer = transcript_writer()
        self.writer.open(self.conversation_id)
        self.sender = asyncio.create_task(self._relay_to_browser())
        self.tasks = [
            asyncio.create_task(self._relay_from_elevenlabs()),
            asyncio.create_task(self._stop_at_maximum_duration()),
            self.sender,
        ]

    async def dispatch(self, message: dict) -> None:
        # Channels closes stale database connections before every handler, on Django's one
        # thread for synchronous code, which the writer and every other conversation's opening
        # use too: each audio chunk from the browser queued behind them, and with 50
        # conversations streaming the relay fell seconds behind (docs/benchmarks.md, "Conversation
        # relay"). The relay's database work runs in database_sync_to_async, which does that
        # clean-up itself.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # --- browser → ElevenLabs

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.upstream is None or self.ending:
            return
        if text_data is None:
            await self._tell("Send JSON text frames, as ElevenLabs' protocol does.")
            return
        if len(text_data) > settings.RELAY_MAX_FRAME_BYTES:
            await self._tell(
                f"A frame of {len(text_data):,} characters is over the limit of "
                f"{settings.RELAY_MAX_FRAME_BYTES:,}; send audio in smaller chunks."
            )
            return
        if self._flooding():
            if not self.told_to_slow_down:
                self.told_to_slow_down = True
                await self._tell(
                    f"Over {settings.RELAY_MAX_MESSAGES_PER_SECOND} frames a second; frames "
                    "beyond that are dropped. Send audio in chunks of 20 ms or more."
                )
            return
        try:
            message = json.loads(text_data)
        except ValueError:
            await self._tell("A frame is not JSON; each frame is one JSON message.")
            return
        if _is(message, "pong") and message.get("event_id") in self.answered_pings:
            return  # the relay answered it already: ElevenLabs hears one pong a ping
        try:
            await self.upstream.send(text_data)
        except ConnectionClosed:
            return  # the ElevenLabs side is ending the conversation; it says why
        said = typed_event(message, offset_ms=self._offset_ms())
        if said is not None:
            self._keep(said)

    def _flooding(self) -> bool:
        """More frames this second than RELAY_MAX_MESSAGES_PER_SECOND? Those are dropped, and
        the client told once a second."""
        now = time.monotonic()
        if now - self.window_start >= 1.0:
            self.window_start, self.window_count, self.told_to_slow_down = now, 0, False
        self.window_count += 1
        return self.window_count > settings.RELAY_MAX_MESSAGES_PER_SECOND

    # --- ElevenLabs → browser

    async def _relay_from_elevenlabs(self) -> None:
        assert self.upstream is not None
        try:
            async for frame in self.upstream:
                text = frame if isinstance(frame, str) else None
                message: Any = None if text is None or is_audio(text) else _decoded(text)
                if _is(message, "ping"):
                    await self._answer_ping(message)
                event = transcript_event(message, offset_ms=self._offset_ms())
                if isinstance(event, Identified) and await self._identified(event):
                    event = None
                if not self._pass_on(frame):
                    await self._finish(
                        ConversationStatus.INTERRUPTED,
                        "The browser stopped reading what ElevenLabs sent.",
                        tell="The browser fell too far behind the conversation; it has ended.",
                        code=INTERNAL_ERROR,
                        catch_up=False,
                    )
                    return
                if event is not None:
                    self._keep(event)
        except ConnectionClosed:
            pass
        code, reason = self.upstream.close_code, self.upstream.close_reason or ""
        if self.ending:
            return
        if code == NORMAL:
            await self._finish(
                ConversationStatus.COMPLETED, f"ElevenLabs ended the conversation. {reason}"
            )
            return
        await self._finish(
            ConversationStatus.INTERRUPTED,
            f"The connection to ElevenLabs closed (code {code}). {reason}",
            tell="The connection to ElevenLabs dropped; what was said so far is saved.",
            code=code if code in (PROTOCOL_ERROR, INPUT_ERROR) else INTERNAL_ERROR,
        )

    async def _identified(self, event: Identified) -> bool:
        """Write ElevenLabs' id for the conversation before the browser learns it: the page
        asks for the record by that id as soon as the conversation ends, which through the
        writer could be before the id is there. False if the write failed (the writer then
        keeps trying)."""
        assert self.conversation_id is not None
        try:
            await database_sync_to_async(conversation_transcript_add)(
                conversation_id=self.conversation_id, events=[event]
            )
        except Exception:
            logger.exception("Conversation %s: writing ElevenLabs' id", self.conversation_id)
            return False
        return True

    def _pass_on(self, frame: str | bytes) -> bool:
        """Queue one of ElevenLabs' frames for the browser: a browser slow to read holds up
        neither ElevenLabs' side (its pings, the transcript) nor anything else. False when the
        browser is BROWSER_BACKLOG_FRAMES behind: it has stopped reading."""
        try:
            self.outbox.put_nowait(frame)
        except asyncio.QueueFull:
            return False
        return True

    async def _relay_to_browser(self) -> None:
        while True:
            frame = await self.outbox.get()
            try:
                if self.browser_gone:
                    continue  # nobody to send it to
                if isinstance(frame, bytes):
                    await self.send(bytes_data=frame)
                else:
                    await self.send(text_data=frame)
            except Exception:  # the browser has gone
                self.browser_gone = True
            finally:
                self.outbox.task_done()

    async def _answer_ping(self, message: dict) -> None:
        """Keep the conversation alive from here, whatever the browser does (a background tab
        may answer late or not at all)."""
        event_id = (message.get("ping_event") or {}).get("event_id")
        if event_id is None:
            return
        self.answered_pings.add(event_id)
        assert self.upstream is not None
        with contextlib.suppress(ConnectionClosed):  # the conversation is ending anyway
            await self.upstream.send(json.dumps({"type": "pong", "event_id": event_id}))

    # --- what is said, written

    def _keep(self, event: TranscriptEvent) -> None:
        assert self.writer is not None  # opened before anything can be said
        assert self.conversation_id is not None
        self.writer.add(self.conversation_id, event)

    # --- ending

    async def _stop_at_maximum_duration(self) -> None:
        seconds = self.max_seconds
        await asyncio.sleep(seconds)
        length = f"{seconds // 60} minutes" if seconds % 60 == 0 else f"{seconds} seconds"
        reached = f"The conversation reached its maximum length of {length}."
        await self._finish(
            ConversationStatus.COMPLETED,
            reached,
            tell=reached,
            code=NORMAL,
            error_type="max_duration_exceeded",
        )

    async def invite_revoked(self, event: dict) -> None:
        """The invite link this conversation came through was revoked: it ends."""
        await self._finish(
            ConversationStatus.INTERRUPTED,
            "The invite link was revoked.",
            tell=REVOKED_MESSAGE,
            code=INPUT_ERROR,
        )

    async def disconnect(self, code: int) -> None:
        self.browser_gone = True
        await self._leave_group()
        if self.conversation_id is None or self.ending:
            return
        if code == NORMAL:
            await self._finish(ConversationStatus.COMPLETED, "The tester ended the conversation.")
        else:
            await self._finish(
                ConversationStatus.INTERRUPTED, f"The browser disconnected (code {code})."
            )

    async def _finish(
        self,
        status: str,
        reason: str,
        *,
        tell: str | None = None,
        code: int = NORMAL,
        error_type: str = "websocket_disconnect",
        catch_up: bool = True,
    ) -> None:
        """End both sides once: what was said written, the record closed, the browser told
        (after what ElevenLabs said before the end, if it is still reading: `catch_up`)."""
        if self.ending:
            return
        self.ending = True
        current = asyncio.current_task()
        writer, conversation_id = self.writer, self.conversation_id
        if writer is not None and conversation_id is not None:
            written = await writer.close(conversation_id, timeout=CLOSE_WAIT_SECS)
        else:
            written = True  # the conversation never started: nothing was said
        if not written:
            logger.error(
                "Conversation %s: the last of its transcript was not written in time",
                self.conversation_id,
            )
        for task in self.tasks:  # the sender is left to pass on what ElevenLabs said before
            if task is not current and (task is not self.sender or not catch_up):
                task.cancel()
        if self.upstream is not None:
            await self.upstream.close()
        await self._end(status, reason.strip())
        await self._leave_group()
        try:
            await asyncio.wait_for(
                self._goodbye(tell, code=code, error_type=error_type, catch_up=catch_up),
                CLOSE_WAIT_SECS,
            )
        except Exception:  # gone, or not reading: nobody left to tell
            logger.debug("Conversation %s: the browser was not told", self.conversation_id)
        if self.sender is not None:
            self.sender.cancel()

    async def _goodbye(
        self, tell: str | None, *, code: int, error_type: str, catch_up: bool
    ) -> None:
        if self.browser_gone:
            return
        if catch_up:
            await self.outbox.join()
        if tell is not None:
            await self._tell_and_close(tell, code=code, error_type=error_type)
        else:
            await self.close(code)

    async def _leave_group(self) -> None:
        if self.group is not None and self.channel_layer is not None:
            group, self.group = self.group, None
            await self.channel_layer.group_discard(group, self.channel_name)

    async def _end(self, status: str, reason: str) -> None:
        if self.conversation_id is not None:
            await database_sync_to_async(conversation_close)(
                conversation_id=self.conversation_id, status=status, reason=reason
            )

    async def _tell(
        self, message: str, *, code: int = INPUT_ERROR, error_type: str = "invalid_message"
    ) -> None:
        """An `error` frame, as ElevenLabs sends before closing; the relay sends it for a frame it
        drops too."""
        frame = {"code": code, "message": message, "error_type": error_type, "reason": message}
        await self.send(text_data=json.dumps({"type": "error", "error_event": frame}))

    async def _tell_and_close(self, message: str, *, code: int, error_type: str) -> None:
        await self._tell(message, code=code, error_type=error_type)
        await self.close(code)

    def _offset_ms(self) -> int:
        return max(int((time.monotonic() - self.started) * 1000), 0)


def _opened_for(scope: Any) -> OpenedConversation:
    """The conversation the handshake asks for, as its caller may have it."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if "invite" in query:  # a caller without an account: the link's key is all it takes
        invite = invite_for_key(query["invite"][0])
        if invite is None or str(invite.agent_id) != str(scope["url_route"]["kwargs"]["agent_id"]):
            raise InvalidInput(NO_SUCH_INVITE)
        return conversation_open_by_invite(invite=invite)
    user = scope["user"]
    if not user.is_authenticated:
        raise InvalidInput(
            scope.get("auth_error")
            or "Sign in, or send an API token as `Authorization: Token <key>`."
        )
    agent = agent_get_for(user, scope["url_route"]["kwargs"]["agent_id"])
    target = (query.get("target") or [None])[0]
    version = (query.get("version") or [None])[0]
    if target is not None and target not in ConversationTarget.values:
        raise InvalidInput.for_field(
            "target", f"'{target}' is not a target; use testing, live or version=N."
        )
    if version is not None and not is_id(version):
        raise InvalidInput.for_field("version", "Give the version as a whole number, such as 3.")
    return conversation_open(
        agent=agent, actor=user, target=target, version=int(version) if version else None
    )


def _unreachable(error: Exception) -> str:
    """Why the connection to ElevenLabs failed, without the signed URL (whose signature lets
    anyone holding it into the conversation), which some of these errors quote."""
    if isinstance(error, InvalidURI):
        return "the signed URL it gave is not a WebSocket URL."
    if isinstance(error, TimeoutError):
        return f"no answer within {settings.RELAY_CONNECT_TIMEOUT:g} s."
    if isinstance(error, OSError):
        return f"{error.strerror or type(error).__name__}."
    return f"{error}."


# ElevenLabs' audio frames are most of what it sends and by far the largest (tens of KB of
# base64 each, 84 µs to decode), and the relay needs nothing from them. One that says it is
# audio in its first bytes, by its type or by its event's key, is relayed without decoding.
_AUDIO_FRAME = re.compile(r'\{\s*"(?:type"\s*:\s*"audio"\s*[,}]|audio_event"\s*:)')


def is_audio(frame: str) -> bool:
    """Does the server frame announce itself as audio at its start? (False when unsure: the
    frame is then decoded.)"""
    return _AUDIO_FRAME.match(frame) is not None


def _is(message: Any, message_type: str) -> bool:
    return isinstance(message, dict) and message.get("type") == message_type


def _decoded(frame: str) -> Any:
    try:
        return json.loads(frame)
    except ValueError:
        return None
