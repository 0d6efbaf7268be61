"""The lifecycle's part in changes made by the agents app (connected in apps.py)."""

from typing import Any

from agents.models import VoiceAgent
from deployments.models import DeploymentKind
from deployments.services import clean_changes, deployment_record, version_snapshot
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
