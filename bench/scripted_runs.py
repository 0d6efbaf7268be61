"""Scripted test runs through two workers: 200 runs of a five-turn scripted conversation,
queued by `run_start` and run by a real Celery worker of two processes (PostgreSQL, Redis)
against the sandbox. How many runs a second, how long is a run, and what does Switchboard add
to each turn?

The agent is text-only in testing (its `platform_settings` allow the `text_only` override,
which a scripted run asks for), as a CI suite's agent would be: its replies come without
audio, so a turn ends when the reply is in and not when the sandbox's paced audio (a chunk
every 200 ms) stops. What is measured is then Switchboard's work and the sandbox's answer, not
the pace of speech the sandbox imitates.

"Switchboard's overhead per turn" is measured against a baseline: a bare WebSocket client
(the `websockets` library the product uses, nothing of Switchboard's) holding the same
conversation against the same sandbox, from a signed URL: the same initiation, the same five
`user_message`s, each turn timed from its message sent to the `agent_response` received, as
the worker times it (`latencies_ms`); 200 conversations, two at a time in two processes as
the two worker processes hold theirs, half before the runs and half after. A scripted run
holds no relay (the worker is the caller itself), so what Switchboard adds is its client's
work within a turn (the difference in reply latency) and, per run, everything around the
conversation: claiming the run, reading the config tested from ElevenLabs, the signed URL, the
conversation's record and transcript, the verdict and the gate's evidence (the run's time
minus its conversation's).

The clock starts when the 200 runs, created in one transaction (not timed, as a script
queueing them through the API would have done beforehand), are committed and their tasks
handed to the broker; it stops at the last run's `finished_at`, written by the worker. Each
run, as it closes its conversation, queues a task reading ElevenLabs' record of it back; those
queue behind the runs, and are waited for and counted apart. Before the clock starts, a few
runs warm the worker processes up (the first run in a process loads the ElevenLabs SDK's
models), and two bare conversations warm the sandbox.
"""

import json
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from django.core.management import call_command
from django.db import transaction
from django.db.models import Max, QuerySet
from django.test.utils import override_settings
from websockets.sync.client import ClientConnection, connect

from bench.benchmark import database_version
from bench.measure import percentile
from bench.observe import cpu_seconds, process_tree, sessions_opened
from bench.sandbox_server import API_KEY, Sandbox, sandbox_server
from bench.seed import agent_config
from bench.worker import Pool, Worker, celery_worker

# Two worker processes, as the issue asks: a prefork worker of two, which is also the worker
# `make worker` runs on two cores.
POOL = Pool("prefork", 2, "two worker processes, as the issue asks (`make worker` on two cores)")
WARM_UP_RUNS = 2 * POOL.concurrency  # so each process very likely takes one
CUSTOMER = "Ada"
# Five turns, each with what the sandbox's reply must show (it quotes the user and the start
# of the agent's prompt: sandbox/conversation_rules.py), and a reply in time.
TURN_LATENCY_LIMIT_MS = 5_000
SCRIPT: dict[str, Any] = {
    "dynamic_variables": {"customer_name": CUSTOMER},
    "turns": [
        {
            "user": "Hi, I am {{customer_name}} and I would like an appointment.",
            "expect": [{"contains": f"I am {CUSTOMER}"}, {"max_latency_ms": TURN_LATENCY_LIMIT_MS}],
        },
        {
            "user": "Is Tuesday at 10:00 free?",
            "expect": [{"matches": r"Tuesday at 10:00"}, {"max_latency_ms": TURN_LATENCY_LIMIT_MS}],
        },
        {
            "user": "Can my daughter come along?",
            "expect": [
                {"contains": "daughter"},
                {"not_contains": "medical advice"},
                {"max_latency_ms": TURN_LATENCY_LIMIT_MS},
            ],
        },
        {
            "user": "Please confirm the booking.",
            "expect": [
                {"contains": "You book appointments"},
                {"max_latency_ms": TURN_LATENCY_LIMIT_MS},
            ],
        },
        {
            "user": "Thanks, that is all for today.",
            "expect": [{"contains": "that is all"}, {"max_latency_ms": TURN_LATENCY_LIMIT_MS}],
        },
    ],
}
TURNS = len(SCRIPT["turns"])
# What a text-only agent in testing allows: the override a scripted run asks for.
TEXT_ONLY = {"overrides": {"conversation_config_override": {"conversation": {"text_only": True}}}}
# The worker's settings: the product's, but tasks it queues itself go to the queue it listens
# on (bench/runs_worker_settings.py says why).
WORKER_SETTINGS = "bench.runs_worker_settings"
POLL_SECS = 0.2
PROGRESS_SECS = 10.0
TURN_TIMEOUT_SECS = 30.0  # the bare client's, as the product's default TEST_TURN_TIMEOUT
STATISTICS_FLUSH_SECS = 1.5  # for PostgreSQL's statistics to count the last sessions
SHOWN_FAILURES = 5


