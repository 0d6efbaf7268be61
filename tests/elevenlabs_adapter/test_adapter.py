"""Config validation against the ElevenLabs SDK's types, and the config fingerprint."""

import re

import pytest

from common.errors import InvalidInput
from elevenlabs_adapter import config_revision, empty_config, validate_config

TOOLS = ("conversation_config", "agent", "prompt", "tools")


def realistic_config() -> dict:
    """What a real dental-office receptionist looks like in ElevenLabs' own format."""
    return {
        "conversation_config": {
            "agent": {
                "first_message": "Hi, this is Ava from Acme Dental. How can I help?",
                "language": "en",
                "prompt": {
                    "prompt": "You book dental appointments. Be brief and friendly.",
                    "llm": "gpt-4o-mini",
                    "temperature": 0.3,
                    "max_tokens": -1,
                    "tools": [
                        {
                            "type": "client",
                            "name": "book_slot",
                            "description": "Book an appointment slot for the caller.",
                            "parameters": {
                                "type": "object",
                                "properties": {
                                    "date": {"type": "string", "description": "ISO date"},
                                    "reason": {"type": "string", "description": "Why"},
                                },
                                "required": ["date"],
                            },
                            "expects_response": True,
                            "response_timeout_secs": 20,
                        }
                    ],
                },
            },
            "tts": {"voice_id": "21m00Tcm4TlvDq8ikWAM", "model_id": "eleven_flash_v2"},
            "turn": {"turn_timeout": 7},
            "conversation": {"max_duration_seconds": 600},
        },
        "platform_settings": {
            "widget": {"variant": "compact"},
            "call_limits": {"agent_concurrency_limit": 5},
        },
    }


def with_value(path: tuple, value) -> dict:
    """`realistic_config()` with `value` set at `path` (dict keys and list indexes)."""
    config = realistic_config()
    node = config
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return config


def refusal(config) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        validate_config(config)
    return refused.value


def test_a_realistic_config_round_trips_unchanged():
    config = realistic_config()

    validated = validate_config(config)

    assert validated == realistic_config()
    assert config == realistic_config(), "the input must not be modified"


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, empty_config()),
        (
            {"conversation_config": {"agent": {"language": "en"}}},
            {"conversation_config": {"agent": {"language": "en"}}, "platform_settings": {}},
        ),
    ],
)
def test_a_missing_section_comes_back_empty(config, expected):
    assert validate_config(config) == expected


@pytest.mark.parametrize(
    ("path", "typo", "where", "suggestion"),
    [
        ((), "conversation_confg", "config.conversation_confg", "conversation_config"),
        (("platform_settings",), "widgte", "config.platform_settings.widgte", "widget"),
        (
            ("conversation_config", "agent"),
            "promt",
            "config.conversation_config.agent.promt",
            "prompt",
        ),
        (
            ("conversation_config", "agent", "prompt"),
            "temprature",
            "config.conversation_config.agent.prompt.temprature",
            "temperature",
        ),
        (
            (*TOOLS, 0),
            "descripton",
            "config.conversation_config.agent.prompt.tools.0.descripton",
            "description",
        ),
        (
            (*TOOLS, 0, "parameters"),
            "propertes",
            "config.conversation_config.agent.prompt.tools.0.parameters.propertes",
            "properties",
        ),
        (
            ("platform_settings", "widget"),
            "varient",
            "config.platform_settings.widget.varient",
            "variant",
        ),
    ],
)
def test_an_unknown_key_is_refused_with_its_path_and_the_closest_name(
    path, typo, where, suggestion
):
    config = realistic_config()
    node = config
    for part in path:
        node = node[part]
    node[typo] = {}

    problem = refusal(config)

    assert problem.code == "invalid_config"
    assert list(problem.errors) == [where]
    assert problem.errors[where] == [f"Unknown key '{typo}'. Did you mean '{suggestion}'?"]
    assert problem.message.startswith(f"{where}: ")


