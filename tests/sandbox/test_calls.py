"""Conversations through the official SDK: signed URLs, outbound calls, the conversation
history, and the signed post-call webhook."""

import asyncio
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from elevenlabs.core.api_error import ApiError
from elevenlabs.errors import UnprocessableEntityError

from sandbox.dialogue import AGENT_REPLY, CALLER_LINE
from sandbox.signing import verified_conversation
from sandbox.webhooks import signature_header
from tests.sandbox.conversation_client import (
    CONFIG,
    FIRST_MESSAGE,
    ConversationClient,
    synchronously,
)
from tests.sandbox.sdk import IN_PROCESS_URL, create_agent, in_process_sdk, strictly

PHONE_NUMBER_ID = "phnum_sandbox"
WEBHOOK_SECRET = "whsec_test"


def call(sdk, agent_id: str, to_number: str = "+14155550123", **client_data):
    return sdk.conversational_ai.twilio.outbound_call(
        agent_id=agent_id,
        agent_phone_number_id=PHONE_NUMBER_ID,
        to_number=to_number,
        conversation_initiation_client_data=client_data or None,
    )


# --- signed URLs: checked in this process, where the signing key is


async def signed_url(
    base_url: str, headers: dict | None = None, *, on_a_branch: bool = False
) -> tuple[str, str, str | None]:
    """(signed URL, agent id, branch id) from the sandbox served in this process, asked through
    the async SDK for a new agent (on a new branch of it, or none)."""
    async with in_process_sdk(base_url, headers) as sdk:
        agents = sdk.conversational_ai.agents
        agent_id = (await agents.create(conversation_config={})).agent_id
        branch_id = None
        if on_a_branch:
            main = await agents.get(agent_id)
            created = await agents.branches.create(
                agent_id, parent_version_id=main.version_id, name="b", description=""
            )
            branch_id = created.created_branch_id
        conversations = sdk.conversational_ai.conversations
        answer = await conversations.get_signed_url(agent_id=agent_id, branch_id=branch_id)
        return strictly(answer).signed_url, agent_id, branch_id


def test_a_signed_url_opens_the_agent_on_this_host_and_verifies():
    url, agent_id, _ = asyncio.run(signed_url(IN_PROCESS_URL))

    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert (parts.scheme, parts.netloc) == ("ws", "switchboard.test")
    assert parts.path == "/sandbox/elevenlabs/v1/convai/conversation"
    assert query["agent_id"] == [agent_id]
    assert verified_conversation(query["conversation_signature"][0]) == (agent_id, None, None)


def test_a_signed_url_names_the_branch_asked_for():
    url, agent_id, branch_id = asyncio.run(signed_url(IN_PROCESS_URL, on_a_branch=True))

    signature = parse_qs(urlsplit(url).query)["conversation_signature"][0]
    assert branch_id
    assert verified_conversation(signature) == (agent_id, branch_id, None)


@synchronously
async def test_a_signed_url_for_an_older_version_opens_a_conversation_with_it():
    async with in_process_sdk() as sdk:
        agents = sdk.conversational_ai.agents
        agent_id = (await agents.create(conversation_config=CONFIG)).agent_id
        older = await agents.get(agent_id)
        newer = {"agent": {"first_message": "Newer greeting.", "prompt": {"prompt": "Be curt."}}}
        await agents.update(agent_id, conversation_config=newer)
        answer = await sdk.conversational_ai.conversations.get_signed_url(
            agent_id=agent_id, version_id=older.version_id
        )
        query = parse_qs(urlsplit(strictly(answer).signed_url).query)
        async with ConversationClient(
            {name: values[0] for name, values in query.items()}, api_key=False
        ) as client:
            greeting = await client.greeted()
        conversation = await sdk.conversational_ai.conversations.get(client.conversation_id)

    assert verified_conversation(query["conversation_signature"][0]) == (
        agent_id,
        None,
        older.version_id,
    )
    assert greeting.text == FIRST_MESSAGE
    assert strictly(conversation).version_id == older.version_id
    assert conversation.branch_id == older.branch_id


