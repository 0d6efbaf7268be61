"""Sync with ElevenLabs (agents/sync.py), end to end against the sandbox: what each change in
Switchboard leaves on ElevenLabs.

Saving queues a sync once the transaction commits; `committing()` runs those callbacks as the
block ends, and eager Celery runs each sync in-process."""

import pytest
from django.utils import timezone

from agents.models import Status
from agents.services import agent_create, agent_update
from deployments.models import AgentVersion, DeploymentKind, SyncState
from deployments.services import deployment_create
from elevenlabs_adapter import remote
from elevenlabs_sync.models import AgentSync
from elevenlabs_sync.sync import agent_sync
from elevenlabs_sync.tasks import agent_sync_task
from tests.elevenlabs_sync.remote_state import config_of, main_versions, only_agent
from tests.factories import record_passing_test, sample_config

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
    assert agent.sync.elevenlabs_agent_id == remote_agent["agent_id"]
    assert agent.sync.elevenlabs_agent_id.startswith("agent_")
    assert agent.sync.state == SyncState.SYNCED
    assert agent.sync.last_synced_at is not None
    assert agent.sync.last_error == ""
    assert remote_agent["name"] == "Front Desk"
    assert sorted(remote_agent["tags"]) == ["en", "sales", f"switchboard:{agent.sync.owner_key}"]
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
    assert again["id"] == first["id"] == agent.sync.testing_branch_id
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
    assert agent.sync.main_version_id == newest["id"]
    assert "Warmer greeting" in newest["description"]
    assert config_of(newest) == sample_config("Second try")
    assert agent.sync.state == SyncState.SYNCED
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
    assert sorted(remote_agent["tags"]) == [
        "fr",
        "switchboard:" + str(live_agent.sync.owner_key),
        "vip",
    ]
    assert main_versions(sandbox) == versions_before
    live_agent.refresh_from_db()
    assert live_agent.sync.state == SyncState.SYNCED


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
    AgentSync.objects.filter(pk=agent.pk).update(claimed_until=claimed_until)

    assert agent_sync_task.apply(args=[agent.pk]).get() == outcome

    agent.refresh_from_db()
    if outcome == "busy":
        assert sandbox.requests() == []
        assert agent.sync.state == SyncState.PENDING
        assert agent.sync.claimed_until == claimed_until, "the other worker's claim stands"
    else:
        assert agent.sync.elevenlabs_agent_id == only_agent(sandbox)["agent_id"]
        assert agent.sync.claimed_until is None


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
    assert agent.sync.state == SyncState.SYNCED
