"""`python -m bench` (or `make bench`): time the API, the web UI and the sync, print, record
in docs/benchmarks.md.

Exits 1 when a goal is missed: the agent list's median more than 1.5 times the bare DRF
baseline's, or a query count that changes with the rows involved; the web UI's dashboard over
500 agents slower than 150 ms (median), or its query count changing with the page, filter or
workspace size; or agents synced through a worker not all synced, duplicated, or more than 1.3
times slower than the rate limit allows; or the mixed load on the production topology
(PostgreSQL only) sustaining less than 100 requests/s with p99 under 100 ms and no error
(bench/mixed.py says why a rate and not a share of the no-database ceiling), or its soak
growing in memory, failing requests or holding more PostgreSQL connections than the pools
allow; or a scripted test run through two workers (PostgreSQL only) that did not pass. A part
skipped for want of Redis (or, for the mixed load and the test runs, PostgreSQL) is not a miss.
"""

import argparse
import importlib.util
import os
import shlex
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import django

from bench import THROTTLE_ENV
from bench.database import BASE_DIR, BenchDatabase, bench_database, redacted
from bench.worker import POOLS

DOCS = BASE_DIR / "docs" / "benchmarks.md"
UI_SMALL_AGENTS = 50  # bench.ui.SMALL_AGENTS, which cannot be imported before Django is set up
PARTS = ("api", "ui", "sync", "mixed", "relay", "runs")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only",
        choices=PARTS,
        help="run one part: the API, web UI, sync, mixed load, conversation relay or scripted "
        "test runs",
    )
    parser.add_argument("--agents", type=int, default=10_000, help="regular agents to seed")
    parser.add_argument("--rounds", type=int, default=200, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=10, help="untimed (counted) rounds first")
    parser.add_argument(
        "--ui-agents", type=int, default=500, help="agents in the web UI's timed workspace"
    )
    parser.add_argument("--sync-agents", type=int, default=1_000, help="agents to sync")
    parser.add_argument(
        "--sync-pool", choices=POOLS, help="the worker's pool (default: solo on SQLite, prefork)"
    )
    parser.add_argument(
        "--sync-concurrency", type=int, help="its threads or processes (default: CPU count)"
    )
    parser.add_argument(
        "--step-seconds",
        type=float,
        default=60.0,
        help="mixed load: how long each rate is held (the goal asks for 60)",
    )
    parser.add_argument(
        "--soak-seconds", type=float, default=600.0, help="mixed load: the soak's length"
    )
    parser.add_argument(
        "--port", type=int, help="mixed load: the web server's port (default: a free one)"
    )
    parser.add_argument(
        "--relay-clients", type=int, default=50, help="relay: conversations at once"
    )
    parser.add_argument(
        "--relay-seconds", type=float, default=10.0, help="relay: how long each client streams"
    )
    parser.add_argument(
        "--test-runs", type=int, default=200, help="runs: scripted test runs to queue"
    )
    parser.add_argument("--no-docs", action="store_true", help=f"do not update {DOCS.name}")
    parser.add_argument("--keep-db", action="store_true", help="keep the benchmark database")
    args = parser.parse_args(argv)
    if args.agents < 4 or args.rounds < 1 or args.warmup < 1 or args.sync_agents < 1:
        parser.error("use at least 4 agents, 1 round, 1 warm-up round and 1 agent to sync")
    if args.ui_agents <= UI_SMALL_AGENTS:
        parser.error(f"use more than {UI_SMALL_AGENTS} --ui-agents: a dashboard page holds 50")
    if args.sync_concurrency is not None and args.sync_concurrency < 1:
        parser.error("use a --sync-concurrency of 1 or more")
    if args.step_seconds < 5 or args.soak_seconds < 30:
        parser.error("use --step-seconds of 5 or more and --soak-seconds of 30 or more")
    if not 1 <= args.relay_clients <= 99 or args.relay_seconds < 2:
        parser.error("use 1 to 99 --relay-clients (a workspace allows 100) and 2 s or more")
    if args.test_runs < 1:
        parser.error("use 1 or more --test-runs")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    # A SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C, so the servers the sync part
    # started are stopped and the benchmark database dropped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    app_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    database = bench_database(app_url)
    # This process runs embedded, whatever the shell says: tasks eagerly and in the process,
    # no Redis, DEBUG's query log off. Sync is off too (no key, no sandbox), so a write queues
    # nothing and reaches no ElevenLabs; the sync part turns it on for its own worker.
    # Throttling is out of the way (bench.THROTTLE_ENV).
    os.environ.update(
        DATABASE_URL=database.url,
        ELEVENLABS_SANDBOX="false",
        DEBUG="false",
        LOG_LEVEL="WARNING",
        **THROTTLE_ENV,
    )
    for name in ("REDIS_URL", "ELEVENLABS_API_KEY", "ELEVENLABS_BASE_URL"):
        os.environ.pop(name, None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()

    prefix = f"DATABASE_URL={redacted(app_url)} " if app_url else ""
    goals_met = True
    if args.only in (None, "api"):
        goals_met &= run_api(args, database, prefix + _command(argv))
    if args.only in (None, "ui"):
        goals_met &= run_ui(args, database, prefix + _command(argv))
    if args.only in (None, "sync"):
        prefix += f"REDIS_URL={redacted(redis_url)} " if redis_url else ""
        goals_met &= run_sync(args, database, redis_url, prefix + _command(argv))
    if args.only in (None, "mixed"):
        goals_met &= run_mixed(args, database, redis_url, prefix + _command(argv))
    if args.only in (None, "relay"):
        goals_met &= run_relay(args, database, prefix + _command(argv))
    if args.only in (None, "runs"):
        # A whole run's prefix names the Redis already: the sync part added it.
        with_redis = f"REDIS_URL={redacted(redis_url)} " if redis_url and args.only else ""
        runs_prefix = prefix + with_redis
        goals_met &= run_runs(args, database, redis_url, runs_prefix + _command(argv))
    return 0 if goals_met else 1


def run_api(args: argparse.Namespace, database: BenchDatabase, command: str) -> bool:
    from bench.benchmark import benchmark
    from bench.report import Report

    print(f"bench: seeding {args.agents:,} agents into {redacted(database.url)}", flush=True)
    with _fresh(database, keep=args.keep_db):
        outcome = benchmark(agents=args.agents, rounds=args.rounds, warmup=args.warmup)
    report = Report(
        outcome=outcome,
        engine=database.engine,
        database=database.name,
        command=command,
        agents=args.agents,
        rounds=args.rounds,
        warmup=args.warmup,
    )
    _publish(args, report.engine, report.markdown())
    return report.goal_met


def run_ui(args: argparse.Namespace, database: BenchDatabase, command: str) -> bool:
    from bench.ui import ui_benchmark
    from bench.ui_report import UiReport

    print(
        f"bench: seeding {args.ui_agents:,} agents for the web UI into {redacted(database.url)}",
        flush=True,
    )
    with _fresh(database, keep=args.keep_db):
        outcome = ui_benchmark(agents=args.ui_agents, rounds=args.rounds, warmup=args.warmup)
    report = UiReport(
        outcome=outcome,
        command=command,
        database=database.name,
        rounds=args.rounds,
        warmup=args.warmup,
    )
    _publish(args, f"ui-{database.engine}", report.markdown())
    for failure in report.failures():
        print(f"bench: web UI goal FAILED: {failure}", file=sys.stderr, flush=True)
    return report.goal_met


def run_sync(
    args: argparse.Namespace, database: BenchDatabase, redis_url: str, command: str
) -> bool:
    from bench.broker import NoBroker, reachable_broker
    from bench.sync import sync_benchmark
    from bench.sync_report import SyncReport, skipped_markdown
    from bench.worker import pool_for

    section = f"sync-{database.engine}"
    try:
        broker_url = reachable_broker(redis_url)
    except NoBroker as error:
        print(f"bench: sync benchmark skipped: {error}", flush=True)
        skipped = skipped_markdown(engine=database.engine, command=command, reason=str(error))
        _publish(args, section, skipped)
        return True
    print(f"bench: syncing {args.sync_agents:,} agents in {redacted(database.url)}", flush=True)
    logs = Path(tempfile.mkdtemp(prefix="bench-sync-"))  # the sandbox's and the worker's
    report = None
    try:
        with _fresh(database, keep=args.keep_db):
            outcome = sync_benchmark(
                agents=args.sync_agents,
                pool=pool_for(
                    sqlite=not database.is_postgres,
                    name=args.sync_pool,
                    concurrency=args.sync_concurrency,
                ),
                broker_url=broker_url,
                logs=logs,
            )
        report = SyncReport(
            outcome=outcome, command=command, database=database.name, broker=redacted(broker_url)
        )
        _publish(args, section, report.markdown())
        return report.goal_met
    finally:
        if report is not None and report.goal_met:
            shutil.rmtree(logs)
        else:
            print(f"bench: the sandbox's and the worker's logs are in {logs}", file=sys.stderr)


def run_mixed(
    args: argparse.Namespace, database: BenchDatabase, redis_url: str, command: str
) -> bool:
    from bench.broker import NoBroker, reachable_broker
    from bench.mixed import mixed_benchmark
    from bench.mixed_report import MixedReport
    from bench.processes import free_port

    if not database.is_postgres:
        print(
            "bench: mixed load skipped: it measures the production topology, on PostgreSQL "
            "(set DATABASE_URL=postgres://...)",
            flush=True,
        )
        return True
    try:
        broker_url = reachable_broker(redis_url)
    except NoBroker as error:
        print(f"bench: mixed load skipped: {error}", flush=True)
        return True
    logs = Path(tempfile.mkdtemp(prefix="bench-mixed-"))  # the web server's
    report = None
    try:
        with _fresh(database, keep=args.keep_db):
            outcome = mixed_benchmark(
                agents=args.agents,
                step_seconds=args.step_seconds,
                soak_seconds=args.soak_seconds,
                broker_url=broker_url,
                port=args.port or free_port(),
                logs=logs,
            )
        report = MixedReport(outcome=outcome, command=command, database=database.name)
        _publish(args, f"mixed-{database.engine}", report.markdown())
        for failure in report.failures():
            print(f"bench: mixed load goal FAILED: {failure}", file=sys.stderr, flush=True)
        return report.goal_met
    finally:
        if report is not None and report.goal_met:
            shutil.rmtree(logs)
        else:
            print(f"bench: the web server's log is in {logs}", file=sys.stderr)


def run_relay(args: argparse.Namespace, database: BenchDatabase, command: str) -> bool:
    from bench.relay_report import skipped_markdown

    section = f"relay-{database.engine}"
    missing = [name for name in ("websockets", "uvicorn") if importlib.util.find_spec(name) is None]
    if missing:
        reason = f"{' and '.join(missing)} not installed (`make setup` installs them)"
        print(f"bench: relay skipped: {reason}", flush=True)
        _publish(
            args, section, skipped_markdown(engine=database.engine, command=command, reason=reason)
        )
        return True

    from bench.relay import relay_benchmark
    from bench.relay_report import RelayReport

    logs = Path(tempfile.mkdtemp(prefix="bench-relay-"))  # the sandbox's and the server's
    report = None
    try:
        with _fresh(database, keep=args.keep_db):
            outcome = relay_benchmark(
                clients=args.relay_clients, seconds=args.relay_seconds, logs=logs
            )
        report = RelayReport(outcome=outcome, command=command, database=database.name)
        _publish(args, section, report.markdown())
        for failure in report.failures():
            print(f"bench: relay goal FAILED: {failure}", file=sys.stderr, flush=True)
        return report.goal_met
    finally:
        if report is not None and report.goal_met:
            shutil.rmtree(logs)
        else:
            print(f"bench: the sandbox's and the web server's logs are in {logs}", file=sys.stderr)


def run_runs(
    args: argparse.Namespace, database: BenchDatabase, redis_url: str, command: str
) -> bool:
    from bench.broker import NoBroker, reachable_broker
    from bench.scripted_runs_report import skipped_markdown

    section = f"runs-{database.engine}"
    if not database.is_postgres:
        # Two worker processes writing one SQLite file fail with "database is locked" within
        # seconds (measured: the sync part runs its SQLite worker solo for the same reason).
        print(
            "bench: scripted runs skipped: two worker processes need PostgreSQL "
            "(set DATABASE_URL=postgres://...)",
            flush=True,
        )
        return True
    try:
        broker_url = reachable_broker(redis_url)
    except NoBroker as error:
        print(f"bench: scripted runs skipped: {error}", flush=True)
        skipped = skipped_markdown(engine=database.engine, command=command, reason=str(error))
        _publish(args, section, skipped)
        return True

    from bench.scripted_runs import runs_benchmark
    from bench.scripted_runs_report import RunsReport

    print(f"bench: {args.test_runs} scripted runs in {redacted(database.url)}", flush=True)
    logs = Path(tempfile.mkdtemp(prefix="bench-runs-"))  # the sandbox's and the worker's
    report = None
    try:
        with _fresh(database, keep=args.keep_db):
            outcome = runs_benchmark(runs=args.test_runs, broker_url=broker_url, logs=logs)
        report = RunsReport(
            outcome=outcome, command=command, database=database.name, broker=redacted(broker_url)
        )
        _publish(args, section, report.markdown())
        for failure in report.failures():
            print(f"bench: scripted runs FAILED: {failure}", file=sys.stderr, flush=True)
        return report.goal_met
    finally:
        if report is not None and report.goal_met:
            shutil.rmtree(logs)
        else:
            print(f"bench: the sandbox's and the worker's logs are in {logs}", file=sys.stderr)


@contextmanager
def _fresh(database: BenchDatabase, *, keep: bool) -> Iterator[None]:
    """The benchmark database, created empty, and dropped afterwards unless `keep`."""
    from django.db import connections

    database.recreate()
    try:
        yield
    finally:
        connections.close_all()
        if not keep:
            database.drop()


def _publish(args: argparse.Namespace, section: str, text: str) -> None:
    from bench.report import write_section

    print(f"\n{text}\n")
    if not args.no_docs:
        write_section(DOCS, section, text)
        print(f"bench: results written to {DOCS.relative_to(BASE_DIR)}")


def _command(argv: list[str]) -> str:
    if os.environ.get("MAKELEVEL") and not argv:
        return "make bench"
    python = os.path.relpath(sys.executable, BASE_DIR)
    return shlex.join([python, "-m", "bench", *argv])


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:  # the servers are stopped and the database dropped by now
        print("bench: interrupted", file=sys.stderr)
        sys.exit(128 + signal.SIGINT)