@dataclass(frozen=True)
class TimedRun:
    """One timed run, as the worker recorded it."""

    run_id: int
    status: str
    reason: str  # why it failed or erred, with its attempts' reasons
    started: float | None  # started_at, as a Unix time; None: never started
    finished: float | None  # finished_at, the same
    conversation_seconds: float | None  # its attempt's conversation, connect → closed
    latencies_ms: tuple[float, ...]  # each turn's, message sent → reply received

    @property
    def seconds(self) -> float | None:
        """started_at → finished_at, both written by the worker."""
        if self.started is None or self.finished is None:
            return None
        return self.finished - self.started

    @property
    def outside_seconds(self) -> float | None:
        """The run's time around its conversation: claim, config, records, verdict."""
        if self.seconds is None or self.conversation_seconds is None:
            return None
        return self.seconds - self.conversation_seconds


@dataclass(frozen=True)
class BareConversation:
    """One conversation of the baseline: a bare client, straight to the sandbox."""

    url_seconds: float  # the signed URL's request
    seconds: float  # connect → five replies → closed
    latencies_ms: tuple[float, ...]
    problem: str = ""  # what went wrong, if anything
    cpu_seconds: float = 0.0  # its process's, signed URL and conversation


@dataclass(frozen=True)
class Baseline:
    conversations: list[BareConversation]
    seconds: float  # first conversation opened → last closed (each part's, added up)
    client_cpu_seconds: float  # the client processes', their conversations added up
    sandbox_cpu_seconds: float

    @property
    def latencies_ms(self) -> list[float]:
        return [ms for conversation in self.conversations for ms in conversation.latencies_ms]

    def joined(self, other: "Baseline") -> "Baseline":
        """Both parts of the baseline as one: their conversations, seconds and CPU added up."""
        return Baseline(
            conversations=[*self.conversations, *other.conversations],
            seconds=self.seconds + other.seconds,
            client_cpu_seconds=self.client_cpu_seconds + other.client_cpu_seconds,
            sandbox_cpu_seconds=self.sandbox_cpu_seconds + other.sandbox_cpu_seconds,
        )

    @property
    def problems(self) -> list[str]:
        return [c.problem for c in self.conversations if c.problem]


