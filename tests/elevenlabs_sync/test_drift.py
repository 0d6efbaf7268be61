"""Drift: changes made to an agent on ElevenLabs, outside Switchboard (agents/drift.py),
flagged by the sweep and settled by pulling or overwriting, end to end against the sandbox."""

import dataclasses

import pytest
from django.utils import timezone

from agents.models import Status, VoiceAgent
from agents.services import agent_update
from deployments.models import AgentVersion, DeploymentKind, SyncState
from elevenlabs_adapter import remote, remote_config
from elevenlabs_sync.drift import drift_candidates, drift_check
from elevenlabs_sync.models import AgentSync
from elevenlabs_sync.tasks import sync_sweep_task
from tests.elevenlabs_sync.remote_state import config_of, main_versions

# --- drift: changes made on ElevenLabs, outside Switchboard


def changed_on_elevenlabs(sandbox, agent: VoiceAgent) -> None:
    """Someone edits the agent's main branch in the ElevenLabs dashboard; the sweep looks."""
    sandbox.patch_agent(
        agent.sync.elevenlabs_agent_id,
        conversation_config={"agent": {"first_message": "Changed in the dashboard"}},
    )
    sync_sweep_task()
    agent.refresh_from_db()
    assert agent.sync.drift_detected_at is not None


def test_an_agent_the_sweep_finds_deleted_on_elevenlabs_no_longer_counts_as_there(
    sandbox, live_agent
):
    sandbox.http.delete(f"v1/convai/agents/{live_agent.sync.elevenlabs_agent_id}")

    sync_sweep_task()

    live_agent.refresh_from_db()
    assert not live_agent.sync.exists_on_elevenlabs
    assert drift_candidates(limit=50) == [], "nor is it looked for again at every sweep"


def test_a_change_made_on_elevenlabs_is_flagged_by_the_sweep_and_ours_are_not(
    sandbox, live_agent, editor, committing
):
    with committing():
        agent_update(agent=live_agent, actor=editor, name="Renamed here")
    sync_sweep_task()
    live_agent.refresh_from_db()
    assert live_agent.sync.drift_checked_at is not None
    assert live_agent.sync.drift_detected_at is None

    sandbox.patch_agent(live_agent.sync.elevenlabs_agent_id, conversation_config={"tts": {}})
    sync_sweep_task()

    live_agent.refresh_from_db()
    assert live_agent.sync.drift_detected_at is not None


def test_pulling_takes_their_config_as_a_new_draft(sandbox, live_agent, api, editor, committing):
    changed_on_elevenlabs(sandbox, live_agent)
    theirs = main_versions(sandbox)[-1]

    with committing():
        response = api(editor).post(f"/api/agents/{live_agent.pk}/drift/pull")

    assert response.status_code == 200, response.content
    agent = VoiceAgent.objects.get(pk=live_agent.pk)
    assert agent.config == remote_config(config_of(theirs))
    assert agent.status == Status.DRAFT
    assert agent.live_version == 2
    assert agent.deployments.filter(
        kind=DeploymentKind.EDIT, from_status=Status.PRODUCTION, to_status=Status.DRAFT
    ).exists()
    assert agent.sync.drift_detected_at is None
    assert agent.sync.main_version_id == theirs["id"]
    assert main_versions(sandbox)[-1] == theirs, "a pull writes nothing to ElevenLabs' main"
    sync_sweep_task()
    agent.refresh_from_db()
    assert agent.sync.drift_detected_at is None, "their version is the new baseline"


def test_a_pull_takes_values_elevenlabs_accepted_beyond_our_own_ranges(
    sandbox, live_agent, api, editor, committing
):
    sandbox.patch_agent(
        live_agent.sync.elevenlabs_agent_id,
        conversation_config={"agent": {"prompt": {"temperature": 2.5}}},
    )
    sync_sweep_task()

    with committing():
        response = api(editor).post(f"/api/agents/{live_agent.pk}/drift/pull")

    assert response.status_code == 200, response.content
    agent = VoiceAgent.objects.get(pk=live_agent.pk)
    assert agent.config["conversation_config"]["agent"]["prompt"]["temperature"] == 2.5


