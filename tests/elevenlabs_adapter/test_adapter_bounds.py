"""The ranges of a config's numbers (elevenlabs_adapter/config_bounds.py), as validate_config
applies them: to what a person writes, not to what was accepted before."""

import copy
import typing

import pytest
from pydantic import BaseModel

from common.errors import InvalidInput
from elevenlabs_adapter import validate_config
from elevenlabs_adapter.config import CONFIG_SECTIONS
from elevenlabs_adapter.config_bounds import BOUNDS
from tests.elevenlabs_adapter.test_adapter import refusal, with_value

PROMPT = ("conversation_config", "agent", "prompt")
TOOL = (*PROMPT, "tools", 0)
TTS = ("conversation_config", "tts")
VOICE = {"label": "Calm", "voice_id": "21m00Tcm4TlvDq8ikWAM"}


def dotted(path: tuple) -> str:
    return ".".join(["config", *map(str, path)])


def with_webhook_tool(timeout: int) -> dict:
    tool = {
        "type": "webhook",
        "name": "lookup",
        "description": "Look the caller up.",
        "api_schema": {"url": "https://example.com/lookup"},
        "response_timeout_secs": timeout,
    }
    return with_value((*PROMPT, "tools"), [tool])


def with_voice(**settings) -> dict:
    return with_value((*TTS, "supported_voices"), [{**VOICE, **settings}])


# Each range, just outside it: (config, path of the refused value, what the message says).
OUT_OF_RANGE = [
    pytest.param(
        with_value((*PROMPT, "temperature"), 7),
        (*PROMPT, "temperature"),
        "Must be between 0 and 2; 7 is not.",
        id="temperature",
    ),
    pytest.param(
        with_value((*PROMPT, "temperature"), -0.1),
        (*PROMPT, "temperature"),
        "Must be between 0 and 2; -0.1 is not.",
        id="negative-temperature",
    ),
    pytest.param(
        with_value((*PROMPT, "max_tokens"), 10**9),
        (*PROMPT, "max_tokens"),
        "Must be between -1 and 1,000,000; 1,000,000,000 is not.",
        id="max-tokens",
    ),
    pytest.param(
        with_value((*PROMPT, "cascade_timeout_seconds"), 1),
        (*PROMPT, "cascade_timeout_seconds"),
        "Must be between 2 and 15; 1 is not.",
        id="cascade-timeout",
    ),
    pytest.param(
        with_value((*PROMPT, "rag"), {"max_vector_distance": 1}),
        (*PROMPT, "rag", "max_vector_distance"),
        "Must be greater than 0 and less than 1; 1 is not.",
        id="rag-distance",
    ),
    pytest.param(
        with_value((*PROMPT, "rag"), {"max_retrieved_rag_chunks_count": 21}),
        (*PROMPT, "rag", "max_retrieved_rag_chunks_count"),
        "Must be between 1 and 20; 21 is not.",
        id="rag-chunks",
    ),
    pytest.param(
        with_value((*PROMPT, "rag"), {"max_documents_length": 10_000_000}),
        (*PROMPT, "rag", "max_documents_length"),
        "Must be between 1 and 9,999,999; 10,000,000 is not.",
        id="rag-length",
    ),
    pytest.param(
        with_value((*TOOL, "response_timeout_secs"), 121),
        (*TOOL, "response_timeout_secs"),
        "Must be between 1 and 120, or -1 to wait for the client indefinitely; 121 is not.",
        id="client-tool-timeout",
    ),
    pytest.param(
        with_webhook_tool(4),
        (*TOOL, "response_timeout_secs"),
        "Must be between 5 and 300; 4 is not.",
        id="webhook-tool-timeout",
    ),
    pytest.param(
        with_value(("conversation_config", "conversation", "max_duration_seconds"), 10**20),
        ("conversation_config", "conversation", "max_duration_seconds"),
        "Must be between 1 and 86,400; 100,000,000,000,000,000,000 is not.",
        id="max-duration",
    ),
    pytest.param(
        with_value(("conversation_config", "conversation", "max_duration_seconds"), 0),
        ("conversation_config", "conversation", "max_duration_seconds"),
        "Must be between 1 and 86,400; 0 is not.",
        id="no-duration",
    ),
    pytest.param(
        with_value(("conversation_config", "turn", "turn_timeout"), 31),
        ("conversation_config", "turn", "turn_timeout"),
        "Must be between 1 and 30; 31 is not.",
        id="turn-timeout",
    ),
    pytest.param(
        with_value((*TTS, "stability"), 1.5),
        (*TTS, "stability"),
        "Must be between 0 and 1; 1.5 is not.",
        id="stability",
    ),
    pytest.param(
        with_value((*TTS, "similarity_boost"), -1),
        (*TTS, "similarity_boost"),
        "Must be between 0 and 1; -1 is not.",
        id="similarity",
    ),
    pytest.param(
        with_value((*TTS, "speed"), 2),
        (*TTS, "speed"),
        "Must be between 0.7 and 1.2; 2 is not.",
        id="speed",
    ),
    pytest.param(
        with_voice(speed=0.5),
        (*TTS, "supported_voices", 0, "speed"),
        "Must be between 0.7 and 1.2; 0.5 is not.",
        id="extra-voice-speed",
    ),
]


