"""A real Celery worker (`celery --app config worker`) for the sync benchmark, on the
benchmark's database, a Redis broker, and the sandbox in place of ElevenLabs.

It listens on a queue named for the run alone, so it takes only the run's tasks, and a worker
of the app sharing the Redis takes none of them (the product's retries go back to the queue
the task came from). No beat: the periodic sweep would queue the pending agents a second time.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from celery import Celery
from kombu import Connection, Exchange, Queue

from bench.processes import Server, log_tail, running

START_TIMEOUT_SECS = 60.0
POOLS = ("solo", "threads", "prefork")


@dataclass(frozen=True)
class Pool:
    name: str  # Celery's --pool
    concurrency: int
    why: str  # for the report

    @property
    def label(self) -> str:
        return f"--pool {self.name} --concurrency {self.concurrency}"


# One process taking one task at a time: SQLite lets one connection write at a time and a
# sync attempt is mostly writes, so more workers would only wait on the file lock, or fail
# with "database is locked". Two threads measured no faster.
SQLITE_POOL = Pool("solo", 1, "SQLite takes one writer at a time, and a sync is mostly writes")
# PostgreSQL takes concurrent writers: the worker `make worker` starts, one process per core.
# Solo, 2 to 8 threads and 4 processes measured no better, as the pool's throughput is not what
# limits the run (docs/benchmarks.md); more processes than cores only cost CPU.
POSTGRES_POOL = Pool("prefork", os.cpu_count() or 2, "the pool and size `make worker` runs")


def pool_for(*, sqlite: bool, name: str | None = None, concurrency: int | None = None) -> Pool:
    """The pool for the database, unless the command line chose another."""
    default = SQLITE_POOL if sqlite else POSTGRES_POOL
    if name is None and concurrency is None:
        return default
    name = name or default.name
    concurrency = 1 if name == "solo" else concurrency or POSTGRES_POOL.concurrency
    return Pool(name, concurrency, "chosen on the command line")


@dataclass(frozen=True)
class Worker:
    queue: str  # where to send its tasks
    pool: Pool
    server: Server


@contextmanager
def celery_worker(
    *,
    broker_url: str,
    pool: Pool,
    elevenlabs_url: str,
    api_key: str,
    requests_per_second: float,
    log: Path,
) -> Iterator[Worker]:
    """A worker on this process's DATABASE_URL, ready to take tasks, for the block's duration."""
    run = f"bench-sync-{secrets.token_hex(4)}"
    hostname = f"{run}@{socket.gethostname()}"
    env = {
        **os.environ,
        "REDIS_URL": broker_url,
        "ELEVENLABS_API_KEY": api_key,
        "ELEVENLABS_BASE_URL": elevenlabs_url,
        "ELEVENLABS_RATE_LIMIT": str(requests_per_second),
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    command = [
        *(sys.executable, "-m", "celery", "--app", "config", "worker"),
        *("--pool", pool.name, "--concurrency", str(pool.concurrency)),
        *("--queues", run, "--hostname", hostname, "--loglevel", "WARNING"),
        # No chatter with other workers on the same Redis, and a quicker start.
        *("--without-gossip", "--without-mingle", "--without-heartbeat"),
    ]
    try:
        with running(command, env=env, log=log) as server:
            _wait_until_ready(broker_url, hostname, server.process, log)
            yield Worker(queue=run, pool=pool, server=server)
    finally:
        _forget_queue(broker_url, run)


def _forget_queue(broker_url: str, name: str) -> None:
    """Delete the run's queue and its binding, as Celery declared them (an exchange of the
    same name), so no key of the run stays behind in the Redis."""
    with Connection(broker_url) as connection:
        queue = Queue(name, Exchange(name), routing_key=name)(connection.default_channel)
        queue.declare()  # so the channel knows the binding it is to delete
        queue.delete()


def _wait_until_ready(broker_url: str, hostname: str, process: subprocess.Popen, log: Path) -> None:
    control = Celery(broker=broker_url, set_as_current=False)
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECS
        while not control.control.ping(destination=[hostname], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The Celery worker did not start:\n{log_tail(log)}")
    finally:
        control.close()
