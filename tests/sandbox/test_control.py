"""The sandbox's control endpoints (`_sandbox/`) and its set-up from its own environment."""

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import HttpCommunicator
from django.core.exceptions import ImproperlyConfigured

from sandbox import routing
from sandbox.settings import Settings, settings_from_env
from sandbox.store import SandboxStore, store
from tests.sandbox.sdk import create_agent

ROOT = Path(__file__).resolve().parents[2]


def control(sandbox, method: str, path: str, body=None) -> httpx.Response:
    return sandbox.http.request(method, f"_sandbox/{path}", json=body)


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
        ({"socket_latency_ms": 0.5}, "socket_latency_ms"),
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


# --- the sandbox's own settings: its SANDBOX_* variables, never Django settings

ENVIRONMENT = {
    "SANDBOX_RATE_LIMIT": "5",
    "SANDBOX_FAULTS": '[{"path": "agents/create", "status": 503, "count": 2}]',
    "SANDBOX_WEBHOOK_URL": "http://127.0.0.1:9/hook",
    "SANDBOX_WEBHOOK_SECRET": "s",
    "SANDBOX_PING_INTERVAL": "7",
    "SANDBOX_INITIATION_WAIT": "0.25",
    "SANDBOX_AUDIO_CHUNK_DELAY": "0",
}


@pytest.fixture
def environment(monkeypatch):
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    for name in ("SANDBOX_API_KEY", "SANDBOX_STATE_FILE"):
        monkeypatch.delenv(name, raising=False)  # no key of this shell's, no file written


def assert_set_up_as_the_environment_says(store: SandboxStore) -> None:
    assert [(fault.path, fault.status, fault.count) for fault in store.faults] == [
        ("agents/create", 503, 2)
    ]
    assert (store.rate_limit.per_second, store.rate_limit.burst) == (5.0, 1)
    assert (store.webhook_url, store.webhook_secret) == ("http://127.0.0.1:9/hook", "s")


def test_the_environment_sets_the_sandbox_up(environment):
    configured = settings_from_env()

    assert_set_up_as_the_environment_says(SandboxStore(configured))
    paced = (configured.ping_interval, configured.initiation_wait, configured.audio_chunk_delay)
    assert paced == (7.0, 0.25, 0.0)


def test_with_no_variables_the_sandbox_starts_clean(monkeypatch):
    for name in [*ENVIRONMENT, "SANDBOX_API_KEY", "SANDBOX_STATE_FILE"]:
        monkeypatch.delenv(name, raising=False)

    configured = settings_from_env()
    assert dataclasses.replace(configured, api_key="") == Settings()
    assert len(configured.api_key) >= 32, "a key nobody can guess, made up for this run"
    assert configured.api_key != settings_from_env().api_key
    fresh = SandboxStore(Settings())
    assert (fresh.faults, fresh.rate_limit, fresh.webhook_url) == ([], None, "")


def test_a_reset_goes_back_to_the_settings_as_a_restart_would(environment, monkeypatch):
    monkeypatch.setattr(store, "settings", settings_from_env())
    store.reset()
    store.fault_for("POST", "v1/convai/agents/create")  # takes one of the fault's two
    store.agent_create(name="A", conversation_config={}, platform_settings={}, tags=[])
    application = URLRouter(routing.http_urlpatterns)

    key = [(b"xi-api-key", store.settings.api_key.encode())]
    reset = HttpCommunicator(application, "POST", "/sandbox/elevenlabs/_sandbox/reset", headers=key)
    response = async_to_sync(reset.get_response)()

    assert response["status"] == 200
    assert store.agents == {}
    assert_set_up_as_the_environment_says(store)


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("SANDBOX_FAULTS", '[{"status": "often"}]', "SANDBOX_FAULTS: status"),
        ("SANDBOX_FAULTS", '[{"count": 0}]', "SANDBOX_FAULTS: count"),
        ("SANDBOX_FAULTS", "[{", "SANDBOX_FAULTS is not valid JSON"),
        ("SANDBOX_RATE_LIMIT", "fast", "SANDBOX_RATE_LIMIT='fast' is not a non-negative number"),
        ("SANDBOX_PING_INTERVAL", "-1", "SANDBOX_PING_INTERVAL='-1' is not a non-negative"),
        ("SANDBOX_WEBHOOK_URL", "ftp://example.com", "SANDBOX_WEBHOOK_URL must start with"),
    ],
)
def test_a_malformed_variable_is_refused_naming_it(monkeypatch, name, raw, expected):
    monkeypatch.setenv(name, raw)

    with pytest.raises(ImproperlyConfigured, match=re.escape(expected)):
        settings_from_env()


def start(code: str, **variables: str) -> subprocess.CompletedProcess:
    """Python running `code` in a fresh process, with `variables` added to this environment."""
    environment = {**os.environ, **variables}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "code",
    [
        # The app, serving the sandbox: the server loads config.asgi at start-up.
        "import config.asgi",
        # The sandbox alone, as `python -m sandbox` loads it before printing its URL.
        "import sandbox.asgi",
    ],
    ids=["app", "standalone"],
)
def test_a_malformed_variable_stops_start_up_naming_it(code):
    finished = start(code, ELEVENLABS_SANDBOX="on", SANDBOX_FAULTS='[{"count": 0}]')

    assert finished.returncode != 0
    assert "ImproperlyConfigured" in finished.stderr
    assert "SANDBOX_FAULTS: count" in finished.stderr


def test_with_the_sandbox_off_the_app_never_reads_its_variables():
    finished = start(
        "import config.asgi", ELEVENLABS_SANDBOX="off", SANDBOX_FAULTS='[{"count": 0}]'
    )

    assert finished.returncode == 0, finished.stderr
