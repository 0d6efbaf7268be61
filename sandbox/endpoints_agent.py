"""Agents: create, read (any branch or version), patch (committing on a branch), delete, list."""

from sandbox.api import (
    Request,
    Response,
    body_field,
    cursor_page,
    not_found,
    route,
    string_list,
)
from sandbox.records import Agent, Branch, Version, dig
from sandbox.store import store

DEFAULT_AGENT_NAME = "Untitled agent"
# Listed for agents whose config names no voice; any id of ElevenLabs' voice library would do.
DEFAULT_VOICE_ID = "cjVigY5qzO86Huf0OWal"
# Who "created" every sandbox agent: the one account behind any API key.
ACCESS_INFO = {
    "is_creator": True,
    "creator_name": "Sandbox",
    "creator_email": "sandbox@example.com",
    "role": "admin",
}


def agent_or_404(agent_id: str) -> Agent:
    agent = store.agents.get(agent_id)
    if agent is None:
        raise not_found("agent", agent_id)
    return agent


def branch_or_404(agent: Agent, branch_id: str | None) -> Branch:
    """The branch named, or main when none is."""
    if not branch_id:
        return agent.main
    branch = agent.branch(branch_id)
    if branch is None:
        raise not_found("branch", branch_id)
    return branch


def version_or_404(agent: Agent, version_id: str) -> Version:
    version = agent.version(version_id)
    if version is None:
        raise not_found("version", version_id)
    return version


def agent_json(agent: Agent, version: Version) -> dict:
    """GetAgentResponseModel: the agent as of `version`."""
    return {
        "agent_id": agent.agent_id,
        "name": agent.name,
        "conversation_config": version.conversation_config,
        "platform_settings": version.platform_settings,
        "metadata": {
            "created_at_unix_secs": agent.created_at,
            "updated_at_unix_secs": agent.updated_at,
        },
        "tags": agent.tags,
        "version_id": version.id,
        "branch_id": version.branch_id,
        "main_branch_id": agent.main_branch_id,
        "access_info": ACCESS_INFO,
    }


def is_archived(agent: Agent) -> bool:
    return dig(agent.main.tip.platform_settings, "archived") is True


def agent_summary(agent: Agent) -> dict:
    """AgentSummaryResponseModel, as agents are listed."""
    voice_id = dig(agent.main.tip.conversation_config, "tts", "voice_id")
    return {
        "agent_id": agent.agent_id,
        "name": agent.name,
        "voice_id": voice_id if isinstance(voice_id, str) else DEFAULT_VOICE_ID,
        "tags": agent.tags,
        "created_at_unix_secs": agent.created_at,
        "updated_at_unix_secs": agent.updated_at,
        "archived": is_archived(agent),
        "access_info": ACCESS_INFO,
    }


async def agent_create(request: Request) -> Response:
    body = request.json()
    agent = store.agent_create(
        conversation_config=body_field(body, "conversation_config", dict, required=True),
        platform_settings=body_field(body, "platform_settings", dict) or {},
        name=body_field(body, "name", str) or DEFAULT_AGENT_NAME,
        tags=string_list(body, "tags") or [],
    )
    return Response(200, {"agent_id": agent.agent_id})


async def agent_get(request: Request, agent_id: str) -> Response:
    agent = agent_or_404(agent_id)
    version_id = request.param("version_id")
    if version_id:
        version = version_or_404(agent, version_id)
    else:
        version = branch_or_404(agent, request.param("branch_id")).tip
    return Response(200, agent_json(agent, version))


async def agent_patch(request: Request, agent_id: str) -> Response:
    agent = agent_or_404(agent_id)
    branch = branch_or_404(agent, request.param("branch_id"))
    body = request.json()
    version = store.agent_update(
        agent,
        branch_id=branch.id,
        conversation_config=body_field(body, "conversation_config", dict),
        platform_settings=body_field(body, "platform_settings", dict),
        name=body_field(body, "name", str),
        tags=string_list(body, "tags"),
        version_description=body_field(body, "version_description", str),
    )
    return Response(200, agent_json(agent, version))


async def agent_delete(request: Request, agent_id: str) -> Response:
    store.agent_delete(agent_or_404(agent_id))
    return Response(204)


async def agent_list(request: Request) -> Response:
    """Newest first, filtered by name (`search`), by `tags` (any of them) and `archived`."""
    search = (request.param("search") or "").lower()
    tags = set(request.query.get("tags", []))
    archived = request.bool_param("archived")
    agents = [
        agent
        for agent in sorted(store.agents.values(), key=lambda agent: agent.seq, reverse=True)
        if search in agent.name.lower()
        and (not tags or tags & set(agent.tags))
        and (archived is None or is_archived(agent) == archived)
    ]
    page, next_cursor = cursor_page(agents, request)
    return Response(
        200,
        {
            "agents": [agent_summary(agent) for agent in page],
            "next_cursor": next_cursor,
            "has_more": next_cursor is not None,
        },
    )


AGENT_ID = r"(?P<agent_id>[^/]+)"

ROUTES = [
    route("POST", r"v1/convai/agents/create", agent_create),
    route("GET", r"v1/convai/agents", agent_list),
    route("GET", rf"v1/convai/agents/{AGENT_ID}", agent_get),
    route("PATCH", rf"v1/convai/agents/{AGENT_ID}", agent_patch),
    route("DELETE", rf"v1/convai/agents/{AGENT_ID}", agent_delete),
]