@pytest.mark.parametrize(("config", "path", "message"), OUT_OF_RANGE)
def test_a_number_out_of_its_range_is_refused_naming_its_path_and_the_range(config, path, message):
    problem = refusal(config)

    assert problem.code == "invalid_config"
    assert problem.errors == {dotted(path): [message]}
    assert problem.message == f"{dotted(path)}: {message}"


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(with_value((*PROMPT, "temperature"), 0), id="temperature-low"),
        pytest.param(with_value((*PROMPT, "temperature"), 2), id="temperature-high"),
        pytest.param(with_value((*PROMPT, "max_tokens"), -1), id="no-token-limit"),
        pytest.param(with_value((*TOOL, "response_timeout_secs"), -1), id="client-waits"),
        pytest.param(with_webhook_tool(300), id="webhook-tool-timeout"),
        pytest.param(with_value((*TTS, "speed"), 0.7), id="slowest"),
        pytest.param(with_value((*TTS, "speed"), 1.2), id="fastest"),
        pytest.param(with_voice(stability=1, similarity_boost=0), id="extra-voice"),
        pytest.param(
            with_value(("conversation_config", "conversation", "max_duration_seconds"), 86_400),
            id="a-day",
        ),
    ],
)
def test_a_number_at_the_ends_of_its_range_is_accepted(config):
    assert validate_config(config) == config


def test_a_range_of_one_kind_of_tool_leaves_the_others_alone():
    # -1 waits forever for a client tool; a webhook tool has no such value.
    problem = refusal(with_webhook_tool(-1))

    assert list(problem.errors) == [dotted((*TOOL, "response_timeout_secs"))]
    assert validate_config(with_value((*TOOL, "response_timeout_secs"), -1))


def test_every_number_out_of_range_is_reported_with_the_schemas_errors():
    config = with_value((*PROMPT, "temperature"), 7)
    config["conversation_config"]["tts"]["speed"] = 3
    config["conversation_config"]["agent"]["promt"] = {}

    problem = refusal(config)

    assert set(problem.errors) == {
        dotted((*PROMPT, "temperature")),
        dotted((*TTS, "speed")),
        "config.conversation_config.agent.promt",
    }


def test_a_value_of_the_wrong_type_is_reported_by_the_schema_not_the_range():
    problem = refusal(with_value((*PROMPT, "temperature"), "hot"))

    [message] = problem.errors[dotted((*PROMPT, "temperature"))]
    assert "valid number" in message


# --- what was accepted before ---------------------------------------------------------------


def test_a_value_already_accepted_is_not_held_to_the_range_again():
    # ElevenLabs answered with it (an import), or the agent has had it since before the
    # ranges: editing another setting must not be refused for it.
    accepted = with_value((*PROMPT, "temperature"), 2.5)
    edited = copy.deepcopy(accepted)
    edited["conversation_config"]["agent"]["first_message"] = "Hello again"

    assert validate_config(edited, accepted=accepted) == edited


def test_a_changed_value_is_held_to_the_range_whatever_was_accepted_before():
    accepted = with_value((*PROMPT, "temperature"), 2.5)

    with pytest.raises(InvalidInput) as refused:
        validate_config(with_value((*PROMPT, "temperature"), 3), accepted=accepted)

    assert list(refused.value.errors) == [dotted((*PROMPT, "temperature"))]


def test_a_config_checked_against_itself_skips_the_ranges_but_nothing_else():
    config = with_value((*PROMPT, "temperature"), 9)
    config["conversation_config"]["agent"]["promt"] = {}

    with pytest.raises(InvalidInput) as refused:
        validate_config(config, accepted=config)

    assert list(refused.value.errors) == ["config.conversation_config.agent.promt"]


@pytest.mark.parametrize("bound", BOUNDS, ids=lambda bound: bound.path)
def test_every_range_is_on_a_number_the_sdk_knows(bound):
    # A range on a misspelt path, or one the SDK renamed, would silently never apply.
    models = {CONFIG_SECTIONS[bound.where.split(".")[0]]}
    for part in bound.where.split(".")[1:]:
        models = {
            found
            for model in models
            if part == "*" or part in model.model_fields
            for found in _types_within(
                model if part == "*" else model.model_fields[part].annotation
            )
        }
        models = {
            model for model in models if isinstance(model, type) and issubclass(model, BaseModel)
        }
    if bound.tool_type:
        models = {
            model
            for model in models
            if typing.get_args(model.model_fields["type"].annotation) == (bound.tool_type,)
        }
    kinds = {
        kind
        for model in models
        if bound.key in model.model_fields
        for kind in _types_within(model.model_fields[bound.key].annotation)
    }
    assert kinds & {int, float}, f"{bound.path} is no number in the SDK's types"


def _types_within(annotation) -> set:
    """The classes an annotation can hold: through Optional, unions, lists and Annotated."""
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return {annotation}
    found = set()
    for argument in typing.get_args(annotation):
        found |= _types_within(argument)
    return found
