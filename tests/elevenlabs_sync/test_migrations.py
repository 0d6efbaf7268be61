"""The move of each agent's ElevenLabs state from agents.VoiceAgent to elevenlabs_sync.AgentSync
(elevenlabs_sync 0002, agents 0004): every field arrives, and going back restores them."""

import uuid
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE_THE_MOVE = [("agents", "0003_remote_deletion"), ("elevenlabs_sync", None)]
AT = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)

# Every field of the old columns, set to a value unlike its default.
OLD_VALUES = {
    "elevenlabs_agent_id": "agent_0123456789abcdef01234567",
    "sync_state": "failed",
    "last_sync_error": "Gave up after 5 attempts. Last error: 503.",
    "last_synced_at": AT,
    "drift_detected_at": AT.replace(hour=13),
    "drift_checked_at": AT.replace(hour=14),
    "sync_key": uuid.UUID("6f1e0c1a-1111-4222-8333-944455556666"),
    "sync_requested_at": AT.replace(hour=15),
    "sync_claimed_until": AT.replace(hour=16),
    "sync_retry_at": AT.replace(hour=17),
    "sync_attempts": 4,
    "sync_create_uncertain": True,
    "synced_metadata": "0123456789abcdef",
    "testing_synced_revision": "fedcba9876543210",
    "elevenlabs_testing_branch_id": "agtbrch_testing",
    "elevenlabs_main_version_id": "agtvrsn_main",
}
NEW_NAMES = {
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


def migrate(targets):
    """Migrate to `targets`; the historical models there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def before_the_move(transactional_db):
    """The database as it was before the move; back to the latest once the test is done."""
    apps = migrate(BEFORE_THE_MOVE)
    yield apps
    migrate(latest())


def old_agent(apps, **fields):
    Workspace = apps.get_model("workspaces", "Workspace")
    workspace, _ = Workspace.objects.get_or_create(slug="acme", defaults={"name": "Acme"})
    return apps.get_model("agents", "VoiceAgent").objects.create(
        workspace=workspace, name="Front Desk", config={}, config_revision="0" * 16, **fields
    )


def test_every_sync_field_arrives_in_agent_sync(before_the_move):
    agent = old_agent(before_the_move, **OLD_VALUES)
    plain = old_agent(before_the_move, elevenlabs_agent_id="local_0123456789abcdef")

    apps = migrate(latest())

    AgentSync = apps.get_model("elevenlabs_sync", "AgentSync")
    moved = AgentSync.objects.get(agent_id=agent.pk)
    assert {new: getattr(moved, new) for new in NEW_NAMES.values()} == {
        NEW_NAMES[old]: value for old, value in OLD_VALUES.items()
    }
    assert AgentSync.objects.get(agent_id=plain.pk).elevenlabs_agent_id == "local_0123456789abcdef"
    assert AgentSync.objects.count() == 2


def test_pending_remote_deletions_keep_their_target_and_date(before_the_move):
    Old = before_the_move.get_model("agents", "RemoteDeletion")
    by_id = Old.objects.create(elevenlabs_agent_id="agent_gone")
    by_tag = Old.objects.create(owner_tag="switchboard:6f1e0c1a")
    Old.objects.filter(pk=by_id.pk).update(requested_at=AT)

    apps = migrate(latest())

    New = apps.get_model("elevenlabs_sync", "RemoteDeletion")
    assert list(New.objects.order_by("pk").values_list("elevenlabs_agent_id", "owner_tag")) == [
        ("agent_gone", ""),
        ("", "switchboard:6f1e0c1a"),
    ]
    assert New.objects.get(elevenlabs_agent_id="agent_gone").requested_at == AT
    assert New.objects.get(owner_tag=by_tag.owner_tag).requested_at == by_tag.requested_at


def test_going_back_puts_every_field_back_on_the_agent(before_the_move):
    agent = old_agent(before_the_move, **OLD_VALUES)
    migrate(latest())

    apps = migrate(BEFORE_THE_MOVE)

    restored = apps.get_model("agents", "VoiceAgent").objects.get(pk=agent.pk)
    assert {old: getattr(restored, old) for old in OLD_VALUES} == OLD_VALUES
