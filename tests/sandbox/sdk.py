"""Helpers for tests of the sandbox's HTTP API through the official SDK."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from channels.routing import URLRouter
from elevenlabs import AsyncElevenLabs, ElevenLabs
from pydantic import BaseModel

from sandbox import routing
from tests.sandbox.conversation_client import API_KEY

IN_PROCESS_URL = "http://switchboard.test/sandbox/elevenlabs"


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


@asynccontextmanager
async def in_process_sdk(
    base_url: str = IN_PROCESS_URL, headers: dict | None = None
) -> AsyncIterator[AsyncElevenLabs]:
    """The async SDK talking to the sandbox served in this process, where its signing key and
    store are (the `sandbox_sdk` fixture's server is another process), with `headers` on
    every request."""
    transport = httpx.ASGITransport(app=URLRouter(routing.http_urlpatterns))
    async with httpx.AsyncClient(transport=transport, headers=headers) as http:
        yield AsyncElevenLabs(api_key=API_KEY, base_url=base_url, httpx_client=http)
