"""The sync benchmark: agents synced to ElevenLabs through a real Celery worker, against the
sandbox limited to 20 requests a second. Are they all synced, once each, about as fast as the
limit allows?

The agents are made by `agent_create`, the service behind the API, while sync is off in this
process, so each is left pending with nothing queued; that is not timed. Creating them inside
the timed part would add this process's writes, which differ by database, to a figure that is
about the sync. The clock starts when the first sync is handed to the broker by `sync_queue`,
the function a commit calls, and stops when the last agent is marked synced in the database
(the latest `last_synced_at`, written by the worker), so polling adds nothing to it.

Before the clock starts, a few agents of a workspace of their own are synced to warm the
worker up: the first sync in each worker process loads the ElevenLabs SDK's models (about
0.4 s of CPU), a cost of starting a worker, not of syncing. Their requests and agents are
left out of the figures.
"""

import os
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Max
from django.test.utils import override_settings

from agents.services import agent_create
from bench.benchmark import database_version
from bench.sandbox_server import API_KEY, sandbox_server
from bench.seed import agent_config
from bench.worker import Pool, Worker, celery_worker
from deployments.models import SyncState
from elevenlabs_adapter import remote
from elevenlabs_sync.models import AgentSync
from elevenlabs_sync.sync import sync_queue
from workspaces.models import Workspace
from workspaces.roles import Role
from workspaces.services import account_bootstrap

PER_SECOND = 20.0  # the rate limit of the issue
# The product paces itself a little under the account's limit (ELEVENLABS_RATE_LIMIT), as an
# operator would set it: the 5 % margin absorbs the jitter of requests on their way.
PACE = PER_SECOND * 0.95
TIMED_TAG = "bench"  # on the timed agents, here and on the sandbox; the warm-up's differ
WARM_UP_TAG = "warm-up"
AGENTS_PER_TRANSACTION = 100
POLL_SECS = 0.2
PROGRESS_SECS = 10.0


@dataclass(frozen=True)
class SyncOutcome:
    database: str  # engine and version
    agents: int
    pool: Pool
    per_second: float  # the sandbox's rate limit, as it reports it
    burst: int
    created_seconds: float  # making the agents, before the clock starts
    queued_seconds: float  # handing all the syncs to the broker
    total_seconds: float | None  # first sync queued → last agent synced; None: not all were
    # When the sandbox answered the first and the last successful request, after the clock
    # started: with the total, they say where the time beyond the bound went.
    first_success_seconds: float
    last_success_seconds: float
    states: dict[str, int]  # agents by sync state at the end
    statuses: dict[int, int]  # the sandbox's answers while timed, by HTTP status
    sandbox_agents: int  # made by the timed syncs
    remote_duplicates: int  # sandbox agents beyond the first carrying one `switchboard:` tag
    local_duplicates: int  # our agents beyond the first pointing at one ElevenLabs id
    unmatched: int  # our agents whose ElevenLabs agent does not carry their tag
    worker_cpu_seconds: float  # the worker's whole life: start-up and warm-up included
    sandbox_cpu_seconds: float
    load: tuple[float, float]  # 1-minute load average before and after

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def successful_requests(self) -> int:
        return sum(count for status, count in self.statuses.items() if status < 400)

    @property
    def rate_limited(self) -> int:
        return self.statuses.get(429, 0)

    @property
    def other_errors(self) -> int:
        return self.requests - self.successful_requests - self.rate_limited

    @property
    def bound_seconds(self) -> float:
        """The least time the limit allows for the requests the work took: the burst goes at
        once, every other request waits for its token."""
        return max(self.successful_requests - self.burst, 0) / self.per_second

    @property
    def unused_token_seconds(self) -> float:
        """Time beyond the bound between the first and last successful request: moments the
        sandbox had a request's worth of allowance and no request came to use it."""
        span = self.last_success_seconds - self.first_success_seconds
        return span - self.bound_seconds

    @property
    def ratio(self) -> float | None:
        if self.total_seconds is None or not self.bound_seconds:
            return None
        return self.total_seconds / self.bound_seconds


