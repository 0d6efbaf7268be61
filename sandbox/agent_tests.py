"""Tests of agents as ElevenLabs takes them (`/v1/convai/agent-testing`): a request body checked
field by field, and the shapes tests are answered in.

A body is one of three types, told apart by `type` as FastAPI tells a discriminated union's
members apart: a missing or unknown `type` is refused as a whole, and the errors of a member
name it in their `loc` (`["body", "llm", "name"]`). Each member keeps its own fields and drops
any other, as the SDK's models (`TestsCreateRequestBody_*`) list them; only `name` is required,
as there. What the sandbox needs to judge a run is checked here too: chat turns, examples, tool
call evaluations and tool mocks, each with the fields the SDK's models require.
"""

import re
from typing import Any

from sandbox.api import Location, body_field, invalid, string_list
from sandbox.records import AgentTest

TEST_TYPES = ("llm", "tool", "simulation")
# Fields of every type, then of each (the SDK's TestsCreateRequestBody_*), with their kinds.
COMMON_FIELDS: dict[str, type] = {
    "from_conversation_metadata": dict,
    "dynamic_variables": dict,
    "chat_history": list,
    "conversation_initiation_source": str,
    "environment": str,
    "parent_folder_id": str,
}
TYPE_FIELDS: dict[str, dict[str, type]] = {
    "llm": {"success_condition": str, "success_examples": list, "failure_examples": list},
    "tool": {"tool_call_parameters": dict, "check_any_tool_matches": bool},
    "simulation": {
        "success_condition": str,
        "success_conditions": list,
        "simulation_scenario": str,
        "simulation_max_turns": int,
        "simulation_environment": str,
        "tool_mock_config": dict,
        "tool_mock_overrides": dict,
        "evaluation_model": str,
        "simulated_user_model": str,
    },
}
PARAMETER_EVALS = {
    "exact": "expected_value",
    "regex": "pattern",
    "llm": "description",
    "anything": "",
}
MAX_SIMULATION_TURNS = 50  # the sandbox's bound; ElevenLabs states none in its contract
# Who "created" every test and ran every test: the one account behind the sandbox's key.
ACCESS_INFO = {
    "is_creator": True,
    "creator_name": "Sandbox",
    "creator_email": "sandbox@example.com",
    "role": "admin",
}


def literal_choices(values: tuple[str, ...] | list[str]) -> str:
    """ "Input should be 'a', 'b' or 'c'": pydantic's words for a value outside a Literal."""
    quoted = [f"'{value}'" for value in values]
    listed = ", ".join(quoted[:-1]) + f" or {quoted[-1]}" if len(quoted) > 1 else quoted[0]
    return f"Input should be {listed}"


def parse_test_body(body: dict) -> tuple[str, str, dict]:
    """(name, type, the type's other fields) of a create or update body, checked."""
    test_type = _tag(body, TEST_TYPES, ("body",))
    loc: Location = ("body", test_type)
    name = body_field(body, "name", str, required=True, loc=loc)
    fields: dict[str, Any] = {}
    for field, kind in {**COMMON_FIELDS, **TYPE_FIELDS[test_type]}.items():
        value = body_field(body, field, kind, loc=loc)
        if value is not None:
            fields[field] = value
    _check_chat_history(fields.get("chat_history") or [], (*loc, "chat_history"))
    for field, example_type in (("success_examples", "success"), ("failure_examples", "failure")):
        _check_examples(fields.get(field) or [], example_type, (*loc, field))
    if "tool_call_parameters" in fields:
        _check_tool_call(fields["tool_call_parameters"], (*loc, "tool_call_parameters"))
    if "success_conditions" in fields:
        string_list(fields, "success_conditions", loc=loc)
    turns = fields.get("simulation_max_turns")
    if turns is not None and not 1 <= turns <= MAX_SIMULATION_TURNS:
        raise invalid(
            [*loc, "simulation_max_turns"],
            f"Input should be between 1 and {MAX_SIMULATION_TURNS}",
            "range",
        )
    _check_tool_mocks(fields.get("tool_mock_overrides") or {}, (*loc, "tool_mock_overrides"))
    return name, test_type, fields


def _tag(data: dict, tags: tuple[str, ...], loc: Location) -> str:
    """The `type` telling which member of a union `data` is, as pydantic checks it."""
    tag = data.get("type")
    if tag is None:
        message = "Unable to extract tag using discriminator 'type'"
        raise invalid(list(loc), message, "union_tag_not_found")
    if tag not in tags:
        expected = ", ".join(f"'{name}'" for name in tags)
        message = (
            f"Input tag '{tag}' found using 'type' does not match any of the expected tags: "
            f"{expected}"
        )
        raise invalid(list(loc), message, "union_tag_invalid")
    return tag


