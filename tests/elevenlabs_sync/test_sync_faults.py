"""Sync with ElevenLabs when things go wrong (agents/sync.py, agents/tasks.py): rate limits,
server errors, answers lost on the way back, refusals, a broker that is down, sync switched
off. Each ends with what the agent shows and what ElevenLabs (the sandbox) holds."""

import time

import pytest
from django.utils import timezone

from agents.models import VoiceAgent
from agents.services import agent_archive
from deployments.models import Deployment, SyncState
from elevenlabs_adapter import ElevenLabsError, remote
from elevenlabs_sync.models import AgentSync
from elevenlabs_sync.sync import retry_delay, sync_failure_record
from elevenlabs_sync.tasks import sync_sweep_task

CREATE = r"agents/create$"


def statuses(sandbox, method: str, path: str) -> list[int]:
    return [request["status"] for request in sandbox.requests(method, path)]


# --- rate limits and server errors


def test_a_rate_limited_create_waits_its_turn_and_creates_one_agent(sandbox, settings, new_agent):
    settings.SYNC_MAX_ATTEMPTS = 2  # fewer than the 429s: they must not count as failures
    sandbox.add_fault(path=CREATE, method="POST", status=429, retry_after=1, count=3)

    agent = new_agent()

    assert agent.sync.state == SyncState.SYNCED, agent.sync.last_error
    assert statuses(sandbox, "POST", CREATE) == [429, 429, 429, 200]
    (remote_agent,) = sandbox.agents()
    assert agent.sync.elevenlabs_agent_id == remote_agent["agent_id"]
    assert agent.sync.attempts == 0
    assert sandbox.requests("GET") == [], "a 429 created nothing: no need to look for it"


def test_rate_limiting_without_end_fails_once_its_own_allowance_is_spent(
    sandbox, settings, new_agent
):
    settings.SYNC_MAX_RATE_LIMITED = 3
    sandbox.add_fault(path=CREATE, method="POST", status=429, retry_after=1, count=10)

    agent = new_agent()

    assert agent.sync.state == SyncState.FAILED
    assert agent.sync.last_error.startswith("Gave up after")
    assert "rate-limiting" in agent.sync.last_error
    assert statuses(sandbox, "POST", CREATE) == [429] * 4
    assert sandbox.agents() == []


def test_a_storm_of_server_errors_fails_the_agent_until_someone_syncs_it_again(
    sandbox, settings, new_agent, api, editor, committing
):
    settings.SYNC_MAX_ATTEMPTS = 3
    sandbox.add_fault(path=CREATE, method="POST", status=503, count=4)

    agent = new_agent()

    assert agent.sync.state == SyncState.FAILED
    assert agent.sync.last_error == (
        "Gave up after 3 attempts. Last error: ElevenLabs had an error creating the agent "
        "(HTTP 503): Injected by the sandbox."
    )
    assert set(agent.deployments.values_list("sync_state", flat=True)) == {SyncState.FAILED}
    assert statuses(sandbox, "POST", CREATE) == [503] * 3
    assert sandbox.agents() == []

    sandbox.clear_faults()
    sandbox.add_fault(path=CREATE, method="POST", status=503)  # still unsteady: a fresh allowance
    with committing():
        response = api(editor).post(f"/api/agents/{agent.pk}/sync")

    assert response.status_code == 202, response.content
    agent.refresh_from_db()
    assert agent.sync.state == SyncState.SYNCED
    assert agent.sync.last_error == ""
    (remote_agent,) = sandbox.agents()
    assert agent.sync.elevenlabs_agent_id == remote_agent["agent_id"]
    assert set(agent.deployments.values_list("sync_state", flat=True)) == {SyncState.SYNCED}


