"""The settings people read and change most, and where each lives in the ElevenLabs config.

One table for the editor's controls (web/forms.py), the agent page's summary and the names the
agent page gives to what changed (agents/selectors.py), so they cannot drift apart.
"""

from typing import Any

# Each setting, where its value lives in the ElevenLabs config, and what a person calls it.
CONFIG_PATHS: dict[str, tuple[str, ...]] = {
    "system_prompt": ("conversation_config", "agent", "prompt", "prompt"),
    "first_message": ("conversation_config", "agent", "first_message"),
    "language": ("conversation_config", "agent", "language"),
    "llm": ("conversation_config", "agent", "prompt", "llm"),
    "temperature": ("conversation_config", "agent", "prompt", "temperature"),
    "voice_id": ("conversation_config", "tts", "voice_id"),
    "max_duration_seconds": ("conversation_config", "conversation", "max_duration_seconds"),
    "dynamic_variables": (
        "conversation_config",
        "agent",
        "dynamic_variables",
        "dynamic_variable_placeholders",
    ),
    "tools": ("conversation_config", "agent", "prompt", "tools"),
}
SETTING_NAMES: dict[str, str] = {
    "system_prompt": "system prompt",
    "first_message": "first message",
    "language": "language",
    "llm": "LLM",
    "temperature": "temperature",
    "voice_id": "voice",
    "max_duration_seconds": "maximum call length",
    "dynamic_variables": "dynamic variables",
    "tools": "tools",
}
TOOL_IDS_PATH = ("conversation_config", "agent", "prompt", "tool_ids")
BUILT_IN_TOOLS_PATH = ("conversation_config", "agent", "prompt", "built_in_tools")


def config_value(config: dict, path: tuple[str, ...]) -> Any:
    """The value at `path`, or None where the config does not set it."""
    node: Any = config
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def setting_name(path: str) -> str:
    """What a person calls the setting at a dotted config path (`conversation_config.agent.
    prompt.tools.0.name` is "tools"); a path outside the table is named by itself."""
    keys = tuple(path.split("."))
    for setting, setting_path in CONFIG_PATHS.items():
        if keys[: len(setting_path)] == setting_path:
            return SETTING_NAMES[setting]
    for extra, name in ((TOOL_IDS_PATH, "tools"), (BUILT_IN_TOOLS_PATH, "tools")):
        if keys[: len(extra)] == extra:
            return name
    return path
