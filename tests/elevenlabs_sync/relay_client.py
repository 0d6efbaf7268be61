"""A browser's side of the conversation relay, for tests: Channels' communicator through the
product's WebSocket routing, every frame received held against ElevenLabs' AsyncAPI contract."""

import json

from channels.testing import WebsocketCommunicator

from tests.contracts.asyncapi import assert_valid_client_message, assert_valid_server_message
from workspaces.services import api_token_create

TIMEOUT = 5.0
QUIET = 0.5  # how long "nothing more arrives" is watched for
ORIGIN = (b"origin", b"http://testserver")


def token_header(user) -> tuple[bytes, bytes]:
    _, key = api_token_create(user=user, name="relay test")
    return (b"authorization", f"Token {key}".encode())


def socket(application, agent_id, *, headers, query: str = "") -> WebsocketCommunicator:
    path = f"/ws/agents/{agent_id}/conversation" + (f"?{query}" if query else "")
    return WebsocketCommunicator(application, path, headers=headers, subprotocols=["convai"])


async def receive(communicator) -> dict:
    output = await communicator.receive_output(TIMEOUT)
    assert output["type"] == "websocket.send", output
    message = json.loads(output["text"])
    assert_valid_server_message(message)
    return message


async def receive_until(communicator, message_type: str) -> list[dict]:
    """Every message up to and including the first of `message_type`."""
    messages = [await receive(communicator)]
    while messages[-1]["type"] != message_type:
        messages.append(await receive(communicator))
    return messages


async def send(communicator, message: dict, *, strict: bool = True) -> None:
    """Send a message the contract allows; strict=False lets through what it leaves undeclared
    (an audio chunk has no `type`)."""
    assert_valid_client_message(message, strict=strict)
    await communicator.send_json_to(message)


async def refused_with(communicator) -> tuple[dict, int]:
    """The error frame and close code of a refused conversation."""
    connected, _ = await communicator.connect(TIMEOUT)
    assert connected  # accepted, so the refusal can say why
    error = await receive(communicator)
    closed = await communicator.receive_output(TIMEOUT)
    assert closed["type"] == "websocket.close"
    return error, closed["code"]


async def opened(communicator) -> list[dict]:
    """Connect and start the conversation: the messages up to the agent's first words."""
    connected, _ = await communicator.connect(TIMEOUT)
    assert connected
    await send(communicator, {"type": "conversation_initiation_client_data"})
    return await receive_until(communicator, "agent_response")
