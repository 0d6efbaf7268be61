"""The ElevenLabs sandbox as a server of its own (`python -m sandbox`), rate-limited like the
real API, and what the benchmark reads from it afterwards (sandbox/control.py).
"""

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.processes import Server, free_port, log_tail, running

API_KEY = "bench-key"  # the sandbox's key (SANDBOX_API_KEY), for the product and for us
START_TIMEOUT_SECS = 30.0


@dataclass(frozen=True)
class Sandbox:
    url: str  # the base URL to give an ElevenLabs client
    http: httpx.Client  # for its `_sandbox/` control endpoints, presenting its key
    server: Server

    def state(self) -> dict:
        """Agents (with their tags), the request log, the rate limit: sandbox/control.py."""
        response = self.http.get("_sandbox/state")
        response.raise_for_status()
        return response.json()


@contextmanager
def sandbox_server(
    *, per_second: float, log: Path, settings: dict[str, str] | None = None
) -> Iterator[Sandbox]:
    """A fresh sandbox on a free port, answering 429 beyond `per_second` requests a second
    (in bursts of one, as `SANDBOX_RATE_LIMIT` sets it up; 0: no limit), for the duration of
    the block; `settings` adds SANDBOX_* variables (sandbox/settings.py)."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sandbox.standalone_settings",
        "SANDBOX_API_KEY": API_KEY,
        "SANDBOX_RATE_LIMIT": str(per_second),
        # Nothing else from this shell: no injected faults, no webhooks, no state file.
        "SANDBOX_FAULTS": "[]",
        "SANDBOX_STATE_FILE": "",
        "SANDBOX_WEBHOOK_URL": "",
        "SANDBOX_WEBHOOK_SECRET": "",
        "LOG_LEVEL": "WARNING",
        **(settings or {}),
    }
    command = [sys.executable, "-m", "sandbox", "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}/sandbox/elevenlabs"
    with (
        running(command, env=env, log=log) as server,
        httpx.Client(base_url=url, headers={"xi-api-key": API_KEY}, timeout=30) as http,
    ):
        deadline = time.monotonic() + START_TIMEOUT_SECS
        while not _answers(http):
            if server.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The sandbox did not start:\n{log_tail(log)}")
            time.sleep(0.1)
        yield Sandbox(url, http, server)


def _answers(http: httpx.Client) -> bool:
    try:
        return http.get("_sandbox/state", timeout=1).status_code == 200
    except httpx.TransportError:
        return False
