from django.db.models import Prefetch, QuerySet

from agents.adapter import remote
from agents.models import AgentTag, SyncState, VoiceAgent
from common.errors import NotFound
from deployments.selectors import changelog_queryset
from workspaces.models import Workspace
from workspaces.permissions import User
from workspaces.selectors import workspace_list_for


def agent_scope_for(user: User) -> QuerySet[VoiceAgent]:
    """The agents `user` may see, and nothing fetched beyond them."""
    # The ids are read first, in a query of their own: filtering by a literal list, rather than
    # a subquery, lets the database walk the (workspace, -updated_at, -id) index in order
    # instead of sorting every agent row to find one page.
    workspace_ids = list(workspace_list_for(user).values_list("id", flat=True))
    return VoiceAgent.objects.filter(workspace_id__in=workspace_ids).select_related("workspace")


def agent_list_for(user: User) -> QuerySet[VoiceAgent]:
    """The agents `user` may see, with all the API shows of each, in a fixed number of
    queries whatever the page holds: the agents, their tags, their changelogs."""
    return agent_scope_for(user).prefetch_related(
        "tags",
        Prefetch("deployments", queryset=changelog_queryset(), to_attr="changelog"),
    )


def agent_get_for(user: User, agent_id, *, for_display: bool = False) -> VoiceAgent:
    """One of `user`'s agents; `for_display` also fetches what the agent representation shows.

    Another workspace's agent is 'not found', never 'forbidden': a 403 would confirm that it
    exists.
    """
    agents = agent_list_for(user) if for_display else agent_scope_for(user)
    agent = agents.filter(pk=agent_id).first() if str(agent_id).isdigit() else None
    if agent is None:
        raise NotFound(f"No agent with id {agent_id} in your workspaces.")
    return agent


def agent_dashboard_list(*, workspace: Workspace) -> QuerySet[VoiceAgent]:
    """A workspace's agents with what a dashboard row shows, in a fixed number of queries."""
    return (
        VoiceAgent.objects.filter(workspace=workspace)
        .select_related("deployed_by")
        .prefetch_related("tags")
    )


def tag_names_in(*, workspace: Workspace) -> list[str]:
    return list(
        AgentTag.objects.filter(agent__workspace=workspace)
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )


SYNC_DISABLED = "disabled"


def sync_state_shown(agent: VoiceAgent) -> tuple[str, str]:
    """The agent's sync state and error as people and scripts see them: while sync is off,
    "disabled" and the reason, rather than "pending" forever."""
    if agent.sync_state == SyncState.PENDING and not remote.sync_enabled():
        return SYNC_DISABLED, remote.SYNC_DISABLED_REASON
    return agent.sync_state, agent.last_sync_error
