"""Keeping ElevenLabs in line with Switchboard: the sync services.

What ElevenLabs should hold follows from our rows (docs/elevenlabs.md):
- one agent, tagged with our `owner_key`, carrying the agent's name and tags;
- on its `testing` branch, the working config while the agent is in testing;
- on its main branch, the live version's snapshot, published with the changelog note.

`agent_sync` compares and fixes each point, saving each result as soon as ElevenLabs confirms
it, so a sync cut short resumes where it stopped and running it twice does no harm. Changes
made while a sync runs are caught by `AgentSync.requested_at`: a sync only marks the agent
synced if nobody asked for another one meanwhile. Every write here goes to the agent's
`AgentSync` row or to the history's sync states, never to the agent's own row, which belongs
to the people editing it.
"""

import hashlib
import json
import logging
import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from agents.models import Status, VoiceAgent
from agents.services import refuse_if_archived
from common.errors import Conflict
from common.tasks import delay_or_leave_to_sweep
from deployments.models import AgentVersion, Deployment, DeploymentKind, SyncState
from elevenlabs_adapter import ElevenLabsError, remote
from elevenlabs_sync.models import AgentSync, placeholder_agent_id
from workspaces.permissions import User, require_role
from workspaces.roles import Action

logger = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=3)  # longer than the sync task's hard time limit
DELETED_OUTSIDE = (
    "was deleted outside Switchboard. Archive and restore this agent here to create it again, "
    "or import a copy of it."
)
MAX_ROUNDS = 3  # syncs in a row when the agent keeps changing under us


def sync_start(agent: VoiceAgent) -> None:
    """A new agent's sync state, pending its first sync, which is queued on commit."""
    AgentSync.objects.create(agent=agent, requested_at=timezone.now())
    _queue_on_commit(agent.pk)


def sync_request(agent: VoiceAgent) -> None:
    """Mark `agent` as needing a sync, and queue one once the current transaction commits.

    A new change gets a fresh allowance of attempts, even after an earlier sync gave up.
    """
    AgentSync.objects.filter(pk=agent.pk).update(
        state=SyncState.PENDING, requested_at=timezone.now(), attempts=0, retry_at=None
    )
    _queue_on_commit(agent.pk)


def sync_detach(agent: VoiceAgent) -> None:
    """Forget the agent's ElevenLabs agent, which its archiving deletes: a placeholder id again
    and a new owner tag, so a worker still syncing the old agent can write nothing here, and a
    restore makes a new one. Nothing is left to sync while the agent is archived."""
    AgentSync.objects.filter(pk=agent.pk).update(
        elevenlabs_agent_id=placeholder_agent_id(),
        owner_key=uuid.uuid4(),
        state=SyncState.SYNCED,
        last_error="",
        requested_at=None,
        retry_at=None,
        attempts=0,
        create_uncertain=False,
        synced_metadata="",
        testing_synced_revision="",
        testing_branch_id="",
        main_version_id="",
        drift_detected_at=None,
        drift_checked_at=None,
        missing_since=None,
    )


def _queue_on_commit(agent_id: int) -> None:
    transaction.on_commit(lambda: sync_queue(agent_id))


def agent_sync_retry(*, agent: VoiceAgent, actor: User) -> VoiceAgent:
    """Sync now, with a fresh allowance of attempts: after a failure has been dealt with."""
    require_role(actor, agent.workspace, Action.SYNC_AGENT)
    refuse_if_archived(agent)
    if not remote.sync_enabled():
        raise Conflict(remote.SYNC_DISABLED_REASON, code="sync_disabled")
    with transaction.atomic():
        AgentSync.objects.filter(pk=agent.pk).update(last_error="")
        sync_request(agent)
    return agent


def sync_queue(agent_id: int) -> None:
    """Hand the sync to Celery. A broker outage loses nothing: the agent stays pending and
    the periodic sweep queues it again."""
    if not remote.sync_enabled():
        return
    from elevenlabs_sync.tasks import agent_sync_task

    delay_or_leave_to_sweep(agent_sync_task, agent_id, what=f"the sync of agent {agent_id}")


def agent_sync(*, agent_id: int) -> str:
    """Bring ElevenLabs in line with agent `agent_id`.

    Returns "synced", "busy" (another worker holds the agent), "gone" (no such agent),
    "archived" (nothing to sync: its ElevenLabs agent is being deleted) or "disabled". Raises
    ElevenLabsError for the caller to retry or give up on.
    """
    if not remote.sync_enabled():
        return "disabled"
    if not _claim(agent_id):
        return "busy"
    try:
        for _ in range(MAX_ROUNDS):
            sync = AgentSync.objects.select_related("agent").filter(pk=agent_id).first()
            if sync is None:
                return "gone"
            if sync.agent.is_archived:
                return "archived"
            requested_at = sync.requested_at
            _reconcile(sync)
            if _mark_synced(sync, requested_at):
                return "synced"
        return "busy"
    finally:
        AgentSync.objects.filter(pk=agent_id).update(claimed_until=None)


