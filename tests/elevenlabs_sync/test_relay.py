"""The conversation relay (elevenlabs_sync/relay.py), driven in-process with Channels'
communicator through the product's own WebSocket routing, to the sandbox running as a server
of its own: every frame the client gets is held against ElevenLabs' AsyncAPI contract."""

import asyncio
import base64
import dataclasses
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from agents.models import Status
from deployments.services import deployment_create
from testruns.models import Conversation, ConversationStatus, TurnRole
from tests.elevenlabs_sync.relay_client import (
    ORIGIN,
    QUIET,
    TIMEOUT,
    opened,
    receive,
    receive_until,
    refused_with,
    send,
    socket,
    token_header,
)
from tests.factories import AgentFactory, record_passing_test, sample_config

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_typed_conversation_goes_through_and_is_kept(application, tester, agent_in_testing):
    headers = [ORIGIN, token_header(tester)]

    async def talk():
        communicator = socket(application, agent_in_testing.pk, headers=headers)
        connected, subprotocol = await communicator.connect(TIMEOUT)
        assert connected
        assert subprotocol == "convai"
        await send(communicator, {"type": "conversation_initiation_client_data"})
        first = await receive_until(communicator, "agent_response")
        assert first[0]["type"] == "conversation_initiation_metadata"
        await send(communicator, {"type": "user_message", "text": "What are your opening hours?"})
        reply = await receive_until(communicator, "agent_response")
        await communicator.disconnect(code=1000)
        return first, reply

    first, reply = asyncio.run(talk())

    conversation = Conversation.objects.get(agent=agent_in_testing)
    metadata = first[0]["conversation_initiation_metadata_event"]
    assert conversation.elevenlabs_conversation_id == metadata["conversation_id"]
    assert conversation.status == ConversationStatus.COMPLETED
    assert conversation.end_reason == "The tester ended the conversation."
    assert (conversation.target, conversation.started_by) == ("testing", tester)
    assert conversation.config_revision == agent_in_testing.sync.testing_synced_revision
    # Typing while the first message is still being spoken cuts it short: the agent's turn
    # then reads what was heard, as ElevenLabs' correction says.
    said = {
        message["agent_response_event"]["event_id"]: message["agent_response_event"][
            "agent_response"
        ]
        for message in first + reply
        if message["type"] == "agent_response"
    }
    corrections = {
        message["agent_response_correction_event"]["event_id"]: message[
            "agent_response_correction_event"
        ]["corrected_agent_response"]
        for message in first + reply
        if message["type"] == "agent_response_correction"
    }
    first_id, reply_id = list(said)
    turns = [(turn.role, turn.text, turn.corrected) for turn in conversation.turns.all()]
    assert turns == [
        (TurnRole.AGENT, corrections.get(first_id, said[first_id]), first_id in corrections),
        (TurnRole.USER, "What are your opening hours?", False),
        (TurnRole.AGENT, said[reply_id], False),
    ]


def test_the_browser_closing_mid_conversation_keeps_what_was_said(
    application, tester, agent_in_testing
):
    headers = [ORIGIN, token_header(tester)]

    async def talk():
        communicator = socket(application, agent_in_testing.pk, headers=headers)
        await communicator.connect(TIMEOUT)
        await send(communicator, {"type": "conversation_initiation_client_data"})
        await receive_until(communicator, "agent_response")
        await communicator.disconnect(code=1001)  # the tab was closed

    asyncio.run(talk())

    conversation = Conversation.objects.get(agent=agent_in_testing)
    assert conversation.status == ConversationStatus.INTERRUPTED
    assert conversation.end_reason == "The browser disconnected (code 1001)."
    assert conversation.turns.filter(role=TurnRole.AGENT).count() == 1


def test_elevenlabs_id_is_on_the_record_before_the_browser_learns_it(
    application, tester, agent_in_testing
):
    # The console asks for the record by that id the moment the conversation ends.
    headers = [ORIGIN, token_header(tester)]

    def recorded_id():
        return Conversation.objects.get(agent=agent_in_testing).elevenlabs_conversation_id

    async def talk():
        communicator = socket(application, agent_in_testing.pk, headers=headers)
        await communicator.connect(TIMEOUT)
        await send(communicator, {"type": "conversation_initiation_client_data"})
        metadata = await receive(communicator)
        on_record = await database_sync_to_async(recorded_id)()
        await communicator.disconnect(code=1000)
        return metadata, on_record

    metadata, on_record = asyncio.run(talk())

    assert metadata["type"] == "conversation_initiation_metadata"
    assert on_record == metadata["conversation_initiation_metadata_event"]["conversation_id"]


