"""Sync with ElevenLabs (agents/sync.py, agents/drift.py), end to end against the sandbox: what
each change in Switchboard leaves on ElevenLabs, and changes made there settled back here.

Saving queues a sync once the transaction commits; `committing()` runs those callbacks as the
block ends, and eager Celery runs each sync in-process."""

import pytest
from django.utils import timezone

from agents.adapter import remote, remote_config
from agents.models import Status, SyncState, VoiceAgent
from agents.services import agent_create, agent_delete, agent_update
from agents.sync import agent_sync
from agents.tasks import agent_sync_task, sync_sweep_task
from deployments.models import AgentVersion, DeploymentKind
from deployments.services import deployment_create
from tests.factories import record_passing_test, sample_config


@pytest.fixture
def committing(django_capture_on_commit_callbacks):
    """`with committing():` runs the on-commit callbacks of the block (the syncs its saves
    queue) as it ends, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def synced_agent(workspace, editor, committing):
    """`synced_agent(**fields)`: a new draft agent, created on ElevenLabs by its sync."""

    def make(**fields):
        fields = {"name": "Front Desk", "tags": ["sales"], "config": sample_config(), **fields}
        with committing():
            agent = agent_create(workspace=workspace, actor=editor, **fields)
        agent.refresh_from_db()
        assert agent.sync_state == SyncState.SYNCED, agent.last_sync_error
        return agent

    return make


@pytest.fixture
def live_agent(synced_agent, owner, committing):
    """An agent live in production at version 2, published on ElevenLabs' main branch."""
    agent = synced_agent()
    with committing():
        deployment_create(agent=agent, to_status=Status.TESTING, changes="", actor=owner)
        record_passing_test(agent, owner)
        deployment_create(agent=agent, to_status=Status.PRODUCTION, changes="Go live", actor=owner)
    agent.refresh_from_db()
    assert agent.live_version == 2
    return agent


def only_agent(sandbox) -> dict:
    agents = sandbox.agents()
    assert len(agents) == 1, [agent["agent_id"] for agent in agents]
    return agents[0]


def main_versions(sandbox) -> list[dict]:
    agent = only_agent(sandbox)
    return agent["branches"][agent["main_branch_id"]]["versions"]


def config_of(version: dict) -> dict:
    return {key: version[key] for key in ("conversation_config", "platform_settings")}


# --- what ElevenLabs holds after each change


def test_a_new_agent_is_created_on_elevenlabs_tagged_with_its_sync_key(
    sandbox, workspace, editor, committing
):
    with committing():
        agent = agent_create(
            workspace=workspace, actor=editor, name="Front Desk", tags=["sales", "en"]
        )

    agent.refresh_from_db()
    remote_agent = only_agent(sandbox)
    assert agent.elevenlabs_agent_id == remote_agent["agent_id"]
    assert agent.elevenlabs_agent_id.startswith("agent_")
    assert agent.sync_state == SyncState.SYNCED
    assert agent.last_synced_at is not None
    assert agent.last_sync_error == ""
    assert remote_agent["name"] == "Front Desk"
    assert sorted(remote_agent["tags"]) == ["en", "sales", f"switchboard:{agent.sync_key}"]
    assert [r["status"] for r in sandbox.requests("POST", r"agents/create$")] == [200]
    assert set(agent.deployments.values_list("sync_state", flat=True)) == {SyncState.SYNCED}


def test_testing_fills_a_testing_branch_and_production_publishes_on_main_with_the_note(
    sandbox, synced_agent, owner, committing
):
    agent = synced_agent(config=sample_config("Version one"))

    def to_testing(first_message: str) -> dict:
        with committing():
            edited = agent_update(agent=agent, actor=owner, config=sample_config(first_message))
            deployment_create(agent=edited, to_status=Status.TESTING, changes="", actor=owner)
        (testing,) = [b for b in only_agent(sandbox)["branches"].values() if b["name"] == "testing"]
        assert config_of(testing["versions"][-1]) == sample_config(first_message)
        (main,) = main_versions(sandbox)
        assert config_of(main) == sample_config("Version one"), "main is left alone in testing"
        return testing

    first = to_testing("First try")
    again = to_testing("Second try")

    agent.refresh_from_db()
    assert again["id"] == first["id"] == agent.elevenlabs_testing_branch_id
    assert len(again["versions"]) == 2
    record_passing_test(agent, owner)
    with committing():
        deployment_create(
            agent=agent, to_status=Status.PRODUCTION, changes="Warmer greeting", actor=owner
        )

    agent.refresh_from_db()
    assert agent.version == 2
    newest = main_versions(sandbox)[-1]
    released = AgentVersion.objects.get(agent=agent, number=2)
    assert released.elevenlabs_version_id == newest["id"]
    assert agent.elevenlabs_main_version_id == newest["id"]
    assert "Warmer greeting" in newest["description"]
    assert config_of(newest) == sample_config("Second try")
    assert agent.sync_state == SyncState.SYNCED
    history = agent.deployments.values_list("kind", "to_status", "sync_state")
    assert sorted(history) == [
        (DeploymentKind.CREATE, Status.DRAFT, SyncState.SYNCED),
        (DeploymentKind.DEPLOY, Status.PRODUCTION, SyncState.SYNCED),
        (DeploymentKind.DEPLOY, Status.TESTING, SyncState.SYNCED),
        (DeploymentKind.DEPLOY, Status.TESTING, SyncState.SYNCED),
        (DeploymentKind.EDIT, Status.DRAFT, SyncState.SYNCED),
    ]


