"""`make run`: serve the app, and load the demo once it answers.

The demo's agents sync to the sandbox, which this very server hosts, so the data can only be
loaded once the server is up. Usage: python -m config.serve --host 127.0.0.1 --port 8000

The server is told where it is reached (SITE_URL, unless set: the host and port it serves),
which is where its ElevenLabs client finds the embedded sandbox, and where the sandbox keeps
its state across restarts (SANDBOX_STATE_FILE, unless set: var/sandbox_state.json), so agents
synced before a restart are still there after it.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from config.env import served_url

STARTUP_TIMEOUT = 60.0
SANDBOX_STATE_FILE = Path(__file__).resolve().parent.parent / "var" / "sandbox_state.json"
# The server is this machine's child: never ask an HTTP proxy (http_proxy) to reach it.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    url = served_url(args.host, args.port)
    env = server_environment(url, os.environ)

    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "--bind",
            args.host,
            "--port",
            str(args.port),
            "config.asgi:application",
        ],
        env=env,
    )
    # Ctrl-C reaches the whole process group; wait for daphne to finish on its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: server.terminate())
    if _wait_until_up(f"{url}/healthz", server):
        subprocess.run(
            [sys.executable, "manage.py", "seed_demo", "--url", url], env=env, check=False
        )
    return server.wait()


def server_environment(url: str, environ: Mapping[str, str]) -> dict[str, str]:
    """`environ`, plus where the server is reached (`url`) and where its sandbox keeps its
    state, unless `environ` says."""
    return {
        **environ,
        "SITE_URL": environ.get("SITE_URL") or url,
        "SANDBOX_STATE_FILE": environ.get("SANDBOX_STATE_FILE") or str(SANDBOX_STATE_FILE),
    }


def _wait_until_up(health_url: str, server: subprocess.Popen) -> bool:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with _DIRECT.open(health_url, timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    print(f"The server did not answer at {health_url}; demo data not loaded.", file=sys.stderr)
    return False


if __name__ == "__main__":
    sys.exit(main())
