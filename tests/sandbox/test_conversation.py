"""The sandbox's conversation WebSocket: connecting, and how a conversation opens."""

import base64
import types

import pytest

from sandbox import signing
from sandbox.conversation_rules import text_only
from sandbox.store import store
from tests.sandbox.conversation_client import (
    ALLOWING_OVERRIDES,
    FIRST_MESSAGE,
    PROMPT,
    ConversationClient,
    agent_with,
    signed_query,
    synchronously,
)


def branch_for_tests(agent):
    """A branch of `agent` whose first message tells it apart from main."""
    return store.branch_create(
        agent,
        parent_version_id=agent.main.tip.id,
        name="testing",
        description="For tests.",
        conversation_config={"agent": {"first_message": "Testing branch here."}},
    )


@synchronously
async def test_a_signed_url_opens_the_branch_it_names():
    agent = agent_with()
    branch = branch_for_tests(agent)
    async with ConversationClient(signed_query(agent, branch.id), api_key=False) as client:
        metadata = await client.start()
        assert (await client.agent_turn()).text == "Testing branch here."
    conversation = store.conversations[metadata["conversation_id"]]
    assert (conversation.branch_id, conversation.version_id) == (branch.id, branch.tip.id)
    assert conversation.source == "websocket"


@synchronously
async def test_an_agent_id_with_an_api_key_opens_the_main_branch():
    agent = agent_with()
    async with ConversationClient({"agent_id": agent.agent_id}) as client:
        metadata = await client.start()
        assert (await client.agent_turn()).text == FIRST_MESSAGE
    assert store.conversations[metadata["conversation_id"]].branch_id == agent.main.id


@synchronously
async def test_without_a_branch_the_traffic_split_picks_what_the_agent_says():
    agent = agent_with()
    branch = branch_for_tests(agent)
    store.deploy(agent, {branch.id: 100.0})
    async with ConversationClient({"agent_id": agent.agent_id}) as client:
        metadata = await client.start()
        assert (await client.agent_turn()).text == "Testing branch here."
    assert store.conversations[metadata["conversation_id"]].branch_id == branch.id


def superseded_version(agent):
    """Main's tip, once a newer version that greets and is instructed otherwise follows it."""
    older = agent.main.tip
    newer = {"agent": {"first_message": "Newer greeting.", "prompt": {"prompt": "Be curt."}}}
    store.agent_update(agent, conversation_config=newer)
    return older


VERSION_ASKED_FOR = {
    "by a signed URL": (lambda agent, version: signed_query(agent, version_id=version.id), False),
    "by agent_id with an API key": (
        lambda agent, version: {"agent_id": agent.agent_id, "version_id": version.id},
        True,
    ),
}


@pytest.mark.parametrize(("query", "api_key"), VERSION_ASKED_FOR.values(), ids=VERSION_ASKED_FOR)
@synchronously
async def test_the_version_asked_for_greets_and_replies(query, api_key):
    agent = agent_with()
    older = superseded_version(agent)
    async with ConversationClient(query(agent, older), api_key=api_key) as client:
        greeting = await client.greeted()
        await client.send({"type": "user_message", "text": "Hi"})
        reply = await client.agent_turn()
    assert greeting.text == FIRST_MESSAGE
    assert f'My instructions begin: "{" ".join(PROMPT.split()[:6])}...".' in reply.text
    conversation = store.conversations[client.conversation_id]
    assert (conversation.branch_id, conversation.version_id) == (agent.main.id, older.id)


@synchronously
async def test_a_version_opens_on_its_own_branch_whatever_the_traffic_split():
    agent = agent_with()
    branch = branch_for_tests(agent)  # the split leaves it no traffic
    query = signed_query(agent, version_id=branch.tip.id)
    async with ConversationClient(query, api_key=False) as client:
        assert (await client.greeted()).text == "Testing branch here."
    conversation = store.conversations[client.conversation_id]
    assert (conversation.branch_id, conversation.version_id) == (branch.id, branch.tip.id)


def _expired_signature(agent_id: str) -> str:
    long_ago = types.SimpleNamespace(time=lambda: 0.0)
    real_time, signing.time = signing.time, long_ago
    try:
        return signing.conversation_signature(agent_id, None, None)
    finally:
        signing.time = real_time


def _forged_signature(agent_id: str) -> str:
    body, _, mac = signing.conversation_signature(agent_id, None, None).partition(".")
    return f"{body}.{'0' * len(mac)}"


def _tampered_signature(agent_id: str) -> str:
    """A real signature whose claims were edited to name another agent."""
    body, _, mac = signing.conversation_signature("agent_other", None, None).partition(".")
    claims = base64.urlsafe_b64decode(body).replace(b"agent_other", agent_id.encode())
    return f"{base64.urlsafe_b64encode(claims).decode()}.{mac}"


