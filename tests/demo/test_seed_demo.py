from io import StringIO

import pytest
from django.core.management import call_command

from agents.models import Status, VoiceAgent
from deployments.models import AgentVersion, Deployment, DeploymentKind, SyncState
from elevenlabs_adapter import remote
from testruns.models import TestResult
from workspaces.models import ApiToken, hash_token


def run_seed_demo(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def main_tip(remote_agent: dict) -> str:
    """The id of the newest version on the main branch of an agent in the sandbox."""
    return remote_agent["branches"][remote_agent["main_branch_id"]]["versions"][-1]["id"]


# The demo syncs as `make run` does: each service's commit queues a sync, which eager Celery
# runs there and then. So its commits must be real, not rolled back savepoints.
@pytest.mark.django_db(transaction=True)
def test_the_demo_shows_every_stage_with_live_versions_on_elevenlabs_a_rollback_and_tests(
    sandbox, capsys
):
    run_seed_demo()

    assert "stays in testing" not in capsys.readouterr().err
    agents = VoiceAgent.objects.filter(workspace__slug="demo")
    assert set(agents.values_list("status", flat=True)) == set(Status.values)
    assert Deployment.objects.filter(agent__in=agents, kind=DeploymentKind.ROLLBACK).exists()
    assert TestResult.objects.filter(agent__in=agents).exists()
    on_elevenlabs = {agent["agent_id"]: agent for agent in sandbox.agents()}
    live = agents.filter(live_version__isnull=False)
    assert live.count() == 2
    for agent in live:
        version = AgentVersion.objects.get(agent=agent, number=agent.live_version)
        assert version.elevenlabs_version_id.startswith("agtvrsn_"), agent.name
        assert (
            main_tip(on_elevenlabs[agent.sync.elevenlabs_agent_id]) == version.elevenlabs_version_id
        )


@pytest.mark.django_db(transaction=True)
def test_every_demo_agent_is_on_elevenlabs_exactly_once_and_synced(sandbox):
    run_seed_demo()

    agents = VoiceAgent.objects.filter(workspace__slug="demo")
    assert agents.count() == 4
    assert {agent.sync.state for agent in agents} == {SyncState.SYNCED}
    remote_ids = [agent["agent_id"] for agent in sandbox.agents()]
    assert sorted(remote_ids) == sorted(agents.values_list("sync__elevenlabs_agent_id", flat=True))
    assert len(sandbox.requests("POST", r"agents/create$")) == len(agents)


@pytest.mark.django_db(transaction=True)
def test_with_sync_off_the_demo_still_loads_keeping_agents_out_of_production_and_says_why(
    settings, capsys
):
    settings.ELEVENLABS_SANDBOX, settings.ELEVENLABS_API_KEY = False, ""

    output = run_seed_demo()

    assert "Demo data loaded." in output
    agents = VoiceAgent.objects.filter(workspace__slug="demo")
    assert agents.count() == 4
    assert not agents.filter(status=Status.PRODUCTION).exists()
    assert not agents.filter(live_version__isnull=False).exists()
    stderr = capsys.readouterr().err
    for name in ("Front Desk", "Sales Qualifier"):
        assert f"{name} stays in testing: it is not on ElevenLabs. " in stderr
    assert remote.SYNC_DISABLED_REASON in stderr


@pytest.mark.django_db(transaction=True)
def test_when_the_sync_fails_the_demo_says_so_rather_than_blaming_the_settings(capsys, settings):
    settings.ELEVENLABS_SANDBOX = True  # ElevenLabs: a closed port (the autouse fixture)
    settings.SYNC_MAX_ATTEMPTS = 1

    run_seed_demo()

    stderr = capsys.readouterr().err
    assert "Front Desk stays in testing: it is not on ElevenLabs. " in stderr
    assert "Could not connect to ElevenLabs" in stderr
    assert remote.SYNC_DISABLED_REASON not in stderr
    assert not VoiceAgent.objects.filter(status=Status.PRODUCTION).exists()


def test_when_the_sync_has_not_run_yet_the_demo_says_so_rather_than_blaming_the_settings(
    db, settings, capsys
):
    # Under the test's transaction nothing commits, so no sync runs: as when syncs wait in a
    # broker for a Celery worker.
    settings.ELEVENLABS_SANDBOX = True

    run_seed_demo()

    stderr = capsys.readouterr().err
    assert "Front Desk stays in testing: it is not on ElevenLabs. " in stderr
    assert "has not finished yet (sync state: pending)" in stderr
    assert remote.SYNC_DISABLED_REASON not in stderr


def test_the_demo_prints_a_working_token_and_the_address_it_is_served_at(db):
    output = run_seed_demo("--url", "http://127.0.0.1:9000")

    key = output.split("API token (shown once): ")[1].split()[0]
    assert ApiToken.objects.filter(key_hash=hash_token(key), revoked_at=None).exists()
    assert "http://127.0.0.1:9000/admin/" in output


def test_the_demo_is_loaded_only_once(db):
    run_seed_demo()
    agents_before = VoiceAgent.objects.count()

    output = run_seed_demo()

    assert "already loaded" in output
    assert VoiceAgent.objects.count() == agents_before


@pytest.mark.django_db(transaction=True)
def test_the_demos_agent_in_testing_has_tests_that_pass_when_run(sandbox, settings):
    from elevenlabs_sync.test_runs import run_start
    from testruns.models import RunStatus

    settings.TEST_RUN_POLL_SECONDS = 0.05
    run_seed_demo()
    support = VoiceAgent.objects.get(workspace__slug="demo", name="Support Triage")
    owner = support.created_by

    run = run_start(agent=support, actor=owner)  # committed: eager Celery runs it here

    run.refresh_from_db()
    assert sorted(support.tests.values_list("kind", flat=True)) == ["llm", "scripted"]
    assert run.status == RunStatus.PASSED, run.reason
