"""How the sync's retries, the sweep and new changes get along (agents/sync.py)."""

import httpx
import pytest
from django.utils import timezone

from agents.models import Status
from agents.services import agent_update
from common.errors import Conflict
from deployments.gates import production_checklist
from deployments.models import SyncState
from deployments.services import deployment_create
from elevenlabs_adapter import ElevenLabsError
from elevenlabs_adapter.errors import classified
from elevenlabs_sync.models import AgentSync
from elevenlabs_sync.sync import agent_sync_retry, sync_failure_record, sync_sweep
from tests.elevenlabs_sync.remote_state import only_agent
from tests.factories import record_passing_test

GATE_CODE = "not_on_elevenlabs"

SERVER_ERROR = ElevenLabsError("ElevenLabs had an error.", retryable=True, status=503)


def test_the_sweep_leaves_a_scheduled_retry_to_celery(settings, pending_agent):
    settings.SYNC_STALE_AFTER = 0
    rate_limited = ElevenLabsError("Slow down.", retryable=True, status=429, retry_after=600)
    sync_failure_record(agent_id=pending_agent.pk, error=rate_limited, retries=0)

    assert sync_sweep() == []  # ElevenLabs asked for ten minutes; the sweep must not cut in


def test_the_sweep_takes_over_a_retry_long_overdue(settings, pending_agent):
    settings.SYNC_STALE_AFTER = 0
    sync_failure_record(agent_id=pending_agent.pk, error=SERVER_ERROR, retries=0)
    an_hour_ago = timezone.now() - timezone.timedelta(hours=1)
    AgentSync.objects.filter(pk=pending_agent.pk).update(retry_at=an_hour_ago)

    assert sync_sweep() == [pending_agent.pk]


def test_a_new_change_gets_a_fresh_allowance_after_a_sync_gave_up(
    settings, sandbox, pending_agent, editor, committing
):
    settings.SYNC_MAX_ATTEMPTS = 2
    for retries in range(2):
        sync_failure_record(agent_id=pending_agent.pk, error=SERVER_ERROR, retries=retries)
    pending_agent.refresh_from_db()
    assert pending_agent.sync.state == SyncState.FAILED
    sandbox.add_fault(path=r"agents/create$", method="POST", status=503)  # one more 5xx

    with committing():
        agent_update(agent=pending_agent, actor=editor, name="Renamed")

    pending_agent.refresh_from_db()
    assert pending_agent.sync.state == SyncState.SYNCED, pending_agent.sync.last_error
    assert only_agent(sandbox)["name"] == "Renamed"


def test_giving_up_on_rate_limits_counts_every_request_made(settings, pending_agent):
    settings.SYNC_MAX_RATE_LIMITED = 3
    rate_limited = ElevenLabsError("Slow down.", retryable=True, status=429, retry_after=1)

    assert sync_failure_record(agent_id=pending_agent.pk, error=rate_limited, retries=3) is None

    pending_agent.refresh_from_db()
    assert pending_agent.sync.last_error.startswith("Gave up after 4 attempts.")


def test_an_agent_deleted_on_elevenlabs_fails_saying_so(
    sandbox, sandbox_sdk, synced_agent, editor, committing
):
    agent = synced_agent()
    sandbox_sdk.conversational_ai.agents.delete(agent.sync.elevenlabs_agent_id)

    with committing():
        agent_update(agent=agent, actor=editor, name="Renamed")

    agent.refresh_from_db()
    assert agent.sync.state == SyncState.FAILED
    assert agent.sync.last_error.startswith(
        f"ElevenLabs has no agent {agent.sync.elevenlabs_agent_id} any more"
    )


def on_elevenlabs_gate(agent, user):
    (gate,) = [g for g in production_checklist(agent=agent, user=user) if g.code == GATE_CODE]
    return gate


def test_an_agent_deleted_on_elevenlabs_no_longer_counts_as_there(
    sandbox, sandbox_sdk, synced_agent, editor, owner, committing
):
    agent = synced_agent()
    assert on_elevenlabs_gate(agent, owner).passed
    sandbox_sdk.conversational_ai.agents.delete(agent.sync.elevenlabs_agent_id)

    with committing():
        agent_update(agent=agent, actor=editor, name="Renamed")

    agent.refresh_from_db()
    assert not agent.sync.exists_on_elevenlabs
    gate = on_elevenlabs_gate(agent, owner)
    assert not gate.passed, "the checklist must not say the agent exists on ElevenLabs"
    assert "deleted outside Switchboard" in gate.problem
    with committing():
        deployment_create(agent=agent, to_status=Status.TESTING, changes="", actor=owner)
    record_passing_test(agent, owner)
    with pytest.raises(Conflict) as refused:
        deployment_create(agent=agent, to_status=Status.PRODUCTION, changes="Go", actor=owner)
    assert refused.value.code == GATE_CODE


def test_an_agent_found_on_elevenlabs_again_counts_as_there_again(
    sandbox, synced_agent, editor, committing
):
    agent = synced_agent()
    sandbox.http.delete(f"v1/convai/agents/{agent.sync.elevenlabs_agent_id}").raise_for_status()
    with committing():
        agent_update(agent=agent, actor=editor, name="Renamed")
    agent.refresh_from_db()
    assert not agent.sync.exists_on_elevenlabs
    # What ElevenLabs holds under the agent's id answers again (here: another id, as someone
    # fixing it by hand would set it).
    AgentSync.objects.filter(pk=agent.pk).update(elevenlabs_agent_id=_recreated(sandbox))

    with committing():
        agent_sync_retry(agent=agent, actor=editor)

    agent.refresh_from_db()
    assert agent.sync.state == SyncState.SYNCED, agent.sync.last_error
    assert agent.sync.exists_on_elevenlabs


def _recreated(sandbox) -> str:
    response = sandbox.http.post(
        "v1/convai/agents/create", json={"name": "Front Desk", "conversation_config": {}}
    )
    response.raise_for_status()
    return response.json()["agent_id"]


def test_a_connection_that_never_opened_leaves_no_doubt_about_the_outcome():
    never_sent = [httpx.ConnectError("refused"), httpx.ConnectTimeout("no answer to SYN")]
    sent = [httpx.ReadTimeout("no answer"), httpx.RemoteProtocolError("cut")]

    assert [classified(e, doing="x").outcome_unknown for e in never_sent] == [False, False]
    assert [classified(e, doing="x").outcome_unknown for e in sent] == [True, True]
