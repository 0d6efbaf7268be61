"""Timing requests through the whole Django stack and counting the SQL they run.

Requests go through Django's test client (`APIClient` for the API, `Client` with a logged-in
session for the web UI): URL routing, middleware, authentication, the view and the rendering,
everything but the socket. The cases of one run are interleaved (one request of
each case in turn), so a noisy neighbour slows them all alike and ratios stay fair. Warm-up
rounds, which are not timed, are the ones whose queries are counted: capturing SQL has a cost
of its own that must not land in the timings.
"""

import math
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

# Authentication records a token's use at most once a minute (workspaces.authentication):
# a cost per minute, not per request, that would otherwise make any count look variable.
TOKEN_TOUCH = re.compile(r'UPDATE "workspaces_apitoken" SET "last_used_at"')
# An API list counts its rows only when its page is full: a shorter page gives the count
# itself (common/pagination.py). One query or none whatever the rows, so the API's counts
# leave it out too.
PAGE_COUNT = re.compile(r'SELECT COUNT\(\*\) AS "__count"')
API_LEFT_OUT = (TOKEN_TOUCH, PAGE_COUNT)


@dataclass(frozen=True)
class Call:
    path: str
    data: dict[str, Any] | None = None  # a JSON body makes it a POST
    headers: dict[str, str] | None = None  # e.g. the ones htmx sends

    def send(self, client: Client) -> None:
        if self.data is None:
            response = client.get(self.path, headers=self.headers)
        else:
            response = client.post(self.path, self.data, format="json")
        if response.status_code not in (200, 201):
            raise RuntimeError(
                f"{'POST' if self.data else 'GET'} {self.path} answered "
                f"{response.status_code}: {response.content[:500]!r}"
            )


@dataclass(frozen=True)
class Case:
    name: str
    calls: Callable[[int], Sequence[Call]]  # the requests of round `i`; timed as one


@dataclass(frozen=True)
class Result:
    name: str
    median_ms: float
    p95_ms: float
    p99_ms: float
    queries: tuple[int, ...]  # the distinct counts seen, smallest first
    # The CPU this process spent on a round (median): what a web server pays per request,
    # whatever else shares the machine. The database's own CPU is not in it.
    cpu_ms: float

    @property
    def queries_label(self) -> str:
        low, high = self.queries[0], self.queries[-1]
        return str(low) if low == high else f"{low}-{high}"


def percentile(samples: Sequence[float], percent: float) -> float:
    """Nearest-rank percentile: the smallest sample at or above `percent`% of them."""
    ordered = sorted(samples)
    return ordered[max(math.ceil(percent / 100 * len(ordered)), 1) - 1]


def query_count(
    client: Client, calls: Sequence[Call], *, left_out: Sequence[re.Pattern] = (TOKEN_TOUCH,)
) -> int:
    """Queries the calls run, leaving out those `left_out` matches: by default the token's
    once-a-minute `last_used_at` touch."""
    with CaptureQueriesContext(connection) as captured:
        for call in calls:
            call.send(client)
    return sum(1 for query in captured if not any(sql.match(query["sql"]) for sql in left_out))


def run(
    client: Client,
    cases: Sequence[Case],
    *,
    rounds: int,
    warmup: int,
    left_out: Sequence[re.Pattern] = (TOKEN_TOUCH,),
) -> list[Result]:
    counts: dict[str, set[int]] = {case.name: set() for case in cases}
    samples: dict[str, list[float]] = {case.name: [] for case in cases}
    cpu: dict[str, list[float]] = {case.name: [] for case in cases}
    for round_ in range(warmup):
        for case in cases:
            counts[case.name].add(query_count(client, case.calls(round_), left_out=left_out))
    for round_ in range(warmup, warmup + rounds):
        for case in cases:
            calls = case.calls(round_)
            started, cpu_started = time.perf_counter(), time.thread_time()
            for call in calls:
                call.send(client)
            cpu[case.name].append((time.thread_time() - cpu_started) * 1000)
            samples[case.name].append((time.perf_counter() - started) * 1000)
    return [
        Result(
            name=case.name,
            median_ms=statistics.median(samples[case.name]),
            p95_ms=percentile(samples[case.name], 95),
            p99_ms=percentile(samples[case.name], 99),
            queries=tuple(sorted(counts[case.name])),
            cpu_ms=statistics.median(cpu[case.name]),
        )
        for case in cases
    ]
