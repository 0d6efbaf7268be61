"""Creating, editing, archiving and restoring agents.

What follows from these changes in the apps above (the version 1 snapshot and the history
rows in deployments, the sync to ElevenLabs) happens through the signals in `agents.signals`,
inside the same transaction.

Agents are never deleted: deleting one archives it, and its history stays (docs/lifecycle.md).
"""

from django.db import transaction
from django.utils import timezone

from agents.models import (
    DESCRIPTION_MAX_LENGTH,
    DESCRIPTION_TOO_LONG,
    NAME_MAX_LENGTH,
    TAG_MAX_LENGTH,
    AgentTag,
    Status,
    VoiceAgent,
)
from agents.signals import agent_archived, agent_created, agent_restored, agent_updated
from common.errors import Conflict, InvalidInput
from elevenlabs_adapter import config_revision, empty_config, merge_config, validate_config
from workspaces.models import Workspace
from workspaces.permissions import User, require_role
from workspaces.roles import Action

TAGS_MAX_COUNT = 20


@transaction.atomic
def agent_create(
    *,
    workspace: Workspace,
    actor: User,
    name: str,
    description: str = "",
    tags: list[str] | None = None,
    config: dict | None = None,
    config_from_elevenlabs: bool = False,
    changes: str = "",
) -> VoiceAgent:
    """A new agent in draft at version 1. Its first snapshot and changelog entry, with
    `changes` as the note, are written by the lifecycle (deployments) on `agent_created`.

    `config_from_elevenlabs`: ElevenLabs answered with this config (an import), so it already
    accepted its values; only what any config must be to be stored is checked.
    """
    actor = require_role(actor, workspace, Action.CREATE_AGENT)
    config = empty_config() if config is None else config
    config = validate_config(config, accepted=config if config_from_elevenlabs else None)
    agent = VoiceAgent.objects.create(
        workspace=workspace,
        name=_clean_name(name),
        description=_clean_description(description),
        config=config,
        config_revision=config_revision(config),
        created_by=actor,
        updated_by=actor,
    )
    _set_tags(agent, tags or [])
    agent_created.send(VoiceAgent, agent=agent, actor=actor, changes=changes)
    return agent


@transaction.atomic
def agent_update(
    *,
    agent: VoiceAgent,
    actor: User,
    name: str | None = None,
    description: str | None = None,
    tags: list[str] | None = None,
    config: dict | None = None,
    config_patch: dict | None = None,
    config_from_elevenlabs: bool = False,
) -> VoiceAgent:
    """Edit an agent; `None` leaves a field as it is. An edit that changes nothing writes
    nothing: no new draft, no history entry.

    `config` replaces the whole config; `config_patch` is merged into it as a JSON merge
    patch (RFC 7396), under the row lock, so two patches of different keys both land. Either
    way the resulting config is validated as a whole. Numbers already in the agent's config
    are not held to the ranges again, nor is a config ElevenLabs answered with
    (`config_from_elevenlabs`, a drift pull).

    A config change moves an agent in testing or production back to draft: its tests no
    longer describe what it would ship. Production callers keep `live_version` meanwhile.
    """
    if config is not None and config_patch is not None:
        raise ValueError("Give the whole config or a patch of it, not both.")
    agent = _lock(agent)
    actor = require_role(actor, agent.workspace, Action.EDIT_AGENT)
    refuse_if_archived(agent)
    from_status = agent.status
    changed = set()
    if name is not None:
        name = _clean_name(name)
        if name != agent.name:
            agent.name = name
            changed.add("name")
    if description is not None and description != agent.description:
        agent.description = _clean_description(description)
        changed.add("description")
    if tags is not None and _set_tags(agent, tags):
        changed.add("tags")
    if config_patch is not None:
        config = merge_config(agent.config, config_patch)
    if config is not None:
        accepted = config if config_from_elevenlabs else agent.config
        config = validate_config(config, accepted=accepted)
        revision = config_revision(config)
        if revision != agent.config_revision:
            agent.config, agent.config_revision = config, revision
            agent.status = Status.DRAFT
            changed.add("config")
    if not changed:
        return agent
    agent.updated_by = actor
    agent.save()
    agent_updated.send(
        VoiceAgent, agent=agent, actor=actor, from_status=from_status, changed=changed
    )
    return agent