def _items(values: list, loc: Location) -> list[tuple[dict, Location]]:
    """Each item of a list with where it sits; every item must be an object."""
    items = []
    for index, item in enumerate(values):
        if not isinstance(item, dict):
            raise invalid([*loc, index], "Input should be a valid dictionary", "dict_type")
        items.append((item, (*loc, index)))
    return items


def _check_chat_history(turns: list, loc: Location) -> None:
    for turn, where in _items(turns, loc):
        role = body_field(turn, "role", str, required=True, loc=where)
        if role not in ("user", "agent"):
            raise invalid([*where, "role"], literal_choices(["user", "agent"]), "literal_error")
        body_field(turn, "time_in_call_secs", int, required=True, loc=where)
        body_field(turn, "message", str, loc=where)
        body_field(turn, "tool_calls", list, loc=where)


def _check_examples(examples: list, example_type: str, loc: Location) -> None:
    for example, where in _items(examples, loc):
        body_field(example, "response", str, required=True, loc=where)
        if body_field(example, "type", str, loc=where) not in (None, example_type):
            raise invalid([*where, "type"], literal_choices([example_type]), "literal_error")


def _check_tool_call(evaluation: dict, loc: Location) -> None:
    _check_parameters(
        body_field(evaluation, "parameters", list, loc=loc) or [], (*loc, "parameters")
    )
    tool = body_field(evaluation, "referenced_tool", dict, loc=loc)
    if tool is not None:
        body_field(tool, "id", str, required=True, loc=(*loc, "referenced_tool"))
        body_field(tool, "type", str, required=True, loc=(*loc, "referenced_tool"))
    body_field(evaluation, "verify_absence", bool, loc=loc)


def _check_parameters(parameters: list, loc: Location) -> None:
    """Tool call parameters to evaluate: {"path", "eval": {"type", and its one field}}."""
    for parameter, where in _items(parameters, loc):
        body_field(parameter, "path", str, required=True, loc=where)
        evaluation = body_field(parameter, "eval", dict, required=True, loc=where)
        where = (*where, "eval")
        kind = _tag(evaluation, tuple(PARAMETER_EVALS), where)
        if PARAMETER_EVALS[kind]:
            value = body_field(
                evaluation, PARAMETER_EVALS[kind], str, required=True, loc=(*where, kind)
            )
            if kind == "regex":
                try:
                    re.compile(value)
                except re.error as error:
                    raise invalid(
                        [*where, kind, "pattern"],
                        f"Value error, not a regular expression: {error}",
                        "value_error",
                    ) from None


def _check_tool_mocks(overrides: dict, loc: Location) -> None:
    """Tool id or name -> [{"mock_result", "parameter_conditions", "is_error"}]."""
    for tool, mocks in overrides.items():
        if not isinstance(mocks, list):
            raise invalid([*loc, tool], "Input should be a valid list", "list_type")
        for mock, where in _items(mocks, (*loc, tool)):
            body_field(mock, "mock_result", str, required=True, loc=where)
            body_field(mock, "is_error", bool, loc=where)
            conditions = body_field(mock, "parameter_conditions", list, loc=where) or []
            _check_parameters(conditions, (*where, "parameter_conditions"))


def info_json(test: AgentTest) -> dict:
    """The test's type and fields, as a run shows what it ran (UnitTestRunResponseModelTestInfo)."""
    fields = {key: value for key, value in test.fields.items() if key != "parent_folder_id"}
    return {"type": test.type, **fields}


def agent_test_json(test: AgentTest) -> dict:
    """TestsGetResponse (and TestsUpdateResponse)."""
    return {**info_json(test), "id": test.id, "name": test.name, "access_info": ACCESS_INFO}


def agent_test_summary(test: AgentTest) -> dict:
    """UnitTestSummaryResponseModel, as tests are listed. The sandbox keeps no folders: a
    test's `parent_folder_id` is kept as given, and its folder path is empty."""
    return {
        "id": test.id,
        "name": test.name,
        "access_info": ACCESS_INFO,
        "created_at_unix_secs": test.created_at,
        "last_updated_at_unix_secs": test.updated_at,
        "type": test.type,
        "entity_type": "test",
        "folder_parent_id": test.fields.get("parent_folder_id"),
        "folder_path": [],
        "conversation_initiation_source": test.fields.get("conversation_initiation_source"),
    }
