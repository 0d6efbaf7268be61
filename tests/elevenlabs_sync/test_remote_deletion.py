"""Deleting an agent here deletes it on ElevenLabs (agents/remote_deletion.py)."""

import pytest

from agents.services import agent_delete
from elevenlabs_adapter import remote
from elevenlabs_sync.models import RemoteDeletion, VoiceAgent
from elevenlabs_sync.sync import agent_sync
from elevenlabs_sync.tasks import sync_sweep_task


def test_deleting_an_agent_deletes_it_on_elevenlabs_after_commit(
    sandbox, synced_agent, owner, committing
):
    agent = synced_agent()

    with committing() as callbacks:
        agent_delete(agent=agent, actor=owner)
        assert sandbox.agents() != [], "nothing is deleted upstream before the commit"

    assert callbacks
    assert sandbox.agents() == []
    assert not VoiceAgent.objects.filter(pk=agent.pk).exists()


def test_deleting_an_agent_already_gone_from_elevenlabs_is_no_error(
    sandbox, sandbox_sdk, synced_agent, owner, committing
):
    agent = synced_agent()
    sandbox_sdk.conversational_ai.agents.delete(agent.sync.elevenlabs_agent_id)

    with committing():
        agent_delete(agent=agent, actor=owner)

    assert [r["status"] for r in sandbox.requests("DELETE")] == [204, 404]
    assert not VoiceAgent.objects.filter(pk=agent.pk).exists()


@pytest.fixture
def agent_on_elevenlabs(synced_agent):
    return synced_agent()


def test_a_deletion_the_broker_could_not_take_is_done_by_the_sweep(
    transactional_db, sandbox, settings, agent_on_elevenlabs, owner, broker_down
):
    agent = agent_on_elevenlabs  # made before the broker went down (fixture order)

    agent_delete(agent=agent, actor=owner)  # commits: the deletion cannot be queued

    assert [a["agent_id"] for a in sandbox.agents()] == [agent.sync.elevenlabs_agent_id]
    assert RemoteDeletion.objects.filter(
        elevenlabs_agent_id=agent.sync.elevenlabs_agent_id
    ).exists()

    broker_down()  # back up
    settings.SYNC_STALE_AFTER = 0
    sync_sweep_task()

    assert sandbox.agents() == []
    assert not RemoteDeletion.objects.exists()


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
        agent_delete(agent=agent, actor=owner)

    assert sandbox.agents() == []
    assert not RemoteDeletion.objects.exists()


def test_an_agent_deleted_here_while_elevenlabs_creates_it_is_not_left_there(
    sandbox, pending_agent, monkeypatch
):
    real_create = remote.agent_create

    def create_then_lose_the_agent(**kwargs):
        created = real_create(**kwargs)
        VoiceAgent.objects.filter(pk=pending_agent.pk).delete()  # someone deleted it meanwhile
        return created

    monkeypatch.setattr(remote, "agent_create", create_then_lose_the_agent)

    assert agent_sync(agent_id=pending_agent.pk) == "gone"
    assert sandbox.agents() == []
