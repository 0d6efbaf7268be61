from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from agents.config_fields import setting_name
from agents.models import VoiceAgent
from common.errors import InvalidInput
from common.ids import is_id
from deployments.diff import SideBySide, side_by_side
from deployments.models import AgentVersion, Deployment
from testruns.models import TestResult
from testruns.selectors import test_result_list
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
            "deployed_by_name",
            "deployed_by__id",
            "deployed_by__username",
        )
    )


def changelog_for(*, agent: VoiceAgent) -> QuerySet[Deployment]:
    return changelog_queryset().filter(agent=agent)


def changelog_rows_of(*, agent_ids: Collection[int]) -> QuerySet[Deployment, Mapping[str, Any]]:
    """The changelogs of the agents `agent_ids`, newest first, as plain rows (`agent_id`,
    `version`, `changes`, `deployed_at`, `deployed_by_id`, `deployed_by__username`,
    `deployed_by_name`) in one query: for the API, which shows hundreds of entries a page and
    needs no model objects."""
    return (
        Deployment.objects.exclude(changes="")
        .filter(agent_id__in=agent_ids)
        .values(
            "agent_id",
            "version",
            "changes",
            "deployed_at",
            "deployed_by_id",
            "deployed_by__username",
            "deployed_by_name",
        )
    )


def deployment_list_for(user: User) -> QuerySet[Deployment]:
    return Deployment.objects.filter(agent__workspace__in=workspace_list_for(user)).select_related(
        "agent", "deployed_by"
    )


def deployment_history(*, agent: VoiceAgent) -> QuerySet[Deployment]:
    return Deployment.objects.filter(agent=agent).select_related("deployed_by")


def version_list(*, agent: VoiceAgent) -> QuerySet[AgentVersion]:
    return AgentVersion.objects.filter(agent=agent).select_related("created_by")


def working_config_is_newest_version(*, agent: VoiceAgent) -> bool:
    """Whether the working config is still the newest version's (not edited since)."""
    return AgentVersion.objects.filter(
        agent=agent, number=agent.version, config_revision=agent.config_revision
    ).exists()


def results_with_tested_versions(*, agent: VoiceAgent) -> QuerySet[TestResult]:
    """The agent's test results, each with `tested_version`: the version whose config it tested.

    A result records the agent's newest version when the test ran (`version`), but what it
    tested is the working config (`config_revision`), usually an edit that becomes the next
    version when published. So the tested version is the first version published after the
    test with that config; else the newest version at the time, if its config was the one
    tested; else None: a config never published, "the working config after v`version`".
    """
    same_config = AgentVersion.objects.filter(
        agent=OuterRef("agent"), config_revision=OuterRef("config_revision")
    )
    published_after = same_config.filter(number__gt=OuterRef("version")).order_by("number")
    newest_then = same_config.filter(number=OuterRef("version"))
    return test_result_list(agent=agent).annotate(
        tested_version=Coalesce(
            Subquery(published_after.values("number")[:1]),
            Subquery(newest_then.values("number")[:1]),
        )
    )


def default_diff(agent: VoiceAgent) -> tuple[str, str]:
    """The two versions a reader most likely wants compared: what is live (else the version
    before the newest) against the working config."""
    return str(agent.live_version or max(agent.version - 1, 1)), WORKING


@dataclass(frozen=True)
class ChangesFromLive:
    """How the working config differs from the version callers get."""

    live_version: int | None  # None: nothing is live yet
    settings: list[str]  # what changed, named as a person would, in config order, once each

    @property
    def differs(self) -> bool:
        return bool(self.settings)


def changes_from_live(*, agent: VoiceAgent) -> ChangesFromLive:
    """What an edit changed since the live version: the agent page's summary of the diff."""
    if not agent.live_version:
        return ChangesFromLive(live_version=None, settings=[])
    changed = version_diff(agent=agent, old=agent.live_version, new=WORKING)
    names = dict.fromkeys(setting_name(change["path"]) for change in changed)
    return ChangesFromLive(live_version=agent.live_version, settings=list(names))


def version_config(*, agent: VoiceAgent, version: str | int, field: str) -> dict:
    """The config of version `version`, or of the working config for "working"."""
    if str(version) == WORKING:
        return agent.config
    snapshot = None
    if is_id(str(version)):
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
