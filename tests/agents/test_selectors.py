"""What the agent page reads of a config (agents.selectors.config_summary) and the names it
gives to settings (agents.config_fields.setting_name)."""

import pytest

from agents.config_fields import setting_name
from agents.selectors import ConfigSummary, Tool, config_summary
from elevenlabs_adapter import empty_config
from tests.factories import sample_config


def test_a_config_reads_as_its_main_settings():
    config = sample_config("Hi!")
    prompt = config["conversation_config"]["agent"]["prompt"]
    prompt.update(
        prompt="Line one.\nLine two.",
        llm="gpt-4o-mini",
        tools=[{"type": "client", "name": "show_map"}, {"type": "webhook", "name": "book"}],
        tool_ids=["tool_123"],
        built_in_tools={"end_call": {"name": "end_call"}, "transfer_to_number": None},
    )

    assert config_summary(config=config) == ConfigSummary(
        system_prompt="Line one.\nLine two.",
        first_message="Hi!",
        language="en",
        llm="gpt-4o-mini",
        voice_id="21m00Tcm4TlvDq8ikWAM",
        tools=[
            Tool(name="show_map", type="client"),
            Tool(name="book", type="webhook"),
            Tool(name="tool_123", type="workspace"),
            Tool(name="end_call", type="system"),
        ],
    )


def test_settings_left_to_elevenlabs_read_as_none():
    config = empty_config()
    config["conversation_config"]["agent"] = {"first_message": ""}

    assert config_summary(config=config) == ConfigSummary(
        system_prompt=None, first_message=None, language=None, llm=None, voice_id=None, tools=[]
    )


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("conversation_config.agent.prompt.prompt", "system prompt"),
        ("conversation_config.agent.prompt.tools.0.name", "tools"),
        ("conversation_config.agent.prompt.tool_ids.1", "tools"),
        ("conversation_config.tts.voice_id", "voice"),
        ("conversation_config.tts.stability", "conversation_config.tts.stability"),
    ],
)
def test_a_config_path_is_named_as_a_person_would(path, name):
    assert setting_name(path) == name
