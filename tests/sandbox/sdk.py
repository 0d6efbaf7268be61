"""Helpers for tests of the sandbox's HTTP API through the official SDK."""

from elevenlabs import ElevenLabs
from pydantic import BaseModel


def strictly(result: BaseModel) -> BaseModel:
    """`result`, an SDK response, validated by its own pydantic model.

    The SDK builds its models without validation, so an answer missing a required field would
    parse without complaint; this fails on it.
    """
    return type(result).model_validate(result.model_dump(by_alias=True, exclude_unset=True))


def create_agent(sdk: ElevenLabs, first_message: str = "Hello! How can I help?", **kwargs) -> str:
    """An agent's id, created through the SDK; `kwargs` go to `agents.create`."""
    kwargs.setdefault("name", "Support")
    config = {"agent": {"first_message": first_message, "prompt": {"prompt": "Be brief."}}}
    kwargs.setdefault("conversation_config", config)
    return sdk.conversational_ai.agents.create(**kwargs).agent_id
