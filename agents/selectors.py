from django.db.models import QuerySet

from agents.models import AgentTag, VoiceAgent
from common.errors import NotFound
from common.ids import is_id
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


def agent_get_for(
    user: User, agent_id: int | str | None, *, among: QuerySet[VoiceAgent] | None = None
) -> VoiceAgent:
    """One of `user`'s agents, from `among` (a narrower or richer `agent_scope_for(user)`).

    Another workspace's agent is 'not found', never 'forbidden': a 403 would confirm that it
    exists.
    """
    agents = agent_scope_for(user) if among is None else among
    key = str(agent_id)  # as in a URL; None and anything but digits find nothing
    agent = agents.filter(pk=key).first() if is_id(key) else None
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
