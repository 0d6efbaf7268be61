"""The sandbox's agent ends the call itself with ElevenLabs' built-in end_call tool: given the
tool, a user turn that says goodbye gets a farewell, the tool call in the transcript and a
normal close (docs/elevenlabs.md, "The agent's rules"). Simulation tests follow the same rule.
"""

import json

import pytest
from elevenlabs import (
    BuiltInToolsInput,
    ConversationHistoryTranscriptCommonModelOutput,
    SystemToolConfigInput,
    SystemToolConfigInputParams_EndCall,
)

from sandbox import conversation
from sandbox.agent_test_rules import judge
from sandbox.conversation_rules import ends_call, session_for
from sandbox.records import Fault, deep_merge
from sandbox.store import store
from tests.sandbox.conversation_client import (
    ALLOWING_OVERRIDES,
    CONFIG,
    FIRST_MESSAGE,
    PROMPT,
    ConversationClient,
    agent_with,
    signed_query,
    spoken,
    synchronously,
)
from tests.sandbox.sdk import in_process_sdk, strictly

# The built-in tool as the official SDK writes it into an agent's config.
BUILT_IN_TOOLS = BuiltInToolsInput(
    end_call=SystemToolConfigInput(
        type="system", name="end_call", params=SystemToolConfigInputParams_EndCall()
    )
).model_dump(exclude_none=True)
ENDING = {"agent": {"prompt": {"built_in_tools": BUILT_IN_TOOLS}}}
FAREWELL = "Goodbye!"


@pytest.fixture
def reported(monkeypatch) -> list[tuple[str, str]]:
    """(conversation id, status) of each post-call webhook the sandbox sends."""
    sent: list[tuple[str, str]] = []

    async def send_post_call(ended):
        sent.append((ended.conversation_id, ended.status))

    monkeypatch.setattr(conversation, "send_post_call", send_post_call)
    return sent


def _reply(text: str) -> str:
    return f'You said: "{text}". My instructions begin: "{" ".join(PROMPT.split()[:6])}...".'


# --- the rule


@pytest.mark.parametrize(
    ("text", "ends"),
    [
        ("Thanks, bye!", True),
        ("GOODBYE.", True),
        ("ok bye-bye", True),
        ("Good bye then", True),
        ("Bye", True),
        ("Tell me about the byelaw", False),
        ("Goodbyes are hard", False),
        ("bye_now", False),
        ("Thanks, that is all", False),
    ],
)
def test_a_turn_says_goodbye_with_bye_or_goodbye_as_a_whole_word(text, ends):
    with_tool = session_for(ENDING, {}, system_variables={})
    without = session_for({}, {}, system_variables={})
    assert ends_call(text, with_tool) is ends
    assert ends_call(text, without) is False


# --- in a conversation


@pytest.mark.parametrize(
    "said",
    [
        pytest.param({"type": "user_message", "text": "Thanks, bye!"}, id="typed"),
        pytest.param(spoken("Thanks, goodbye."), id="spoken"),
    ],
)
@synchronously
async def test_the_agent_with_end_call_says_goodbye_and_ends_the_call(said, reported):
    async with ConversationClient(signed_query(agent_with(ENDING))) as client:
        await client.greeted()
        await client.send(said)
        if "user_audio_chunk" in said:
            await client.expect("user_transcript")
        farewell = await client.agent_turn()
        closed = await client.expect_close()
    assert farewell.text == FAREWELL
    assert farewell.audio  # spoken out in full before the close
    assert (closed.code, closed.reason) == (1000, "end_call")

    record = store.conversations[client.conversation_id]
    assert record.status == "done"
    assert reported == [(client.conversation_id, "done")]
    *_, last = record.transcript
    assert (last["role"], last["message"]) == ("agent", FAREWELL)
    (call,) = last["tool_calls"]
    assert call == {
        "type": "system",
        "request_id": f"end_call_{farewell.event_id}",
        "tool_name": "end_call",
        "params_as_json": json.dumps({"reason": "The user said goodbye."}),
        "tool_has_been_called": True,
        "tool_details": None,
    }
    (result,) = last["tool_results"]
    assert (result["request_id"], result["is_error"]) == (call["request_id"], False)
    assert result["result"]["result_type"] == "end_call_success"


@synchronously
async def test_the_recorded_end_call_reads_as_the_sdks_system_tool_call(reported):
    async with ConversationClient(signed_query(agent_with(ENDING))) as client:
        await client.greeted()
        await client.send({"type": "user_message", "text": "Bye"})
        await client.agent_turn()
        await client.expect_close()
    async with in_process_sdk() as sdk:
        got = strictly(await sdk.conversational_ai.conversations.get(client.conversation_id))
    last = got.transcript[-1]
    assert (got.status, last.message) == ("done", FAREWELL)
    assert (last.tool_calls[0].type, last.tool_calls[0].tool_name) == ("system", "end_call")
    assert last.tool_results[0].type == "system"
    assert last.tool_results[0].result.result_type == "end_call_success"