@pytest.mark.parametrize(
    "lost_answer",
    [
        {"status": 503, "after_effect": True},
        {"latency_ms": 900, "after_effect": True},
    ],
    ids=["a server error after the create", "no answer in time"],
)
def test_a_create_whose_answer_was_lost_is_found_by_its_tag_not_made_again(
    sandbox, settings, new_agent, lost_answer
):
    settings.ELEVENLABS_TIMEOUT = 0.3
    sandbox.add_fault(path=CREATE, method="POST", **lost_answer)

    agent = new_agent()

    deadline = time.monotonic() + 5  # the sandbox logs a request once it has answered it
    while not sandbox.requests("POST", CREATE) and time.monotonic() < deadline:
        time.sleep(0.05)
    (remote_agent,) = sandbox.agents()
    assert agent.sync.state == SyncState.SYNCED, agent.sync.last_error
    assert agent.sync.elevenlabs_agent_id == remote_agent["agent_id"]
    assert f"switchboard:{agent.sync.owner_key}" in remote_agent["tags"]
    log = [(r["method"], r["path"]) for r in sandbox.requests()]
    assert sorted(log) == [("GET", "v1/convai/agents"), ("POST", "v1/convai/agents/create")]


# --- refusals


def test_a_create_elevenlabs_refuses_fails_at_once_in_elevenlabs_words(sandbox, new_agent):
    their_words = "conversation_config.agent.prompt.llm: Unknown model 'gpt-9'."
    sandbox.add_fault(path=CREATE, method="POST", status=422, message=their_words)

    agent = new_agent()

    assert agent.sync.state == SyncState.FAILED
    assert agent.sync.last_error == (
        f"ElevenLabs refused creating the agent (HTTP 422): {their_words}"
    )
    assert agent.sync.attempts == 1
    assert statuses(sandbox, "POST", CREATE) == [422]
    assert set(agent.deployments.values_list("sync_state", flat=True)) == {SyncState.FAILED}


# --- recording a failure, and the wait before the next attempt


def test_a_permanent_error_is_recorded_as_failed_with_no_next_attempt(pending_agent):
    refusal = ElevenLabsError("ElevenLabs refused it (HTTP 422): bad.", retryable=False, status=422)

    assert sync_failure_record(agent_id=pending_agent.pk, error=refusal, retries=0) is None

    pending_agent.refresh_from_db()
    assert pending_agent.sync.state == SyncState.FAILED
    assert pending_agent.sync.last_error == "ElevenLabs refused it (HTTP 422): bad."
    assert Deployment.objects.get(agent=pending_agent).sync_state == SyncState.FAILED


def test_a_server_error_uses_up_an_attempt_and_a_429_does_not(settings, pending_agent):
    settings.SYNC_BACKOFF_BASE, settings.SYNC_MAX_ATTEMPTS = 4.0, 5
    server_error = ElevenLabsError("Oops.", retryable=True, status=500, outcome_unknown=True)
    rate_limited = ElevenLabsError("Slow down.", retryable=True, status=429, retry_after=30.0)

    first = sync_failure_record(agent_id=pending_agent.pk, error=server_error, retries=0)
    pending_agent.refresh_from_db()
    assert 2.0 <= first <= 4.0
    assert pending_agent.sync.attempts == 1
    assert pending_agent.sync.state == SyncState.PENDING
    assert pending_agent.sync.last_error == (
        f"Oops. Trying again in {first:.0f} s (attempt 2 of 5)."
    )

    second = sync_failure_record(agent_id=pending_agent.pk, error=rate_limited, retries=1)
    pending_agent.refresh_from_db()
    assert 30.0 <= second <= 31.0
    assert pending_agent.sync.attempts == 1


def test_a_retry_never_comes_sooner_than_elevenlabs_asked(settings):
    settings.SYNC_BACKOFF_BASE, settings.SYNC_BACKOFF_MAX = 2.0, 300.0

    delays = [retry_delay(attempt=n, retry_after=7.0) for n in range(1, 9) for _ in range(50)]

    assert min(delays) >= 7.0
    assert max(delays) <= 8.0


