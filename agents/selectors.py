from django.db.models import Prefetch, QuerySet

from agents.models import VoiceAgent
from common.errors import NotFound
from deployments.selectors import changelog_queryset
from workspaces.permissions import User
from workspaces.selectors import workspace_list_for


def agent_list_for(user: User) -> QuerySet[VoiceAgent]:
    """The agents `user` may see, with what the API shows of each fetched in a fixed number
    of queries: the agents page, their tags, and their changelogs."""
    return (
        VoiceAgent.objects.filter(workspace__in=workspace_list_for(user))
        .select_related("workspace", "deployed_by")
        .prefetch_related(
            "tags",
            Prefetch("deployments", queryset=changelog_queryset(), to_attr="changelog"),
        )
    )


def agent_get_for(user: User, agent_id) -> VoiceAgent:
    """One of `user`'s agents. Another workspace's agent is 'not found', never 'forbidden':
    a 403 would confirm that it exists."""
    agent = agent_list_for(user).filter(pk=agent_id).first() if str(agent_id).isdigit() else None
    if agent is None:
        raise NotFound(f"No agent with id {agent_id} in your workspaces.")
    return agent
