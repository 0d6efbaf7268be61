from django.db import IntegrityError, transaction

from agents.adapter import ElevenLabsError, config_revision, empty_config, remote, validate_config
from agents.models import AgentTag, Status, VoiceAgent
from agents.remote_deletion import remote_deletion_request
from agents.sync import sync_request
from common.errors import Conflict, InvalidInput, Upstream
from deployments.models import DeploymentKind
from deployments.services import clean_changes, deployment_record, version_snapshot
from workspaces.models import Workspace
from workspaces.permissions import require_role
from workspaces.roles import Role

NAME_MAX_LENGTH = VoiceAgent._meta.get_field("name").max_length
TAG_MAX_LENGTH = AgentTag._meta.get_field("name").max_length
TAGS_MAX_COUNT = 20
FIRST_VERSION_NOTE = "Initial version"


@transaction.atomic
def agent_create(
    *,
    workspace: Workspace,
    actor,
    name: str,
    description: str = "",
    tags: list[str] | None = None,
    config: dict | None = None,
    changes: str = "",
) -> VoiceAgent:
    """A new agent in draft at version 1, with its first snapshot and changelog entry."""
    require_role(actor, workspace, Role.EDITOR, to="create agents")
    config = validate_config(empty_config() if config is None else config)
    agent = VoiceAgent.objects.create(
        workspace=workspace,
        name=_clean_name(name),
        description=description,
        config=config,
        config_revision=config_revision(config),
        created_by=actor,
        updated_by=actor,
    )
    _set_tags(agent, tags or [])
    changes = clean_changes(changes, required=False) or FIRST_VERSION_NOTE
    version_snapshot(agent=agent, changes=changes, actor=actor)
    deployment_record(
        agent=agent, kind=DeploymentKind.CREATE, from_status="", changes=changes, actor=actor
    )
    sync_request(agent)
    return agent


def agent_import(*, workspace: Workspace, actor, elevenlabs_agent_id: str) -> VoiceAgent:
    """Adopt an agent that already exists on ElevenLabs: its config becomes version 1, a draft.

    The agent keeps its ElevenLabs id; the sync then adds our tag to it.
    """
    require_role(actor, workspace, Role.EDITOR, to="import agents")
    elevenlabs_agent_id = (elevenlabs_agent_id or "").strip()
    if not elevenlabs_agent_id:
        raise InvalidInput.for_field(
            "elevenlabs_agent_id", "Give the id of the ElevenLabs agent to import (agent_…)."
        )
    if VoiceAgent.objects.filter(elevenlabs_agent_id=elevenlabs_agent_id).exists():
        raise Conflict(
            "This ElevenLabs agent is already managed by Switchboard.", code="already_imported"
        )
    try:
        found = remote.agent_get(elevenlabs_agent_id)  # before the transaction: no lock held
    except ElevenLabsError as error:
        if error.status == 404:
            raise InvalidInput.for_field(
                "elevenlabs_agent_id", "ElevenLabs has no agent with this id."
            ) from error
        raise Upstream(error.message) from error
    owners = [tag for tag in found.tags if tag.startswith(remote.OWNER_TAG_PREFIX)]
    if owners:
        # Another Switchboard syncs this agent; our sync would take it over from under it.
        raise Conflict(
            "This ElevenLabs agent is managed by another Switchboard installation "
            f"(tag {owners[0]}); remove that tag on ElevenLabs first if it should move here.",
            code="managed_elsewhere",
        )
    try:
        with transaction.atomic():
            agent = agent_create(
                workspace=workspace,
                actor=actor,
                name=found.name[:NAME_MAX_LENGTH] or elevenlabs_agent_id,
                tags=found.tags,
                config=found.config,
                changes=f"Imported from ElevenLabs agent {elevenlabs_agent_id}",
            )
            agent.elevenlabs_agent_id = elevenlabs_agent_id
            agent.elevenlabs_main_version_id = found.version_id
            agent.save(update_fields=["elevenlabs_agent_id", "elevenlabs_main_version_id"])
    except InvalidInput as error:
        # Their agent breaks one of our rules: say so about the agent, not the caller's input.
        raise InvalidInput(
            f"The ElevenLabs agent cannot be imported as it is: {error.message}",
            code=error.code,
            errors={"elevenlabs_agent_id": [error.message], **error.errors},
        ) from error
    except IntegrityError as error:  # a concurrent import of the same agent won
        raise Conflict(
            "This ElevenLabs agent is already managed by Switchboard.", code="already_imported"
        ) from error
    return agent


@transaction.atomic
def agent_update(
    *,
    agent: VoiceAgent,
    actor,
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
    require_role(actor, agent.workspace, Role.EDITOR, to="edit agents")
    synced_fields_changed = False
    if name is not None:
        name = _clean_name(name)
        synced_fields_changed |= name != agent.name
        agent.name = name
    if description is not None:
        agent.description = description
    if tags is not None:
        synced_fields_changed |= _set_tags(agent, tags)
    if config is not None:
        config = validate_config(config)
        revision = config_revision(config)
        if revision != agent.config_revision:
            synced_fields_changed = True
            agent.config, agent.config_revision = config, revision
            if agent.status != Status.DRAFT:
                from_status, agent.status = agent.status, Status.DRAFT
                deployment_record(
                    agent=agent,
                    kind=DeploymentKind.EDIT,
                    from_status=from_status,
                    changes="",
                    actor=actor,
                )
    agent.updated_by = actor
    agent.save()
    if synced_fields_changed:
        sync_request(agent)
    return agent


@transaction.atomic
def agent_delete(*, agent: VoiceAgent, actor) -> None:
    """Delete an agent and its history. A live production agent must leave production first."""
    # Locked and re-read: a copy loaded before a concurrent production deploy must not win.
    agent = VoiceAgent.objects.select_for_update().select_related("workspace").get(pk=agent.pk)
    require_role(actor, agent.workspace, Role.ADMIN, to="delete agents")
    if agent.status == Status.PRODUCTION:
        raise Conflict(
            "The agent is live in production. Deploy it to draft or testing before deleting it.",
            code="agent_live",
        )
    remote_deletion_request(agent)
    agent.delete()


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput.for_field("name", "Give the agent a name.")
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidInput.for_field("name", f"Keep the name under {NAME_MAX_LENGTH} characters.")
    return name


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
