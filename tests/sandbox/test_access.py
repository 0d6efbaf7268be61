"""Who gets into the sandbox: only whoever presents its key, on every endpoint, as ElevenLabs
lets in only its account's key; and the app's embedded sandbox takes the key the app's own
ElevenLabs client presents, with nothing to configure."""

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.sandbox.sdk import create_agent
from tests.sandbox_fixtures import KEY_HEADER

ROOT = Path(__file__).resolve().parents[2]
WRONG_KEY = {"xi-api-key": "sk_guessed"}

CONTROL = [
    ("GET", "state", None),
    ("POST", "reset", None),
    ("POST", "faults", {"path": "agents", "status": 500}),
    ("DELETE", "faults", None),
    ("PUT", "rate-limit", {"per_second": 1}),
    ("PUT", "webhook", {"url": "http://127.0.0.1:9/hook", "secret": "s"}),
    ("GET", "nothing-here", None),
]


@pytest.mark.parametrize(
    ("method", "path", "body"), CONTROL, ids=[f"{c[0]} {c[1]}" for c in CONTROL]
)
@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, "needs_authorization"), (WRONG_KEY, "invalid_api_key")],
    ids=["no key", "wrong key"],
)
def test_the_control_endpoints_refuse_whoever_lacks_the_key(
    sandbox, sandbox_sdk, method, path, body, headers, status
):
    agent_id = create_agent(sandbox_sdk)
    url = f"{sandbox.url}/_sandbox/{path}"

    response = httpx.request(method, url, json=body, headers=headers)

    assert response.status_code == 401
    assert response.json()["detail"]["status"] == status
    assert agent_id not in response.text, "nothing of the account is shown"
    state = sandbox.state()
    assert [agent["agent_id"] for agent in state["agents"]] == [agent_id], "nothing was reset"
    assert (state["faults"], state["rate_limit"], state["webhook_url"]) == ([], None, "")


def test_an_api_request_with_a_wrong_key_is_refused_and_does_nothing(sandbox):
    response = httpx.post(
        f"{sandbox.url}/v1/convai/agents/create",
        json={"conversation_config": {}},
        headers=WRONG_KEY,
    )

    assert response.status_code == 401
    assert response.json()["detail"] == {"status": "invalid_api_key", "message": "Invalid API key"}
    assert sandbox.agents() == []


def test_the_key_opens_the_control_endpoints(sandbox):
    response = httpx.get(f"{sandbox.url}/_sandbox/state", headers=KEY_HEADER)

    assert response.status_code == 200


def test_the_embedded_sandbox_takes_the_key_the_apps_client_presents():
    """Zero configuration: with no ELEVENLABS_API_KEY, the app makes a key, mounts the
    sandbox with it and presents it; the sandbox takes no other."""
    code = (
        "import config.asgi; from django.conf import settings; "
        "from sandbox.store import store; from elevenlabs_adapter import remote; "
        "client = remote._client(); "
        "print(store.settings.api_key == settings.ELEVENLABS_SANDBOX_KEY != '', "
        "client._client_wrapper.get_headers()['xi-api-key'] == store.settings.api_key)"
    )
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SANDBOX_", "ELEVENLABS_"))
    }
    finished = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.split() == ["True", "True"]
