"""The conversation WebSocket's plumbing: one way out for server messages, pings, closes.

ConversationConsumer (sandbox/conversation.py) holds the conversation; this base holds the
socket: every server message leaves through `_send` (so an injected drop can count them and
an injected latency delay them), no handler error escapes (each ends the call with an `error`
message), background tasks die with the socket, and pings go out on a timer.
"""

import asyncio
import itertools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from asgiref.typing import WebSocketDisconnectEvent
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer

from sandbox.conversation_protocol import (
    DROPPED_CONNECTION,
    SERVER_ERROR,
    ProtocolError,
    server_message,
)
from sandbox.records import Fault
from sandbox.store import store

logger = logging.getLogger(__name__)

_CLOSE_REASON_BYTES = 123  # all a close frame holds


@dataclass(frozen=True)
class _HangUp:
    """The sandbox's close, on a slow socket: it follows what was sent before it."""

    code: int
    reason: str


class ConversationSocket(AsyncWebsocketConsumer):
    # No channel layer: nothing is sent to a conversation from outside it. (An alias that is
    # not configured gives none, as in sandbox/http.py.)
    channel_layer_alias = "sandbox-uses-no-channel-layer"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.closed = False  # the conversation is over: nothing more is said
        self.closed_by_sandbox = False
        self.failed = False  # the sandbox ended the call on an error or a drop
        self.hung_up = False  # the socket itself is closed, by either side
        self.sent = 0  # server messages on the wire
        self.fault: Fault | None = None
        # With a socket_latency_ms fault, server messages wait in the outbox, each with the time
        # it is due, until the courier puts them on the wire.
        self.latency = 0.0
        self.outbox: asyncio.Queue[tuple[float, str | _HangUp]] = asyncio.Queue()
        self.courier: asyncio.Task | None = None
        self.tasks: set[asyncio.Task] = set()
        self.event_ids = itertools.count(1)
        self.pings: dict[int, float] = {}  # event_id -> when it was sent
        self.ping_ms: int | None = None

    async def dispatch(self, message: dict) -> None:
        # Channels closes stale database connections before every handler, on Django's single
        # sync thread; the sandbox has no database and must not queue behind Django's views.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_disconnect(self, message: WebSocketDisconnectEvent) -> None:
        # As Channels' own, less the database clean-up and the groups this consumer never joins.
        await self.disconnect(message["code"])
        raise StopConsumer

    async def disconnect(self, code: int) -> None:
        self.closed = self.hung_up = True
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _send(self, message_type: str, event: dict) -> None:
        """Every server message leaves through here: at once, or through the courier."""
        if self.closed:
            return
        frame = json.dumps(server_message(message_type, event))
        if self.courier is None:
            await self._on_the_wire(frame)
        else:
            self.outbox.put_nowait((time.monotonic() + self.latency, frame))

    async def _on_the_wire(self, frame: str) -> None:
        await self.send(text_data=frame)
        self.sent += 1
        await self._drop_if_due()

    async def _expect_faults(self) -> None:
        """Take the queued socket fault, if any: it slows this socket's server messages, drops
        the socket after so many of them, or both."""
        self.fault = store.socket_fault()
        if self.fault is not None and self.fault.socket_latency_ms > 0:
            self.latency = self.fault.socket_latency_ms / 1000
            self.courier = asyncio.create_task(self._carry())
            self.tasks.add(self.courier)
        await self._drop_if_due()

    async def _carry(self) -> None:
        """Put each server message on the wire `latency` after it was sent, in order, as a slow
        network would; the conversation itself goes on meanwhile, reading the client."""
        while not self.hung_up:
            due, item = await self.outbox.get()
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if isinstance(item, _HangUp):
                await self._hang_up(item.code, item.reason)
            else:
                await self._on_the_wire(item)

    async def _drop_if_due(self) -> None:
        drop_after = self.fault.drop_socket_after if self.fault is not None else None
        if drop_after is not None and self.sent >= drop_after:
            # Without a word, as a lost network would: what was still on its way is lost.
            await self._close(DROPPED_CONNECTION, at_once=True)

    async def _fail(self, error: ProtocolError) -> None:
        await self._send("error", error.event())
        reason = error.message.encode()[:_CLOSE_REASON_BYTES].decode(errors="ignore")
        await self._close(error.close_code, reason=reason)

    async def _close(
        self, code: int, *, reason: str = "", at_once: bool = False, failed: bool = True
    ) -> None:
        """End the call from the sandbox's side: on an error or a drop (`failed`), else as the
        agent's own end. On a slow socket the close follows what was sent before it, unless
        `at_once`."""
        if self.hung_up or (self.closed and not at_once):
            return
        self.closed = self.closed_by_sandbox = True
        self.failed = self.failed or failed
        for task in self.tasks:
            if task is not asyncio.current_task() and task is not self.courier:
                task.cancel()
        if self.courier is None or at_once:
            await self._hang_up(code, reason)
        else:
            self.outbox.put_nowait((time.monotonic() + self.latency, _HangUp(code, reason)))

    async def _hang_up(self, code: int, reason: str) -> None:
        if self.hung_up:
            return
        self.hung_up = True
        if self.courier is not None and self.courier is not asyncio.current_task():
            self.courier.cancel()
        await self.close(code=code, reason=reason)

    async def _guarded(self, work: Awaitable[None]) -> None:
        """Run a handler so that no error escapes."""
        try:
            await work
        except ProtocolError as error:
            await self._fail(error)
        except Exception:
            logger.exception("A sandbox conversation failed")
            crash = ProtocolError(
                "The sandbox failed unexpectedly.",
                error_type="unknown_websocket_crash",
                code=SERVER_ERROR,
            )
            await self._fail(crash)

    def _spawn(self, start: Callable[[], Awaitable[None]]) -> None:
        """Run `start()` in the background, guarded, until done or the socket closes."""

        async def run() -> None:
            # The coroutine is made inside the task: one cancelled before it ran would
            # otherwise leave a coroutine that was never awaited.
            await self._guarded(start())

        task = asyncio.create_task(run())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _event_id(self) -> int:
        return next(self.event_ids)

    async def _keep_pinging(self) -> None:
        interval = store.settings.ping_interval
        while True:
            await asyncio.sleep(interval)
            event_id = self._event_id()
            self.pings[event_id] = time.monotonic()
            await self._send("ping", {"event_id": event_id, "ping_ms": self.ping_ms})

    async def _on_pong(self, message: dict) -> None:
        """ping_ms, in the next ping, is the round trip of the last one answered."""
        sent_at = self.pings.pop(message["event_id"], None)
        if sent_at is not None:
            self.ping_ms = round((time.monotonic() - sent_at) * 1000)