REFUSALS = {
    "nothing to go by": (lambda agent: {}, True, "signed URL"),
    "agent_id without a key": (lambda agent: {"agent_id": agent.agent_id}, False, "xi-api-key"),
    "agent_id with a wrong key": (lambda agent: {"agent_id": agent.agent_id}, "sk_guess", "key"),
    "unknown agent": (lambda agent: {"agent_id": "agent_nobody"}, True, "does not exist"),
    "unknown branch": (
        lambda agent: {"agent_id": agent.agent_id, "branch_id": "agtbrch_nope"},
        True,
        "no branch",
    ),
    "unknown version": (
        lambda agent: {"agent_id": agent.agent_id, "version_id": "agtvrsn_nope"},
        True,
        "no version",
    ),
    "version of another branch": (
        lambda agent: {
            "agent_id": agent.agent_id,
            "branch_id": branch_for_tests(agent).id,
            "version_id": agent.main.tip.id,
        },
        True,
        "not on branch",
    ),
    "forged signature": (
        lambda agent: {"conversation_signature": _forged_signature(agent.agent_id)},
        False,
        "invalid or has expired",
    ),
    "forged signature beyond ASCII": (
        lambda agent: {"conversation_signature": f"{agent.agent_id}.\u00e9t\u00e9"},
        False,
        "invalid or has expired",
    ),
    "tampered claims": (
        lambda agent: {"conversation_signature": _tampered_signature(agent.agent_id)},
        False,
        "invalid or has expired",
    ),
    "expired signature": (
        lambda agent: {"conversation_signature": _expired_signature(agent.agent_id)},
        False,
        "invalid or has expired",
    ),
    "signature of another agent": (
        lambda agent: {**signed_query(agent_with()), "agent_id": agent.agent_id},
        False,
        "another agent",
    ),
}


@pytest.mark.parametrize(("query", "api_key", "reason"), REFUSALS.values(), ids=REFUSALS)
@synchronously
async def test_refused_connections_say_why_then_close(query, api_key, reason):
    agent = agent_with()
    async with ConversationClient(query(agent), api_key=api_key) as client:
        error = await client.expect("error")
        closed = await client.expect_close()
    assert error["code"] == 1008
    assert reason in error["message"]
    assert closed.code == 4008
    assert reason in closed.reason
    assert store.conversations == {}


@synchronously
async def test_initiation_metadata_names_the_conversation_and_audio_formats():
    agent = agent_with()
    async with ConversationClient(signed_query(agent)) as client:
        metadata = await client.start()
        conversation = store.conversations[metadata["conversation_id"]]
        assert (conversation.agent_id, conversation.status) == (agent.agent_id, "in-progress")
    assert metadata["agent_output_audio_format"] == "pcm_16000"
    assert metadata["user_input_audio_format"] == "pcm_16000"


@synchronously
async def test_audio_formats_come_from_the_agents_config():
    agent = agent_with(
        {
            "tts": {"agent_output_audio_format": "ulaw_8000"},
            "asr": {"user_input_audio_format": "pcm_44100"},
        }
    )
    async with ConversationClient(signed_query(agent)) as client:
        metadata = await client.start()
        turn = await client.agent_turn()
    assert metadata["agent_output_audio_format"] == "ulaw_8000"
    assert metadata["user_input_audio_format"] == "pcm_44100"
    # One byte per sample at 8 kHz: 60 ms of audio a character is 480 bytes.
    audio = b"".join(base64.b64decode(chunk["audio_base_64"]) for chunk in turn.audio)
    assert len(audio) == len(FIRST_MESSAGE) * 480


@synchronously
async def test_a_format_the_protocol_cannot_carry_becomes_pcm():
    agent = agent_with({"tts": {"agent_output_audio_format": "mp3_44100_128"}})
    async with ConversationClient(signed_query(agent)) as client:
        assert (await client.start())["agent_output_audio_format"] == "pcm_16000"


@synchronously
async def test_the_first_message_fills_dynamic_variables():
    greeting = "Hi {{ customer_name }}, {{company_name}} here ({{system__agent_id}})."
    agent = agent_with({"agent": {"first_message": greeting}})
    variables = {"customer_name": "Test User", "company_name": "VoiceNow CRM"}
    async with ConversationClient(signed_query(agent)) as client:
        metadata = await client.start(dynamic_variables=variables)
        turn = await client.agent_turn()
    assert turn.text == f"Hi Test User, VoiceNow CRM here ({agent.agent_id})."
    assert store.conversations[metadata["conversation_id"]].dynamic_variables == variables


