"""Deleting an agent on ElevenLabs after it is deleted here, without ever forgetting one.

The request is a row (`RemoteDeletion`) written in the deleting transaction; a task carries
it out and removes the row; the periodic sweep queues rows left behind by a broker outage or a
dead worker. An agent ElevenLabs no longer has counts as deleted.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common.tasks import delay_or_leave_to_sweep
from elevenlabs_adapter import ElevenLabsError, remote
from elevenlabs_sync.models import AgentSync, RemoteDeletion


def remote_deletion_request(sync: AgentSync) -> None:
    """Remember to delete the agent on ElevenLabs; queue it once the current transaction
    commits.

    An agent with a placeholder id may still exist there, if a create went unanswered: it is
    looked up by its tag.
    """
    if sync.has_elevenlabs_id:  # even if it seemed gone: deleting what is gone costs nothing
        deletion = RemoteDeletion.objects.create(elevenlabs_agent_id=sync.elevenlabs_agent_id)
    elif sync.create_uncertain:
        deletion = RemoteDeletion.objects.create(owner_tag=remote.owner_tag(sync.owner_key))
    else:
        return
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
    deletion.delete()


def remote_deletion_sweep(*, limit: int = 100) -> list[int]:
    """Queue deletions that have waited too long; returns their ids."""
    stale = timezone.now() - timedelta(seconds=settings.SYNC_STALE_AFTER)
    deletion_ids = list(
        RemoteDeletion.objects.filter(requested_at__lt=stale).values_list("pk", flat=True)[:limit]
    )
    for deletion_id in deletion_ids:
        remote_deletion_queue(deletion_id)
    return deletion_ids
