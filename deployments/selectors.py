import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from agents.models import VoiceAgent
from common.errors import InvalidInput
from common.ids import is_id
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


@dataclass(frozen=True)
class DiffLine:
    """One row of a side-by-side diff; a side's number is None where it has no line."""

    kind: str  # "same", "changed", "removed" or "added"
    old_number: int | None
    old_text: str
    new_number: int | None
    new_text: str


def version_side_by_side(*, agent: VoiceAgent, old: str | int, new: str | int) -> dict[str, Any]:
    """Two versions' configs as pretty JSON, line against line, for reading side by side."""
    before = _pretty(version_config(agent=agent, version=old, field="from"))
    after = _pretty(version_config(agent=agent, version=new, field="to"))
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for offset in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + offset, j1 + offset
            has_old, has_new = i < i2, j < j2
            kind = {"equal": "same", "delete": "removed", "insert": "added"}.get(tag, "changed")
            if tag == "replace" and not (has_old and has_new):
                kind = "removed" if has_old else "added"
            lines.append(
                DiffLine(
                    kind=kind,
                    old_number=i + 1 if has_old else None,
                    old_text=before[i] if has_old else "",
                    new_number=j + 1 if has_new else None,
                    new_text=after[j] if has_new else "",
                )
            )
    return {
        "old": str(old),
        "new": str(new),
        "lines": lines,
        "changed": sum(line.kind != "same" for line in lines),
    }


def _pretty(config: dict) -> list[str]:
    return json.dumps(config, indent=2, sort_keys=True, ensure_ascii=False).splitlines()


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
