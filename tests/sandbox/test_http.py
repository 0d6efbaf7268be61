"""How the sandbox takes API requests: the API key, the rate limit, injected faults, the
request log and unknown routes; and that the main app serves it."""

import importlib
import json
import time

import httpx
import pytest
from asgiref.sync import SyncToAsync, async_to_sync
from channels.routing import URLRouter
from channels.testing import HttpCommunicator
from elevenlabs.core.api_error import ApiError

from sandbox import routing
from tests.sandbox.conversation_client import API_KEY
from tests.sandbox.sdk import create_agent
from tests.sandbox_fixtures import KEY_HEADER

NO_RETRIES = {"max_retries": 0}
CREATE = r"agents/create$"


def get(sandbox, path: str, **headers) -> httpx.Response:
    return httpx.get(f"{sandbox.url}/{path}", headers=headers)


def test_an_api_request_without_the_key_is_401(sandbox):
    missing = get(sandbox, "v1/convai/agents")
    wrong = get(sandbox, "v1/convai/agents", **{"xi-api-key": "any"})

    assert missing.status_code == wrong.status_code == 401
    assert missing.json()["detail"]["status"] == "needs_authorization"
    assert wrong.json()["detail"] == {"status": "invalid_api_key", "message": "Invalid API key"}
    assert get(sandbox, "v1/convai/agents", **KEY_HEADER).status_code == 200
    assert [r["status"] for r in sandbox.requests("GET", "agents$")] == [401, 401, 200]


def test_unknown_routes_are_404_and_wrong_methods_405(sandbox):
    assert get(sandbox, "v1/convai/nothing-here", **KEY_HEADER).status_code == 404
    assert get(sandbox, "_sandbox/nothing-here", **KEY_HEADER).status_code == 404
    assert httpx.put(f"{sandbox.url}/v1/convai/agents", headers=KEY_HEADER).status_code == 405


def test_the_request_log_keeps_method_path_and_status_in_order(sandbox_sdk, sandbox):
    agent_id = create_agent(sandbox_sdk)
    with pytest.raises(ApiError):
        sandbox_sdk.conversational_ai.agents.get(agent_id, branch_id="agtbrch_x")

    log = [(r["method"], r["path"], r["status"]) for r in sandbox.requests()]

    assert log[0] == ("POST", "v1/convai/agents/create", 200)
    assert log[1] == ("GET", f"v1/convai/agents/{agent_id}", 404)
    assert sandbox.requests(method="post") == sandbox.requests(path=CREATE)


def test_a_burst_beyond_the_rate_limit_is_429_with_retry_after(sandbox):
    sandbox.rate_limit(per_second=0.5, burst=2)
    key = KEY_HEADER

    statuses = [get(sandbox, "v1/convai/agents", **key).status_code for _ in range(2)]
    limited = get(sandbox, "v1/convai/agents", **key)

    assert statuses == [200, 200]
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "2"  # a whole number: a token every 2 seconds
    assert limited.json()["detail"]["status"] == "rate_limit_exceeded"
    assert get(sandbox, "_sandbox/state", **key).status_code == 200  # control is never limited
    sandbox.rate_limit(None)
    assert get(sandbox, "v1/convai/agents", **key).status_code == 200


def test_three_429s_are_retried_after_retry_after_and_the_create_succeeds(
    sandbox_sdk, sandbox, monkeypatch
):
    waits: list[float] = []
    monkeypatch.setattr("elevenlabs.core.http_client.time.sleep", waits.append)
    sandbox.add_fault(path=CREATE, method="POST", status=429, retry_after=1, count=3)

    create_agent(sandbox_sdk, request_options={"max_retries": 3})

    assert waits == [1.0, 1.0, 1.0]  # the SDK honoured Retry-After
    assert [r["status"] for r in sandbox.requests(path=CREATE)] == [429, 429, 429, 200]
    assert len(sandbox.agents()) == 1
    assert sandbox.state()["faults"] == []  # used up