@transaction.atomic
def agent_archive(*, agent: VoiceAgent, actor: User, note: str = "") -> VoiceAgent:
    """Archive an agent: what deleting it means. It leaves the lists and refuses every change,
    its history stays readable, and its ElevenLabs agent is deleted (by the ElevenLabs app, on
    `agent_archived`), so nothing of it is live any more. A production agent must leave
    production first. The history records who archived it, when and why (`note`)."""
    agent = _lock(agent)
    actor = require_role(actor, agent.workspace, Action.DELETE_AGENT)
    refuse_if_archived(agent)
    if agent.status == Status.PRODUCTION:
        raise Conflict(
            "The agent is live in production. Deploy it to draft or testing before archiving it.",
            code="agent_live",
        )
    agent.archived_at, agent.archived_by = timezone.now(), actor
    agent.live_version = None  # its ElevenLabs agent goes: nothing of it is served any more
    agent.updated_by = actor
    agent.save()
    agent_archived.send(VoiceAgent, agent=agent, actor=actor, note=note)
    return agent


@transaction.atomic
def agent_restore(*, agent: VoiceAgent, actor: User, note: str = "") -> VoiceAgent:
    """Bring an archived agent back as a draft of its last working config. Its ElevenLabs agent
    was deleted, so the ElevenLabs app creates a new one (on `agent_restored`)."""
    agent = _lock(agent)
    actor = require_role(actor, agent.workspace, Action.RESTORE_AGENT)
    if not agent.is_archived:
        raise Conflict(
            "The agent is not archived: there is nothing to restore.", code="agent_not_archived"
        )
    from_status = agent.status
    agent.archived_at, agent.archived_by = None, None
    agent.status = Status.DRAFT
    agent.updated_by = actor
    agent.save()
    agent_restored.send(VoiceAgent, agent=agent, actor=actor, from_status=from_status, note=note)
    return agent


def refuse_if_archived(agent: VoiceAgent) -> None:
    """Every write to an agent checks this first (after the role): an archived agent is
    read-only until an admin restores it."""
    if agent.is_archived:
        raise Conflict(
            f"'{agent.name}' is archived: it can be read but not changed. An admin can restore "
            "it (Restore on its page, or the API's restore action) to work on it again.",
            code="agent_archived",
        )


def _lock(agent: VoiceAgent) -> VoiceAgent:
    """The agent's row, locked and re-read: a copy loaded before a concurrent change (a
    production deploy, an archive) must not win."""
    return VoiceAgent.objects.select_for_update().select_related("workspace").get(pk=agent.pk)


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput.for_field("name", "Give the agent a name.")
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidInput.for_field("name", f"Keep the name under {NAME_MAX_LENGTH} characters.")
    return name


def _clean_description(description: str) -> str:
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise InvalidInput.for_field("description", DESCRIPTION_TOO_LONG)
    return description


def _set_tags(agent: VoiceAgent, tags: list[str]) -> bool:
    """Make `tags` the agent's tags; True if that changed them."""
    names = list(dict.fromkeys(tag.strip() for tag in tags if tag.strip()))
    if len(names) > TAGS_MAX_COUNT:
        raise InvalidInput.for_field("tags", f"Use at most {TAGS_MAX_COUNT} tags.")
    too_long = [tag for tag in names if len(tag) > TAG_MAX_LENGTH]
    if too_long:
        raise InvalidInput.for_field(
            "tags", f"Tag '{too_long[0][:20]}…' is longer than {TAG_MAX_LENGTH} characters."
        )
    removed, _ = AgentTag.objects.filter(agent=agent).exclude(name__in=names).delete()
    existing = set(AgentTag.objects.filter(agent=agent).values_list("name", flat=True))
    added = AgentTag.objects.bulk_create(
        [AgentTag(agent=agent, name=name) for name in names if name not in existing]
    )
    return bool(removed or added)