@synchronously
async def test_a_text_only_farewell_closes_right_after_its_response(reported):
    agent = agent_with(ENDING, platform_settings=ALLOWING_OVERRIDES)
    async with ConversationClient(signed_query(agent)) as client:
        await client.start(conversation_config_override={"conversation": {"text_only": True}})
        assert (await client.expect("agent_response"))["agent_response"] == FIRST_MESSAGE
        await client.send({"type": "user_message", "text": "goodbye"})
        farewell = await client.expect("agent_response")
        closed = await client.expect_close()
    assert (farewell["agent_response"], closed.code) == (FAREWELL, 1000)
    assert store.conversations[client.conversation_id].status == "done"


@synchronously
async def test_after_its_goodbye_the_agent_hears_nothing_more(
    monkeypatch, sandbox_settings, reported
):
    # A farewell of two chunks, paced, leaves time to speak up in the middle of it.
    long_farewell = "Thank you for calling Acme today. Goodbye!"
    monkeypatch.setattr(conversation, "FAREWELL", long_farewell)
    sandbox_settings(audio_chunk_delay=0.05)
    async with ConversationClient(signed_query(agent_with(ENDING))) as client:
        await client.greeted()
        await client.send({"type": "user_message", "text": "Bye for now"})
        farewell = await client.expect("agent_response")
        first = await client.expect("audio")
        await client.send({"type": "user_message", "text": "Wait, one more thing"})
        second = await client.expect("audio")  # not interrupted, not answered
        closed = await client.expect_close()
    spelled = "".join(first["alignment"]["chars"] + second["alignment"]["chars"])
    assert farewell["agent_response"] == spelled == long_farewell
    assert closed.code == 1000
    messages = [turn["message"] for turn in store.conversations[client.conversation_id].transcript]
    assert messages == [FIRST_MESSAGE, "Bye for now", long_farewell]


@synchronously
async def test_on_a_slow_socket_the_close_follows_the_farewell(reported):
    store.faults.append(Fault(socket_latency_ms=100))
    async with ConversationClient(signed_query(agent_with(ENDING))) as client:
        await client.greeted()
        await client.send({"type": "user_message", "text": "bye"})
        farewell = await client.agent_turn()
        closed = await client.expect_close()
    assert (farewell.text, closed.code) == (FAREWELL, 1000)
    assert reported == [(client.conversation_id, "done")]


@pytest.mark.parametrize(
    ("config", "text"),
    [
        pytest.param({}, "Thanks, bye!", id="without the tool a goodbye is any text"),
        pytest.param(ENDING, "Tell me about the byelaw", id="a word merely holding bye"),
    ],
)
@synchronously
async def test_otherwise_the_agent_answers_and_the_call_goes_on(config, text, reported):
    async with ConversationClient(signed_query(agent_with(config))) as client:
        await client.greeted()
        await client.send({"type": "user_message", "text": text})
        assert (await client.agent_turn()).text == _reply(text)
        await client.expect_nothing()
        await client.send({"type": "user_message", "text": "Still there?"})
        assert (await client.agent_turn()).text == _reply("Still there?")
        record = store.conversations[client.conversation_id]
        assert record.status == "in-progress"
        assert all(turn["tool_calls"] == [] for turn in record.transcript)
    assert reported == [(client.conversation_id, "done")]  # the client hung up


# --- in tests of the agent


def _simulated(config: dict, scenario: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(role, message) of each turn of a simulation of `scenario`, and its rationale."""
    fields = {"simulation_scenario": scenario, "success_condition": 'says "Goodbye!"'}
    verdict = judge("simulation", fields, deep_merge(CONFIG, config), agent_id="agent_1")
    for turn in verdict.agent_responses:
        ConversationHistoryTranscriptCommonModelOutput.model_validate(turn)
    turns = [(turn["role"], turn["message"]) for turn in verdict.agent_responses]
    return turns, verdict.messages


def test_a_simulated_goodbye_ends_the_simulation():
    turns, messages = _simulated(ENDING, "Hi there. Thanks, bye! Are you still there?")
    assert turns == [
        ("agent", FIRST_MESSAGE),
        ("user", "Hi there."),
        ("agent", _reply("Hi there.")),
        ("user", "Thanks, bye!"),
        ("agent", FAREWELL),
    ]
    assert messages[0] == (
        "The simulated user said 2 of the scenario's 3 sentences. The agent ended the call."
    )


def test_without_the_tool_the_simulation_goes_on():
    turns, messages = _simulated({}, "Hi there. Thanks, bye! Are you still there?")
    assert [message for role, message in turns if role == "user"] == [
        "Hi there.",
        "Thanks, bye!",
        "Are you still there?",
    ]
    assert FAREWELL not in [message for _, message in turns]
    assert messages[0] == "The simulated user said 3 of the scenario's 3 sentences."


@pytest.mark.parametrize(
    ("said", "verify_absence", "passed"),
    [("Bye now", False, True), ("Tell me about the byelaw", True, True), ("Bye", True, False)],
)
def test_a_tool_test_can_expect_end_call(said, verify_absence, passed):
    fields = {
        "chat_history": [{"role": "user", "message": said, "time_in_call_secs": 0}],
        "tool_call_parameters": {
            "referenced_tool": {"id": "end_call", "type": "system"},
            "verify_absence": verify_absence,
        },
    }
    verdict = judge("tool", fields, ENDING, agent_id="agent_1")
    assert verdict.passed is passed, verdict.summary
