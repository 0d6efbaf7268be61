"""Changes made to an agent on ElevenLabs, outside Switchboard: spotting them and settling them.

Every write we make to an agent's main branch leaves its version id in
`AgentSync.main_version_id`. A main branch whose newest version is another one was changed by
somebody else (in the ElevenLabs dashboard, by another tool). An admin then either pulls their
config into a new draft, or overwrites it with our live version.
"""

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from agents.models import VoiceAgent
from agents.services import agent_update, refuse_if_archived
from common.errors import Conflict, Upstream
from deployments.models import AgentVersion, SyncState
from elevenlabs_adapter import ElevenLabsError, remote
from elevenlabs_sync.models import PLACEHOLDER_PREFIX, AgentSync
from elevenlabs_sync.sync import sync_missing_record, sync_request
from workspaces.permissions import User, require_role
from workspaces.roles import Action


def drift_check(*, sync: AgentSync) -> bool:
    """Look at the agent's main branch on ElevenLabs; flag it if someone else changed it.

    Our own sync may publish while we look: the flag is only set if the baseline we compared
    with is still the agent's, and no sync holds the agent, so our own write is never drift.
    """
    baseline = sync.main_version_id
    try:
        main = remote.agent_get(sync.elevenlabs_agent_id)
    except ElevenLabsError as error:
        if error.status == 404:
            sync_missing_record(sync)
        raise
    now = timezone.now()
    undisturbed = AgentSync.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        pk=sync.pk,
        main_version_id=baseline,
        state=SyncState.SYNCED,
    )
    if not baseline:  # first look: what is there is the baseline
        undisturbed.update(main_version_id=main.version_id, drift_checked_at=now)
        return False
    if main.version_id == baseline:
        AgentSync.objects.filter(pk=sync.pk).update(drift_checked_at=now)
        return False
    return bool(
        undisturbed.filter(drift_detected_at__isnull=True).update(
            drift_detected_at=now, drift_checked_at=now
        )
    )


def drift_candidates(*, limit: int) -> list[AgentSync]:
    """Synced agents not checked for longest, a batch at a time."""
    return list(
        AgentSync.objects.filter(
            state=SyncState.SYNCED, drift_detected_at__isnull=True, missing_since__isnull=True
        )
        .exclude(elevenlabs_agent_id__startswith=PLACEHOLDER_PREFIX)
        .order_by(F("drift_checked_at").asc(nulls_first=True))[:limit]
    )


def drift_pull(*, agent: VoiceAgent, actor: User) -> VoiceAgent:
    """Take the config found on ElevenLabs as the agent's working config, a new draft."""
    require_role(actor, agent.workspace, Action.PULL_DRIFT)
    refuse_if_archived(agent)
    sync = _drifted(agent)
    main = _read_main(sync)
    with transaction.atomic():
        agent = agent_update(
            agent=agent, actor=actor, config=main.config, config_from_elevenlabs=True
        )
        AgentSync.objects.filter(pk=agent.pk).update(
            drift_detected_at=None, main_version_id=main.version_id
        )
    agent.refresh_from_db()
    return agent


@transaction.atomic
def drift_overwrite(*, agent: VoiceAgent, actor: User) -> VoiceAgent:
    """Put our live version back on ElevenLabs' main branch, over the changes found there."""
    agent = VoiceAgent.objects.select_for_update().select_related("workspace").get(pk=agent.pk)
    require_role(actor, agent.workspace, Action.OVERWRITE_DRIFT)
    refuse_if_archived(agent)
    _drifted(agent)
    if agent.live_version is None:
        raise Conflict(
            "Nothing of this agent is live yet to overwrite ElevenLabs' config with. Pull their "
            "changes into a draft instead, or deploy to production.",
            code="nothing_live",
        )
    # Forgetting the published id makes the sync publish the live version again.
    AgentVersion.objects.filter(agent=agent, number=agent.live_version).update(
        elevenlabs_version_id=""
    )
    AgentSync.objects.filter(pk=agent.pk).update(drift_detected_at=None)
    sync_request(agent)
    return agent


def _drifted(agent: VoiceAgent) -> AgentSync:
    """The agent's sync state, if changes made outside Switchboard are flagged on it."""
    sync = AgentSync.objects.get(pk=agent.pk)
    if sync.drift_detected_at is None:
        raise Conflict(
            "No changes made outside Switchboard are flagged on this agent.", code="no_drift"
        )
    return sync


def _read_main(sync: AgentSync) -> remote.RemoteAgent:
    try:
        return remote.agent_get(sync.elevenlabs_agent_id)
    except ElevenLabsError as error:
        raise Upstream(error.message) from error
