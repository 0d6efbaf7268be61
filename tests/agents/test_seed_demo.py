from io import StringIO

from django.core.management import call_command

from agents.models import Status, VoiceAgent
from deployments.models import Deployment, DeploymentKind
from testruns.models import TestResult
from workspaces.models import ApiToken, hash_token


def run_seed_demo(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_the_demo_shows_every_stage_with_history_and_tests(db):
    run_seed_demo()

    agents = VoiceAgent.objects.filter(workspace__slug="demo")
    assert set(agents.values_list("status", flat=True)) == set(Status.values)
    assert agents.filter(live_version__isnull=False).exists()
    assert Deployment.objects.filter(kind=DeploymentKind.ROLLBACK).exists()
    assert TestResult.objects.filter(agent__in=agents).exists()
    assert agents.filter(elevenlabs_agent_id__startswith="local_").exists()


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
