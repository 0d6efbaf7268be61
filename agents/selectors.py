from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from agents.config_fields import BUILT_IN_TOOLS_PATH, CONFIG_PATHS, TOOL_IDS_PATH, config_value
from agents.models import AgentTag, VoiceAgent
from common.aggregates import JSONList
from common.errors import NotFound
from common.ids import is_id
from workspaces.models import Workspace
from workspaces.permissions import User
from workspaces.selectors import workspace_list_for


def agent_scope_for(user: User) -> QuerySet[VoiceAgent]:
    """The agents `user` may see, archived ones included (they stay readable; lists hide them
    through their filters: agents/filters.py), and nothing fetched beyond them."""
    # The ids are read first, in a query of their own: filtering by a literal list, rather than
    # a subquery, lets the database walk the (workspace, -updated_at, -id) index in order
    # instead of sorting every agent row to find one page.
    # (Unordered: sorting them would cost time and change nothing.)
    workspace_ids = list(workspace_list_for(user).order_by().values_list("id", flat=True))
    return VoiceAgent.objects.filter(workspace_id__in=workspace_ids).select_related("workspace")


def agent_get_for(
    user: User, agent_id: int | str | None, *, among: QuerySet[VoiceAgent] | None = None
) -> VoiceAgent:
    """One of `user`'s agents, from `among` (a narrower or richer `agent_scope_for(user)`).

    Another workspace's agent is 'not found', never 'forbidden': a 403 would confirm that it
    exists.
    """
    agents = agent_scope_for(user) if among is None else among
    key = str(agent_id)  # as in a URL; None and anything but digits find nothing
    if is_id(key):
        # `get`, not `first`, whose ORDER BY (the list's order) costs time and changes nothing.
        try:
            return agents.get(pk=key)
        except VoiceAgent.DoesNotExist:
            pass
    raise NotFound(f"No agent with id {agent_id} in your workspaces.")


def agent_dashboard_list(*, workspace: Workspace) -> QuerySet[VoiceAgent]:
    """A workspace's agents with what a dashboard row shows, in a fixed number of queries."""
    return (
        VoiceAgent.objects.filter(workspace=workspace)
        .select_related("deployed_by")
        .prefetch_related("tags")
    )


def tag_names_in(*, workspace: Workspace) -> list[str]:
    """The tags of the workspace's active agents: the dashboard's tag filter offers these."""
    return list(
        AgentTag.objects.filter(agent__workspace=workspace, agent__archived_at__isnull=True)
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )


@dataclass(frozen=True)
class Tool:
    name: str
    type: str  # "webhook", "client", "system", … as ElevenLabs calls it; "workspace" for an id


@dataclass(frozen=True)
class ConfigSummary:
    """The settings of a config a person reads first; None where the config leaves a setting
    to ElevenLabs' default."""

    system_prompt: str | None
    first_message: str | None
    language: str | None
    llm: str | None
    voice_id: str | None
    tools: list[Tool]


def config_summary(*, config: dict) -> ConfigSummary:
    """What the agent page shows of a config, read from the ElevenLabs-native JSON."""

    def value(setting: str) -> Any:
        found = config_value(config, CONFIG_PATHS[setting])
        return None if found in (None, "") else found

    return ConfigSummary(
        system_prompt=value("system_prompt"),
        first_message=value("first_message"),
        language=value("language"),
        llm=value("llm"),
        voice_id=value("voice_id"),
        tools=_tools(config),
    )


def _tools(config: dict) -> list[Tool]:
    """Tools defined in the config, tools of the ElevenLabs workspace it names by id, and the
    built-in system tools it turns on."""
    defined = config_value(config, CONFIG_PATHS["tools"]) or []
    tools = [
        Tool(name=str(tool.get("name") or "(unnamed)"), type=str(tool.get("type") or ""))
        for tool in defined
        if isinstance(tool, dict)
    ]
    tools += [Tool(name=str(tool_id), type="workspace") for tool_id in _list(config, TOOL_IDS_PATH)]
    built_in = config_value(config, BUILT_IN_TOOLS_PATH)
    if isinstance(built_in, dict):
        tools += [Tool(name=name, type="system") for name, on in built_in.items() if on]
    return tools


def _list(config: dict, path: tuple[str, ...]) -> list:
    found = config_value(config, path)
    return found if isinstance(found, list) else []


def tag_names_column() -> Subquery:
    """An agent's tag names as a JSON array (None without tags), to read with the agent's row
    (`.values(tag_names=tag_names_column())`) rather than in a query of their own: a list and an
    agent's detail each ran one more query for them. `tag_names` makes the value a list."""
    names = AgentTag.objects.filter(agent=OuterRef("pk")).order_by().values("agent")
    return Subquery(names.annotate(names=JSONList("name")).values("names"))


def tag_names(column: list[str] | None) -> list[str]:
    """The tag names `tag_names_column` read, sorted."""
    return sorted(column or ())