@dataclass(frozen=True)
class RunsOutcome:
    database: str
    runs: list[TimedRun]
    turns: int  # a run's
    pool: Pool
    created_seconds: float  # run_start for each, in one transaction: not timed
    queued_seconds: float  # the commit, handing every task to the broker: timed
    total_seconds: float | None  # commit → last run finished; None: not all finished
    worker_cpu_seconds: float  # the worker's processes, over the timed part
    sandbox_cpu_seconds: float  # the sandbox's, over the timed part
    baseline: Baseline
    load: tuple[float, float]  # 1-minute load average before and after the timed part
    worker_processes: int = 0  # the worker's main process and its children, as measured
    # PostgreSQL sessions opened on the benchmark's database from the commit until the runs
    # and their read-backs had finished (every one of them the worker's); None on SQLite.
    sessions_opened: int | None = None
    # Each run's conversation read back from ElevenLabs afterwards, by a task of its own that
    # the run queues as it closes the conversation (behind the runs queued before it):
    # how many were, the last run's finish → the last read back (None: not all were), and
    # the worker's CPU meanwhile.
    read_backs: int = 0
    read_back_seconds: float | None = None
    read_back_cpu_seconds: float = 0.0

    @property
    def tasks(self) -> int:
        """The worker's tasks in the timed part: the runs and their read-backs."""
        return len(self.runs) + self.read_backs

    @property
    def statuses(self) -> dict[str, int]:
        return dict(Counter(run.status for run in self.runs))

    @property
    def passed(self) -> int:
        return self.statuses.get("passed", 0)

    @property
    def not_passed(self) -> list[TimedRun]:
        return [run for run in self.runs if run.status != "passed"]

    @property
    def throughput(self) -> float | None:
        """Runs finished a second, over the timed part."""
        return len(self.runs) / self.total_seconds if self.total_seconds else None

    def run_ms(self, percent: float) -> float:
        return _ms(percentile_or_nan([run.seconds for run in self.runs], percent))

    def conversation_ms(self, percent: float) -> float:
        return _ms(percentile_or_nan([run.conversation_seconds for run in self.runs], percent))

    def outside_ms(self, percent: float) -> float:
        return _ms(percentile_or_nan([run.outside_seconds for run in self.runs], percent))

    def between_runs_ms(self, percent: float) -> float:
        return _ms(percentile_or_nan(between_runs(self.runs), percent))

    @property
    def latencies_ms(self) -> list[float]:
        return [ms for run in self.runs for ms in run.latencies_ms]

    def turn_ms(self, percent: float) -> float:
        return percentile_or_nan(self.latencies_ms, percent)

    def bare_turn_ms(self, percent: float) -> float:
        return percentile_or_nan(self.baseline.latencies_ms, percent)

    def bare_conversation_ms(self, percent: float) -> float:
        seconds = [conversation.seconds for conversation in self.baseline.conversations]
        return _ms(percentile_or_nan(seconds, percent))

    def bare_url_ms(self, percent: float) -> float:
        seconds = [conversation.url_seconds for conversation in self.baseline.conversations]
        return _ms(percentile_or_nan(seconds, percent))

    def added_turn_ms(self, percent: float) -> float:
        """What Switchboard adds to a turn's reply latency, at a percentile."""
        return self.turn_ms(percent) - self.bare_turn_ms(percent)

    @property
    def added_per_turn_ms(self) -> float:
        """What Switchboard adds to a turn all in, at the median: the run's time beyond a bare
        client's signed URL and conversation, over the run's turns."""
        return per_turn_overhead_ms(
            run_ms=self.run_ms(50),
            bare_ms=self.bare_url_ms(50) + self.bare_conversation_ms(50),
            turns=self.turns,
        )

    @property
    def worker_cpu_ms_per_turn(self) -> float:
        return cpu_ms_per(self.worker_cpu_seconds, len(self.runs) * self.turns)

    @property
    def client_cpu_ms_per_turn(self) -> float:
        return cpu_ms_per(self.baseline.client_cpu_seconds, len(self.baseline.latencies_ms))


def between_runs(runs: list[TimedRun]) -> list[float]:
    """Seconds a worker process spent between two runs: from a run's finish to the start of
    the next one. Which process ran which run is not recorded, so each start is paired with
    the earliest finish not yet paired before it: the sum is exact, each gap nearly so. The
    first runs, started by idle processes, and the last, followed by none, have no gap."""
    events = sorted(
        [(run.finished, 0) for run in runs if run.finished is not None]
        + [(run.started, 1) for run in runs if run.started is not None]
    )
    waiting: list[float] = []  # finishes not yet followed by a start, oldest first
    gaps = []
    for moment, kind in events:
        if kind == 0:
            waiting.append(moment)
        elif waiting:
            gaps.append(moment - waiting.pop(0))
    return gaps


