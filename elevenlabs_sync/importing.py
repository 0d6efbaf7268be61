"""Adopting an agent that already exists on ElevenLabs."""

import re

from django.db import IntegrityError, transaction

from agents.models import NAME_MAX_LENGTH, VoiceAgent
from agents.services import agent_create
from common.errors import Conflict, InvalidInput, Upstream
from elevenlabs_adapter import ElevenLabsError, remote
from elevenlabs_sync.models import AgentSync
from workspaces.models import Workspace
from workspaces.permissions import User, require_role
from workspaces.roles import Action

# What ElevenLabs' agent ids are made of (agent_01jx…, or 20 letters and digits for older
# agents). Checked before the id goes into the URL of a request to ElevenLabs, where a slash
# or a question mark would reach another endpoint and a control character fails the client.
AGENT_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")


def agent_import(*, workspace: Workspace, actor: User, elevenlabs_agent_id: str) -> VoiceAgent:
    """Adopt an agent that already exists on ElevenLabs: its config becomes version 1, a draft.

    The agent keeps its ElevenLabs id; the sync then adds our tag to it.
    """
    require_role(actor, workspace, Action.IMPORT_AGENT)
    elevenlabs_agent_id = (elevenlabs_agent_id or "").strip()
    if not elevenlabs_agent_id:
        raise InvalidInput.for_field(
            "elevenlabs_agent_id", "Give the id of the ElevenLabs agent to import (agent_…)."
        )
    if not AGENT_ID.fullmatch(elevenlabs_agent_id):
        raise InvalidInput.for_field(
            "elevenlabs_agent_id",
            "An ElevenLabs agent id is letters, digits, '_' and '-' (agent_…); copy it from the "
            "agent's page on ElevenLabs.",
        )
    if AgentSync.objects.filter(elevenlabs_agent_id=elevenlabs_agent_id).exists():
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
                config_from_elevenlabs=True,
                changes=f"Imported from ElevenLabs agent {elevenlabs_agent_id}",
            )
            AgentSync.objects.filter(pk=agent.pk).update(
                elevenlabs_agent_id=elevenlabs_agent_id, main_version_id=found.version_id
            )
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
