"""`python -m bench` (or `make bench`): seed, time, print, record in docs/benchmarks.md.

Exits 1 when the goal is missed: the agent list's median more than 1.5 times the bare DRF
baseline's, or a query count that changes with the rows involved.
"""

import argparse
import os
import shlex
import sys

import django

from bench.database import BASE_DIR, bench_database, redacted

DOCS = BASE_DIR / "docs" / "benchmarks.md"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--agents", type=int, default=10_000, help="regular agents to seed")
    parser.add_argument("--rounds", type=int, default=200, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=10, help="untimed (counted) rounds first")
    parser.add_argument("--no-docs", action="store_true", help=f"do not update {DOCS.name}")
    parser.add_argument("--keep-db", action="store_true", help="keep the benchmark database")
    args = parser.parse_args(argv)
    if args.agents < 4 or args.rounds < 1 or args.warmup < 1:
        parser.error("use at least 4 agents, 1 round and 1 warm-up round")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    app_url = os.environ.get("DATABASE_URL", "")
    database = bench_database(app_url)
    # Everything but the database stays in embedded mode: tasks run eagerly in this process
    # (a worker would look for our rows in the app's database), nothing reaches ElevenLabs,
    # and DEBUG's query log does not slow the requests down.
    os.environ.update(DATABASE_URL=database.url, ELEVENLABS_SANDBOX="true", DEBUG="false")
    for name in ("REDIS_URL", "ELEVENLABS_API_KEY"):
        os.environ.pop(name, None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()

    from django.db import connections

    from bench.benchmark import benchmark
    from bench.report import Report, write_section

    print(f"bench: seeding {args.agents:,} agents into {redacted(database.url)}", flush=True)
    database.recreate()
    try:
        outcome = benchmark(agents=args.agents, rounds=args.rounds, warmup=args.warmup)
    finally:
        connections.close_all()
        if not args.keep_db:
            database.drop()

    report = Report(
        outcome=outcome,
        engine=database.engine,
        database=database.name,
        command=_command(app_url, argv),
        agents=args.agents,
        rounds=args.rounds,
        warmup=args.warmup,
    )
    text = report.markdown()
    print(f"\n{text}\n")
    if not args.no_docs:
        write_section(DOCS, report.engine, text)
        print(f"bench: results written to {DOCS.relative_to(BASE_DIR)}")
    return 0 if report.goal_met else 1


def _command(app_url: str, argv: list[str]) -> str:
    prefix = f"DATABASE_URL={redacted(app_url)} " if app_url else ""
    if os.environ.get("MAKELEVEL") and not argv:
        return f"{prefix}make bench"
    python = os.path.relpath(sys.executable, BASE_DIR)
    return prefix + shlex.join([python, "-m", "bench", *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
