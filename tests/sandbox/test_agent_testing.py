"""Tests of agents (`/v1/convai/agent-testing`) through the official SDK: create, read, replace,
delete, list and summarise each type, and requests refused as ElevenLabs refuses them."""

import httpx
import pytest
from elevenlabs.conversational_ai import tests as sdk_tests
from elevenlabs.core.api_error import ApiError
from elevenlabs.errors import UnprocessableEntityError

from tests.sandbox.sdk import create_agent, strictly
from tests.sandbox_fixtures import KEY_HEADER

NO_RETRIES = {"max_retries": 0}
CHAT = [{"role": "user", "message": "I want a refund", "time_in_call_secs": 0}]
TOOL_CALL = {
    "referenced_tool": {"id": "book_appointment", "type": "client"},
    "parameters": [
        {"path": "date", "eval": {"type": "exact", "expected_value": "2025-01-02"}},
        {"path": "name", "eval": {"type": "regex", "pattern": "[A-Z][a-z]+"}},
        {"path": "note", "eval": {"type": "llm", "description": 'mentions "window seat"'}},
        {"path": "party", "eval": {"type": "anything"}},
    ],
}


@pytest.fixture
def agent_tests(sandbox_sdk):
    return sandbox_sdk.conversational_ai.tests


def llm_test(name: str = "Refunds", **fields) -> sdk_tests.TestsCreateRequestBody_Llm:
    fields = {
        "chat_history": CHAT,
        "success_condition": 'The agent mentions "refund"',
        "success_examples": [{"response": "refund"}],
        "failure_examples": [{"response": "I cannot help"}],
        **fields,
    }
    return sdk_tests.TestsCreateRequestBody_Llm(name=name, **fields)


def tool_test(name: str = "Booking") -> sdk_tests.TestsCreateRequestBody_Tool:
    return sdk_tests.TestsCreateRequestBody_Tool(
        name=name, chat_history=CHAT, tool_call_parameters=TOOL_CALL, check_any_tool_matches=False
    )


def simulation_test(name: str = "Simulated") -> sdk_tests.TestsCreateRequestBody_Simulation:
    return sdk_tests.TestsCreateRequestBody_Simulation(
        name=name,
        simulation_scenario="Hello. I want to book.",
        simulation_max_turns=3,
        success_conditions=['The agent says "book"'],
        tool_mock_config={"mocking_strategy": "all"},
        tool_mock_overrides={"book_appointment": [{"mock_result": "booked"}]},
        dynamic_variables={"customer": "Ann"},
    )


def test_each_type_of_test_is_created_and_read_as_sent(agent_tests):
    created = {
        kind: strictly(agent_tests.create(request=body))
        for kind, body in [
            ("llm", llm_test()),
            ("tool", tool_test()),
            ("simulation", simulation_test()),
        ]
    }

    llm, tool, simulation = (strictly(agent_tests.get(created[kind].id)) for kind in created)

    assert all(item.id.startswith("test_") for item in created.values())
    assert (llm.type, llm.name, llm.success_condition) == (
        "llm",
        "Refunds",
        'The agent mentions "refund"',
    )
    assert [turn.message for turn in llm.chat_history] == ["I want a refund"]
    assert [example.response for example in llm.failure_examples] == ["I cannot help"]
    assert tool.type == "tool"
    assert tool.tool_call_parameters.referenced_tool.id == "book_appointment"
    assert tool.tool_call_parameters.parameters[2].eval.description == 'mentions "window seat"'
    assert tool.check_any_tool_matches is False
    assert simulation.type == "simulation"
    assert simulation.simulation_max_turns == 3
    assert simulation.tool_mock_overrides["book_appointment"][0].mock_result == "booked"
    assert simulation.dynamic_variables == {"customer": "Ann"}
    assert llm.access_info.is_creator


def test_an_update_replaces_the_test_whole_even_its_type(agent_tests):
    test_id = agent_tests.create(request=llm_test()).id

    renamed = strictly(
        agent_tests.update(
            test_id,
            request=sdk_tests.TestsUpdateRequestBody_Llm(
                name="Refunds v2", chat_history=CHAT, success_condition='says "sorry"'
            ),
        )
    )
    retyped = strictly(
        agent_tests.update(
            test_id, request=sdk_tests.TestsUpdateRequestBody_Tool(name="Now a tool test")
        )
    )

    assert (renamed.id, renamed.name, renamed.success_condition) == (
        test_id,
        "Refunds v2",
        'says "sorry"',
    )
    assert renamed.success_examples is None  # not sent again: gone
    assert (retyped.type, retyped.name) == ("tool", "Now a tool test")
    assert agent_tests.get(test_id).type == "tool"


def test_a_deleted_test_is_gone(agent_tests):
    test_id = agent_tests.create(request=llm_test()).id

    agent_tests.delete(test_id)

    with pytest.raises(ApiError) as error:
        agent_tests.get(test_id, request_options=NO_RETRIES)
    assert error.value.status_code == 404
    assert error.value.body["detail"]["status"] == "test_not_found"
    with pytest.raises(ApiError):
        agent_tests.delete(test_id, request_options=NO_RETRIES)


