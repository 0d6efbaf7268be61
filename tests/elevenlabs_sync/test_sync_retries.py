"""How the sync's retries, the sweep and new changes get along (agents/sync.py)."""

import httpx
from django.utils import timezone

from agents.services import agent_update
from deployments.models import SyncState
from elevenlabs_adapter import ElevenLabsError
from elevenlabs_adapter.errors import classified
from elevenlabs_sync.models import AgentSync
from elevenlabs_sync.sync import sync_failure_record, sync_sweep
from tests.elevenlabs_sync.remote_state import only_agent

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


def test_a_connection_that_never_opened_leaves_no_doubt_about_the_outcome():
    never_sent = [httpx.ConnectError("refused"), httpx.ConnectTimeout("no answer to SYN")]
    sent = [httpx.ReadTimeout("no answer"), httpx.RemoteProtocolError("cut")]

    assert [classified(e, doing="x").outcome_unknown for e in never_sent] == [False, False]
    assert [classified(e, doing="x").outcome_unknown for e in sent] == [True, True]