def sync_benchmark(*, agents: int, pool: Pool, broker_url: str, logs: Path) -> SyncOutcome:
    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    workspace, agent_ids = _create_agents(agents, tag=TIMED_TAG)
    created_seconds = time.perf_counter() - started
    warm_up, warm_up_ids = _create_agents(pool.concurrency, tag=WARM_UP_TAG)
    print(f"bench: {agents:,} agents created; starting the sandbox and a worker", flush=True)
    with (
        sandbox_server(per_second=PER_SECOND, log=logs / "sandbox.log") as sandbox,
        celery_worker(
            broker_url=broker_url,
            pool=pool,
            elevenlabs_url=sandbox.url,
            api_key=API_KEY,
            requests_per_second=PACE,
            log=logs / "worker.log",
        ) as worker,
        _sync_on(worker, broker_url),
    ):
        print(f"bench: worker up ({pool.label}); warming it up", flush=True)
        _queue_syncs(warm_up_ids)
        warmed = _wait_for_syncs(warm_up, len(warm_up_ids), timeout=60)
        if warmed.get(SyncState.SYNCED) != len(warm_up_ids):
            raise RuntimeError(f"The worker did not sync the warm-up agents: {warmed}.")
        load_before = os.getloadavg()[0]
        print(f"bench: queueing {agents:,} syncs", flush=True)
        clock = time.time()  # wall clock: compared with the worker's `last_synced_at`
        _queue_syncs(agent_ids)
        queued_seconds = time.time() - clock
        states = _wait_for_syncs(workspace, agents, timeout=3 * agents / PER_SECOND + 60)
        load = (load_before, os.getloadavg()[0])
        remote_state = sandbox.state()
    requests = [request for request in remote_state["requests"] if request["at"] >= clock]
    successes = [request["at"] for request in requests if request["status"] < 400]
    remote_agents = [agent for agent in remote_state["agents"] if TIMED_TAG in agent["tags"]]
    local_agents = list(AgentSync.objects.filter(agent__workspace=workspace))
    return SyncOutcome(
        database=database_version(),
        agents=agents,
        pool=pool,
        per_second=remote_state["rate_limit"]["per_second"],
        burst=remote_state["rate_limit"]["burst"],
        created_seconds=created_seconds,
        queued_seconds=queued_seconds,
        total_seconds=(
            _last_synced(workspace) - clock if states.get(SyncState.SYNCED) == agents else None
        ),
        first_success_seconds=min(successes, default=clock) - clock,
        last_success_seconds=max(successes, default=clock) - clock,
        states=states,
        statuses=dict(Counter(request["status"] for request in requests)),
        sandbox_agents=len(remote_agents),
        remote_duplicates=_duplicates(
            tag
            for agent in remote_agents
            for tag in agent["tags"]
            if tag.startswith(remote.OWNER_TAG_PREFIX)
        ),
        local_duplicates=_duplicates(
            sync.elevenlabs_agent_id for sync in local_agents if sync.exists_on_elevenlabs
        ),
        unmatched=_unmatched(local_agents, remote_agents),
        worker_cpu_seconds=worker.server.cpu_seconds,
        sandbox_cpu_seconds=sandbox.server.cpu_seconds,
        load=load,
    )


def _create_agents(count: int, *, tag: str) -> tuple[Workspace, list[int]]:
    """`count` agents made by the service in a workspace named for `tag`, pending, with no
    sync queued: sync is off in this process."""
    membership, _ = account_bootstrap(
        workspace_name=f"Bench sync: {tag}", username="bench-sync", role=Role.ADMIN
    )
    agent_ids: list[int] = []
    for first in range(0, count, AGENTS_PER_TRANSACTION):
        with transaction.atomic():  # a commit per agent would time SQLite's fsyncs
            agent_ids += [
                agent_create(
                    workspace=membership.workspace,
                    actor=membership.user,
                    name=f"Sync agent {number:05d}",
                    tags=[tag],
                    config=agent_config(number, 1),
                ).pk
                for number in range(first, min(first + AGENTS_PER_TRANSACTION, count))
            ]
    return membership.workspace, agent_ids


@contextmanager
def _sync_on(worker: Worker, broker_url: str) -> Iterator[None]:
    """Sync on in this process, with Celery sending to the worker's queue. This process has
    sent no task before (sync was off), so Celery sets its producer and routes up with these
    settings when the first sync is queued."""
    with override_settings(
        ELEVENLABS_API_KEY=API_KEY,
        CELERY_BROKER_URL=broker_url,
        CELERY_TASK_ALWAYS_EAGER=False,
        CELERY_TASK_DEFAULT_QUEUE=worker.queue,
    ):
        yield


def _queue_syncs(agent_ids: list[int]) -> None:
    """Queue each agent's sync as the commit that asked for it would."""
    for agent_id in agent_ids:
        sync_queue(agent_id)


def _wait_for_syncs(workspace: Workspace, total: int, *, timeout: float) -> dict[str, int]:
    """Poll until every agent is synced or failed, or `timeout` seconds pass; the states."""
    started = time.monotonic()
    progress_at = started + PROGRESS_SECS
    while True:
        states = dict(
            AgentSync.objects.filter(agent__workspace=workspace)
            .order_by()  # no default ordering in the GROUP BY
            .values_list("state")
            .annotate(count=Count("pk"))
        )
        done = states.get(SyncState.SYNCED, 0) + states.get(SyncState.FAILED, 0)
        now = time.monotonic()
        if done >= total or now - started > timeout:
            return states
        if now >= progress_at:
            print(
                f"bench: {now - started:.0f} s, {states.get(SyncState.SYNCED, 0):,} of "
                f"{total:,} synced, {states.get(SyncState.FAILED, 0):,} failed",
                flush=True,
            )
            progress_at += PROGRESS_SECS
        time.sleep(POLL_SECS)


def _last_synced(workspace: Workspace) -> float:
    last = AgentSync.objects.filter(agent__workspace=workspace).aggregate(
        last=Max("last_synced_at")
    )
    return last["last"].timestamp()


def _duplicates(keys: Iterable[str]) -> int:
    return sum(count - 1 for count in Counter(keys).values())


def _unmatched(local_agents: list[AgentSync], remote_agents: list[dict]) -> int:
    tags_by_id = {agent["agent_id"]: set(agent["tags"]) for agent in remote_agents}
    return sum(
        remote.owner_tag(sync.owner_key) not in tags_by_id.get(sync.elevenlabs_agent_id, set())
        for sync in local_agents
    )