def per_turn_overhead_ms(*, run_ms: float, bare_ms: float, turns: int) -> float:
    """The time a run takes beyond a bare client's, spread over its turns."""
    return (run_ms - bare_ms) / turns


def cpu_ms_per(seconds: float, count: int) -> float:
    return seconds * 1000 / count if count else float("nan")


def percentile_or_nan(samples: list[float | None] | list[float], percent: float) -> float:
    """The nearest-rank percentile of the samples known; NaN when none is."""
    known = [sample for sample in samples if sample is not None]
    return percentile(known, percent) if known else float("nan")


def _ms(seconds: float) -> float:
    return seconds * 1000


# --- the run ------------------------------------------------------------------------------


def runs_benchmark(*, runs: int, broker_url: str, logs: Path) -> RunsOutcome:
    call_command("migrate", verbosity=0, interactive=False)
    with sandbox_server(per_second=0, log=logs / "sandbox.log") as sandbox, ExitStack() as stack:
        seeded = _seed(sandbox)
        print("bench: agent in testing on the sandbox; starting two worker processes", flush=True)
        with _environ(DJANGO_SETTINGS_MODULE=WORKER_SETTINGS):
            worker = stack.enter_context(
                celery_worker(
                    broker_url=broker_url,
                    pool=POOL,
                    elevenlabs_url=sandbox.url,
                    api_key=API_KEY,
                    requests_per_second=0,  # no pacing: the sandbox has no limit here
                    log=logs / "worker.log",
                )
            )
        stack.enter_context(_tasks_to(worker, broker_url))
        print(f"bench: worker up ({POOL.label}); warming it up", flush=True)
        warm = _queue_runs(seeded, WARM_UP_RUNS)[0]
        _wait_for_runs(warm, timeout=120)
        warmed = _timed_runs(warm)
        if any(run.status != "passed" for run in warmed):
            raise RuntimeError(f"The warm-up runs did not pass: {_failures(warmed)}")
        _wait_for_read_backs(warm, timeout=120)
        _run_bare(sandbox, seeded, 2)
        # The baseline's conversations are held half before the runs and half after, so a
        # change in what else loads the machine weighs on both sides alike.
        print(f"bench: {runs // 2} bare conversations, two at a time (baseline)", flush=True)
        before = _run_bare(sandbox, seeded, runs // 2)
        load_before = os.getloadavg()[0]
        worker_pids = process_tree(worker.server.process.pid)
        sandbox_pid = sandbox.server.process.pid
        worker_cpu, sandbox_cpu = cpu_seconds(worker_pids), cpu_seconds([sandbox_pid])
        sessions_before = _sessions()
        print(f"bench: queueing {runs} runs of {TURNS} turns", flush=True)
        run_ids, created_seconds, clock, queued_seconds = _queue_runs(seeded, runs)
        finished = _wait_for_runs(run_ids, timeout=max(120.0, 2.0 * runs))
        worker_cpu, read_back_cpu = cpu_seconds(worker_pids) - worker_cpu, cpu_seconds(worker_pids)
        sandbox_cpu = cpu_seconds([sandbox_pid]) - sandbox_cpu
        load = (load_before, os.getloadavg()[0])
        print("bench: runs done; waiting for their conversations to be read back", flush=True)
        read_back = _wait_for_read_backs(run_ids, timeout=max(120.0, 1.0 * runs))
        read_back_cpu = cpu_seconds(worker_pids) - read_back_cpu
        print(f"bench: {runs - runs // 2} more bare conversations (baseline)", flush=True)
        after = _run_bare(sandbox, seeded, runs - runs // 2)
        # Read after the baseline's second part, so that the sessions the worker opened
        # have reached PostgreSQL's statistics (flushed within a second or so); the bare
        # conversations open none.
        time.sleep(STATISTICS_FLUSH_SECS)
        sessions_after = _sessions()
    baseline = before.joined(after)
    timed = _timed_runs(run_ids)
    last_finished = _last_finished(run_ids) if finished else None
    read_backs, last_read_back = _read_backs(run_ids)
    return RunsOutcome(
        database=database_version(),
        runs=timed,
        turns=TURNS,
        pool=POOL,
        created_seconds=created_seconds,
        queued_seconds=queued_seconds,
        total_seconds=None if last_finished is None else last_finished - clock,
        worker_cpu_seconds=worker_cpu,
        sandbox_cpu_seconds=sandbox_cpu,
        baseline=baseline,
        load=load,
        worker_processes=len(worker_pids),
        sessions_opened=(
            None
            if sessions_before is None or sessions_after is None
            else sessions_after - sessions_before
        ),
        read_backs=read_backs,
        read_back_seconds=(
            last_read_back - last_finished
            if read_back and last_finished is not None and last_read_back is not None
            else None
        ),
        read_back_cpu_seconds=read_back_cpu,
    )


@dataclass(frozen=True)
class _Seeded:
    agent_id: int
    actor_id: int
    elevenlabs_agent_id: str
    branch_id: str


def _seed(sandbox: Sandbox) -> _Seeded:
    """An admin's workspace with one text-only agent deployed to testing and synced to the
    sandbox, and its one scripted test.

    Made with sync off, then synced by calling the sync service here: through a task, even
    run eagerly, Celery would settle its configuration in this process for good, and the runs'
    tasks would not reach the broker (`_tasks_to`)."""
    from agents.models import Status
    from agents.services import agent_create
    from deployments.services import deployment_create
    from elevenlabs_sync.models import AgentSync
    from elevenlabs_sync.sync import agent_sync
    from testruns.suites import agent_test_create
    from workspaces.roles import Role
    from workspaces.services import account_bootstrap

    config = {**agent_config(1, 1), "platform_settings": TEXT_ONLY}
    admin, _ = account_bootstrap(
        workspace_name="Bench runs", username="bench-runs-admin", role=Role.ADMIN
    )
    agent = agent_create(
        workspace=admin.workspace, actor=admin.user, name="Scripted agent", config=config
    )
    deployment_create(agent=agent, to_status=Status.TESTING, changes="", actor=admin.user)
    agent_test_create(
        agent=agent, actor=admin.user, name="books", kind="scripted", definition=SCRIPT
    )
    with override_settings(ELEVENLABS_API_KEY=API_KEY, ELEVENLABS_BASE_URL=sandbox.url):
        outcome = agent_sync(agent_id=agent.pk)
    sync = AgentSync.objects.get(pk=agent.pk)
    if outcome != "synced" or not sync.testing_branch_id:
        raise RuntimeError(
            f"The agent did not reach testing on the sandbox ({outcome}): {sync.last_error}"
        )
    return _Seeded(agent.pk, admin.user.pk, sync.elevenlabs_agent_id, sync.testing_branch_id)


@contextmanager
def _environ(**values: str) -> Iterator[None]:
    """These environment variables set for the block (for a process started in it)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _tasks_to(worker: Worker, broker_url: str) -> Iterator[None]:
    """Tasks this process queues go to the worker's queue on the broker, not run eagerly.
    Celery reads these settings when this process queues its first task, and keeps them."""
    with override_settings(
        CELERY_BROKER_URL=broker_url,
        CELERY_TASK_ALWAYS_EAGER=False,
        CELERY_TASK_DEFAULT_QUEUE=worker.queue,
    ):
        yield


def _queue_runs(seeded: _Seeded, count: int) -> tuple[list[int], float, float, float]:
    """`count` runs made by `run_start` in one transaction, queued at its commit: their ids,
    the seconds making them took, when the commit began (time.time()), and the seconds the
    commit with its queueing took."""
    from django.contrib.auth import get_user_model

    from agents.models import VoiceAgent
    from elevenlabs_sync.test_runs import run_start

    agent = VoiceAgent.objects.select_related("workspace").get(pk=seeded.agent_id)
    actor = get_user_model().objects.get(pk=seeded.actor_id)
    started = time.perf_counter()
    with transaction.atomic():
        run_ids = [run_start(agent=agent, actor=actor).pk for _ in range(count)]
        created = time.perf_counter() - started
        clock = time.time()  # wall clock: compared with the worker's `finished_at`
    return run_ids, created, clock, time.time() - clock


def _wait_for_runs(run_ids: list[int], *, timeout: float) -> bool:
    """Poll until every run has finished, or `timeout` seconds pass; whether they all did."""
    from testruns.models import RUN_FINISHED, TestRun

    started = time.monotonic()
    progress_at = started + PROGRESS_SECS
    while True:
        done = TestRun.objects.filter(pk__in=run_ids, status__in=RUN_FINISHED).count()
        now = time.monotonic()
        if done >= len(run_ids):
            return True
        if now - started > timeout:
            return False
        if now >= progress_at:
            print(f"bench: {now - started:.0f} s, {done} of {len(run_ids)} runs done", flush=True)
            progress_at += PROGRESS_SECS
        time.sleep(POLL_SECS)


def _timed_runs(run_ids: list[int]) -> list[TimedRun]:
    from testruns.models import TestAttempt, TestRun

    attempts: dict[int, list[TestAttempt]] = {}
    for attempt in TestAttempt.objects.filter(run_id__in=run_ids).order_by("run_id", "number"):
        attempts.setdefault(attempt.run_id, []).append(attempt)
    timed = []
    for run in TestRun.objects.filter(pk__in=run_ids).order_by("pk"):
        mine = attempts.get(run.pk, [])
        reasons = [reason for attempt in mine for reason in attempt.reasons]
        conversation = [attempt.seconds for attempt in mine if attempt.seconds is not None]
        timed.append(
            TimedRun(
                run_id=run.pk,
                status=run.status,
                reason=" ".join([run.reason, *reasons]).strip(),
                started=run.started_at.timestamp() if run.started_at else None,
                finished=run.finished_at.timestamp() if run.finished_at else None,
                conversation_seconds=sum(conversation) if conversation else None,
                latencies_ms=tuple(ms for attempt in mine for ms in attempt.latencies_ms),
            )
        )
    return timed


def _wait_for_read_backs(run_ids: list[int], *, timeout: float) -> bool:
    """Poll until every run's conversation has been read back from ElevenLabs, or `timeout`
    seconds pass; whether they all were."""
    started = time.monotonic()
    while True:
        read_backs, _ = _read_backs(run_ids)
        if read_backs >= _conversations(run_ids).count():
            return True
        if time.monotonic() - started > timeout:
            return False
        time.sleep(POLL_SECS)


def _conversations(run_ids: list[int]) -> QuerySet:
    from testruns.models import Conversation

    return Conversation.objects.filter(attempts__run_id__in=run_ids)


def _read_backs(run_ids: list[int]) -> tuple[int, float | None]:
    """How many of the runs' conversations have been read back, and when the last was."""
    read = _conversations(run_ids).filter(reconciled_at__isnull=False)
    last = read.aggregate(last=Max("reconciled_at"))["last"]
    return read.count(), last.timestamp() if last else None


def _last_finished(run_ids: list[int]) -> float:
    from testruns.models import TestRun

    last = TestRun.objects.filter(pk__in=run_ids).aggregate(last=Max("finished_at"))["last"]
    return last.timestamp()


def _sessions() -> int | None:
    """Sessions PostgreSQL has opened on the benchmark's database so far; None on SQLite."""
    from django.db import connection
    from psycopg.conninfo import make_conninfo

    if connection.vendor != "postgresql":
        return None
    database = connection.settings_dict
    params = {
        "dbname": database["NAME"],
        "user": database.get("USER"),
        "password": database.get("PASSWORD"),
        "host": database.get("HOST"),
        "port": database.get("PORT"),
    }
    conninfo = make_conninfo("", **{key: str(value) for key, value in params.items() if value})
    return sessions_opened(conninfo, database["NAME"])


def _failures(runs: list[TimedRun]) -> str:
    return "; ".join(f"run {run.run_id} {run.status}: {run.reason}" for run in runs[:3])


# --- the baseline: a bare client ----------------------------------------------------------


def _run_bare(sandbox: Sandbox, seeded: _Seeded, count: int) -> Baseline:
    """`count` bare conversations, two at a time in two processes, as the two worker
    processes hold theirs. Forked: the bare client touches nothing of Django, nor the
    database connections the children inherit."""
    sandbox_pid = sandbox.server.process.pid
    job = (sandbox.url, seeded.elevenlabs_agent_id, seeded.branch_id)
    context = multiprocessing.get_context("fork")
    sandbox_cpu = cpu_seconds([sandbox_pid])
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=POOL.concurrency, mp_context=context) as pool:
        conversations = list(pool.map(_bare_in_child, [job] * count))
    return Baseline(
        conversations=conversations,
        seconds=time.perf_counter() - started,
        client_cpu_seconds=sum(conversation.cpu_seconds for conversation in conversations),
        sandbox_cpu_seconds=cpu_seconds([sandbox_pid]) - sandbox_cpu,
    )


_clients: dict[str, httpx.Client] = {}  # a child process's own, by the sandbox's URL


def _bare_in_child(job: tuple[str, str, str]) -> BareConversation:
    url, agent_id, branch_id = job
    if url not in _clients:
        _clients[url] = httpx.Client(base_url=url, headers={"xi-api-key": API_KEY}, timeout=30)
    return bare_conversation(_clients[url], agent_id, branch_id)


def bare_conversation(http: httpx.Client, agent_id: str, branch_id: str) -> BareConversation:
    """The scripted run's conversation, held by a client with nothing of Switchboard's: a
    signed URL, the same initiation, the same five messages, each reply awaited."""
    cpu = time.process_time()
    started = time.monotonic()
    response = http.get(
        "v1/convai/conversation/get-signed-url",
        params={"agent_id": agent_id, "branch_id": branch_id},
    )
    response.raise_for_status()
    url = str(response.json()["signed_url"])
    url_seconds = time.monotonic() - started
    started = time.monotonic()
    latencies: list[float] = []
    problem = ""
    try:
        with connect(url, open_timeout=10, max_size=None, compression=None) as socket:
            initiation = {
                "type": "conversation_initiation_client_data",
                "dynamic_variables": SCRIPT["dynamic_variables"],
                "conversation_config_override": {"conversation": {"text_only": True}},
            }
            socket.send(json.dumps(initiation))
            _reply(socket)  # the agent's first message
            for turn in SCRIPT["turns"]:
                text = bare_user_text(turn)
                socket.send(json.dumps({"type": "user_message", "text": text}))
                sent = time.monotonic()
                _reply(socket)
                latencies.append((time.monotonic() - sent) * 1000)
    except Exception as error:  # counted, and reported as the baseline's problem
        problem = f"{type(error).__name__}: {error}"
    return BareConversation(
        url_seconds=url_seconds,
        seconds=time.monotonic() - started,
        latencies_ms=tuple(latencies),
        problem=problem,
        cpu_seconds=time.process_time() - cpu,
    )


def bare_user_text(turn: dict) -> str:
    """A turn's text with the script's variables filled in, as the worker says it."""
    text = str(turn["user"])
    for name, value in SCRIPT["dynamic_variables"].items():
        text = text.replace("{{" + name + "}}", str(value))
    return text


def _reply(socket: ClientConnection) -> dict:
    """Read until the agent's reply, answering pings; the reply."""
    while True:
        message = json.loads(socket.recv(timeout=TURN_TIMEOUT_SECS))
        kind = message.get("type")
        if kind == "agent_response":
            return message
        if kind == "ping":
            event_id = (message.get("ping_event") or {}).get("event_id")
            socket.send(json.dumps({"type": "pong", "event_id": event_id}))
        elif kind == "error":
            raise RuntimeError(f"The sandbox refused the conversation: {message}")
