"""What any config must be to be stored (elevenlabs_adapter/config_storable.py), wherever it
comes from, and merging a patch into a config (merge_config)."""

import json

import pytest

from common.errors import InvalidInput
from elevenlabs_adapter import merge_config, validate_config
from elevenlabs_adapter.config_storable import CONFIG_MAX_DEPTH, MOST_PROBLEMS_REPORTED
from tests.elevenlabs_adapter.test_adapter import realistic_config, refusal, with_value

FIRST_MESSAGE = ("conversation_config", "agent", "first_message")
WHERE = "config.conversation_config.agent.first_message"


def nested(levels: int) -> dict:
    """A config whose tools hold lists `levels` deep in all (the config itself is level 1)."""
    value: list = []
    for _ in range(levels - 5):  # config, conversation_config, agent, prompt, tools
        value = [value]
    return with_value(("conversation_config", "agent", "prompt", "tools"), value)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        pytest.param("Hello\x00there", "contains a NUL character (\\u0000)", id="nul"),
        pytest.param("Hello \ud800 there", "contains a lone surrogate (\\ud800)", id="surrogate"),
        pytest.param("\udfff", "contains a lone surrogate (\\udfff)", id="low-surrogate"),
    ],
)
def test_text_that_cannot_be_stored_is_refused_naming_its_path_and_the_fix(text, says):
    problem = refusal(with_value(FIRST_MESSAGE, text))

    assert problem.code == "invalid_config"
    assert list(problem.errors) == [WHERE]
    [message] = problem.errors[WHERE]
    assert says in message
    assert "remove it" in message
    assert problem.message == f"{WHERE}: {message}"
    json.dumps(problem.errors, ensure_ascii=False).encode()  # the refusal itself can be sent


def test_a_key_that_cannot_be_stored_is_refused_with_its_path_escaped():
    config = realistic_config()
    config["platform_settings"]["bad\x00key"] = {"also\ud800": 1}

    problem = refusal(config)

    assert list(problem.errors) == [
        "config.platform_settings.bad\\u0000key",
        "config.platform_settings.bad\\u0000key.also\\ud800",
    ]
    first, second = problem.errors.values()
    assert first[0].startswith("This key contains a NUL character")
    assert second[0].startswith("This key contains a lone surrogate")
    json.dumps(problem.errors, ensure_ascii=False).encode()


def test_a_surrogate_pair_is_text_like_any_other():
    # JSON's "\ud83d\ude00" is one character once parsed: an emoji, not two lone halves.
    config = with_value(FIRST_MESSAGE, json.loads('"Hi \\ud83d\\ude00"'))

    assert validate_config(config) == config


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_a_number_that_is_not_finite_is_refused(number):
    problem = refusal(
        with_value(("conversation_config", "turn", "silence_end_call_timeout"), number)
    )

    assert problem.errors == {
        "config.conversation_config.turn.silence_end_call_timeout": [
            "Must be a finite number: NaN and Infinity are not JSON."
        ]
    }


@pytest.mark.parametrize("number", [2**63, -(2**63) - 1, 10**30])
def test_a_whole_number_beyond_64_bits_is_refused(number):
    problem = refusal(with_value(("platform_settings", "call_limits", "daily_limit"), number))

    [message] = problem.errors["config.platform_settings.call_limits.daily_limit"]
    assert "64 bits" in message


def test_a_number_with_a_range_is_explained_by_its_range_alone():
    where = "config.conversation_config.conversation.max_duration_seconds"

    problem = refusal(
        with_value(("conversation_config", "conversation", "max_duration_seconds"), 10**20)
    )

    assert problem.errors == {where: [problem.errors[where][0]]}
    assert problem.errors[where][0].startswith("Must be between 1 and 86,400")


def test_a_config_nested_a_thousand_levels_deep_is_refused_naming_the_limit():
    problem = refusal(nested(1000))

    [(path, [message])] = problem.errors.items()
    assert path.startswith("config.conversation_config.agent.prompt.tools.0.0.")
    assert path.count(".") == CONFIG_MAX_DEPTH
    assert message.startswith(f"Nested more than {CONFIG_MAX_DEPTH} levels deep")


def test_nesting_up_to_the_limit_is_left_to_the_schema():
    problem = refusal(nested(CONFIG_MAX_DEPTH))

    assert not any("Nested" in m for messages in problem.errors.values() for m in messages)


def test_a_config_full_of_problems_lists_a_batch_of_them():
    config = with_value(FIRST_MESSAGE, "ok")
    config["platform_settings"]["widget"] = {f"key{n}\x00": n for n in range(100)}

    problem = refusal(config)

    assert len(problem.errors) == MOST_PROBLEMS_REPORTED


# --- merge_config ---------------------------------------------------------------------------


def test_a_patch_changes_what_it_names_and_keeps_the_rest():
    config = realistic_config()

    merged = merge_config(
        config, {"conversation_config": {"agent": {"prompt": {"temperature": 0.9}}}}
    )

    expected = realistic_config()
    expected["conversation_config"]["agent"]["prompt"]["temperature"] = 0.9
    assert merged == expected
    assert config == realistic_config(), "the config merged into is left as it was"


@pytest.mark.parametrize("patch", [None, [], "x", 3])
def test_a_patch_that_is_not_an_object_is_refused(patch):
    with pytest.raises(InvalidInput) as refused:
        merge_config(realistic_config(), patch)

    assert list(refused.value.errors) == ["config"]
    assert "PUT the whole config" in refused.value.errors["config"][0]


def test_a_patch_nested_a_thousand_levels_deep_is_refused_before_it_is_merged():
    with pytest.raises(InvalidInput) as refused:
        merge_config(realistic_config(), nested(1000))

    [message] = next(iter(refused.value.errors.values()))
    assert message.startswith(f"Nested more than {CONFIG_MAX_DEPTH} levels deep")
