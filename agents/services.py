"""Creating, editing and deleting agents.

What follows from these changes in the apps above (the version 1 snapshot and the history
rows in deployments, the sync to ElevenLabs) happens through the signals in `agents.signals`,
inside the same transaction.
"""

from django.db import transaction

from agents.models import (
    DESCRIPTION_MAX_LENGTH,
    DESCRIPTION_TOO_LONG,
    NAME_MAX_LENGTH,
    TAG_MAX_LENGTH,
    AgentTag,
    Status,
    VoiceAgent,
)
from agents.signals import agent_created, agent_deleting, agent_updated
from common.errors import Conflict, InvalidInput
from elevenlabs_adapter import config_revision, empty_config, validate_config
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
    changes: str = "",
) -> VoiceAgent:
    """A new agent in draft at version 1. Its first snapshot and changelog entry, with
    `changes` as the note, are written by the lifecycle (deployments) on `agent_created`."""
    actor = require_role(actor, workspace, Action.CREATE_AGENT)
    config = validate_config(empty_config() if config is None else config)
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
) -> VoiceAgent:
    """Edit an agent; `None` leaves a field as it is.

    A config change moves an agent in testing or production back to draft: its tests no
    longer describe what it would ship. Production callers keep `live_version` meanwhile.
    """
    agent = VoiceAgent.objects.select_for_update().select_related("workspace").get(pk=agent.pk)
    actor = require_role(actor, agent.workspace, Action.EDIT_AGENT)
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
    if config is not None:
        config = validate_config(config)
        revision = config_revision(config)
        if revision != agent.config_revision:
            agent.config, agent.config_revision = config, revision
            agent.status = Status.DRAFT
            changed.add("config")
    agent.updated_by = actor
    agent.save()
    if changed:
        agent_updated.send(
            VoiceAgent, agent=agent, actor=actor, from_status=from_status, changed=changed
        )
    return agent


@transaction.atomic
def agent_delete(*, agent: VoiceAgent, actor: User) -> None:
    """Delete an agent and its history. A live production agent must leave production first."""
    # Locked and re-read: a copy loaded before a concurrent production deploy must not win.
    agent = VoiceAgent.objects.select_for_update().select_related("workspace").get(pk=agent.pk)
    require_role(actor, agent.workspace, Action.DELETE_AGENT)
    if agent.status == Status.PRODUCTION:
        raise Conflict(
            "The agent is live in production. Deploy it to draft or testing before deleting it.",
            code="agent_live",
        )
    agent_deleting.send(VoiceAgent, agent=agent)
    agent.delete()


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
