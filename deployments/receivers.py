"""The lifecycle's part in changes made by the agents app (connected in apps.py)."""

from typing import Any

from agents.models import VoiceAgent
from deployments.models import DeploymentKind
from deployments.services import clean_changes, deployment_record, version_snapshot
from deployments.signals import agent_deployed
from workspaces.permissions import SignedInUser

FIRST_VERSION_NOTE = "Initial version"


def record_creation(*, agent: VoiceAgent, actor: SignedInUser, changes: str, **kwargs: Any) -> None:
    """A new agent's version 1 snapshot and its first changelog entry."""
    changes = clean_changes(changes, required=False) or FIRST_VERSION_NOTE
    version_snapshot(agent=agent, changes=changes, actor=actor)
    deployment_record(
        agent=agent, kind=DeploymentKind.CREATE, from_status="", changes=changes, actor=actor
    )


def record_move_back_to_draft(
    *, agent: VoiceAgent, actor: SignedInUser, from_status: str, **kwargs: Any
) -> None:
    """An edit of the config sent the agent back to draft: that is a move of its history."""
    if agent.status != from_status:
        deployment_record(
            agent=agent, kind=DeploymentKind.EDIT, from_status=from_status, changes="", actor=actor
        )


def record_archiving(*, agent: VoiceAgent, actor: SignedInUser, note: str, **kwargs: Any) -> None:
    """Archiving is history: a row saying who, when and why, which the ElevenLabs app follows
    (it deletes the agent there, and marks the row synced when that is done)."""
    _record_lifecycle_event(agent, actor, DeploymentKind.ARCHIVE, agent.status, "Archived", note)


def record_restoring(
    *, agent: VoiceAgent, actor: SignedInUser, from_status: str, note: str, **kwargs: Any
) -> None:
    """Restoring is history too; the ElevenLabs app follows the row with a new sync."""
    _record_lifecycle_event(agent, actor, DeploymentKind.RESTORE, from_status, "Restored", note)


def _record_lifecycle_event(
    agent: VoiceAgent,
    actor: SignedInUser,
    kind: DeploymentKind,
    from_status: str,
    what: str,
    note: str,
) -> None:
    note = clean_changes(note, required=False)
    changes = f"{what}: {note}" if note else what
    deployment = deployment_record(
        agent=agent, kind=kind, from_status=from_status, changes=changes, actor=actor
    )
    agent_deployed.send(VoiceAgent, agent=agent, deployment=deployment)
