"""The conversation relay behind a real server (uvicorn), where sockets behave as real ones: a
browser that stops reading fills the server's buffers, and then the server's sends wait."""

import asyncio
import contextlib
import json
import socket
import time

import pytest
from channels.db import database_sync_to_async
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from elevenlabs_sync import relay
from testruns.models import Conversation, ConversationStatus, TurnRole
from tests.contracts.asyncapi import assert_valid_server_message
from tests.elevenlabs_sync.relay_client import token_header

pytestmark = pytest.mark.django_db(transaction=True)

QUESTIONS = 12


@pytest.mark.send_buffer(8192)
def test_a_browser_that_stops_reading_holds_up_nothing_and_is_ended(
    asgi_server, tester, agent_in_testing, monkeypatch
):
    # A small backlog, so the browser is found to have stopped after a few of the agent's
    # replies; its socket's buffers small too, so the server's sends wait soon.
    monkeypatch.setattr(relay, "BROWSER_BACKLOG_FRAMES", 16)
    name, value = token_header(tester)
    host, port = asgi_server.removeprefix("http://").split(":")
    url = f"ws://{host}:{port}/ws/agents/{agent_in_testing.pk}/conversation"

    @database_sync_to_async
    def status() -> str:
        return Conversation.objects.get(agent=agent_in_testing).status

    async def talk_without_reading() -> tuple[list[dict], int | None]:
        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.connect((host, int(port)))
        async with connect(
            url,
            sock=raw,
            additional_headers={name.decode(): value.decode()},
            subprotocols=["convai"],
            max_queue=1,  # read no more than a frame ahead of the test, which reads nothing
            max_size=None,
            ping_interval=None,
        ) as browser:
            await browser.send(json.dumps({"type": "conversation_initiation_client_data"}))
            for number in range(QUESTIONS):
                await browser.send(json.dumps({"type": "user_message", "text": f"Q{number}?"}))
                await asyncio.sleep(0.2)
            deadline = time.monotonic() + 20
            while await status() == ConversationStatus.ACTIVE and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            received: list[dict] = []

            async def read_up_to_the_close() -> None:
                try:
                    async for frame in browser:
                        received.append(json.loads(frame))
                except ConnectionClosed:
                    pass

            with contextlib.suppress(TimeoutError):  # a relay that never closes fails below
                await asyncio.wait_for(read_up_to_the_close(), 10)
            return received, browser.close_code

    received, close_code = asyncio.run(talk_without_reading())

    conversation = Conversation.objects.get(agent=agent_in_testing)
    assert conversation.status == ConversationStatus.INTERRUPTED
    assert conversation.end_reason == "The browser stopped reading what ElevenLabs sent."
    # While the browser read nothing, the agent's replies were still heard and written.
    assert conversation.turns.filter(role=TurnRole.AGENT).count() > 1
    for message in received:
        assert_valid_server_message(message)
    assert received[-1]["error_event"]["message"] == (
        "The browser fell too far behind the conversation; it has ended."
    )
    assert close_code == 1011