def sync_failure_record(*, agent_id: int, error: ElevenLabsError, retries: int) -> float | None:
    """Record a failed attempt. Returns seconds to wait before the next, or None: given up.

    Rate limiting is not failure: 429s do not use up the attempts, only a separate, larger
    allowance, and always wait at least as long as ElevenLabs asked.
    """
    sync = AgentSync.objects.select_related("agent").filter(pk=agent_id).first()
    if sync is None or sync.agent.is_archived:
        return None  # nothing to retry: the agent was archived meanwhile
    attempts = sync.attempts + (0 if error.rate_limited else 1)
    out_of_tries = (
        retries >= settings.SYNC_MAX_RATE_LIMITED
        if error.rate_limited
        else attempts >= settings.SYNC_MAX_ATTEMPTS
    )
    if not error.retryable or out_of_tries:
        reason = error.message
        if error.retryable:
            tries = max(attempts, retries + 1)
            reason = f"Gave up after {tries} attempts. Last error: {reason}"
        _mark_failed(agent_id, reason, attempts)
        return None
    delay = retry_delay(attempt=max(attempts, 1), retry_after=error.retry_after)
    AgentSync.objects.filter(pk=agent_id).update(
        attempts=attempts,
        # Until then the retry is in Celery's hands; the sweep must not start another.
        retry_at=timezone.now() + timedelta(seconds=delay),
        last_error=f"{error.message} Trying again in {delay:.0f} s "
        f"(attempt {attempts + 1} of {settings.SYNC_MAX_ATTEMPTS}).",
    )
    return delay


def retry_delay(*, attempt: int, retry_after: float | None) -> float:
    """Exponential backoff with jitter, never sooner than ElevenLabs' Retry-After.

    The jitter spreads out workers that failed together, so they do not return together.
    """
    if retry_after is not None:
        return retry_after + random.uniform(0, 1)
    ceiling = min(settings.SYNC_BACKOFF_MAX, settings.SYNC_BACKOFF_BASE * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)