@pytest.mark.parametrize("who", ["outsider", "unknown agent"])
def test_an_outsider_and_an_unknown_agent_are_refused_alike(
    application, outsider, tester, agent_in_testing, who
):
    user, agent_id = (outsider, agent_in_testing.pk) if who == "outsider" else (tester, 99_999_999)
    headers = [ORIGIN, token_header(user)]

    error, code = asyncio.run(refused_with(socket(application, agent_id, headers=headers)))

    assert code == 1008
    assert error["error_event"]["message"] == f"No agent with id {agent_id} in your workspaces."
    assert not Conversation.objects.exists()


def test_a_viewer_is_refused_saying_which_role_it_takes(application, viewer, agent_in_testing):
    headers = [ORIGIN, token_header(viewer)]

    error, code = asyncio.run(
        refused_with(socket(application, agent_in_testing.pk, headers=headers))
    )

    assert code == 1008
    assert "You need the tester role" in error["error_event"]["message"]
    assert not Conversation.objects.exists()


def test_no_credentials_are_refused_saying_how_to_sign_in(application, agent_in_testing):
    error, code = asyncio.run(
        refused_with(socket(application, agent_in_testing.pk, headers=[ORIGIN]))
    )

    assert code == 1008
    assert "Authorization: Token" in error["error_event"]["message"]


def test_a_page_of_another_site_may_not_open_a_conversation(application, tester, agent_in_testing):
    headers = [(b"origin", b"https://evil.example"), token_header(tester)]

    async def attempt():
        return await socket(application, agent_in_testing.pk, headers=headers).connect(TIMEOUT)

    connected, _ = asyncio.run(attempt())

    assert not connected
    assert not Conversation.objects.exists()


def test_an_unknown_websocket_path_is_refused_cleanly(application):
    async def attempt():
        communicator = WebsocketCommunicator(application, "/ws/nothing/here", headers=[ORIGIN])
        connected, _ = await communicator.connect(TIMEOUT)
        await communicator.wait()  # raises whatever the application raised
        return connected

    assert asyncio.run(attempt()) is False


def test_a_frame_that_is_not_json_gets_an_error_and_the_conversation_goes_on(
    application, tester, agent_in_testing
):
    headers = [ORIGIN, token_header(tester)]

    async def talk():
        communicator = socket(application, agent_in_testing.pk, headers=headers)
        await communicator.connect(TIMEOUT)
        await send(communicator, {"type": "conversation_initiation_client_data"})
        await receive_until(communicator, "agent_response")
        await communicator.send_to(text_data="{not json")
        error = await receive_until(communicator, "error")
        await send(communicator, {"type": "user_message", "text": "Still there?"})
        reply = await receive_until(communicator, "agent_response")
        await communicator.disconnect(code=1000)
        return error[-1], reply[-1]

    error, reply = asyncio.run(talk())

    assert error["error_event"]["code"] == 1008
    assert "not JSON" in error["error_event"]["message"]
    assert reply["agent_response_event"]["agent_response"]
    assert Conversation.objects.get().turns.filter(text="Still there?").exists()


def test_an_oversized_frame_gets_an_error_and_is_not_relayed(
    application, tester, agent_in_testing, sandbox, settings
):
    settings.RELAY_MAX_FRAME_BYTES = 2_000
    headers = [ORIGIN, token_header(tester)]

    async def talk():
        communicator = socket(application, agent_in_testing.pk, headers=headers)
        await communicator.connect(TIMEOUT)
        await send(communicator, {"type": "conversation_initiation_client_data"})
        await receive_until(communicator, "agent_response")
        await send(communicator, {"type": "user_message", "text": "x" * 3_000})
        error = await receive_until(communicator, "error")
        await communicator.disconnect(code=1000)
        return error[-1]

    error = asyncio.run(talk())

    assert "over the limit of 2,000" in error["error_event"]["message"]
    assert not Conversation.objects.get().turns.filter(role=TurnRole.USER).exists()


