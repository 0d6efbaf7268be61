"""The sandbox's control endpoints (`_sandbox/`) and its set-up from the settings."""

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import HttpCommunicator
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

from sandbox import routing
from sandbox.control import configure_from_settings
from sandbox.store import store
from tests.sandbox.sdk import create_agent


def control(sandbox, method: str, path: str, body=None) -> httpx.Response:
    return httpx.request(method, f"{sandbox.url}/_sandbox/{path}", json=body)


def test_state_shows_agents_with_branches_versions_and_traffic(sandbox_sdk, sandbox):
    agent_id = create_agent(sandbox_sdk, tags=["sales"])
    sandbox_sdk.conversational_ai.agents.update(agent_id, name="Renamed")

    (agent,) = sandbox.agents()

    assert (agent["agent_id"], agent["name"], agent["tags"]) == (agent_id, "Renamed", ["sales"])
    (main,) = agent["branches"].values()
    assert main["id"] == agent["main_branch_id"]
    assert [version["seq_no_in_branch"] for version in main["versions"]] == [0]
    assert agent["traffic"] == {main["id"]: 100.0}


def test_reset_forgets_everything(sandbox_sdk, sandbox):
    create_agent(sandbox_sdk)
    sandbox.add_fault(path="nothing", status=500)
    sandbox.rate_limit(10, burst=5)
    sandbox.webhook("http://127.0.0.1:9/hook", "s")

    sandbox.reset()

    state = sandbox.state()
    assert (state["agents"], state["requests"], state["faults"]) == ([], [], [])
    assert (state["rate_limit"], state["webhook_url"]) == (None, "")


def test_faults_are_added_one_or_several_and_cleared(sandbox):
    sandbox.add_fault(path="a", status=500)
    control(sandbox, "POST", "faults", [{"path": "b", "latency_ms": 5}, {"method": "get"}])

    assert [fault["path"] for fault in sandbox.state()["faults"]] == ["a", "b", ""]
    sandbox.clear_faults()
    assert sandbox.state()["faults"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "500"}, "status"),
        ({"status": 200}, "status"),
        ({"path": "("}, "path"),
        ({"method": "FETCH"}, "method"),
        ({"latency_ms": -1}, "latency_ms"),
        ({"count": 0}, "count"),
        ({"after_effect": "yes"}, "after_effect"),
        ({"retry_after": 1.5}, "retry_after"),
        ({"statuss": 500}, "statuss"),
        ([{"status": 500}, "not a fault"], "fault"),
    ],
)
def test_a_bad_fault_is_400_naming_the_field_and_adds_nothing(sandbox, body, field):
    response = control(sandbox, "POST", "faults", body)

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["message"]
    assert sandbox.state()["faults"] == []


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("rate-limit", {"per_second": -1}, "per_second"),
        ("rate-limit", {"per_second": "fast"}, "per_second"),
        ("rate-limit", {"per_second": 1, "burst": 0}, "burst"),
        ("rate-limit", {"per_sec": 1}, "per_sec"),
        ("webhook", {"url": "ftp://example.com", "secret": "s"}, "url"),
        ("webhook", {"url": "http://example.com", "secret": 1}, "secret"),
        ("webhook", ["http://example.com"], "body"),
    ],
)
def test_bad_settings_are_400_naming_the_field(sandbox, path, body, field):
    response = control(sandbox, "PUT", path, body)

    assert response.status_code == 400
    assert response.json()["field"] == field
    state = sandbox.state()
    assert (state["rate_limit"], state["webhook_url"]) == (None, "")


@pytest.fixture
def sandbox_settings(settings):
    settings.SANDBOX_RATE_LIMIT = 5.0
    settings.SANDBOX_FAULTS = [{"path": "agents/create", "status": 503, "count": 2}]
    settings.SANDBOX_WEBHOOK_URL = "http://127.0.0.1:9/hook"
    settings.SANDBOX_WEBHOOK_SECRET = "s"


def assert_set_up_as_the_settings_say() -> None:
    assert [(fault.path, fault.status, fault.count) for fault in store.faults] == [
        ("agents/create", 503, 2)
    ]
    assert (store.rate_limit.per_second, store.rate_limit.burst) == (5.0, 1)
    assert (store.webhook_url, store.webhook_secret) == ("http://127.0.0.1:9/hook", "s")


def test_the_settings_set_the_store_up(sandbox_settings):
    configure_from_settings()

    assert_set_up_as_the_settings_say()


def test_a_reset_goes_back_to_the_settings_as_a_restart_would(sandbox_settings):
    store.agent_create(name="A", conversation_config={}, platform_settings={}, tags=[])
    application = URLRouter(routing.http_urlpatterns)

    reset = HttpCommunicator(application, "POST", "/sandbox/elevenlabs/_sandbox/reset")
    response = async_to_sync(reset.get_response)()

    assert response["status"] == 200
    assert store.agents == {}
    assert_set_up_as_the_settings_say()


def test_a_bad_fault_in_the_settings_is_refused_naming_the_variable(settings):
    settings.SANDBOX_FAULTS = [{"status": "often"}]

    with pytest.raises(ImproperlyConfigured, match=r"SANDBOX_FAULTS: status"):
        configure_from_settings()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("[{", "SANDBOX_FAULTS is not valid JSON"),
        ('[{"count": 0}]', "SANDBOX_FAULTS: count"),
    ],
)
@pytest.mark.parametrize("settings_module", ["config.settings", "sandbox.standalone_settings"])
def test_bad_sandbox_faults_stop_start_up_naming_the_variable(raw, expected, settings_module):
    code = f"import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = {settings_module!r}; "
    environment = {**os.environ, "SANDBOX_FAULTS": raw}
    environment.pop("DJANGO_SETTINGS_MODULE", None)

    finished = subprocess.run(
        [sys.executable, "-c", code + "django.setup()"],
        cwd=Path(django_settings.BASE_DIR),
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert finished.returncode != 0
    assert "ImproperlyConfigured" in finished.stderr
    assert expected in finished.stderr
