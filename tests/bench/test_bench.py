"""`make bench` is not part of the suite (it takes minutes and a Redis), but its code is: every
module imports, and the sync report reads the outcome it is given."""

import importlib
import pkgutil

import pytest

import bench
from bench.sync import SyncOutcome
from bench.sync_report import SyncReport
from bench.worker import Pool
from deployments.models import SyncState


@pytest.mark.parametrize("name", [module.name for module in pkgutil.iter_modules(bench.__path__)])
def test_every_module_imports(name):
    importlib.import_module(f"bench.{name}")


def _report(**outcome) -> SyncReport:
    defaults = {
        "database": "SQLite 3",
        "agents": 10,
        "pool": Pool(name="solo", concurrency=1, why="one at a time"),
        "per_second": 10.0,
        "burst": 1,
        "created_seconds": 1.0,
        "queued_seconds": 0.1,
        "total_seconds": 2.0,
        "first_success_seconds": 0.1,
        "last_success_seconds": 1.9,
        "states": {SyncState.SYNCED: 10},
        "statuses": {200: 21},
        "sandbox_agents": 10,
        "remote_duplicates": 0,
        "local_duplicates": 0,
        "unmatched": 0,
        "worker_cpu_seconds": 3.0,
        "sandbox_cpu_seconds": 1.0,
        "load": (0.5, 0.7),
    }
    return SyncReport(
        outcome=SyncOutcome(**{**defaults, **outcome}),
        command="python -m bench",
        database="var/bench.sqlite3",
        broker="redis://127.0.0.1:6379/0",
    )


def test_sync_report_counts_the_agents_left_unsynced():
    assert _report().shortfalls == []
    report = _report(states={SyncState.SYNCED: 7, SyncState.FAILED: 3})
    assert report.shortfalls == ["3 agents not synced"]
    assert "Goal **missed** (3 agents not synced)" in report.markdown()