def sync_sweep(*, limit: int = 500) -> list[int]:
    """Queue agents whose sync was asked for but never ran: a lost task, a broker outage,
    a crashed worker. Returns their ids."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.SYNC_STALE_AFTER)
    agent_ids = list(
        AgentSync.objects.filter(state=SyncState.PENDING)
        .filter(Q(requested_at__lt=stale) | Q(requested_at__isnull=True))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(Q(retry_at__isnull=True) | Q(retry_at__lt=now - CLAIM_LEASE))
        .order_by("requested_at")
        .values_list("pk", flat=True)[:limit]
    )
    for agent_id in agent_ids:
        sync_queue(agent_id)
    return agent_ids


# --- the steps of a sync


def _reconcile(sync: AgentSync) -> None:
    if not sync.has_elevenlabs_id and not _create(sync):
        return  # deleted here meanwhile
    try:
        if sync.missing_since is not None:  # gone last time we asked: is it back?
            remote.agent_get(sync.elevenlabs_agent_id)
            _save(sync, missing_since=None)
        _update(sync)
    except ElevenLabsError as error:
        if error.status != 404:
            raise
        sync_missing_record(sync)
        raise ElevenLabsError(
            f"ElevenLabs has no agent {sync.elevenlabs_agent_id} any more: it {DELETED_OUTSIDE}",
            retryable=False,
            status=404,
        ) from error


def sync_missing_record(sync: AgentSync) -> None:
    """ElevenLabs answered that it has no agent of this id: the agent no longer counts as on
    ElevenLabs (its production gate, test calls) until it has one again."""
    if sync.missing_since is None:
        _save(sync, missing_since=timezone.now())


def _update(sync: AgentSync) -> None:
    agent = sync.agent
    if agent.status == Status.TESTING and sync.testing_synced_revision != agent.config_revision:
        _push_testing(sync)
    live = _unpublished_live_version(agent)
    if live is not None:
        _publish_version(sync, live)
    if sync.synced_metadata != metadata_fingerprint(sync):
        remote.agent_push(sync.elevenlabs_agent_id, name=agent.name, tags=remote_tags(sync))
        _save(sync, synced_metadata=metadata_fingerprint(sync))


def _create(sync: AgentSync) -> bool:
    """Create the agent on ElevenLabs, or adopt the one an unanswered create made. False if
    the agent was archived here meanwhile."""
    agent = sync.agent
    tag = remote.owner_tag(sync.owner_key)
    found = remote.agent_find_by_tag(tag) if sync.create_uncertain else None
    if found is None:
        # Saved before the call: if this worker dies waiting, the next one looks first.
        _save(sync, create_uncertain=True)
        try:
            found = remote.agent_create(
                name=agent.name, config=agent.config, tags=remote_tags(sync)
            )
        except ElevenLabsError as error:
            if not error.outcome_unknown:
                _save(sync, create_uncertain=False)
            raise
    # No read-back for the drift baseline: one request per new agent matters under rate
    # limits, and main only matters once live; publishing, or the first drift check, sets it.
    kept = _save(
        sync,
        elevenlabs_agent_id=found,
        create_uncertain=False,
        synced_metadata=metadata_fingerprint(sync),
        missing_since=None,
    )
    if not kept:  # archived here while ElevenLabs was creating it: do not leave it there
        remote.agent_delete(found)
    return kept


def _push_testing(sync: AgentSync) -> None:
    agent, agent_id = sync.agent, sync.elevenlabs_agent_id
    branch_id = sync.testing_branch_id or remote.branch_find(agent_id, remote.TESTING_BRANCH)
    note = f"Switchboard: v{agent.version} working config, revision {agent.config_revision}"
    if branch_id:
        remote.agent_push(
            agent_id, branch_id=branch_id, config=agent.config, version_description=note
        )
    else:
        main = remote.agent_get(agent_id)
        branch_id = remote.branch_create(
            agent_id,
            name=remote.TESTING_BRANCH,
            parent_version_id=main.version_id,
            config=agent.config,
        )
    _save(sync, testing_branch_id=branch_id, testing_synced_revision=agent.config_revision)


def _unpublished_live_version(agent: VoiceAgent) -> AgentVersion | None:
    if agent.live_version is None:
        return None
    return AgentVersion.objects.filter(
        agent=agent, number=agent.live_version, elevenlabs_version_id=""
    ).first()


def _publish_version(sync: AgentSync, version: AgentVersion) -> None:
    """Put `version` on the main branch, with its changelog note as the description."""
    published = remote.agent_push(
        sync.elevenlabs_agent_id,
        config=version.config,
        version_description=f"v{version.number}: {version.changes}"[:1000],
    )
    AgentVersion.objects.filter(pk=version.pk).update(elevenlabs_version_id=published.version_id)
    _save(sync, main_version_id=published.version_id)


def remote_tags(sync: AgentSync) -> list[str]:
    return [
        *sync.agent.tags.values_list("name", flat=True),
        remote.owner_tag(sync.owner_key),
    ]


def metadata_fingerprint(sync: AgentSync) -> str:
    metadata = json.dumps([sync.agent.name, sorted(remote_tags(sync))])
    return hashlib.sha256(metadata.encode()).hexdigest()[:16]


# --- bookkeeping


def _claim(agent_id: int) -> bool:
    """Take the agent for this worker, unless another holds a live claim on it."""
    now = timezone.now()
    return bool(
        AgentSync.objects.filter(pk=agent_id)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + CLAIM_LEASE)
    )


def _save(sync: AgentSync, **fields: Any) -> bool:
    """Write only these fields: a concurrent change asks for another sync through others.
    False when the agent is no longer the one we sync (archived while we talked to
    ElevenLabs: `sync_detach` gave it a new owner key)."""
    for name, value in fields.items():
        setattr(sync, name, value)
    return bool(_still_ours(sync).update(**fields))


def _still_ours(sync: AgentSync) -> "QuerySet[AgentSync]":
    return AgentSync.objects.filter(pk=sync.pk, owner_key=sync.owner_key)


def _mark_synced(sync: AgentSync, requested_at: datetime | None) -> bool:
    with transaction.atomic():
        done = (
            _still_ours(sync)
            .filter(requested_at=requested_at)
            .update(
                state=SyncState.SYNCED,
                last_error="",
                last_synced_at=timezone.now(),
                attempts=0,
                retry_at=None,
            )
        )
        if done:
            _followed_by_sync(sync.pk).filter(
                sync_state__in=[SyncState.PENDING, SyncState.FAILED]
            ).update(sync_state=SyncState.SYNCED)
    return bool(done)


def _mark_failed(agent_id: int, reason: str, attempts: int) -> None:
    logger.warning("Sync of agent %s failed: %s", agent_id, reason)
    with transaction.atomic():
        AgentSync.objects.filter(pk=agent_id).update(
            state=SyncState.FAILED, last_error=reason, attempts=attempts, retry_at=None
        )
        _followed_by_sync(agent_id).filter(sync_state=SyncState.PENDING).update(
            sync_state=SyncState.FAILED
        )


def _followed_by_sync(agent_id: int) -> "QuerySet[Deployment]":
    """The agent's history rows whose sync state the sync keeps; an archiving's is the remote
    deletion's (remote_deletion.py)."""
    return Deployment.objects.filter(agent_id=agent_id).exclude(kind=DeploymentKind.ARCHIVE)