def test_tests_are_listed_newest_first_in_pages_and_filtered(agent_tests):
    ids = [
        agent_tests.create(request=body).id
        for body in (llm_test("A refund"), tool_test("B"), simulation_test("C"))
    ]
    agent_tests.create(request=llm_test("In a folder", parent_folder_id="folder_1"))

    first = strictly(agent_tests.list(page_size=2))
    rest = strictly(agent_tests.list(page_size=2, cursor=first.next_cursor))
    of_types = agent_tests.list(types=["llm", "tool"], parent_folder_id="root")
    found = agent_tests.list(search="REFUND")
    in_folder = agent_tests.list(parent_folder_id="folder_1")

    assert [test.name for test in first.tests] == ["In a folder", "C"]
    assert first.has_more
    assert not rest.has_more
    assert [test.id for test in rest.tests] == [ids[1], ids[0]]
    assert [test.type for test in of_types.tests] == ["tool", "llm"]
    assert [test.name for test in found.tests] == ["A refund"]
    assert [test.folder_parent_id for test in in_folder.tests] == ["folder_1"]
    assert agent_tests.list(sharing_mode="shared_with_me").tests == []  # one user made them all
    summary = first.tests[1]
    assert (summary.entity_type, summary.type, summary.created_at_unix_secs > 0) == (
        "test",
        "simulation",
        True,
    )


def test_summaries_are_given_for_the_tests_asked_for(agent_tests):
    test_id = agent_tests.create(request=tool_test()).id

    summaries = strictly(agent_tests.summaries(test_ids=[test_id, "test_gone"]))

    assert list(summaries.tests) == [test_id]
    assert summaries.tests[test_id].name == "Booking"


BAD_BODIES = [
    pytest.param({"type": "voice", "name": "x"}, ["body"], "union_tag_invalid", id="unknown type"),
    pytest.param({"name": "x"}, ["body"], "union_tag_not_found", id="no type"),
    pytest.param({"type": "llm"}, ["body", "llm", "name"], "missing", id="no name"),
    pytest.param(
        {"type": "llm", "name": "x", "success_condition": 5},
        ["body", "llm", "success_condition"],
        "string_type",
        id="a field of the wrong type",
    ),
    pytest.param(
        {"type": "llm", "name": "x", "chat_history": [{"message": "hi", "time_in_call_secs": 0}]},
        ["body", "llm", "chat_history", 0, "role"],
        "missing",
        id="a turn with no role",
    ),
    pytest.param(
        {"type": "llm", "name": "x", "chat_history": [{"role": "bot", "time_in_call_secs": 0}]},
        ["body", "llm", "chat_history", 0, "role"],
        "literal_error",
        id="a turn of an unknown role",
    ),
    pytest.param(
        {"type": "llm", "name": "x", "failure_examples": [{"type": "failure"}]},
        ["body", "llm", "failure_examples", 0, "response"],
        "missing",
        id="an example with no response",
    ),
    pytest.param(
        {
            "type": "tool",
            "name": "x",
            "tool_call_parameters": {"parameters": [{"path": "a", "eval": {"type": "exact"}}]},
        },
        [
            "body",
            "tool",
            "tool_call_parameters",
            "parameters",
            0,
            "eval",
            "exact",
            "expected_value",
        ],
        "missing",
        id="an exact evaluation with no value",
    ),
    pytest.param(
        {
            "type": "tool",
            "name": "x",
            "tool_call_parameters": {"parameters": [{"path": "a", "eval": {"type": "guess"}}]},
        },
        ["body", "tool", "tool_call_parameters", "parameters", 0, "eval"],
        "union_tag_invalid",
        id="an unknown evaluation",
    ),
    pytest.param(
        {
            "type": "tool",
            "name": "x",
            "tool_call_parameters": {
                "parameters": [{"path": "a", "eval": {"type": "regex", "pattern": "("}}]
            },
        },
        ["body", "tool", "tool_call_parameters", "parameters", 0, "eval", "regex", "pattern"],
        "value_error",
        id="a pattern that is no regular expression",
    ),
    pytest.param(
        {"type": "simulation", "name": "x", "simulation_max_turns": 0},
        ["body", "simulation", "simulation_max_turns"],
        "range",
        id="no turns to simulate",
    ),
    pytest.param(
        {"type": "simulation", "name": "x", "tool_mock_overrides": {"book": [{"is_error": True}]}},
        ["body", "simulation", "tool_mock_overrides", "book", 0, "mock_result"],
        "missing",
        id="a mock with no result",
    ),
]


@pytest.mark.parametrize(("body", "loc", "error_type"), BAD_BODIES)
def test_a_malformed_test_is_refused_as_elevenlabs_refuses_it(agent_tests, body, loc, error_type):
    with pytest.raises(UnprocessableEntityError) as error:
        agent_tests.create(request=body, request_options=NO_RETRIES)

    (detail,) = error.value.body["detail"]
    assert (detail["loc"], detail["type"]) == (loc, error_type)
    assert detail["msg"]
    assert agent_tests.list().tests == []


def test_an_update_is_checked_as_a_create_is(agent_tests):
    test_id = agent_tests.create(request=llm_test()).id

    with pytest.raises(UnprocessableEntityError):
        agent_tests.update(test_id, request={"type": "llm"}, request_options=NO_RETRIES)

    assert agent_tests.get(test_id).name == "Refunds"


def test_a_bad_list_filter_is_refused(sandbox):
    response = httpx.get(f"{sandbox.url}/v1/convai/agent-testing?types=voice", headers=KEY_HEADER)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "types", 0]


def test_an_agent_keeps_the_tests_attached_to_it(sandbox_sdk):
    test_id = sandbox_sdk.conversational_ai.tests.create(request=llm_test()).id
    attached = {"testing": {"attached_tests": [{"test_id": test_id, "workflow_node_id": None}]}}
    agent_id = create_agent(sandbox_sdk, platform_settings=attached)

    agent = strictly(sandbox_sdk.conversational_ai.agents.get(agent_id))

    assert [test.test_id for test in agent.platform_settings.testing.attached_tests] == [test_id]
