from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from agents.models import VoiceAgent
from common.errors import InvalidInput
from deployments.diff import SideBySide, side_by_side
from deployments.models import AgentVersion, Deployment
from workspaces.permissions import User
from workspaces.selectors import workspace_list_for

WORKING = "working"


def changelog_queryset() -> QuerySet[Deployment]:
    """History entries that carry a note, newest first: the changelog."""
    # Every agent in a list carries its changelog: fetch only the columns an entry shows.
    return (
        Deployment.objects.exclude(changes="")
        .select_related("deployed_by")
        .only(
            "agent_id",
            "version",
            "changes",
            "deployed_at",
            "deployed_by__id",
            "deployed_by__username",
        )
    )


def changelog_for(*, agent: VoiceAgent) -> QuerySet[Deployment]:
    return changelog_queryset().filter(agent=agent)


def deployment_list_for(user: User) -> QuerySet[Deployment]:
    return Deployment.objects.filter(agent__workspace__in=workspace_list_for(user)).select_related(
        "agent", "deployed_by"
    )


def deployment_history(*, agent: VoiceAgent) -> QuerySet[Deployment]:
    return Deployment.objects.filter(agent=agent).select_related("deployed_by")


def version_list(*, agent: VoiceAgent) -> QuerySet[AgentVersion]:
    return AgentVersion.objects.filter(agent=agent).select_related("created_by")


def default_diff(agent: VoiceAgent) -> tuple[str, str]:
    """The two versions a reader most likely wants compared: what is live (else the version
    before the newest) against the working config."""
    return str(agent.live_version or max(agent.version - 1, 1)), WORKING


def version_config(*, agent: VoiceAgent, version: str | int, field: str) -> dict:
    """The config of version `version`, or of the working config for "working"."""
    if str(version) == WORKING:
        return agent.config
    snapshot = None
    if str(version).isdigit():
        snapshot = version_list(agent=agent).filter(number=int(version)).first()
    if snapshot is None:
        raise InvalidInput.for_field(
            field,
            f"'{version}' is not a version of this agent; use 1 to {agent.version} or '{WORKING}'.",
        )
    return snapshot.config


def version_diff(*, agent: VoiceAgent, old: str | int, new: str | int) -> list[dict[str, Any]]:
    """What differs between two versions, as `{path, old, new}` per changed leaf."""
    before = _leaves(version_config(agent=agent, version=old, field="from"))
    after = _leaves(version_config(agent=agent, version=new, field="to"))
    return [
        {"path": path, "old": before.get(path), "new": after.get(path)}
        for path in sorted(before.keys() | after.keys())
        if before.get(path, _MISSING) != after.get(path, _MISSING)
    ]


def version_side_by_side(*, agent: VoiceAgent, old: str | int, new: str | int) -> SideBySide:
    """Two versions' configs (or a version and the working config), for reading side by side."""
    return side_by_side(
        version_config(agent=agent, version=old, field="from"),
        version_config(agent=agent, version=new, field="to"),
    )


_MISSING = object()


def _leaves(node: Any, path: str = "") -> dict[str, Any]:
    """Flatten nested JSON to {"a.b.0.c": value}; empty objects and lists count as leaves."""
    items: Iterable[tuple[Any, Any]]
    if isinstance(node, dict) and node:
        items = node.items()
    elif isinstance(node, list) and node:
        items = enumerate(node)
    else:
        return {path: node}
    flat: dict[str, Any] = {}
    for key, value in items:
        flat.update(_leaves(value, f"{path}.{key}" if path else str(key)))
    return flat