def test_flooding_frames_are_dropped_with_one_error_a_second(
    application, tester, agent_in_testing, settings
):
    settings.RELAY_MAX_MESSAGES_PER_SECOND = 3
    headers = [ORIGIN, token_header(tester)]

    async def talk():
        communicator = socket(application, agent_in_testing.pk, headers=headers)
        await communicator.connect(TIMEOUT)
        await send(communicator, {"type": "conversation_initiation_client_data"})
        await receive_until(communicator, "agent_response")
        for _ in range(10):
            await send(communicator, {"type": "user_activity"})
        errors = []
        while not await communicator.receive_nothing(QUIET):
            message = await receive(communicator)
            errors += [message] if message["type"] == "error" else []
        await communicator.disconnect(code=1000)
        return errors

    errors = asyncio.run(talk())

    assert len(errors) == 1
    assert "Over 3 frames a second" in errors[0]["error_event"]["message"]


def test_elevenlabs_dropping_the_conversation_keeps_what_was_said_and_tells_the_browser(
    application, tester, agent_in_testing, sandbox
):
    # Metadata, the first message and one chunk of its audio, then the line goes dead.
    sandbox.add_fault(drop_socket_after=3)
    headers = [ORIGIN, token_header(tester)]

    async def talk():
        communicator = socket(application, agent_in_testing.pk, headers=headers)
        await opened(communicator)
        messages = await receive_until(communicator, "error")
        closed = await communicator.receive_output(TIMEOUT)
        return messages[-1], closed

    error, closed = asyncio.run(talk())

    assert error["error_event"]["message"] == (
        "The connection to ElevenLabs dropped; what was said so far is saved."
    )
    assert closed["code"] == 1011
    conversation = Conversation.objects.get()
    assert conversation.status == ConversationStatus.INTERRUPTED
    assert conversation.end_reason.startswith("The connection to ElevenLabs closed (code 4006)")
    assert conversation.turns.filter(role=TurnRole.AGENT).count() == 1


def test_a_batch_the_writer_failed_to_write_is_written_on_its_next_try(
    application, tester, agent_in_testing, monkeypatch
):
    from elevenlabs_sync import transcript_writer
    from testruns.services import conversation_transcripts_add

    attempts = []

    def fails_at_first(**kwargs):
        # The batch fails, and so does its conversation written on its own; then it passes.
        attempts.append(kwargs)
        if len(attempts) <= 2:
            raise ConnectionError("the database restarted")
        conversation_transcripts_add(**kwargs)

    monkeypatch.setattr(transcript_writer, "conversation_transcripts_add", fails_at_first)
    monkeypatch.setattr(transcript_writer, "WRITE_RETRY_SECS", 0.05)
    headers = [ORIGIN, token_header(tester)]

    async def talk():
        communicator = socket(application, agent_in_testing.pk, headers=headers)
        first = await opened(communicator)
        await communicator.disconnect(code=1000)
        return first

    first = asyncio.run(talk())

    assert len(attempts) >= 3
    conversation = Conversation.objects.get()
    assert (
        conversation.elevenlabs_conversation_id
        == (first[0]["conversation_initiation_metadata_event"]["conversation_id"])
    )
    assert conversation.turns.filter(role=TurnRole.AGENT).count() == 1


def test_a_conversation_ends_at_the_workspaces_maximum_length(
    application, tester, agent_in_testing, workspace
):
    workspace.conversation_max_seconds = 2
    workspace.save()
    headers = [ORIGIN, token_header(tester)]

    async def talk():
        communicator = socket(application, agent_in_testing.pk, headers=headers)
        await opened(communicator)
        messages = await receive_until(communicator, "error")
        closed = await communicator.receive_output(TIMEOUT)
        return messages[-1], closed

    error, closed = asyncio.run(talk())

    assert error["error_event"]["error_type"] == "max_duration_exceeded"
    assert closed["code"] == 1000
    conversation = Conversation.objects.get()
    assert conversation.status == ConversationStatus.COMPLETED
    assert conversation.end_reason == "The conversation reached its maximum length of 2 seconds."


