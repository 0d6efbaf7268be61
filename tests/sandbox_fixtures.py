"""Fixtures for tests that talk to ElevenLabs: the sandbox, run as a server of its own.

`sandbox_server` (once per session) starts `python -m sandbox` on a free port; `sandbox`
(per test) resets it, points the product at it and hands back a `SandboxControl` to arrange
and inspect it; `sandbox_sdk` is the official SDK pointed at it, to look as the product does:

    def test_a_create_survives_rate_limiting(sandbox):
        sandbox.add_fault(path=r"agents/create$", method="POST", status=429, retry_after=1)
        ...  # the product syncs an agent
        assert [r["status"] for r in sandbox.requests("POST", r"agents/create$")] == [429, 200]

A separate process, as ElevenLabs is: the product's blocking SDK calls go over real HTTP, and
nothing a test does to the server's state bypasses the API the product sees. It takes one key,
API_KEY (its SANDBOX_API_KEY), on every request, the control endpoints' too.
"""

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from elevenlabs import ElevenLabs

API_KEY = "sandbox-key"
KEY_HEADER = {"xi-api-key": API_KEY}
ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECS = 30.0


class SandboxControl:
    """The running sandbox, through its `_sandbox/` control endpoints (see sandbox/control.py).

    `url` is the base URL to give an ElevenLabs client (`ElevenLabs(base_url=sandbox.url)`);
    `http` presents the sandbox's key on every request.
    """

    def __init__(self, url: str, http: httpx.Client):
        self.url = url
        self.http = http

    def reset(self) -> None:
        self._call("POST", "_sandbox/reset")

    def state(self) -> dict:
        """Everything inside: agents (with branches, versions, traffic, deployments),
        conversations, the request log, faults, the rate limit and the webhook URL."""
        return self._call("GET", "_sandbox/state")

    def agents(self) -> list[dict]:
        return self.state()["agents"]

    def requests(self, method: str | None = None, path: str | None = None) -> list[dict]:
        """The API requests served so far, oldest first, as `{"method", "path", "status",
        "at"}`; `path` is a regular expression searched in the path (after the mount point,
        without the query: "v1/convai/agents/create")."""
        return [
            record
            for record in self.state()["requests"]
            if (method is None or record["method"] == method.upper())
            and (path is None or re.search(path, record["path"]))
        ]

    def add_fault(self, **fault) -> None:
        """Fail or delay the next `count` (default 1) matching requests; fields as in
        sandbox.records.Fault: path (regex), method, status, retry_after, latency_ms,
        after_effect, count, message. With drop_socket_after or socket_latency_ms, the next
        `count` conversation WebSockets instead: dropped after so many messages, or slow; with
        test_run ("error" or "pending"), the next `count` test runs submitted: failed with an
        error, or pending until cancelled."""
        self._call("POST", "_sandbox/faults", json=fault)

    def clear_faults(self) -> None:
        self._call("DELETE", "_sandbox/faults")

    def rate_limit(self, per_second: float | None, burst: int = 1) -> None:
        """Answer 429 with Retry-After beyond `per_second` requests (bursts up to `burst`);
        None or 0 lifts the limit."""
        self._call("PUT", "_sandbox/rate-limit", json={"per_second": per_second, "burst": burst})

    def webhook(self, url: str, secret: str) -> None:
        """POST signed post-call webhooks to `url` when conversations end."""
        self._call("PUT", "_sandbox/webhook", json={"url": url, "secret": secret})

    def test_run_delay(self, seconds: float | None) -> None:
        """Keep test runs submitted from now on pending for `seconds` (0: finished by the first
        read of their invocation); None: as the sandbox's settings say (1 s)."""
        self._call("PUT", "_sandbox/test-run-delay", json={"seconds": seconds})

    def patch_agent(self, agent_id: str, *, branch_id: str | None = None, **body) -> dict:
        """Change an agent behind the product's back, as someone editing it in the ElevenLabs
        dashboard would: `PATCH v1/convai/agents/{agent_id}` (on main, or `branch_id`).

        It is an ordinary API request: it is logged, and counts against faults and the rate
        limit, so arrange those after it.
        """
        params = {"branch_id": branch_id} if branch_id else {}
        response = self.http.patch(f"v1/convai/agents/{agent_id}", params=params, json=body)
        response.raise_for_status()
        return response.json()

    def _call(self, method: str, path: str, **kwargs) -> dict:
        response = self.http.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(base_url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"The sandbox server exited at start-up:\n{log.read_text()}")
        try:
            state = httpx.get(f"{base_url}/_sandbox/state", headers=KEY_HEADER, timeout=1)
            if state.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"The sandbox server did not answer in {START_TIMEOUT_SECS:g}s:\n{log.read_text()}"
    )


@contextmanager
def sandbox_process(*, port: int, log: Path, arguments: tuple[str, ...] = ()) -> Iterator[str]:
    """`python -m sandbox` on `port` (with `arguments`), taking API_KEY, until the block ends;
    yields its base URL once it answers. Its output goes to `log`."""
    environment = {
        # A clean server whatever SANDBOX_* variables this shell exports (the sandbox reads
        # them itself, sandbox/settings.py); tests arrange misbehaviour through `_sandbox/`.
        **{name: value for name, value in os.environ.items() if not name.startswith("SANDBOX_")},
        "DJANGO_SETTINGS_MODULE": "sandbox.standalone_settings",
        "SANDBOX_API_KEY": API_KEY,
    }
    command = [sys.executable, "-m", "sandbox", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("ab") as output:
        process = subprocess.Popen(
            [*command, *arguments],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}/sandbox/elevenlabs"
    try:
        _wait_until_up(base_url, process, log)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory) -> Iterator[str]:
    """The base URL of a sandbox server running for the whole session (its log is in the
    session's temporary directory)."""
    log = tmp_path_factory.mktemp("sandbox") / "server.log"
    with sandbox_process(port=free_port(), log=log) as base_url:
        yield base_url


@pytest.fixture
def sandbox(sandbox_server, settings) -> Iterator[SandboxControl]:
    """A freshly reset sandbox that the product's ElevenLabs calls go to."""
    with httpx.Client(base_url=sandbox_server, headers=KEY_HEADER, timeout=10) as http:
        control = SandboxControl(sandbox_server, http)
        control.reset()
        settings.ELEVENLABS_SANDBOX = True
        settings.ELEVENLABS_BASE_URL = sandbox_server
        settings.ELEVENLABS_API_KEY = API_KEY
        yield control


@pytest.fixture
def sandbox_sdk(sandbox) -> ElevenLabs:
    """The official SDK client, pointed at the sandbox."""
    return ElevenLabs(api_key=API_KEY, base_url=sandbox.url, timeout=10)
