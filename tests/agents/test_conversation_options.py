"""What the console offers to set before a conversation (agents/conversation_options.py): the
dynamic variables a config uses, and the overrides it allows."""

from agents.conversation_options import (
    DynamicVariable,
    conversation_overrides,
    conversation_variables,
)


def config(*, agent: dict | None = None, allowed: dict | None = None, **conversation) -> dict:
    settings = {"overrides": {"conversation_config_override": allowed}} if allowed else {}
    return {
        "conversation_config": {"agent": agent or {}, **conversation},
        "platform_settings": settings,
    }


def variables_of(agent: dict) -> list[tuple[str, str, str, bool]]:
    return [
        (v.name, v.value, v.kind, v.has_placeholder)
        for v in conversation_variables(config(agent=agent))
    ]


# --- dynamic variables ----------------------------------------------------------------------


def test_placeholders_come_with_their_defaults_and_types_by_name():
    placeholders = {"visits": 3, "customer": "Ada", "ratio": 0.5, "vip": True, "note": None}

    found = variables_of({"dynamic_variables": {"dynamic_variable_placeholders": placeholders}})

    assert found == [
        ("customer", "Ada", "string", True),
        ("note", "", "string", True),
        ("ratio", "0.5", "number", True),
        ("vip", "true", "boolean", True),
        ("visits", "3", "number", True),
    ]


def test_variables_used_without_a_placeholder_are_offered_empty_once_each():
    agent = {
        "first_message": "Hi {{customer}}, calling about order {{ order_id }}?",
        "prompt": {"prompt": "Help {{customer}} with {{order_id}} and {{plan.tier}}."},
        "dynamic_variables": {"dynamic_variable_placeholders": {"customer": "there"}},
    }

    assert variables_of(agent) == [
        ("customer", "there", "string", True),
        ("order_id", "", "string", False),
        ("plan.tier", "", "string", False),
    ]


def test_elevenlabs_system_variables_are_left_to_elevenlabs():
    agent = {
        "first_message": "Calling {{system__called_number}} for {{name}}",
        "dynamic_variables": {"dynamic_variable_placeholders": {"system__agent_id": "x"}},
    }

    assert conversation_variables(config(agent=agent)) == [
        DynamicVariable("name", "", "string", has_placeholder=False)
    ]


def test_a_config_without_variables_has_none():
    assert conversation_variables(config(agent={"first_message": "Hello {name}!"})) == []
    assert conversation_variables({}) == []
    odd = {"dynamic_variables": {"dynamic_variable_placeholders": ["not", "a", "dict"]}}
    assert conversation_variables(config(agent={**odd, "prompt": {"prompt": None}})) == []


# --- overrides --------------------------------------------------------------------------------


def test_only_the_overrides_allowed_are_offered_with_the_configs_values():
    allowed = {
        "agent": {"first_message": True, "language": False, "prompt": {"prompt": True}},
        "tts": {"voice_id": True},
        "conversation": {"text_only": True},
    }
    agent = {"first_message": "Hello!", "language": "en", "prompt": {"prompt": "Be brief."}}

    offered = conversation_overrides(config(agent=agent, allowed=allowed, tts={"voice_id": "v1"}))

    assert [(o.setting.key, o.value) for o in offered] == [
        ("agent.first_message", "Hello!"),
        ("agent.prompt.prompt", "Be brief."),
        ("tts.voice_id", "v1"),
        ("conversation.text_only", None),
    ]
    first_message, prompt, voice, text_only = (o.setting for o in offered)
    assert (first_message.kind, first_message.empty_is_a_value) == ("long_text", True)
    assert (prompt.kind, prompt.empty_is_a_value) == ("long_text", False)
    assert (voice.kind, text_only.kind) == ("text", "checkbox")


def test_an_agent_allowing_nothing_offers_nothing():
    assert conversation_overrides(config(agent={"first_message": "Hi"})) == []
    assert conversation_overrides(config(allowed={"agent": {"first_message": False}})) == []
    # Only `true` allows: ElevenLabs' allow-list is booleans.
    assert conversation_overrides(config(allowed={"agent": {"first_message": "yes"}})) == []
    assert conversation_overrides({"platform_settings": {"overrides": None}}) == []


def test_overrides_the_console_does_not_offer_are_not_shown():
    allowed = {
        "tts": {"speed": True},
        "asr": {"keywords": True},
        "agent": {"prompt": {"llm": True}},
    }

    offered = conversation_overrides(config(allowed=allowed))

    assert [o.setting.key for o in offered] == ["agent.prompt.llm"]