def test_overwriting_publishes_the_live_version_again_over_their_change(
    sandbox, live_agent, api, owner, committing
):
    changed_on_elevenlabs(sandbox, live_agent)
    theirs = main_versions(sandbox)[-1]

    with committing():
        response = api(owner).post(f"/api/agents/{live_agent.pk}/drift/overwrite")

    assert response.status_code == 202, response.content
    *_, before, newest = main_versions(sandbox)
    assert before == theirs
    live = AgentVersion.objects.get(agent=live_agent, number=2)
    assert config_of(newest) == live.config
    assert newest["description"] == "v2: Go live"
    assert live.elevenlabs_version_id == newest["id"]
    agent = VoiceAgent.objects.get(pk=live_agent.pk)
    assert agent.sync.main_version_id == newest["id"]
    assert agent.sync.drift_detected_at is None
    assert agent.sync.state == SyncState.SYNCED
    sync_sweep_task()
    agent.refresh_from_db()
    assert agent.sync.drift_detected_at is None


def test_overwriting_needs_a_live_version(sandbox, synced_agent, api, owner, api_error):
    agent = synced_agent()
    sync_sweep_task()  # the first look takes main as it is for the baseline
    changed_on_elevenlabs(sandbox, agent)

    api_error(api(owner).post(f"/api/agents/{agent.pk}/drift/overwrite"), 409, code="nothing_live")


@pytest.mark.parametrize("action", ["pull", "overwrite"])
def test_settling_drift_needs_drift_to_settle(sandbox, live_agent, api, owner, api_error, action):
    response = api(owner).post(f"/api/agents/{live_agent.pk}/drift/{action}")

    api_error(response, 409, code="no_drift")


@pytest.mark.parametrize(
    ("caller", "action", "status"),
    [
        ("viewer", "pull", 403),
        ("tester", "pull", 403),
        ("editor", "overwrite", 403),
        ("outsider", "pull", 404),
        ("outsider", "overwrite", 404),
    ],
)
def test_who_may_settle_drift(
    sandbox, live_agent, api, api_error, request, committing, caller, action, status
):
    changed_on_elevenlabs(sandbox, live_agent)
    versions = main_versions(sandbox)

    with committing():
        response = api(request.getfixturevalue(caller)).post(
            f"/api/agents/{live_agent.pk}/drift/{action}"
        )

    api_error(response, status)
    live_agent.refresh_from_db()
    assert live_agent.sync.drift_detected_at is not None
    assert live_agent.status == Status.PRODUCTION
    assert main_versions(sandbox) == versions


def test_our_own_publish_during_a_drift_check_is_not_drift(sandbox, live_agent, monkeypatch):
    real_get = remote.agent_get

    def get_while_we_publish(agent_id, **kwargs):
        seen = real_get(agent_id, **kwargs)
        # Our sync publishes meanwhile: ElevenLabs and our baseline both move on.
        AgentSync.objects.filter(pk=live_agent.pk).update(main_version_id="ours-new")
        return dataclasses.replace(seen, version_id="ours-new-on-elevenlabs")

    monkeypatch.setattr(remote, "agent_get", get_while_we_publish)

    assert drift_check(sync=live_agent.sync) is False
    live_agent.refresh_from_db()
    assert live_agent.sync.drift_detected_at is None


def test_an_agent_being_synced_is_not_flagged(sandbox, live_agent):
    sandbox.patch_agent(
        live_agent.sync.elevenlabs_agent_id, conversation_config={"agent": {"first_message": "Hi"}}
    )
    in_a_minute = timezone.now() + timezone.timedelta(minutes=1)
    AgentSync.objects.filter(pk=live_agent.pk).update(claimed_until=in_a_minute)

    assert drift_check(sync=live_agent.sync) is False
