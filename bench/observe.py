"""What the mixed-load benchmark watches while it runs: the web server's processes (CPU and
resident memory, from /proc) and the PostgreSQL connections they hold (pg_stat_activity, by the
`application_name` the server was started with).
"""

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
MIB = 1024 * 1024


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn's supervisor and its workers)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with suppress(FileNotFoundError, ProcessLookupError):  # it exited
                pending += [int(child) for child in task.read_text().split()]
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU the processes have used so far."""
    total = 0
    for pid in pids:
        with suppress(FileNotFoundError, ProcessLookupError):  # it exited
            # Fields after the command's closing parenthesis: utime and stime are 14th and 15th.
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def rss_mib(pid: int) -> float:
    with suppress(FileNotFoundError, ProcessLookupError):  # it exited
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES / MIB
    return 0.0


@dataclass
class Watch:
    """Samples taken every `interval` seconds on a thread of their own."""

    connections: list[tuple[float, int]] = field(default_factory=list)  # (time, count)
    memory: dict[int, list[tuple[float, float]]] = field(default_factory=dict)  # pid: (t, MiB)

    @property
    def most_connections(self) -> int:
        return max((count for _, count in self.connections), default=0)


@contextmanager
def watching(
    *, conninfo: str, application_name: str, pids: list[int], interval: float
) -> Iterator[Watch]:
    """Count the server's PostgreSQL connections and, per process, its resident memory."""
    watch = Watch(memory={pid: [] for pid in pids})
    stop = threading.Event()
    query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s"

    def sample() -> None:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            started = time.monotonic()
            while not stop.is_set():
                now = time.monotonic() - started
                row = connection.execute(query, (application_name,)).fetchone()
                watch.connections.append((now, row[0] if row else 0))
                for pid, samples in watch.memory.items():
                    samples.append((now, rss_mib(pid)))
                stop.wait(interval)

    sampler = threading.Thread(target=sample, name="bench-watch", daemon=True)
    sampler.start()
    try:
        yield watch
    finally:
        stop.set()
        sampler.join()


def sessions_opened(conninfo: str, database: str) -> int:
    """Sessions PostgreSQL has opened on `database` since its statistics were reset (14+)."""
    with psycopg.connect(conninfo, autocommit=True) as connection:
        row = connection.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = %s", (database,)
        ).fetchone()
    return int(row[0]) if row else 0
