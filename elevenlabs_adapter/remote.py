"""Calls to ElevenLabs through the official SDK: the same code against the sandbox and the API.

Every call passes `max_retries=0`: the SDK's own retries block a worker and can create an
agent twice; Celery owns retries (elevenlabs_sync/tasks.py). Every failure leaves here as an
`ElevenLabsError` saying whether trying again may help.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import httpx
import pydantic
from django.conf import settings
from elevenlabs import ElevenLabs
from elevenlabs.conversational_ai.agents.client import AgentsClient
from elevenlabs.core.request_options import RequestOptions
from elevenlabs.environment import ElevenLabsEnvironment
from elevenlabs.types import GetAgentResponseModel

from elevenlabs_adapter.config import CONFIG_SECTIONS, remote_config
from elevenlabs_adapter.errors import ElevenLabsError, classified
from elevenlabs_adapter.pacing import wait_for_slot

NO_RETRIES = RequestOptions(max_retries=0)
TESTING_BRANCH = "testing"
# The scale of `traffic_percentage` in the deployments API: percent (0-100), not a fraction.
# The public contract does not say; this is the one place that decides (docs/elevenlabs.md).
TRAFFIC_PERCENTAGE_SCALE = 100.0
# Tags are how a retried create finds the agent it may already have made (docs/elevenlabs.md).
OWNER_TAG_PREFIX = "switchboard:"
SYNC_DISABLED_REASON = (
    "Sync with ElevenLabs is off: no ELEVENLABS_API_KEY is set and the sandbox is disabled. "
    "Set ELEVENLABS_API_KEY, or ELEVENLABS_SANDBOX=on to use the built-in sandbox."
)


def sync_enabled() -> bool:
    return bool(settings.ELEVENLABS_API_KEY) or settings.ELEVENLABS_SANDBOX


@dataclass(frozen=True)
class RemoteAgent:
    agent_id: str
    name: str
    tags: list[str]
    config: dict  # ours: {"conversation_config": {...}, "platform_settings": {...}}
    version_id: str
    branch_id: str
    main_branch_id: str


def owner_tag(key: object) -> str:
    return f"{OWNER_TAG_PREFIX}{key}"


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _calling(doing: str) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Turn whatever the SDK or httpx raises into an ElevenLabsError naming what we were doing."""

    def decorate(function: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(function)
        def call(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            wait_for_slot()
            try:
                return function(*args, **kwargs)
            except Exception as error:
                failure = classified(error, doing=doing, where=base_url())
                raise _with_sandbox_hint(failure, error) from error

        return call

    return decorate


def base_url() -> str:
    """Where our calls go."""
    return settings.ELEVENLABS_BASE_URL or ElevenLabsEnvironment.PRODUCTION.value


def _with_sandbox_hint(failure: ElevenLabsError, error: Exception) -> ElevenLabsError:
    """Calling the sandbox this app serves, a sandbox out of reach, or one that takes another
    key, is the app looking for itself at the wrong address: say which setting puts it right."""
    embedded = settings.ELEVENLABS_SANDBOX and base_url().startswith(settings.SITE_URL)
    unreachable = isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)
    if not embedded or not (unreachable or failure.status == 401):
        return failure
    return failure.explained(
        f"The built-in sandbox is served by this app under SITE_URL ({settings.SITE_URL}), "
        "which must be the address this server answers at: `make run` sets it from HOST and "
        "PORT; serving another way, set SITE_URL."
    )


def _client() -> ElevenLabs:
    return _client_for(
        settings.ELEVENLABS_BASE_URL or None,
        # With the embedded sandbox and no API key, the key made for the sandbox.
        settings.ELEVENLABS_API_KEY or settings.ELEVENLABS_SANDBOX_KEY,
        settings.ELEVENLABS_TIMEOUT,
        # The sandbox runs on this machine or next to it: an HTTP proxy meant for the internet
        # (HTTP_PROXY in the environment) would only stand in the way.
        use_proxy=not settings.ELEVENLABS_SANDBOX,
    )


@functools.lru_cache(maxsize=8)
def _client_for(base_url: str | None, api_key: str, timeout: float, use_proxy: bool) -> ElevenLabs:
    # Cached so a worker reuses its connections; keyed on settings so a change takes effect.
    http = httpx.Client(timeout=timeout, trust_env=use_proxy, follow_redirects=True)
    return ElevenLabs(base_url=base_url, api_key=api_key, timeout=timeout, httpx_client=http)


def _agents() -> AgentsClient:
    return _client().conversational_ai.agents


def _sections(config: dict) -> dict:
    return {section: config.get(section) or {} for section in CONFIG_SECTIONS}


@_calling("creating the agent")
def agent_create(*, name: str, config: dict, tags: list[str]) -> str:
    """Create an agent; return its ElevenLabs id."""
    created = _agents().create(
        name=name, tags=tags, **_sections(config), request_options=NO_RETRIES
    )
    return created.agent_id


@_calling("looking the agent up by tag")
def agent_find_by_tag(tag: str) -> str | None:
    """The id of the agent carrying `tag`, if one exists."""
    page = _agents().list(tags=tag, page_size=2, request_options=NO_RETRIES)
    matches = [agent.agent_id for agent in page.agents if tag in (agent.tags or [])]
    return matches[0] if matches else None


@_calling("reading the agent")
def agent_get(agent_id: str, *, branch_id: str | None = None) -> RemoteAgent:
    return _remote(_agents().get(agent_id, branch_id=branch_id, request_options=NO_RETRIES))


@_calling("updating the agent")
def agent_push(
    agent_id: str,
    *,
    config: dict | None = None,
    name: str | None = None,
    tags: list[str] | None = None,
    branch_id: str | None = None,
    version_description: str | None = None,
) -> RemoteAgent:
    """Patch the agent (its main branch unless `branch_id`); a config commits a new version."""
    # Keyword arguments of the SDK's update; the config sections go as the JSON they are (the
    # SDK types them as its models, and sends a dict as it is).
    fields: dict[str, Any] = {
        "name": name,
        "tags": tags,
        "version_description": version_description,
    }
    if config is not None:
        fields.update(_sections(config))
    updated = _agents().update(
        agent_id,
        branch_id=branch_id,
        request_options=NO_RETRIES,
        **{key: value for key, value in fields.items() if value is not None},
    )
    return _remote(updated)


@_calling("finding the testing branch")
def branch_find(agent_id: str, name: str) -> str | None:
    page = _agents().branches.list(agent_id, request_options=NO_RETRIES)
    return next((b.id for b in page.results if b.name == name and not b.is_archived), None)


@_calling("creating the testing branch")
def branch_create(agent_id: str, *, name: str, parent_version_id: str, config: dict) -> str:
    created = _agents().branches.create(
        agent_id,
        parent_version_id=parent_version_id,
        name=name,
        description="Switchboard's testing stage: the working config under test.",
        **_sections(config),
        request_options=NO_RETRIES,
    )
    return created.created_branch_id


@_calling("deleting the agent")
def agent_delete(agent_id: str) -> None:
    _agents().delete(agent_id, request_options=NO_RETRIES)


@_calling("splitting traffic between branches")
def traffic_split(agent_id: str, shares: dict[str, float]) -> dict[str, float]:
    """Route traffic by branch; `shares` are fractions summing to 1. Returns fractions."""
    requests = [
        {
            "branch_id": branch_id,
            "deployment_strategy": {
                "type": "percentage",
                "traffic_percentage": share * TRAFFIC_PERCENTAGE_SCALE,
            },
        }
        for branch_id, share in shares.items()
    ]
    answer = _agents().deployments.create(
        agent_id, deployment_request={"requests": requests}, request_options=NO_RETRIES
    )
    split = answer.traffic_percentage_branch_id_map or {}
    return {branch: value / TRAFFIC_PERCENTAGE_SCALE for branch, value in split.items()}


@_calling("fetching a signed conversation URL")
def signed_url(
    agent_id: str, *, branch_id: str | None = None, version_id: str | None = None
) -> str:
    """A short-lived WebSocket URL for one conversation with a branch's tip, or with one
    published version; safe to hand to a browser."""
    answer = _client().conversational_ai.conversations.get_signed_url(
        agent_id=agent_id, branch_id=branch_id, version_id=version_id, request_options=NO_RETRIES
    )
    return answer.signed_url


@_calling("listing conversations")
def conversations_list(
    agent_id: str, *, branch_id: str | None = None, cursor: str | None = None, page_size: int = 30
) -> tuple[list[dict], str | None]:
    """One page of the agent's conversations, newest first, and the cursor of the next."""
    page = _client().conversational_ai.conversations.list(
        agent_id=agent_id,
        branch_id=branch_id,
        cursor=cursor,
        page_size=page_size,
        request_options=NO_RETRIES,
    )
    conversations = [c.model_dump(mode="json", exclude_none=True) for c in page.conversations]
    return conversations, page.next_cursor if page.has_more else None


@_calling("reading a conversation")
def conversation_get(conversation_id: str) -> dict:
    """ElevenLabs' record of one conversation: `status` ("done" once its analysis is complete),
    `metadata.call_duration_secs`, `transcript` and `analysis`."""
    answer = _client().conversational_ai.conversations.get(
        conversation_id, request_options=NO_RETRIES
    )
    return answer.model_dump(mode="json", exclude_none=True)


@_calling("listing the account's phone numbers")
def outbound_phone_number_ids() -> list[str]:
    """The ids of the account's phone numbers that can place calls."""
    numbers = _client().conversational_ai.phone_numbers.list(request_options=NO_RETRIES)
    return [number.phone_number_id for number in numbers if number.supports_outbound is not False]


@_calling("placing the test call")
def outbound_call(
    agent_id: str,
    *,
    phone_number_id: str,
    to_number: str,
    branch_id: str | None = None,
    dynamic_variables: dict | None = None,
) -> str:
    """Ring `to_number` from the agent's phone number, with a branch's tip (its main branch
    when none is named); return the conversation id."""
    client_data: dict = {"dynamic_variables": dynamic_variables or {}}
    if branch_id:
        client_data["branch_id"] = branch_id
    answer = _client().conversational_ai.twilio.outbound_call(
        agent_id=agent_id,
        agent_phone_number_id=phone_number_id,
        to_number=to_number,
        conversation_initiation_client_data=client_data,
        request_options=NO_RETRIES,
    )
    return answer.conversation_id or ""


def _remote(agent: GetAgentResponseModel) -> RemoteAgent:
    return RemoteAgent(
        agent_id=agent.agent_id,
        name=agent.name,
        tags=list(agent.tags or []),
        config=remote_config(
            {
                "conversation_config": _dump(agent.conversation_config),
                "platform_settings": _dump(agent.platform_settings),
            }
        ),
        version_id=agent.version_id or "",
        branch_id=agent.branch_id or "",
        main_branch_id=agent.main_branch_id or "",
    )


def _dump(model: pydantic.BaseModel | None) -> dict:
    return model.model_dump(mode="json", exclude_none=True) if model is not None else {}
