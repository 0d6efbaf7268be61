"""Copy each agent's ElevenLabs state, and the pending remote deletions, from the agents app's
tables to this app's; agents 0004 then drops the old columns and table. Reversible: going back
copies them the other way."""

from django.db import migrations

# Old VoiceAgent field -> new AgentSync field.
FIELDS = {
    "elevenlabs_agent_id": "elevenlabs_agent_id",
    "sync_state": "state",
    "last_sync_error": "last_error",
    "last_synced_at": "last_synced_at",
    "drift_detected_at": "drift_detected_at",
    "drift_checked_at": "drift_checked_at",
    "sync_key": "owner_key",
    "sync_requested_at": "requested_at",
    "sync_claimed_until": "claimed_until",
    "sync_retry_at": "retry_at",
    "sync_attempts": "attempts",
    "sync_create_uncertain": "create_uncertain",
    "synced_metadata": "synced_metadata",
    "testing_synced_revision": "testing_synced_revision",
    "elevenlabs_testing_branch_id": "testing_branch_id",
    "elevenlabs_main_version_id": "main_version_id",
}
BATCH = 500


def forwards(apps, schema_editor):
    VoiceAgent = apps.get_model("agents", "VoiceAgent")
    AgentSync = apps.get_model("elevenlabs_sync", "AgentSync")
    rows = VoiceAgent.objects.values("pk", *FIELDS).iterator(chunk_size=BATCH)
    AgentSync.objects.bulk_create(
        (
            AgentSync(agent_id=row["pk"], **{new: row[old] for old, new in FIELDS.items()})
            for row in rows
        ),
        batch_size=BATCH,
    )
    _copy_deletions(
        apps.get_model("agents", "RemoteDeletion"),
        apps.get_model("elevenlabs_sync", "RemoteDeletion"),
    )


def backwards(apps, schema_editor):
    VoiceAgent = apps.get_model("agents", "VoiceAgent")
    AgentSync = apps.get_model("elevenlabs_sync", "AgentSync")
    for sync in AgentSync.objects.iterator(chunk_size=BATCH):
        VoiceAgent.objects.filter(pk=sync.agent_id).update(
            **{old: getattr(sync, new) for old, new in FIELDS.items()}
        )
    _copy_deletions(
        apps.get_model("elevenlabs_sync", "RemoteDeletion"),
        apps.get_model("agents", "RemoteDeletion"),
    )


def _copy_deletions(source, target) -> None:
    for deletion in source.objects.order_by("pk"):
        copy = target.objects.create(
            elevenlabs_agent_id=deletion.elevenlabs_agent_id, owner_tag=deletion.owner_tag
        )
        # Set apart: auto_now_add would stamp the copy with today's date.
        target.objects.filter(pk=copy.pk).update(requested_at=deletion.requested_at)


class Migration(migrations.Migration):
    dependencies = [
        ("elevenlabs_sync", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
