"""What a tester may set before a conversation with an agent, read from the config of the
version talked to: the dynamic variables it uses, and the overrides it allows.

Both go in ElevenLabs' `conversation_initiation_client_data` message (`dynamic_variables`,
`conversation_config_override`; shared/elevenlabs/agent.asyncapi.yaml). ElevenLabs refuses a
conversation whose initiation overrides something the agent's
`platform_settings.overrides.conversation_config_override` does not allow, so only the allowed
ones are offered. Pure functions of a config: the test console (web/views/conversations.py)
shows what they find.
"""

import re
from dataclasses import dataclass
from typing import Any, Literal

from agents.config_fields import CONFIG_PATHS, config_value

# `{{ name }}` in a prompt or first message, spelled as ElevenLabs fills them.
_REFERENCE = re.compile(r"\{\{\s*([\w.-]+)\s*\}\}")
# ElevenLabs fills these itself (system__agent_id, system__called_number, ...).
SYSTEM_PREFIX = "system__"
ALLOWED_PATH = ("platform_settings", "overrides", "conversation_config_override")

VariableKind = Literal["string", "number", "boolean"]
OverrideKind = Literal["text", "long_text", "checkbox"]


@dataclass(frozen=True)
class DynamicVariable:
    name: str
    value: str  # its placeholder's default as text; "" for a variable with no placeholder
    kind: VariableKind  # what the console sends: the placeholder's JSON type
    has_placeholder: bool


@dataclass(frozen=True)
class Overridable:
    """A setting the console can override: where it is (the same path in
    conversation_config, in conversation_config_override and in the allow-list), and how the
    console asks for it."""

    path: tuple[str, ...]
    label: str
    kind: OverrideKind
    # Whether an emptied field is an override of its own: an empty first message makes the
    # agent wait for the caller to speak first. Elsewhere emptied means "not overridden".
    empty_is_a_value: bool = False

    @property
    def key(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Override:
    setting: Overridable
    value: Any  # the config's own value, which the field starts from


# The overrides the console offers, in the order it shows them. ElevenLabs allows a few more
# (tts speed and stability, asr keywords, the LLM's tools ...): they are left out as rarely
# what a test changes; the API's clients can still send them.
OVERRIDABLE = (
    Overridable(("agent", "first_message"), "First message", "long_text", empty_is_a_value=True),
    Overridable(("agent", "prompt", "prompt"), "System prompt", "long_text"),
    Overridable(("agent", "language"), "Language", "text"),
    Overridable(("agent", "prompt", "llm"), "LLM", "text"),
    Overridable(("tts", "voice_id"), "Voice id", "text"),
    Overridable(("conversation", "text_only"), "Text only (no audio)", "checkbox"),
)


def conversation_variables(config: dict) -> list[DynamicVariable]:
    """The dynamic variables a conversation with `config` uses: its placeholders with their
    defaults, by name (PostgreSQL keeps a JSON object's keys in an order of its own), then
    each `{{name}}` its prompt or first message refers to without one, as they come. Not
    ElevenLabs' own system__ variables."""
    placeholders = config_value(config, CONFIG_PATHS["dynamic_variables"])
    variables = [
        DynamicVariable(name, _as_text(value), _kind(value), has_placeholder=True)
        for name, value in sorted((placeholders if isinstance(placeholders, dict) else {}).items())
        if not name.startswith(SYSTEM_PREFIX)
    ]
    known = {variable.name for variable in variables}
    for setting in ("system_prompt", "first_message"):
        text = config_value(config, CONFIG_PATHS[setting])
        for name in _REFERENCE.findall(text if isinstance(text, str) else ""):
            if name not in known and not name.startswith(SYSTEM_PREFIX):
                known.add(name)
                variables.append(DynamicVariable(name, "", "string", has_placeholder=False))
    return variables


def conversation_overrides(config: dict) -> list[Override]:
    """The overrides of OVERRIDABLE that `config` allows, each with the config's own value."""
    allowed = config_value(config, ALLOWED_PATH)
    return [
        Override(setting, config_value(config, ("conversation_config", *setting.path)))
        for setting in OVERRIDABLE
        if config_value(allowed if isinstance(allowed, dict) else {}, setting.path) is True
    ]


def _kind(value: Any) -> VariableKind:
    if isinstance(value, bool):  # before numbers: a bool is an int in Python
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string"


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