@pytest.mark.parametrize(
    ("base_url", "headers"),
    [
        pytest.param("https://switchboard.test/sandbox/elevenlabs", None, id="https"),
        pytest.param(IN_PROCESS_URL, {"x-forwarded-proto": "https"}, id="behind-a-tls-proxy"),
    ],
)
def test_a_signed_url_is_wss_when_the_request_came_over_https(base_url, headers):
    url, _, _ = asyncio.run(signed_url(base_url, headers))

    assert url.startswith("wss://switchboard.test/sandbox/elevenlabs/v1/convai/conversation?")


def test_a_signed_url_for_an_unknown_agent_branch_or_version_is_404(sandbox_sdk):
    conversations = sandbox_sdk.conversational_ai.conversations
    agent_id = create_agent(sandbox_sdk)

    with pytest.raises(ApiError) as no_agent:
        conversations.get_signed_url(agent_id="agent_nope")
    with pytest.raises(ApiError) as no_branch:
        conversations.get_signed_url(agent_id=agent_id, branch_id="agtbrch_nope")
    with pytest.raises(ApiError) as no_version:
        conversations.get_signed_url(agent_id=agent_id, version_id="agtvrsn_nope")

    assert no_agent.value.body["detail"]["status"] == "agent_not_found"
    assert no_branch.value.body["detail"]["status"] == "branch_not_found"
    assert no_version.value.status_code == 404
    assert no_version.value.body["detail"]["status"] == "version_not_found"


def test_a_signed_url_for_a_version_of_another_branch_is_422(sandbox_sdk):
    agents = sandbox_sdk.conversational_ai.agents
    agent_id = create_agent(sandbox_sdk)
    main = agents.get(agent_id)
    branch = agents.branches.create(
        agent_id, parent_version_id=main.version_id, name="b", description=""
    )

    with pytest.raises(UnprocessableEntityError) as mismatch:
        sandbox_sdk.conversational_ai.conversations.get_signed_url(
            agent_id=agent_id, branch_id=branch.created_branch_id, version_id=main.version_id
        )

    (error,) = mismatch.value.body["detail"]
    assert (error["loc"], error["type"]) == (["query", "version_id"], "value_error")


# --- outbound calls and the conversation history


def test_an_outbound_call_plays_the_script_with_overrides_and_variables(sandbox_sdk):
    agent_id = create_agent(sandbox_sdk, "Hello {{name}}, about order {{order}}.")

    placed = strictly(
        call(
            sandbox_sdk,
            agent_id,
            dynamic_variables={"name": "Ada", "order": 42},
            conversation_config_override={"agent": {"first_message": "Hi {{name}}! {{unknown}}"}},
        )
    )
    conversation = strictly(sandbox_sdk.conversational_ai.conversations.get(placed.conversation_id))

    assert placed.success is True
    assert placed.call_sid.startswith("CA")
    assert conversation.agent_id == agent_id
    assert conversation.status == "done"
    assert [(turn.role, turn.message) for turn in conversation.transcript] == [
        ("agent", "Hi Ada! {{unknown}}"),
        ("user", CALLER_LINE),
        ("agent", AGENT_REPLY),
    ]
    times = [turn.time_in_call_secs for turn in conversation.transcript]
    assert times == sorted(times)
    assert conversation.metadata.call_duration_secs > times[-1]
    variables = conversation.conversation_initiation_client_data.dynamic_variables
    assert variables["name"] == "Ada"
    assert variables["system__called_number"] == "+14155550123"


def test_an_outbound_call_greets_with_the_agents_own_first_message(sandbox_sdk):
    agent_id = create_agent(sandbox_sdk, "Hello {{name}}.")

    placed = call(sandbox_sdk, agent_id, dynamic_variables={"name": "Grace"})

    conversation = sandbox_sdk.conversational_ai.conversations.get(placed.conversation_id)
    assert conversation.transcript[0].message == "Hello Grace."


