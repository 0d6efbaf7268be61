"""Deleting an agent on ElevenLabs once it is archived here, without ever forgetting one.

The request is a row (`RemoteDeletion`) written in the archiving transaction; a task carries
it out and removes the row; the periodic sweep queues rows left behind by a broker outage or a
dead worker. An agent ElevenLabs no longer has counts as deleted. The archive's history row
(`RemoteDeletion.archiving`) says how it went: pending, synced once deleted, failed when
ElevenLabs refused for good.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common.tasks import delay_or_leave_to_sweep
from deployments.models import Deployment, SyncState
from elevenlabs_adapter import ElevenLabsError, remote
from elevenlabs_sync.models import AgentSync, RemoteDeletion

logger = logging.getLogger(__name__)


def remote_deletion_request(sync: AgentSync, *, archiving: Deployment) -> None:
    """Remember to delete the agent on ElevenLabs; queue it once the current transaction
    commits. With nothing there to delete, `archiving` is done at once.

    An agent with a placeholder id may still exist there, if a create went unanswered: it is
    looked up by its tag.
    """
    if sync.has_elevenlabs_id:  # even if it seemed gone: deleting what is gone costs nothing
        target = {"elevenlabs_agent_id": sync.elevenlabs_agent_id}
    elif sync.create_uncertain:
        target = {"owner_tag": remote.owner_tag(sync.owner_key)}
    else:
        _settle(archiving.pk, SyncState.SYNCED)
        return
    deletion = RemoteDeletion.objects.create(archiving=archiving, **target)
    transaction.on_commit(lambda: remote_deletion_queue(deletion.pk))


def remote_deletion_queue(deletion_id: int) -> None:
    if not remote.sync_enabled():
        return
    from elevenlabs_sync.tasks import remote_deletion_task

    delay_or_leave_to_sweep(
        remote_deletion_task, deletion_id, what=f"remote deletion {deletion_id}"
    )


def remote_deletion_run(*, deletion_id: int) -> None:
    """Delete the agent on ElevenLabs. Raises ElevenLabsError for the task to retry."""
    deletion = RemoteDeletion.objects.filter(pk=deletion_id).first()
    if deletion is None:
        return  # done by an earlier run
    agent_id = deletion.elevenlabs_agent_id or remote.agent_find_by_tag(deletion.owner_tag)
    if agent_id:
        try:
            remote.agent_delete(agent_id)
        except ElevenLabsError as error:
            if error.status != 404:
                raise
    _finish(deletion, SyncState.SYNCED)


def remote_deletion_give_up(*, deletion_id: int, reason: str) -> None:
    """ElevenLabs refused the deletion for good: say so on the archive's history row, and stop
    trying. The agent may be left on ElevenLabs, to delete there by hand."""
    deletion = RemoteDeletion.objects.filter(pk=deletion_id).first()
    if deletion is not None:
        logger.warning("Remote deletion %s refused: %s", deletion_id, reason)
        _finish(deletion, SyncState.FAILED)


def remote_deletion_sweep(*, limit: int = 100) -> list[int]:
    """Queue deletions that have waited too long; returns their ids."""
    stale = timezone.now() - timedelta(seconds=settings.SYNC_STALE_AFTER)
    deletion_ids = list(
        RemoteDeletion.objects.filter(requested_at__lt=stale).values_list("pk", flat=True)[:limit]
    )
    for deletion_id in deletion_ids:
        remote_deletion_queue(deletion_id)
    return deletion_ids


def _finish(deletion: RemoteDeletion, outcome: SyncState) -> None:
    with transaction.atomic():
        if deletion.archiving_id is not None:
            _settle(deletion.archiving_id, outcome)
        deletion.delete()


def _settle(archiving_id: int, outcome: SyncState) -> None:
    Deployment.objects.filter(pk=archiving_id).update(sync_state=outcome)
