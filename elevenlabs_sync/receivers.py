"""How ElevenLabs follows what happens to agents in the apps below (connected in apps.py).

Each runs inside the transaction of the change, so the request to sync, or to delete on
ElevenLabs, is saved with the change or not at all; the work itself is queued on commit.
"""

from typing import Any

from agents.models import VoiceAgent
from common.tasks import delay_or_leave_to_sweep
from deployments.gates import Gate
from deployments.models import Deployment, DeploymentKind
from elevenlabs_sync.models import AgentSync
from elevenlabs_sync.remote_deletion import remote_deletion_request
from elevenlabs_sync.sync import DELETED_OUTSIDE, sync_detach, sync_request, sync_start

# What of an agent ElevenLabs holds: a change of anything else needs no sync.
MIRRORED_FIELDS = {"name", "tags", "config"}
NOT_ON_ELEVENLABS = "Cannot deploy to production: Agent not properly created in ElevenLabs"


def follow_creation(*, agent: VoiceAgent, **kwargs: Any) -> None:
    sync_start(agent)


def follow_update(*, agent: VoiceAgent, changed: set[str], **kwargs: Any) -> None:
    if changed & MIRRORED_FIELDS:
        sync_request(agent)


def follow_deployment(*, agent: VoiceAgent, deployment: Deployment, **kwargs: Any) -> None:
    """Every move, rollback and restore is synced; an archived agent is deleted on ElevenLabs.
    (A restored agent has a placeholder id since its archiving: its sync creates a new one.)"""
    if deployment.kind == DeploymentKind.ARCHIVE:
        remote_deletion_request(AgentSync.objects.get(pk=agent.pk), archiving=deployment)
        sync_detach(agent)
    else:
        sync_request(agent)


def forget_test(*, elevenlabs_test_id: str, **kwargs: Any) -> None:
    """A deleted test's copy on ElevenLabs goes too (sent after the deletion's commit). No
    sweep looks for copies left behind: one is an unused test in ElevenLabs' list, harmless."""
    from elevenlabs_sync.tasks import agent_test_remote_delete_task

    delay_or_leave_to_sweep(
        agent_test_remote_delete_task,
        elevenlabs_test_id,
        what=f"deleting test {elevenlabs_test_id} on ElevenLabs",
    )


def on_elevenlabs(agent: VoiceAgent) -> Gate:
    """The production gate this app adds: ElevenLabs must have the agent to publish it."""
    sync = agent.sync
    problem = NOT_ON_ELEVENLABS
    if sync.has_elevenlabs_id and not sync.exists_on_elevenlabs:
        problem = (
            f"Cannot deploy to production: ElevenLabs no longer has this agent; it "
            f"{DELETED_OUTSIDE}"
        )
    return Gate(
        label="The agent exists on ElevenLabs",
        passed=sync.exists_on_elevenlabs,
        problem=problem,
        code="not_on_elevenlabs",
    )
