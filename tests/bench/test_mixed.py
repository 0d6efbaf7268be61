"""The mixed-load benchmark's pieces: the mix it sends, the open-loop generator's client, and
the goals its report holds a run to. The run itself is `make bench` (minutes, PostgreSQL)."""

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.load import TIMED_OUT, Request, Run, Sample, open_loop
from bench.mix import LIST_QUERIES, Mix
from bench.mixed import MixedOutcome, Soak, Step
from bench.mixed_report import MixedReport
from bench.observe import Watch
from bench.seed import Seeded

# --- the mix ------------------------------------------------------------------------------


def mix() -> Mix:
    return Mix(
        agent_ids=list(range(1, 101)),
        deploy_ids=[7, 8, 9],
        list_counts=dict.fromkeys(LIST_QUERIES, 120),
    )


def test_the_mix_sends_the_issues_shares():
    kinds = Counter(request.kind for request in mix().take(2000))

    assert kinds == {
        "agent list": 1400,
        "agent detail": 300,
        "changelog": 100,
        "test-result write": 100,
        "deploy (testing ↔ draft)": 100,
    }


def test_lists_ask_only_for_pages_that_exist():
    lists = [request.path for request in mix().take(2000) if request.kind == "agent list"]

    for path in lists:
        params = dict(part.split("=") for part in path.split("?")[1].split("&"))
        assert 1 <= int(params["page"]) * int(params["page_size"]) < 120 + int(params["page_size"])
    assert len({path.split("page=")[0] for path in lists}) > len(LIST_QUERIES)  # sizes vary too


def test_deploys_take_each_agent_to_draft_then_back_to_testing():
    deploys = [request for request in mix().take(200) if request.kind.startswith("deploy")]

    moves = [(request.path, json.loads(request.body)["status"]) for request in deploys[:6]]
    assert moves == [
        ("/api/agents/7/deploy", "draft"),
        ("/api/agents/8/deploy", "draft"),
        ("/api/agents/9/deploy", "draft"),
        ("/api/agents/7/deploy", "testing"),
        ("/api/agents/8/deploy", "testing"),
        ("/api/agents/9/deploy", "testing"),
    ]


# --- the generator's client ---------------------------------------------------------------


@pytest.fixture
def held_server():
    """A server that holds every request until `release` is set, answering the path's status
    (`/201` → 201) with a chunked body for `/chunked`; `arrived` counts requests received."""
    release, arrived, lock = threading.Event(), [], threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the app's server speaks

        def do_GET(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                arrived.append(self.path)
            release.wait(timeout=30)
            if self.path == "/chunked":
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.write(b"5\r\nhello\r\n0\r\n\r\n")
                return
            body = b'{"ok": true}'
            self.send_response(int(self.path.strip("/") or 200))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    yield server, release, arrived
    release.set()
    server.shutdown()
    server.server_close()


def test_the_open_loop_sends_on_schedule_without_waiting_for_answers(held_server):
    server, release, arrived = held_server
    requests = [Request("probe", "GET", "/200")] * 10
    outcome: list[Run] = []
    sender = threading.Thread(
        target=lambda: outcome.append(
            open_loop(
                host="127.0.0.1", port=server.server_port, headers={}, requests=requests, rate=50
            )
        )
    )
    sender.start()
    # No answer has been given, yet every request reaches the server.
    for _ in range(300):
        if len(arrived) == len(requests):
            break
        time.sleep(0.01)
    all_arrived_unanswered = len(arrived) == len(requests)
    release.set()
    sender.join(timeout=30)

    assert all_arrived_unanswered
    assert [sample.status for sample in outcome[0].samples] == [200] * 10


def test_the_client_reads_statuses_and_both_kinds_of_body(held_server):
    server, release, _ = held_server
    release.set()
    requests = [
        Request("created", "POST", "/201", b"{}"),
        Request("chunked", "GET", "/chunked"),
        Request("missing", "GET", "/404"),
    ]

    run = open_loop(
        host="127.0.0.1", port=server.server_port, headers={}, requests=requests, rate=20
    )

    assert [(sample.kind, sample.status) for sample in run.samples] == [
        ("created", 201),
        ("chunked", 200),
        ("missing", 404),
    ]


def test_a_server_that_is_not_there_counts_as_errors(held_server):
    server, _, _ = held_server
    port = server.server_port
    server.shutdown()
    server.server_close()

    run = open_loop(
        host="127.0.0.1", port=port, headers={}, requests=[Request("x", "GET", "/")], rate=10
    )

    assert [sample.status for sample in run.samples] == [TIMED_OUT]


# --- the report's goals -------------------------------------------------------------------


def step(rate: float, *, latency: float = 0.02, status: int = 200, count: int = 100) -> Step:
    samples = [Sample("agent list", index / rate, latency, status) for index in range(count)]
    return Step(rate, Run(samples, seconds=count / rate, cpu_seconds=0.1), server_cpu_seconds=2.0)


def report(*, steps=None, soak_growth=(100.0, 104.0), connections=8, soak_step=None):
    first, last = soak_growth
    watch = Watch(
        connections=[(0.0, connections)],
        memory={41: [(0.0, first), (30.0, first), (270.0, last), (300.0, last)]},
    )
    seeded = Seeded("key", [1, 2], [2], 3, 4, 10.0, {})
    ceiling = Run([Sample("liveness", 0.0, 0.01, 200)] * 2000, seconds=10.0, cpu_seconds=0.5)
    outcome = MixedOutcome(
        database="PostgreSQL 15",
        seeded=seeded,
        workers=2,
        pool_max=4,
        command=["python", "-m", "uvicorn", "config.asgi:application", "--workers", "2"],
        ceiling=ceiling,  # 200 requests a second
        ceiling_server_ms=4.0,
        saturation=ceiling,
        steps=steps if steps is not None else [step(100.0), step(120.0, latency=0.3)],
        soak=Soak(soak_step or step(50.0, count=300), watch, sessions=3),
        most_connections=connections,
        load=(1.0, 1.0),
        step_seconds=60.0,
    )
    return MixedReport(outcome=outcome, command="make bench", database="app_bench")


def test_a_run_that_holds_every_goal_is_met():
    met = report()

    assert met.failures() == []
    assert "**100.0 requests/s** (goal ≥ 100), 50% of the ceiling" in met.markdown()
    assert "Goal met." in met.markdown()


@pytest.mark.parametrize(
    ("kwargs", "failure"),
    [
        ({"steps": [step(60.0)]}, "the mix's best rate is 60.0 requests/s (goal ≥ 100)"),
        ({"steps": [step(100.0, status=500)]}, "no rate of the mix met p99 < 100 ms with no error"),
        (
            {"steps": [step(100.0, latency=0.1)]},
            "no rate of the mix met p99 < 100 ms with no error",
        ),
        ({"connections": 9}, "the server held 9 PostgreSQL connections (bound 8)"),
        ({"soak_growth": (100.0, 111.0)}, "a process grew more than 10 MiB in the soak"),
        ({"soak_step": step(50.0, status=TIMED_OUT)}, "100 errors during the soak"),
    ],
)
def test_a_missed_goal_is_named(kwargs, failure):
    missed = report(**kwargs)

    assert failure in missed.failures()
    assert "Goal **missed**" in missed.markdown()
