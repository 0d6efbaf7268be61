"""Archiving an agent here deletes it on ElevenLabs; restoring it makes a new one there
(elevenlabs_sync/remote_deletion.py, sync.py)."""

import pytest

from agents.services import agent_archive, agent_restore
from deployments.models import Deployment, DeploymentKind, SyncState
from elevenlabs_adapter import remote
from elevenlabs_sync.models import AgentSync, RemoteDeletion
from elevenlabs_sync.sync import agent_sync
from elevenlabs_sync.tasks import sync_sweep_task


def archiving_of(agent) -> Deployment:
    return Deployment.objects.filter(agent=agent, kind=DeploymentKind.ARCHIVE).first()


def test_archiving_an_agent_deletes_it_on_elevenlabs_after_commit(
    sandbox, synced_agent, owner, committing
):
    agent = synced_agent()

    with committing() as callbacks:
        agent_archive(agent=agent, actor=owner)
        assert sandbox.agents() != [], "nothing is deleted upstream before the commit"
        assert archiving_of(agent).sync_state == SyncState.PENDING

    assert callbacks
    assert sandbox.agents() == []
    assert archiving_of(agent).sync_state == SyncState.SYNCED
    sync = AgentSync.objects.get(pk=agent.pk)
    assert not sync.exists_on_elevenlabs  # a placeholder again: nothing of it is there


def test_archiving_an_agent_already_gone_from_elevenlabs_is_no_error(
    sandbox, sandbox_sdk, synced_agent, owner, committing
):
    agent = synced_agent()
    sandbox_sdk.conversational_ai.agents.delete(agent.sync.elevenlabs_agent_id)

    with committing():
        agent_archive(agent=agent, actor=owner)

    assert [r["status"] for r in sandbox.requests("DELETE")] == [204, 404]
    assert archiving_of(agent).sync_state == SyncState.SYNCED


def test_archiving_an_agent_never_on_elevenlabs_has_nothing_to_delete(
    sandbox, pending_agent, owner, committing
):
    with committing():
        agent_archive(agent=pending_agent, actor=owner)

    assert sandbox.requests("DELETE") == []
    assert not RemoteDeletion.objects.exists()
    assert archiving_of(pending_agent).sync_state == SyncState.SYNCED


@pytest.fixture
def agent_on_elevenlabs(synced_agent):
    return synced_agent()


def test_a_deletion_the_broker_could_not_take_is_done_by_the_sweep(
    transactional_db, sandbox, settings, agent_on_elevenlabs, owner, broker_down
):
    agent = agent_on_elevenlabs  # made before the broker went down (fixture order)
    elevenlabs_id = agent.sync.elevenlabs_agent_id

    agent_archive(agent=agent, actor=owner)  # commits: the deletion cannot be queued

    assert [a["agent_id"] for a in sandbox.agents()] == [elevenlabs_id]
    assert RemoteDeletion.objects.filter(elevenlabs_agent_id=elevenlabs_id).exists()

    broker_down()  # back up
    settings.SYNC_STALE_AFTER = 0
    sync_sweep_task()

    assert sandbox.agents() == []
    assert not RemoteDeletion.objects.exists()
    assert archiving_of(agent).sync_state == SyncState.SYNCED


def test_a_deletion_elevenlabs_refuses_for_good_shows_on_the_history(
    sandbox, synced_agent, owner, committing
):
    agent = synced_agent()
    sandbox.add_fault(path=r"agents/agent_", method="DELETE", status=403)

    with committing():
        agent_archive(agent=agent, actor=owner)

    assert not RemoteDeletion.objects.exists()
    assert archiving_of(agent).sync_state == SyncState.FAILED


def test_an_agent_whose_create_went_unanswered_is_deleted_by_its_tag(
    sandbox, settings, new_agent, owner, committing
):
    settings.SYNC_MAX_ATTEMPTS = 1
    sandbox.add_fault(path=r"agents/create$", method="POST", status=503, after_effect=True)
    agent = new_agent()  # ElevenLabs made it; we never heard back, and gave up
    assert agent.sync.create_uncertain
    assert not agent.sync.exists_on_elevenlabs
    assert len(sandbox.agents()) == 1

    with committing():
        agent_archive(agent=agent, actor=owner)

    assert sandbox.agents() == []
    assert not RemoteDeletion.objects.exists()


def test_an_agent_archived_while_elevenlabs_creates_it_is_not_left_there(
    sandbox, pending_agent, owner, monkeypatch
):
    real_create = remote.agent_create

    def create_while_someone_archives(**kwargs):
        created = real_create(**kwargs)
        agent_archive(agent=pending_agent, actor=owner)  # meanwhile, in another request
        return created

    monkeypatch.setattr(remote, "agent_create", create_while_someone_archives)

    assert agent_sync(agent_id=pending_agent.pk) == "archived"
    assert sandbox.agents() == []
    assert not AgentSync.objects.get(pk=pending_agent.pk).exists_on_elevenlabs


def test_an_archived_agent_is_not_synced(sandbox, pending_agent, owner):
    agent_archive(agent=pending_agent, actor=owner)

    assert agent_sync(agent_id=pending_agent.pk) == "archived"
    assert sandbox.requests() == []


def test_a_restored_agent_gets_a_new_elevenlabs_agent(sandbox, synced_agent, owner, committing):
    agent = synced_agent()
    old = agent.sync.elevenlabs_agent_id
    with committing():
        agent_archive(agent=agent, actor=owner)

    with committing():
        agent_restore(agent=agent, actor=owner)

    sync = AgentSync.objects.get(pk=agent.pk)
    assert sync.state == SyncState.SYNCED, sync.last_error
    assert sync.exists_on_elevenlabs
    assert sync.elevenlabs_agent_id != old
    assert [a["agent_id"] for a in sandbox.agents()] == [sync.elevenlabs_agent_id]
    restoring = Deployment.objects.filter(agent=agent).first()
    assert (restoring.kind, restoring.sync_state) == (DeploymentKind.RESTORE, SyncState.SYNCED)
    assert archiving_of(agent).sync_state == SyncState.SYNCED  # the sync leaves it alone


def test_restoring_while_the_old_agent_awaits_deletion_deletes_only_the_old_one(
    transactional_db, sandbox, settings, agent_on_elevenlabs, owner, broker_down
):
    agent = agent_on_elevenlabs
    old = agent.sync.elevenlabs_agent_id
    agent_archive(agent=agent, actor=owner)  # the deletion waits: the broker is down
    agent_restore(agent=agent, actor=owner)  # its sync waits too

    broker_down()  # back up
    settings.SYNC_STALE_AFTER = 0
    sync_sweep_task()

    sync = AgentSync.objects.get(pk=agent.pk)
    assert sync.state == SyncState.SYNCED, sync.last_error
    assert sync.elevenlabs_agent_id != old
    assert [a["agent_id"] for a in sandbox.agents()] == [sync.elevenlabs_agent_id]
    assert not RemoteDeletion.objects.exists()


def test_a_refused_deletion_stays_on_record_after_a_restore(
    sandbox, synced_agent, owner, committing
):
    agent = synced_agent()
    sandbox.add_fault(path=r"agents/agent_", method="DELETE", status=403)
    with committing():
        agent_archive(agent=agent, actor=owner)

    with committing():
        agent_restore(agent=agent, actor=owner)  # its sync succeeds

    assert AgentSync.objects.get(pk=agent.pk).state == SyncState.SYNCED
    assert archiving_of(agent).sync_state == SyncState.FAILED  # the old agent may be there