def test_an_invalid_token_is_refused_saying_so(application, agent_in_testing):
    headers = [ORIGIN, (b"authorization", b"Token not-a-key")]

    error, code = asyncio.run(
        refused_with(socket(application, agent_in_testing.pk, headers=headers))
    )

    assert code == 1008
    assert error["error_event"]["message"].startswith("Invalid or revoked API token.")


@pytest.mark.parametrize(("query", "target"), [("target=live", "live"), ("version=2", "version")])
def test_the_live_version_or_a_published_one_is_talked_to_on_request(
    application, tester, released, query, target
):
    headers = [ORIGIN, token_header(tester)]

    async def talk():
        communicator = socket(application, released.agent_id, headers=headers, query=query)
        await opened(communicator)
        await communicator.disconnect(code=1000)

    asyncio.run(talk())

    conversation = Conversation.objects.get()
    assert conversation.target == target
    assert (conversation.version, conversation.config_revision) == (
        released.number,
        released.config_revision,
    )


def config_of(name: str) -> dict:
    """A config whose first message and prompt both name it: the sandbox's agent greets with
    the one and quotes the other in every reply, so what it says shows which config it runs."""
    config = sample_config(f"{name} here. How can I help?")
    config["conversation_config"]["agent"]["prompt"]["prompt"] = f"You are {name}, a helper."
    return config


@pytest.fixture
def three_configs(sandbox, workspace, owner, django_capture_on_commit_callbacks):
    """An agent whose version 2 (published) runs Alpha, whose live version 3 runs Beta, and
    whose testing branch runs Gamma."""
    from agents.services import agent_update

    with django_capture_on_commit_callbacks(execute=True):
        agent = AgentFactory(workspace=workspace, actor=owner, config=config_of("Alpha"))
    for name in ("Alpha", "Beta", "Gamma"):
        if name != "Alpha":
            with django_capture_on_commit_callbacks(execute=True):
                agent_update(agent=agent, actor=owner, config=config_of(name))
        with django_capture_on_commit_callbacks(execute=True):
            deployment_create(agent=agent, to_status=Status.TESTING, changes="", actor=owner)
        if name != "Gamma":
            record_passing_test(agent, owner)
            with django_capture_on_commit_callbacks(execute=True):
                deployment_create(
                    agent=agent, to_status=Status.PRODUCTION, changes=name, actor=owner
                )
    agent.refresh_from_db()
    assert (agent.live_version, agent.status) == (3, Status.TESTING), agent.sync.last_error
    return agent


@pytest.mark.parametrize(
    ("query", "config"),
    [("target=testing", "Gamma"), ("target=live", "Beta"), ("version=2", "Alpha")],
)
def test_each_target_answers_with_its_own_config(application, tester, three_configs, query, config):
    headers = [ORIGIN, token_header(tester)]

    async def talk():
        communicator = socket(application, three_configs.pk, headers=headers, query=query)
        first = await opened(communicator)
        await send(communicator, {"type": "user_message", "text": "Who are you?"})
        reply = await receive_until(communicator, "agent_response")
        await communicator.disconnect(code=1000)
        return first[-1], reply[-1]

    first, reply = asyncio.run(talk())

    assert first["agent_response_event"]["agent_response"] == f"{config} here. How can I help?"
    assert reply["agent_response_event"]["agent_response"] == (
        f'You said: "Who are you?". My instructions begin: "You are {config}, a helper.".'
    )
    said = [turn.text for turn in Conversation.objects.get().turns.all()]
    assert said[-1] == reply["agent_response_event"]["agent_response"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("target=staging", "'staging' is not a target; use testing, live or version=N."),
        ("version=two", "Give the version as a whole number, such as 3."),
        ("target=version", "Say which version: version=N."),
        ("target=live", "The agent has no live version yet"),
    ],
)
def test_a_target_that_cannot_be_talked_to_is_refused_saying_why(
    application, tester, agent_in_testing, query, message
):
    headers = [ORIGIN, token_header(tester)]

    error, code = asyncio.run(
        refused_with(socket(application, agent_in_testing.pk, headers=headers, query=query))
    )

    assert code == 1008
    assert message in error["error_event"]["message"]
    assert not Conversation.objects.exists()