def test_an_outbound_call_needs_an_e164_number_and_a_known_agent(sandbox_sdk, sandbox):
    agent_id = create_agent(sandbox_sdk)

    with pytest.raises(UnprocessableEntityError) as bad_number:
        call(sandbox_sdk, agent_id, to_number="0044 20 7946 0000")
    with pytest.raises(ApiError) as no_agent:
        call(sandbox_sdk, "agent_nope")

    assert bad_number.value.body["detail"][0]["loc"] == ["body", "to_number"]
    assert no_agent.value.status_code == 404
    assert sandbox.state()["conversations"] == []


def test_conversations_are_listed_newest_first_by_agent_and_branch(sandbox_sdk):
    conversations = sandbox_sdk.conversational_ai.conversations
    first_agent, second_agent = create_agent(sandbox_sdk), create_agent(sandbox_sdk)
    main_id = sandbox_sdk.conversational_ai.agents.get(first_agent).main_branch_id
    older = call(sandbox_sdk, first_agent).conversation_id
    newer = call(sandbox_sdk, first_agent).conversation_id
    call(sandbox_sdk, second_agent)

    listed = strictly(conversations.list(agent_id=first_agent))
    first_page = conversations.list(agent_id=first_agent, page_size=1)
    second_page = conversations.list(
        agent_id=first_agent, page_size=1, cursor=first_page.next_cursor
    )

    assert [item.conversation_id for item in listed.conversations] == [newer, older]
    summary = listed.conversations[0]
    assert (summary.status, summary.call_successful, summary.message_count) == (
        "done",
        "success",
        3,
    )
    assert summary.branch_id == main_id
    assert [item.conversation_id for item in first_page.conversations] == [newer]
    assert first_page.has_more
    assert [item.conversation_id for item in second_page.conversations] == [older]
    assert not second_page.has_more
    assert conversations.list(agent_id=first_agent, branch_id="agtbrch_other").conversations == []


def test_an_unknown_conversation_is_404(sandbox_sdk):
    with pytest.raises(ApiError) as raised:
        sandbox_sdk.conversational_ai.conversations.get("conv_nope")

    assert raised.value.status_code == 404
    assert raised.value.body["detail"]["status"] == "conversation_not_found"


# --- the post-call webhook


class Receiver:
    """A webhook endpoint on a free local port, keeping what it is sent."""

    def __init__(self) -> None:
        self.received: list[tuple[dict, bytes]] = []  # (headers, body)
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(200)
                self.end_headers()
                receiver.arrived.set()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks/elevenlabs"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def test_a_finished_call_is_posted_to_the_webhook_signed(sandbox_sdk, sandbox, receiver):
    sandbox.webhook(receiver.url, WEBHOOK_SECRET)
    agent_id = create_agent(sandbox_sdk, "Hi {{name}}")

    placed = call(sandbox_sdk, agent_id, dynamic_variables={"name": "Ada"})

    assert receiver.arrived.wait(timeout=5)
    ((headers, body),) = receiver.received
    fields = dict(part.split("=", 1) for part in headers["ElevenLabs-Signature"].split(","))
    expected = hmac.new(
        WEBHOOK_SECRET.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(fields["v0"], expected)
    event = json.loads(body)
    assert event["type"] == "post_call_transcription"
    assert event["event_timestamp"] == int(fields["t"])
    data = event["data"]
    assert (data["agent_id"], data["conversation_id"]) == (agent_id, placed.conversation_id)
    assert data["status"] == "done"
    assert data["transcript"][0]["message"] == "Hi Ada"
    assert data["metadata"]["call_duration_secs"] > 0
    assert data["conversation_initiation_client_data"]["dynamic_variables"]["name"] == "Ada"
    assert WEBHOOK_SECRET not in body.decode()


def test_the_signature_header_is_an_hmac_of_time_and_body():
    body = b'{"type": "post_call_transcription"}'

    header = signature_header(body, "s3cret", 1_700_000_000)

    mac = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v0={mac}"
    assert signature_header(body + b" ", "s3cret", 1_700_000_000) != header