def test_an_unknown_key_with_no_close_match_lists_the_valid_keys():
    config = realistic_config()
    config["conversation_config"]["tts"]["zzz"] = 1

    problem = refusal(config)

    message = problem.errors["config.conversation_config.tts.zzz"][0]
    assert "Valid keys here:" in message
    assert "voice_id" in message


def test_every_unknown_key_is_reported_not_just_the_first():
    config = realistic_config()
    config["conversation_config"]["agent"]["promt"] = {}
    config["platform_settings"]["widgte"] = {}

    problem = refusal(config)

    assert set(problem.errors) == {
        "config.conversation_config.agent.promt",
        "config.platform_settings.widgte",
    }


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("conversation_config", "agent", "prompt", "temperature"), "hot"),
        (("conversation_config", "tts", "voice_id"), 5),
        (("conversation_config", "agent", "first_message"), ["Hi"]),
        ((*TOOLS, 0, "name"), {"not": "a name"}),
        (("conversation_config", "agent"), "not an object"),
    ],
)
def test_a_wrong_type_is_refused_naming_its_path(path, value):
    problem = refusal(with_value(path, value))

    assert "config." + ".".join(str(part) for part in path) in problem.errors
    assert all("instance of" not in m for ms in problem.errors.values() for m in ms)


def test_an_unknown_tool_type_lists_the_types_that_exist():
    problem = refusal(with_value((*TOOLS, 0, "type"), "clinet"))

    where = "config.conversation_config.agent.prompt.tools.0.type"
    assert list(problem.errors) == [where]
    message = problem.errors[where][0]
    assert message.startswith("Unknown type; expected one of")
    for tool_type in ("client", "webhook", "system"):
        assert f"'{tool_type}'" in message


@pytest.mark.parametrize("config", [None, [], "a string", 42, [realistic_config()]])
def test_a_config_that_is_not_an_object_is_refused(config):
    problem = refusal(config)

    assert list(problem.errors) == ["config"]


def test_errors_are_named_after_the_field_the_caller_gives():
    with pytest.raises(InvalidInput) as refused:
        validate_config({"conversation_config": {"agnet": {}}}, field="agent_config")

    assert list(refused.value.errors) == ["agent_config.conversation_config.agnet"]


def test_a_config_over_one_megabyte_is_refused():
    problem = refusal(with_value(("conversation_config", "agent", "prompt", "prompt"), "x" * 10**6))

    assert list(problem.errors) == ["config"]
    assert "1,000,000 bytes" in problem.errors["config"][0]


def test_a_config_over_one_megabyte_in_utf8_is_refused():
    prompt = "é" * 500_001  # 1,000,002 bytes as UTF-8
    problem = refusal(with_value(("conversation_config", "agent", "prompt", "prompt"), prompt))

    assert list(problem.errors) == ["config"]


def test_a_non_ascii_config_under_one_megabyte_in_utf8_is_accepted():
    prompt = "é" * 400_000  # 800,000 bytes as UTF-8
    config = with_value(("conversation_config", "agent", "prompt", "prompt"), prompt)

    assert validate_config(config) == config


# --- config_revision -----------------------------------------------------------------------


def reversed_keys(value):
    if isinstance(value, dict):
        return {key: reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(item) for item in value]
    return value


def test_the_revision_ignores_key_order_at_every_depth():
    config = realistic_config()
    shuffled = reversed_keys(config)
    assert list(shuffled) != list(config)

    assert config_revision(shuffled) == config_revision(config)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("conversation_config", "agent", "first_message"), "Hello there"),
        (("conversation_config", "agent", "prompt", "temperature"), 0.31),
        ((*TOOLS, 0, "parameters", "required"), ["date", "reason"]),
        (("platform_settings", "widget", "variant"), "full"),
    ],
)
def test_the_revision_changes_with_the_content(path, value):
    assert config_revision(with_value(path, value)) != config_revision(realistic_config())


def test_the_revision_is_a_short_hex_fingerprint():
    assert re.fullmatch(r"[0-9a-f]{16}", config_revision(realistic_config()))
