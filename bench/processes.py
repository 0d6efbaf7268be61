"""Helpers for the servers the sync benchmark runs beside it: a free port, and a start and stop
that leave nothing behind.

Each server runs in a session of its own, so a Ctrl-C at the terminal reaches the benchmark
alone, and the benchmark stops them in order (see `stopped`) instead of all dying at once.
"""

import math
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.database import BASE_DIR

STOP_TIMEOUT_SECS = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    cpu_seconds: float = 0.0  # user + system, its children's included; known once it stopped


@contextmanager
def running(command: list[str], *, env: dict[str, str], log: Path) -> Iterator[Server]:
    """Run `command` (output to `log`) for the duration of the block, then stop it."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process)
    try:
        yield server
    finally:
        server.cpu_seconds = stopped(process)


def stopped(process: subprocess.Popen) -> float:
    """SIGTERM (a Celery worker's warm shutdown), SIGKILL to its whole process group (a prefork
    worker's children too) if it does not exit in time; the CPU seconds it used."""
    if process.returncode is not None:
        return 0.0  # it exited early and was reaped: the run has failed, its CPU is moot
    process.terminate()
    if process.returncode is not None:  # terminate() found it had exited, and reaped it
        return 0.0
    deadline = time.monotonic() + STOP_TIMEOUT_SECS
    while True:
        # wait4, not Popen.wait: it also says how much CPU the process and its reaped
        # children used, which shows what each attempt at a sync costs.
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return usage.ru_utime + usage.ru_stime
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            deadline = math.inf
        time.sleep(0.05)


def log_tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


# The production web server of docs/operations.md ("Processes"): uvicorn, a worker per core.
# Lifespan off: Channels' ProtocolTypeRouter has no lifespan handler. No access log: the load
# balancer logs requests, and the app logs what matters.
WEB_SERVER = ("-m", "uvicorn", "config.asgi:application", "--lifespan", "off", "--no-access-log")


def web_server_command(*, workers: int, bind: list[str]) -> list[str]:
    """The production web server with `workers` processes (1: no supervisor, one process),
    bound as `bind` says: `["--host", h, "--port", p]`, or `["--fd", n]` for a socket the
    caller has bound and passes on."""
    return [sys.executable, *WEB_SERVER, "--workers", str(workers), *bind]
