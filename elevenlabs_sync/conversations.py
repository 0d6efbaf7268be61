"""After a test conversation ends: ElevenLabs' own record of it, read back and taken in.

ElevenLabs finishes a conversation's record (its length, final transcript and analysis) a
little after the call; until then its `status` is "processing" or "in-progress". The task
asks again until the record is done; a conversation it could not finish is found by the
periodic sweep, for a day, then left as it is: our own record stands without it.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common.tasks import delay_or_leave_to_sweep
from elevenlabs_adapter import remote
from testruns.models import Channel, Conversation, ConversationStatus
from testruns.services import conversation_end, conversation_reconcile_apply

FINISHED = ("done", "failed")  # ElevenLabs' statuses of a record that will not change
SWEEP_AFTER = timedelta(minutes=2)  # a task queued at the end has had its chance by then
GIVE_UP_AFTER = timedelta(days=1)


def conversation_close(*, conversation_id: int, status: str, reason: str) -> None:
    """End the conversation's record (once, whichever side reports it first) and have
    ElevenLabs' record of it read back."""
    with transaction.atomic():
        if conversation_end(conversation_id=conversation_id, status=status, reason=reason):
            transaction.on_commit(lambda: reconcile_queue(conversation_id))


def reconcile_queue(conversation_id: int) -> None:
    if not remote.sync_enabled():
        return
    from elevenlabs_sync.tasks import conversation_reconcile_task

    if conversation_reconcile_task.app.conf.task_always_eager:
        # Run now, in the closing request or relay, ElevenLabs' record is not finished yet
        # (eager mode has no countdown), and the read only contends with the pages reading the
        # record that just closed (on SQLite, a locked table). The sweep asks later.
        return

    delay_or_leave_to_sweep(
        conversation_reconcile_task,
        conversation_id,
        what=f"reading back conversation {conversation_id}",
    )


def conversation_reconcile(*, conversation_id: int) -> bool:
    """Take in ElevenLabs' record of the conversation; False while it is not finished there.
    Raises ElevenLabsError for the caller to retry or give up on."""
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if (
        conversation is None
        or conversation.reconciled_at
        or not conversation.elevenlabs_conversation_id
    ):
        return True  # nothing to read back
    record = remote.conversation_get(conversation.elevenlabs_conversation_id)
    if record.get("status") not in FINISHED:
        return False
    conversation_reconcile_apply(
        conversation_id=conversation_id,
        duration=(record.get("metadata") or {}).get("call_duration_secs"),
        analysis=record.get("analysis"),
        transcript=_turns(record.get("transcript") or []),
    )
    # A phone call's record is closed here, as no relay saw it end (a no-op for the others).
    ended_well = record.get("status") == "done"
    conversation_end(
        conversation_id=conversation_id,
        status=ConversationStatus.COMPLETED if ended_well else ConversationStatus.FAILED,
        reason="The call ended." if ended_well else "ElevenLabs reports the call failed.",
    )
    return True


def conversation_reconcile_sweep(*, limit: int = 100) -> list[int]:
    """Queue the ended conversations whose record was not read back (a lost task, a broker
    outage, or ElevenLabs slower than the task's patience), and the phone calls still going on
    as far as we know, whose end only ElevenLabs' record tells."""
    now = timezone.now()
    ended = Q(ended_at__lt=now - SWEEP_AFTER, ended_at__gt=now - GIVE_UP_AFTER)
    calling = Q(
        channel=Channel.PHONE,
        status=ConversationStatus.ACTIVE,
        started_at__lt=now - SWEEP_AFTER,
        started_at__gt=now - GIVE_UP_AFTER,
    )
    conversation_ids = list(
        Conversation.objects.filter(ended | calling, reconciled_at__isnull=True)
        .exclude(elevenlabs_conversation_id="")
        .order_by("ended_at")
        .values_list("pk", flat=True)[:limit]
    )
    for conversation_id in conversation_ids:
        reconcile_queue(conversation_id)
    return conversation_ids


def _turns(transcript: list[dict]) -> list[tuple[str, str, int]]:
    """ElevenLabs' transcript entries as (role, text, offset in ms); entries without words (a
    tool call's result, say) are left out."""
    return [
        (entry["role"], entry["message"], round((entry.get("time_in_call_secs") or 0) * 1000))
        for entry in transcript
        if entry.get("role") in ("user", "agent") and entry.get("message")
    ]