class FakeElevenLabs:
    """A conversation socket of our own making, to see exactly what the relay sends upstream."""

    def __init__(self, script: list[str], *, latency: float = 0.0) -> None:
        self.script = script  # frames sent on connect, as text
        self.latency = latency  # seconds before each frame of the script: a slow upstream
        self.received: list[str] = []
        self.url = ""

    async def __aenter__(self) -> "FakeElevenLabs":
        from websockets.asyncio.server import serve

        async def say(connection) -> None:
            for frame in self.script:
                await asyncio.sleep(self.latency)
                await connection.send(frame)

        async def converse(connection) -> None:
            saying = asyncio.create_task(say(connection))
            async for frame in connection:
                self.received.append(frame)
            saying.cancel()

        self.server = await serve(converse, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/v1/convai/conversation"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.server.close()
        await self.server.wait_closed()


async def arrived(frames: list, count: int) -> None:
    async with asyncio.timeout(TIMEOUT):
        while len(frames) < count:
            await asyncio.sleep(0.01)


@pytest.fixture
def upstream_at(monkeypatch):
    """Point the relay at a FakeElevenLabs instead of the URL ElevenLabs signs."""
    from elevenlabs_sync import live, relay

    def pointing(fake: FakeElevenLabs) -> None:
        def opened_there(**kwargs):
            return dataclasses.replace(live.conversation_open(**kwargs), url=fake.url)

        monkeypatch.setattr(relay, "conversation_open", opened_there)

    return pointing


def test_frames_pass_unchanged_and_the_relay_answers_pings_itself(
    application, tester, agent_in_testing, upstream_at
):
    ping = '{"type": "ping", "ping_event": {"event_id": 7, "ping_ms": null}}'
    typed = '{"text":"Hi there","type":"user_message"}'  # keys in an unusual order, no spaces
    headers = [ORIGIN, token_header(tester)]

    async def talk():
        async with FakeElevenLabs([ping]) as fake:
            upstream_at(fake)
            communicator = socket(application, agent_in_testing.pk, headers=headers)
            await communicator.connect(TIMEOUT)
            relayed = await communicator.receive_output(TIMEOUT)
            await arrived(fake.received, 1)  # the relay's pong, with the browser silent
            await send(communicator, {"type": "pong", "event_id": 7})  # late, as a slow tab's
            await communicator.send_to(text_data=typed)
            await arrived(fake.received, 2)
            await communicator.disconnect(code=1000)
            return relayed["text"], fake.received

    relayed, upstream_got = asyncio.run(talk())

    assert relayed == ping  # byte for byte
    assert [json.loads(frame) for frame in upstream_got] == [
        {"type": "pong", "event_id": 7},  # the relay's; the browser's is not passed on
        {"type": "user_message", "text": "Hi there"},
    ]
    assert upstream_got[1] == typed


def test_a_slow_elevenlabs_holds_up_nothing_the_browser_sends(
    application, tester, agent_in_testing, sandbox
):
    sandbox.add_fault(socket_latency_ms=1_000)  # each of ElevenLabs' messages a second late
    headers = [ORIGIN, token_header(tester)]

    async def talk():
        communicator = socket(application, agent_in_testing.pk, headers=headers)
        await communicator.connect(TIMEOUT)
        await send(communicator, {"type": "conversation_initiation_client_data"})
        await communicator.send_to(text_data="{not json")  # while ElevenLabs' answer is late
        opening = await receive_until(communicator, "agent_response")
        await send(communicator, {"type": "user_message", "text": "Are you there?"})
        await communicator.send_to(text_data="{not json")  # while the reply is late
        reply = await receive_until(communicator, "agent_response")
        await communicator.disconnect(code=1000)
        return opening, reply

    opening, reply = asyncio.run(talk())

    # The relay's answer to a bad frame comes before ElevenLabs' late messages, each time.
    assert [message["type"] for message in opening] == [
        "error",
        "conversation_initiation_metadata",
        "agent_response",
    ]
    reply_types = [message["type"] for message in reply]
    assert reply_types.index("error") < reply_types.index("agent_response")
    # ElevenLabs' own messages pass in the order it sent them, and what was said is kept so.
    greeting = opening[-1]["agent_response_event"]
    assert all(
        message["audio_event"]["event_id"] == greeting["event_id"]
        for message in reply
        if message["type"] == "audio"
    )
    answer = reply[-1]["agent_response_event"]["agent_response"]
    assert answer.startswith('You said: "Are you there?".')
    conversation = Conversation.objects.get()
    assert conversation.status == ConversationStatus.COMPLETED
    assert [(turn.role, turn.text) for turn in conversation.turns.all()] == [
        (TurnRole.AGENT, greeting["agent_response"]),
        (TurnRole.USER, "Are you there?"),
        (TurnRole.AGENT, answer),
    ]


def test_a_slow_elevenlabs_has_its_pings_answered_and_gets_the_browsers_frames_at_once(
    application, tester, agent_in_testing, upstream_at
):
    ping = '{"type": "ping", "ping_event": {"event_id": 7, "ping_ms": null}}'
    headers = [ORIGIN, token_header(tester)]

    async def talk():
        async with FakeElevenLabs([ping], latency=1.0) as fake:
            upstream_at(fake)
            communicator = socket(application, agent_in_testing.pk, headers=headers)
            await communicator.connect(TIMEOUT)
            await send(communicator, {"type": "user_message", "text": "Anyone there?"})
            await communicator.send_to(text_data="{not json")
            first, second = await receive(communicator), await receive(communicator)
            await arrived(fake.received, 2)  # the browser never answers the ping itself
            await communicator.disconnect(code=1000)
            return first, second, fake.received

    first, second, upstream_got = asyncio.run(talk())

    assert (first["type"], second["type"]) == ("error", "ping")
    assert [json.loads(frame) for frame in upstream_got] == [
        {"type": "user_message", "text": "Anyone there?"},  # relayed before the ping came
        {"type": "pong", "event_id": 7},
    ]
    assert Conversation.objects.get().turns.filter(text="Anyone there?").exists()


def test_a_browser_that_reads_nothing_for_a_while_holds_up_neither_relaying_nor_recording(
    application, tester, agent_in_testing
):
    # What is said is written as it passes, not once the browser has read it. (The
    # communicator buffers what it is sent without limit, as Daphne does, so this cannot show
    # a server whose sends wait for a stalled browser.)
    headers = [ORIGIN, token_header(tester)]

    def agent_turns() -> list[str]:
        turns = Conversation.objects.get().turns.filter(role=TurnRole.AGENT)
        return list(turns.values_list("text", flat=True))

    async def talk():
        communicator = socket(application, agent_in_testing.pk, headers=headers)
        await opened(communicator)
        await send(communicator, {"type": "user_message", "text": "Still with me?"})
        # The browser reads nothing: the reply is relayed and written all the same.
        async with asyncio.timeout(TIMEOUT):
            while len(await database_sync_to_async(agent_turns)()) < 2:
                await asyncio.sleep(0.05)
        unread = await receive_until(communicator, "agent_response")
        await communicator.disconnect(code=1000)
        return unread

    unread = asyncio.run(talk())

    answer = unread[-1]["agent_response_event"]["agent_response"]
    assert answer.startswith('You said: "Still with me?".')
    assert agent_turns()[-1] == answer


def test_a_workspace_holds_no_more_conversations_at_once_than_it_allows(
    application, tester, agent_in_testing, workspace
):
    workspace.concurrent_conversations = 1
    workspace.save()
    headers = [ORIGIN, token_header(tester)]

    async def talk():
        first = socket(application, agent_in_testing.pk, headers=headers)
        await opened(first)
        refusal = await refused_with(socket(application, agent_in_testing.pk, headers=headers))
        await first.disconnect(code=1000)
        return refusal

    (error, code) = asyncio.run(talk())

    assert code == 1008
    assert error["error_event"]["message"].startswith(
        "Workspace 'acme' has 1 test conversations going on, as many as it allows at once"
    )
    assert Conversation.objects.count() == 1


def test_a_version_never_published_is_refused_saying_so(application, tester, agent_in_testing):
    headers = [ORIGIN, token_header(tester)]

    error, code = asyncio.run(
        refused_with(socket(application, agent_in_testing.pk, headers=headers, query="version=1"))
    )

    assert code == 1008
    assert error["error_event"]["message"].startswith("Version 1 was never published to ElevenLabs")


def test_elevenlabs_out_of_reach_fails_the_conversation_saying_so(
    application, tester, agent_in_testing, upstream_at
):
    closed_port = FakeElevenLabs([])
    closed_port.url = "ws://127.0.0.1:9/v1/convai/conversation?conversation_signature=secret"
    upstream_at(closed_port)
    headers = [ORIGIN, token_header(tester)]

    error, code = asyncio.run(
        refused_with(socket(application, agent_in_testing.pk, headers=headers))
    )

    assert code == 1011
    assert error["error_event"]["message"] == (
        "ElevenLabs could not be reached; try again in a moment."
    )
    conversation = Conversation.objects.get()
    assert conversation.status == ConversationStatus.FAILED
    assert conversation.end_reason.startswith("ElevenLabs could not be reached: ")
    assert "secret" not in conversation.end_reason


BOOKING_TOOL = {
    "type": "client",
    "name": "book_appointment",
    "description": "Books an appointment.",
    "parameters": {"type": "object", "properties": {"date": {"type": "string"}}},
}


@pytest.fixture
def agent_with_a_client_tool(sandbox, workspace, owner, django_capture_on_commit_callbacks):
    config = sample_config()
    config["conversation_config"]["agent"]["prompt"]["tools"] = [BOOKING_TOOL]
    with django_capture_on_commit_callbacks(execute=True):
        agent = AgentFactory(workspace=workspace, actor=owner, config=config)
    with django_capture_on_commit_callbacks(execute=True):
        deployment_create(agent=agent, to_status=Status.TESTING, changes="", actor=owner)
    return agent


def spoken(text: str) -> dict:
    """An audio chunk the sandbox hears as `text` (sandbox/speech.py)."""
    return {"user_audio_chunk": base64.b64encode(text.encode()).decode()}


def test_audio_goes_in_and_comes_out_and_what_was_heard_is_kept(
    application, tester, agent_in_testing
):
    headers = [ORIGIN, token_header(tester)]

    async def talk():
        communicator = socket(application, agent_in_testing.pk, headers=headers)
        await opened(communicator)
        await send(communicator, spoken("Do you open on Sundays?"), strict=False)
        heard = await receive_until(communicator, "agent_response")
        spoken_back = await receive_until(communicator, "audio")
        await communicator.disconnect(code=1000)
        return heard, spoken_back

    heard, spoken_back = asyncio.run(talk())

    transcript = next(m for m in heard if m["type"] == "user_transcript")
    assert transcript["user_transcription_event"]["user_transcript"] == "Do you open on Sundays?"
    assert spoken_back[-1]["audio_event"]["audio_base_64"]
    turns = [(turn.role, turn.text) for turn in Conversation.objects.get().turns.all()]
    assert (TurnRole.USER, "Do you open on Sundays?") in turns


def test_a_client_tool_call_answered_by_the_browser_is_kept_on_the_agents_turn(
    application, tester, agent_with_a_client_tool
):
    headers = [ORIGIN, token_header(tester)]

    async def talk():
        communicator = socket(application, agent_with_a_client_tool.pk, headers=headers)
        await opened(communicator)
        await send(communicator, {"type": "user_message", "text": "Book appointment date=friday"})
        call = (await receive_until(communicator, "client_tool_call"))[-1]["client_tool_call"]
        result = {
            "type": "client_tool_result",
            "tool_call_id": call["tool_call_id"],
            "result": "Booked for Friday at 10.",
            "is_error": False,
        }
        await send(communicator, result)
        answer = await receive_until(communicator, "agent_response")
        await communicator.disconnect(code=1000)
        return call, answer[-1]["agent_response_event"]["agent_response"]

    call, answer = asyncio.run(talk())

    assert answer == "book_appointment returned: Booked for Friday at 10."
    (with_call,) = [t for t in Conversation.objects.get().turns.all() if t.tool_calls]
    assert with_call.role == TurnRole.AGENT
    assert with_call.tool_calls == [
        {
            "tool_name": "book_appointment",
            "tool_call_id": call["tool_call_id"],
            "parameters": {"date": "friday"},
        }
    ]


# --- invite links: a caller without an account


def invite_for(agent, editor, **kwargs):
    from datetime import timedelta

    from elevenlabs_sync.live import invite_create

    kwargs.setdefault("expires_in", timedelta(hours=1))
    kwargs.setdefault("max_uses", 2)
    return invite_create(agent=agent, actor=editor, **kwargs)


def test_an_invite_opens_a_conversation_without_an_account(application, editor, agent_in_testing):
    invite, key = invite_for(agent_in_testing, editor)

    async def talk():
        communicator = socket(
            application, agent_in_testing.pk, headers=[ORIGIN], query=f"invite={key}"
        )
        first = await opened(communicator)
        await communicator.disconnect(code=1000)
        return first

    first = asyncio.run(talk())

    assert first[0]["type"] == "conversation_initiation_metadata"
    conversation = Conversation.objects.get()
    assert (conversation.channel, conversation.invite, conversation.started_by) == (
        "invite",
        invite,
        None,
    )
    assert conversation.status == ConversationStatus.COMPLETED
    assert conversation.config_revision == agent_in_testing.sync.testing_synced_revision
    assert conversation.turns.filter(role=TurnRole.AGENT).exists()
    invite.refresh_from_db()
    assert invite.uses == 1


@pytest.mark.parametrize("why", ["expired", "revoked", "used up", "another agent", "unknown"])
def test_an_invite_that_cannot_be_used_is_refused_saying_why(
    application, editor, agent_in_testing, why
):
    from django.utils import timezone

    from testruns.invites import invite_revoke
    from testruns.models import InviteLink

    invite, key = invite_for(agent_in_testing, editor, max_uses=1)
    agent_id = agent_in_testing.pk
    expected = {
        "expired": "This invite link has expired",
        "revoked": "This invite link was revoked",
        "used up": "This invite link has been used once, its limit.",
        "another agent": "This invite link is not valid",
        "unknown": "This invite link is not valid",
    }[why]
    if why == "expired":
        InviteLink.objects.filter(pk=invite.pk).update(expires_at=timezone.now())
    elif why == "revoked":
        invite_revoke(invite=invite, actor=editor)
    elif why == "used up":
        InviteLink.objects.filter(pk=invite.pk).update(uses=1)
    elif why == "another agent":
        agent_id = AgentFactory(workspace=agent_in_testing.workspace, actor=editor).pk
    else:
        key = "not-a-key"

    error, code = asyncio.run(
        refused_with(socket(application, agent_id, headers=[ORIGIN], query=f"invite={key}"))
    )

    assert code == 1008
    assert error["error_event"]["message"].startswith(expected)
    assert not Conversation.objects.exists()


def test_an_invite_talks_only_to_the_version_it_was_made_for(
    application, editor, owner, agent_in_testing, django_capture_on_commit_callbacks
):
    from agents.services import agent_update

    _, key = invite_for(agent_in_testing, editor)
    with django_capture_on_commit_callbacks(execute=True):
        agent_update(agent=agent_in_testing, actor=owner, config=sample_config("Moved on!"))
    with django_capture_on_commit_callbacks(execute=True):
        deployment_create(agent=agent_in_testing, to_status=Status.TESTING, changes="", actor=owner)

    error, code = asyncio.run(
        refused_with(
            socket(application, agent_in_testing.pk, headers=[ORIGIN], query=f"invite={key}")
        )
    )

    assert code == 1008
    assert "is no longer the one in testing" in error["error_event"]["message"]
    assert not Conversation.objects.exists()


def test_revoking_an_invite_ends_its_open_conversation(application, editor, agent_in_testing):
    from channels.db import database_sync_to_async

    from testruns.invites import invite_revoke

    invite, key = invite_for(agent_in_testing, editor)

    async def talk():
        communicator = socket(
            application, agent_in_testing.pk, headers=[ORIGIN], query=f"invite={key}"
        )
        await opened(communicator)
        await database_sync_to_async(invite_revoke)(invite=invite, actor=editor)
        messages = await receive_until(communicator, "error")
        closed = await communicator.receive_output(TIMEOUT)
        return messages[-1], closed

    error, closed = asyncio.run(talk())

    assert error["error_event"]["message"] == (
        "The invite link was revoked; the conversation has ended."
    )
    assert closed["code"] == 1008
    conversation = Conversation.objects.get()
    assert conversation.status == ConversationStatus.INTERRUPTED
    assert conversation.end_reason == "The invite link was revoked."