@synchronously
async def test_overrides_replace_the_first_message_prompt_and_voice():
    agent = agent_with(platform_settings=ALLOWING_OVERRIDES)
    override = {
        "agent": {
            "first_message": "Custom greeting for {{name}}.",
            "prompt": {"prompt": "Speak like a pirate, matey."},
            "language": "fr",
        },
        "tts": {"voice_id": "voice_other"},
    }
    async with ConversationClient(signed_query(agent)) as client:
        await client.start(conversation_config_override=override, dynamic_variables={"name": "Al"})
        greeting = await client.agent_turn()
        await client.send({"type": "user_message", "text": "Hi"})
        reply = await client.agent_turn()
    assert greeting.text == "Custom greeting for Al."
    assert 'My instructions begin: "Speak like a pirate, matey."' in reply.text
    default_voice = await _first_audio(agent_with({"agent": {"first_message": greeting.text}}))
    assert greeting.audio[0]["audio_base_64"] != default_voice


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"agent": {"first_message": "Hi."}}, "agent.first_message"),
        ({"tts": {"voice_id": "voice_other"}}, "tts.voice_id"),
        ({"text_only": True}, "conversation.text_only"),
    ],
)
@synchronously
async def test_an_override_the_agent_does_not_allow_fails_the_conversation_naming_it(
    override, named
):
    allowed = {"overrides": {"conversation_config_override": {"agent": {"language": True}}}}
    agent = agent_with(platform_settings=allowed)
    initiation = {"type": "conversation_initiation_client_data"}
    async with ConversationClient(signed_query(agent)) as client:
        await client.send(initiation | {"conversation_config_override": override}, strict=False)
        error = await client.expect("error")
        closed = await client.expect_close()
    assert error["message"] == f"Override for field '{named}' is not allowed by config."
    assert (error["code"], error["error_type"], closed.code) == (1008, "override_error", 4008)


async def _first_audio(agent) -> str:
    async with ConversationClient(signed_query(agent)) as client:
        await client.start()
        return (await client.agent_turn()).audio[0]["audio_base_64"]


@synchronously
async def test_the_same_words_and_voice_give_the_same_audio():
    agent = agent_with()
    assert await _first_audio(agent) == await _first_audio(agent)


@synchronously
async def test_without_initiation_data_the_conversation_starts_unchanged():
    agent = agent_with()
    async with ConversationClient(signed_query(agent)) as client:
        await client.expect("conversation_initiation_metadata")
        assert (await client.agent_turn()).text == FIRST_MESSAGE
        # Too late to shape the conversation: ignored.
        override = {"agent": {"first_message": "Too late."}}
        await client.send(
            {
                "type": "conversation_initiation_client_data",
                "conversation_config_override": override,
            }
        )
        await client.expect_nothing()


@synchronously
async def test_an_empty_first_message_lets_the_user_speak_first():
    agent = agent_with({"agent": {"first_message": ""}})
    async with ConversationClient(signed_query(agent)) as client:
        await client.start()
        await client.send({"type": "user_message", "text": "Hello?"})
        assert (await client.agent_turn()).text.startswith('You said: "Hello?".')


# The Python SDK's placement is outside the contract's schema: sent with strict=False below.
TEXT_ONLY = {
    "top level (Python SDK)": ({"text_only": True}, {}),
    "under conversation (contract)": ({"conversation": {"text_only": True}}, {}),
    "agent config": ({}, {"conversation": {"text_only": True}}),
}


@pytest.mark.parametrize(("override", "config"), TEXT_ONLY.values(), ids=TEXT_ONLY)
@synchronously
async def test_text_only_conversations_send_no_audio(override, config):
    agent = agent_with(config, platform_settings=ALLOWING_OVERRIDES)
    async with ConversationClient(signed_query(agent)) as client:
        await client.start(conversation_config_override=override, strict=False)
        await client.expect("agent_response")
        await client.send({"type": "user_message", "text": "Hi"})
        # Had the greeting been spoken, its audio would come first.
        reply = await client.expect("agent_response")
    assert reply["agent_response"].startswith('You said: "Hi".')


@synchronously
async def test_the_contracts_text_only_placement_wins():
    override = {"text_only": True, "conversation": {"text_only": False}}
    agent = agent_with(platform_settings=ALLOWING_OVERRIDES)
    async with ConversationClient(signed_query(agent)) as client:
        await client.start(conversation_config_override=override, strict=False)
        assert (await client.agent_turn()).audio


@pytest.mark.parametrize(
    ("override", "config", "expected"),
    [
        ({}, {}, False),
        ({}, {"conversation": {"text_only": True}}, True),
        ({"text_only": True}, {}, True),
        ({"conversation": {"text_only": True}}, {}, True),
        ({"text_only": True, "conversation": {"text_only": False}}, {}, False),
        ({"text_only": False}, {"conversation": {"text_only": True}}, False),
    ],
)
def test_the_text_only_rule(override, config, expected):
    assert text_only(config, override) is expected
