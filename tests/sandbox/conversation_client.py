"""A client for the sandbox's conversation WebSocket, for tests.

It drives the consumer in-process (no server) and holds every message it sends or receives
against ElevenLabs' AsyncAPI contract, so no test can pass on a message the real protocol
would not carry.
"""

import asyncio
import base64
import functools
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from urllib.parse import urlencode

from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from sandbox.records import Agent, deep_merge
from sandbox.routing import websocket_urlpatterns
from sandbox.signing import conversation_signature
from sandbox.store import store
from tests.contracts.asyncapi import assert_valid_client_message, assert_valid_server_message

PATH = "/sandbox/elevenlabs/v1/convai/conversation"
API_KEY = "sk_sandbox_test"  # the in-process sandbox's key in tests (tests/sandbox/conftest.py)
API_KEY_HEADER = (b"xi-api-key", API_KEY.encode())
TIMEOUT = 2.0
QUIET = 0.1  # how long "nothing more arrives" is watched for
FIRST_MESSAGE = "Hello, I am the Acme assistant. How can I help you today?"
PROMPT = "You are the Acme support agent. Answer briefly and kindly."
CONFIG = {
    "agent": {"first_message": FIRST_MESSAGE, "prompt": {"prompt": PROMPT}},
    "tts": {"voice_id": "voice_rachel"},
}

_application = URLRouter(websocket_urlpatterns)


def synchronously(test: Callable[..., Coroutine]) -> Callable[..., None]:
    """Run an async test on an event loop of its own (the project has no pytest-asyncio)."""

    @functools.wraps(test)
    def run(*args, **kwargs) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


# Every override the sandbox's conversations take, allowed (platform_settings).
ALLOWING_OVERRIDES = {
    "overrides": {
        "conversation_config_override": {
            "agent": {"prompt": {"prompt": True}, "first_message": True, "language": True},
            "tts": {"voice_id": True},
            "conversation": {"text_only": True},
        }
    }
}


def agent_with(config: dict | None = None, *, platform_settings: dict | None = None) -> Agent:
    """An agent in the sandbox whose config is CONFIG with `config` merged in."""
    return store.agent_create(
        name="Acme support",
        conversation_config=deep_merge(CONFIG, config or {}),
        platform_settings=platform_settings or {},
        tags=[],
    )


def signed_query(agent: Agent, branch_id: str | None = None, version_id: str | None = None) -> dict:
    """The query of a signed URL, as get-signed-url builds it."""
    return {
        "agent_id": agent.agent_id,
        "conversation_signature": conversation_signature(agent.agent_id, branch_id, version_id),
    }


def spoken(text: str) -> dict:
    """An audio chunk whose bytes are text: the sandbox hears the text."""
    return {"user_audio_chunk": base64.b64encode(text.encode()).decode()}


@dataclass
class Turn:
    """An agent turn as a client receives it: the response and its audio."""

    text: str
    event_id: int
    audio: list[dict] = field(repr=False)  # the audio_event of each chunk


class Closed(AssertionError):
    def __init__(self, output: dict) -> None:
        super().__init__(f"The socket closed: {output}")
        self.code = output.get("code")
        self.reason = output.get("reason")


class ConversationClient:
    def __init__(self, query: dict, *, api_key: bool | str = True) -> None:
        """`api_key`: send the sandbox's key (True), none (False), or this one."""
        if isinstance(api_key, str):
            headers = [(API_KEY_HEADER[0], api_key.encode())]
        else:
            headers = [API_KEY_HEADER] if api_key else []
        self.communicator = WebsocketCommunicator(
            _application, f"{PATH}?{urlencode(query)}", headers=headers
        )
        self.received: list[dict] = []
        self.conversation_id = ""  # once the initiation metadata has named it

    async def __aenter__(self) -> "ConversationClient":
        connected, _ = await self.communicator.connect()
        assert connected
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        # Raises whatever the consumer raised, so a crash cannot pass unseen.
        await self.communicator.disconnect()

    async def send(self, message: dict, *, strict: bool = True) -> None:
        """Send a message the contract allows; strict=False lets through properties it does not
        declare, as clients such as the official Python SDK send."""
        assert_valid_client_message(message, strict=strict)
        await self.communicator.send_json_to(message)

    async def send_frame(self, *, text: str | None = None, binary: bytes | None = None) -> None:
        """A raw frame, which may well break the protocol."""
        await self.communicator.send_to(text_data=text, bytes_data=binary)

    async def receive(self) -> dict:
        output = await self.communicator.receive_output(TIMEOUT)
        if output["type"] == "websocket.close":
            raise Closed(output)
        message = json.loads(output["text"])
        assert_valid_server_message(message)
        self.received.append(message)
        if message["type"] == "conversation_initiation_metadata":
            self.conversation_id = message["conversation_initiation_metadata_event"][
                "conversation_id"
            ]
        return message

    async def expect(self, message_type: str) -> dict:
        """The next message, which must be of this type; its event payload is returned."""
        message = await self.receive()
        assert message["type"] == message_type, message
        return next(value for key, value in message.items() if key != "type")

    async def expect_close(self) -> Closed:
        try:
            message = await self.receive()
        except Closed as closed:
            return closed
        raise AssertionError(f"Expected the socket to close, got {message}")

    async def expect_nothing(self) -> None:
        assert await self.communicator.receive_nothing(QUIET), "A message arrived"

    async def start(self, *, strict: bool = True, **initiation: object) -> dict:
        """Send conversation_initiation_client_data; the metadata event it gets back."""
        message = {"type": "conversation_initiation_client_data", **initiation}
        await self.send(message, strict=strict)
        return await self.expect("conversation_initiation_metadata")

    async def greeted(self) -> Turn:
        """Start the conversation with no initiation data and hear the greeting out."""
        await self.start()
        return await self.agent_turn()

    async def agent_turn(self) -> Turn:
        """An agent_response and all its audio: the chunks whose alignment spells its text."""
        response = await self.expect("agent_response")
        turn = Turn(response["agent_response"], response["event_id"], [])
        spelled = ""
        while spelled != turn.text:
            chunk = await self.expect("audio")
            assert chunk["event_id"] == turn.event_id, chunk
            spelled += "".join(chunk["alignment"]["chars"])
            assert turn.text.startswith(spelled), (spelled, turn.text)
            turn.audio.append(chunk)
        return turn
