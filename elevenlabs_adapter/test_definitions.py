"""ElevenLabs test definitions, checked as configs are (`config.schema_problems`): what
Switchboard keeps of an ElevenLabs test is ElevenLabs' own request body without its `name`
(kept in a column of its own), one of three types told apart by `type`: `llm` (the agent's next
reply judged), `tool` (its next tool call judged), `simulation` (a simulated conversation
judged). No call to ElevenLabs here: the apps below the ElevenLabs app check definitions
with it (elevenlabs_adapter/agent_testing.py makes the calls).
"""

import re
from collections.abc import Iterator
from typing import NoReturn

from elevenlabs.conversational_ai.tests import (
    TestsCreateRequestBody_Llm,
    TestsCreateRequestBody_Simulation,
    TestsCreateRequestBody_Tool,
    TestsUpdateRequestBody_Llm,
    TestsUpdateRequestBody_Simulation,
    TestsUpdateRequestBody_Tool,
)
from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from common.errors import InvalidInput
from elevenlabs_adapter.config import schema_problems, unknown_key_message
from elevenlabs_adapter.config_storable import unstorable_problems

FIELD = "definition"
CreateBody = (
    TestsCreateRequestBody_Llm | TestsCreateRequestBody_Tool | TestsCreateRequestBody_Simulation
)
UpdateBody = (
    TestsUpdateRequestBody_Llm | TestsUpdateRequestBody_Tool | TestsUpdateRequestBody_Simulation
)
# The SDK's union is a plain one for pydantic (every member's `type` has a default, so a body
# without one parses as whichever member fits best), so we pick the member by `type` ourselves.
CREATE_BODIES: dict[str, type[CreateBody]] = {
    "llm": TestsCreateRequestBody_Llm,
    "tool": TestsCreateRequestBody_Tool,
    "simulation": TestsCreateRequestBody_Simulation,
}
UPDATE_BODIES: dict[str, type[UpdateBody]] = {
    "llm": TestsUpdateRequestBody_Llm,
    "tool": TestsUpdateRequestBody_Tool,
    "simulation": TestsUpdateRequestBody_Simulation,
}
TEST_TYPES = tuple(CREATE_BODIES)
# Only for validating: the name a definition lacks, which the SDK's types require.
_PLACEHOLDER_NAME = "-"
CHAT_ROLES = ("user", "agent")  # the SDK also takes any string: its Literal is open
# ElevenLabs' contract states no bound; the sandbox's (docs/elevenlabs.md, "Agent tests").
MAX_SIMULATION_TURNS = 50


def agent_test_check(body: dict) -> dict:
    """The definition as ElevenLabs will get it (no `None`s, the SDK's names), or InvalidInput
    naming each bad path under `definition.` and the fix: the SDK's types first, with no
    unknown key; then what the SDK's types do not say and ElevenLabs (and the sandbox) reads.
    """
    if not isinstance(body, dict):
        _refuse({FIELD: ['Must be an object: {"type": "llm" | "tool" | "simulation", ...}.']})
    blocking, numbers = unstorable_problems(body, field=FIELD)
    if blocking or numbers:
        _refuse({**blocking, **numbers})
    allowed = ", ".join(TEST_TYPES)
    test_type = body.get("type")
    if test_type is None:
        _refuse({f"{FIELD}.type": [f"Required: say which kind of test this is ({allowed})."]})
    if not isinstance(test_type, str) or test_type not in CREATE_BODIES:
        _refuse({f"{FIELD}.type": [f"Unknown type {test_type!r}: use one of {allowed}."]})
    if "name" in body:
        # Sent, it would override the name Switchboard keeps and shows.
        _refuse({f"{FIELD}.name": ["The test's name is kept apart: remove it from here."]})
    model = CREATE_BODIES[test_type]
    known = [key for key in _field_names(model) if key != "name"]
    errors: dict[str, list[str]] = {}
    for key in body:
        if key not in known:  # here, so the closest name offered is never `name`
            errors.setdefault(f"{FIELD}.{key}", []).append(unknown_key_message(key, known))
    definition = {key: value for key, value in body.items() if key in known}
    for path, message in schema_problems(model, named(definition), path=FIELD):
        errors.setdefault(path, []).append(message)
    if errors:
        _refuse(errors)
    parsed = model.model_validate(named(definition))
    normalized = plain(parsed)
    del normalized["name"]
    for path, message in _unread_by_the_types(normalized):
        errors.setdefault(f"{FIELD}.{path}", []).append(message)
    if errors:
        _refuse(errors)
    return normalized


def plain(model: BaseModel) -> dict:
    """A model of the SDK as JSON, without its `None`s. In JSON mode its models serialise
    themselves as they are sent, which keeps explicit nulls whatever `exclude_none` says."""
    return to_jsonable_python(model.model_dump(by_alias=True, exclude_none=True))


def named(definition: dict, name: str = _PLACEHOLDER_NAME) -> dict:
    return {**definition, "name": name}


def _field_names(model: type[CreateBody]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def _refuse(errors: dict[str, list[str]]) -> NoReturn:
    first_path, messages = next(iter(errors.items()))
    raise InvalidInput(f"{first_path}: {messages[0]}", code="invalid_test", errors=errors)


def _unread_by_the_types(definition: dict) -> Iterator[tuple[str, str]]:
    """What a run reads that the SDK's types leave open (the sandbox's checks in
    sandbox/agent_tests.py): chat roles, regular expressions, the simulation's length."""
    for index, turn in enumerate(definition.get("chat_history") or []):
        if turn["role"] not in CHAT_ROLES:
            yield f"chat_history.{index}.role", "Must be 'user' or 'agent': who said it."
    turns = definition.get("simulation_max_turns")
    if turns is not None and not 1 <= turns <= MAX_SIMULATION_TURNS:
        yield "simulation_max_turns", f"Must be between 1 and {MAX_SIMULATION_TURNS} turns."
    for path, evaluation in _evaluations(definition):
        if evaluation.get("type") == "regex":
            try:
                re.compile(evaluation["pattern"])
            except re.error as error:
                yield f"{path}.pattern", f"Not a regular expression ({error}): fix the pattern."


def _evaluations(definition: dict) -> Iterator[tuple[str, dict]]:
    """(path, eval) of every parameter evaluation: the tool call's and the tool mocks'."""
    parameters = (definition.get("tool_call_parameters") or {}).get("parameters") or []
    for index, parameter in enumerate(parameters):
        yield f"tool_call_parameters.parameters.{index}.eval", parameter["eval"]
    for tool, mocks in (definition.get("tool_mock_overrides") or {}).items():
        for index, mock in enumerate(mocks):
            for number, condition in enumerate(mock.get("parameter_conditions") or []):
                where = f"tool_mock_overrides.{tool}.{index}.parameter_conditions.{number}"
                yield f"{where}.eval", condition["eval"]