@pytest.mark.parametrize(
    ("attempt", "ceiling"), [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (6, 20), (40, 20)]
)
def test_backoff_doubles_with_each_attempt_up_to_its_cap_jittered_below(settings, attempt, ceiling):
    settings.SYNC_BACKOFF_BASE, settings.SYNC_BACKOFF_MAX = 1.0, 20.0

    delays = [retry_delay(attempt=attempt, retry_after=None) for _ in range(300)]

    assert ceiling / 2 <= min(delays) < ceiling * 0.6, "jitter reaches down to half"
    assert ceiling * 0.9 < max(delays) <= ceiling, "and up to all of it"


# --- the broker down


@pytest.mark.django_db(transaction=True)
def test_a_change_saved_while_the_broker_is_down_is_kept_and_synced_by_the_sweep(
    sandbox, settings, api, editor, broker_down, caplog
):
    started = time.monotonic()
    created = api(editor).post("/api/agents/", {"name": "Front Desk"}, format="json")
    renamed = api(editor).patch(f"/api/agents/{created.json()['id']}", {"name": "Reception"})

    assert time.monotonic() - started < 5, "an unreachable broker must not hold up a save"
    assert created.status_code == 201, created.content
    assert renamed.status_code == 200, renamed.content
    agent = VoiceAgent.objects.get(pk=created.json()["id"])
    assert agent.name == "Reception"
    assert agent.sync.state == SyncState.PENDING
    assert not agent.sync.exists_on_elevenlabs
    could_not_queue = [r for r in caplog.records if r.name == "common.tasks"]
    assert len(could_not_queue) == 2, [r.getMessage() for r in caplog.records]
    assert "the periodic sweep will retry it" in could_not_queue[0].getMessage()
    assert sandbox.requests() == []

    broker_down()  # back up
    settings.SYNC_STALE_AFTER = 0
    sync_sweep_task()

    agent.refresh_from_db()
    assert agent.sync.state == SyncState.SYNCED
    (remote_agent,) = sandbox.agents()
    assert agent.sync.elevenlabs_agent_id == remote_agent["agent_id"]
    assert remote_agent["name"] == "Reception"


def test_the_sweep_leaves_alone_work_too_recent_to_be_lost(sandbox, settings, pending_agent):
    settings.SYNC_STALE_AFTER = 120
    sync_sweep_task()
    assert sandbox.requests() == []

    old = timezone.now() - timezone.timedelta(seconds=121)
    AgentSync.objects.filter(pk=pending_agent.pk).update(requested_at=old)
    sync_sweep_task()

    pending_agent.refresh_from_db()
    assert pending_agent.sync.state == SyncState.SYNCED
    assert len(sandbox.agents()) == 1


# --- sync switched off


def test_with_sync_off_an_agent_stays_local_and_the_api_says_why(
    sandbox, settings, api, editor, api_error, committing
):
    settings.ELEVENLABS_SANDBOX = False
    settings.ELEVENLABS_API_KEY = ""

    with committing():
        created = api(editor).post("/api/agents/", {"name": "Front Desk"}, format="json")

    assert created.status_code == 201, created.content
    agent = VoiceAgent.objects.get(pk=created.json()["id"])
    assert agent.sync.elevenlabs_agent_id.startswith("local_")
    shown = api(editor).get(f"/api/agents/{agent.pk}").json()
    assert shown["sync_state"] == "disabled"
    assert shown["last_sync_error"] == remote.SYNC_DISABLED_REASON
    with committing():
        refused = api(editor).post(f"/api/agents/{agent.pk}/sync")
    assert api_error(refused, 409, code="sync_disabled")["message"] == remote.SYNC_DISABLED_REASON
    settings.SYNC_STALE_AFTER = 0
    sync_sweep_task()
    assert sandbox.requests() == []


# --- archiving (deleting on ElevenLabs)


def test_a_delete_that_meets_a_server_error_is_tried_again(sandbox, new_agent, owner, committing):
    agent = new_agent()
    sandbox.add_fault(path=r"agents/agent_", method="DELETE", status=503)

    with committing():
        agent_archive(agent=agent, actor=owner)

    assert statuses(sandbox, "DELETE", "") == [503, 204]
    assert sandbox.agents() == []