def test_a_5xx_fault_fails_the_request_without_doing_it(sandbox_sdk, sandbox):
    sandbox.add_fault(path=CREATE, status=503, message="Down for maintenance")

    with pytest.raises(ApiError) as raised:
        create_agent(sandbox_sdk, request_options=NO_RETRIES)

    assert raised.value.status_code == 503
    assert raised.value.body["detail"] == {
        "status": "service_unavailable",
        "message": "Down for maintenance",
    }
    assert sandbox.agents() == []
    create_agent(sandbox_sdk, request_options=NO_RETRIES)  # only the next request failed
    assert len(sandbox.agents()) == 1


def test_a_fault_matches_by_method_and_path(sandbox_sdk, sandbox):
    sandbox.add_fault(path=r"v1/convai/agents$", method="GET", status=500)

    agent_id = create_agent(sandbox_sdk, request_options=NO_RETRIES)  # not a GET of the list
    sandbox_sdk.conversational_ai.agents.get(agent_id)  # not that path
    with pytest.raises(ApiError) as raised:
        sandbox_sdk.conversational_ai.agents.list(request_options=NO_RETRIES)

    assert raised.value.status_code == 500


def test_latency_delays_only_the_matching_requests(sandbox_sdk, sandbox):
    agent_id = create_agent(sandbox_sdk)
    other_id = create_agent(sandbox_sdk)
    sandbox.add_fault(path=agent_id, method="GET", latency_ms=400)
    agents = sandbox_sdk.conversational_ai.agents

    # A request the fault does not match leaves it armed: it was not delayed. (Timing it would
    # measure the machine: on a busy one any request can take a second.)
    agents.get(other_id)
    agents.list()
    assert len(sandbox.state()["faults"]) == 1

    started = time.monotonic()
    agents.get(agent_id)

    assert time.monotonic() - started >= 0.4
    assert sandbox.state()["faults"] == []  # used up: the next request goes at once


def test_after_effect_does_the_create_though_the_client_sees_an_error(sandbox_sdk, sandbox):
    sandbox.add_fault(path=CREATE, status=500, after_effect=True)

    with pytest.raises(ApiError) as raised:
        create_agent(sandbox_sdk, request_options=NO_RETRIES)

    assert raised.value.status_code == 500
    assert len(sandbox.agents()) == 1


def test_after_effect_does_the_create_though_the_client_times_out(sandbox_sdk, sandbox):
    sandbox.add_fault(path=CREATE, latency_ms=1500, after_effect=True)

    with pytest.raises(httpx.TimeoutException):
        create_agent(sandbox_sdk, request_options={**NO_RETRIES, "timeout_in_seconds": 0.3})

    assert len(sandbox.agents()) == 1


def test_the_main_app_serves_the_sandbox_when_it_is_on(settings, monkeypatch):
    settings.ELEVENLABS_SANDBOX = True
    monkeypatch.setenv("SANDBOX_API_KEY", "")  # put back after the test: config.asgi sets it
    import config.asgi

    application = importlib.reload(config.asgi).application

    async def ask(path: str, key: str = "") -> dict:
        headers = [(b"xi-api-key", key.encode())] if key else []
        return await HttpCommunicator(application, "GET", path, headers=headers).get_response()

    state = async_to_sync(ask)("/sandbox/elevenlabs/_sandbox/state", API_KEY)
    assert state["status"] == 200
    assert set(json.loads(state["body"])) >= {"agents", "conversations", "requests", "faults"}
    assert async_to_sync(ask)("/sandbox/elevenlabs/_sandbox/state")["status"] == 401
    assert async_to_sync(ask)("/sandbox/elevenlabs/v1/convai/agents")["status"] == 401


def test_a_request_never_waits_on_a_thread(monkeypatch):
    """In the embedded default the product's blocking call holds a thread of this process while
    the sandbox answers it: the sandbox must never need one (no sync_to_async, no database)."""

    def refuse(*args, **kwargs):
        raise AssertionError("The sandbox handed work to a thread.")

    monkeypatch.setattr(SyncToAsync, "__call__", refuse)
    create = HttpCommunicator(
        URLRouter(routing.http_urlpatterns),
        "POST",
        "/sandbox/elevenlabs/v1/convai/agents/create",
        body=json.dumps({"conversation_config": {}}).encode(),
        headers=[(b"xi-api-key", API_KEY.encode()), (b"host", b"testserver")],
    )

    response = async_to_sync(create.get_response)()

    assert response["status"] == 200
    assert json.loads(response["body"])["agent_id"].startswith("agent_")