def test_a_new_name_and_tags_are_pushed_without_a_new_main_version(
    sandbox, live_agent, editor, committing
):
    versions_before = main_versions(sandbox)

    with committing():
        agent_update(agent=live_agent, actor=editor, name="Reception", tags=["vip", "fr"])

    remote_agent = only_agent(sandbox)
    assert remote_agent["name"] == "Reception"
    assert sorted(remote_agent["tags"]) == ["fr", "switchboard:" + str(live_agent.sync_key), "vip"]
    assert main_versions(sandbox) == versions_before
    live_agent.refresh_from_db()
    assert live_agent.sync_state == SyncState.SYNCED


# --- idempotency and concurrency


def test_syncing_an_agent_already_in_line_with_elevenlabs_sends_nothing(sandbox, live_agent):
    requests_before = len(sandbox.requests())

    assert agent_sync(agent_id=live_agent.pk) == "synced"
    assert agent_sync(agent_id=live_agent.pk) == "synced"

    assert len(sandbox.requests()) == requests_before


@pytest.mark.parametrize(
    ("claimed_for", "outcome"), [(60, "busy"), (-1, "synced")], ids=["held", "expired"]
)
def test_an_agent_claimed_by_another_worker_is_left_to_it_until_the_claim_expires(
    sandbox, workspace, editor, claimed_for, outcome
):
    agent = agent_create(workspace=workspace, actor=editor, name="Front Desk")  # not committed
    claimed_until = timezone.now() + timezone.timedelta(seconds=claimed_for)
    VoiceAgent.objects.filter(pk=agent.pk).update(sync_claimed_until=claimed_until)

    assert agent_sync_task.apply(args=[agent.pk]).get() == outcome

    agent.refresh_from_db()
    if outcome == "busy":
        assert sandbox.requests() == []
        assert agent.sync_state == SyncState.PENDING
        assert agent.sync_claimed_until == claimed_until, "the other worker's claim stands"
    else:
        assert agent.elevenlabs_agent_id == only_agent(sandbox)["agent_id"]
        assert agent.sync_claimed_until is None


def test_a_change_saved_while_a_sync_runs_is_synced_too(sandbox, workspace, editor, monkeypatch):
    agent = agent_create(workspace=workspace, actor=editor, name="Front Desk")
    create_on_elevenlabs = remote.agent_create

    def create_while_someone_renames_the_agent(**kwargs):
        created = create_on_elevenlabs(**kwargs)  # the real call, to the sandbox
        agent_update(agent=agent, actor=editor, name="Renamed meanwhile")
        return created

    monkeypatch.setattr(remote, "agent_create", create_while_someone_renames_the_agent)

    assert agent_sync(agent_id=agent.pk) == "synced"

    assert only_agent(sandbox)["name"] == "Renamed meanwhile"
    assert len(sandbox.requests("POST", r"agents/create$")) == 1
    agent.refresh_from_db()
    assert agent.sync_state == SyncState.SYNCED


# --- deleting


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
    sandbox_sdk.conversational_ai.agents.delete(agent.elevenlabs_agent_id)

    with committing():
        agent_delete(agent=agent, actor=owner)

    assert [r["status"] for r in sandbox.requests("DELETE")] == [204, 404]
    assert not VoiceAgent.objects.filter(pk=agent.pk).exists()


# --- drift: changes made on ElevenLabs, outside Switchboard


def changed_on_elevenlabs(sandbox, agent: VoiceAgent) -> None:
    """Someone edits the agent's main branch in the ElevenLabs dashboard; the sweep looks."""
    sandbox.patch_agent(
        agent.elevenlabs_agent_id,
        conversation_config={"agent": {"first_message": "Changed in the dashboard"}},
    )
    sync_sweep_task()
    agent.refresh_from_db()
    assert agent.drift_detected_at is not None


def test_a_change_made_on_elevenlabs_is_flagged_by_the_sweep_and_ours_are_not(
    sandbox, live_agent, editor, committing
):
    with committing():
        agent_update(agent=live_agent, actor=editor, name="Renamed here")
    sync_sweep_task()
    live_agent.refresh_from_db()
    assert live_agent.drift_checked_at is not None
    assert live_agent.drift_detected_at is None

    sandbox.patch_agent(live_agent.elevenlabs_agent_id, conversation_config={"tts": {}})
    sync_sweep_task()

    live_agent.refresh_from_db()
    assert live_agent.drift_detected_at is not None


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
    assert agent.drift_detected_at is None
    assert agent.elevenlabs_main_version_id == theirs["id"]
    assert main_versions(sandbox)[-1] == theirs, "a pull writes nothing to ElevenLabs' main"
    sync_sweep_task()
    agent.refresh_from_db()
    assert agent.drift_detected_at is None, "their version is the new baseline"


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
    assert agent.elevenlabs_main_version_id == newest["id"]
    assert agent.drift_detected_at is None
    assert agent.sync_state == SyncState.SYNCED
    sync_sweep_task()
    agent.refresh_from_db()
    assert agent.drift_detected_at is None


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
    assert live_agent.drift_detected_at is not None
    assert live_agent.status == Status.PRODUCTION
    assert main_versions(sandbox) == versions
