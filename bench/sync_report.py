"""The sync benchmark's results: a table on stdout and its own section of docs/benchmarks.md,
one per database engine (`sync-sqlite`, `sync-postgresql`), as `bench.report` does."""

from dataclasses import dataclass
from datetime import UTC, datetime

from bench.report import machine, table
from bench.sync import SyncOutcome
from deployments.models import SyncState

GOAL_RATIO = 1.3
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass(frozen=True)
class SyncReport:
    outcome: SyncOutcome
    command: str
    database: str  # where the data lived, e.g. "var/bench.sqlite3"
    broker: str  # the Redis, without its password

    @property
    def shortfalls(self) -> list[str]:
        """What keeps the goal from being met; empty when it is."""
        outcome = self.outcome
        unsynced = outcome.agents - outcome.states.get(SyncState.SYNCED, 0)
        checks = {
            f"{unsynced:,} agents not synced": unsynced,
            f"{outcome.remote_duplicates} duplicates on the sandbox": outcome.remote_duplicates,
            f"{outcome.local_duplicates} duplicate ElevenLabs ids": outcome.local_duplicates,
            f"{outcome.unmatched} agents not matched on the sandbox": outcome.unmatched,
            f"{outcome.ratio or 0:.2f}x the bound": (outcome.ratio or 0) > GOAL_RATIO,
        }
        return [problem for problem, failed in checks.items() if failed]

    @property
    def goal_met(self) -> bool:
        return not self.shortfalls

    def markdown(self) -> str:
        outcome = self.outcome
        ratio = f"{outcome.ratio:.2f}x" if outcome.ratio else "n/a"
        verdict = "met" if self.goal_met else f"**missed** ({', '.join(self.shortfalls)})"
        return "\n".join(
            [
                f"### {outcome.database}: {outcome.agents:,} agents through a worker",
                "",
                *_header(self.command),
                f"- Machine: {machine()}; 1-minute load average {outcome.load[0]:.1f} "
                f"before the syncs, {outcome.load[1]:.1f} after",
                f"- Database: {outcome.database}, `{self.database}`; broker: Redis "
                f"`{self.broker}`, on a queue of the run's own",
                f"- Worker: `celery --app config worker {outcome.pool.label}`: {outcome.pool.why}",
                f"- Sandbox: {outcome.per_second:g} requests a second, bursts of {outcome.burst}",
                f"- Agents: {outcome.agents:,} made by `agent_create` in "
                f"{outcome.created_seconds:.1f} s (not timed); their syncs queued by "
                f"`sync_queue` in {outcome.queued_seconds:.2f} s (timed)",
                "",
                table(["figure", "value"], _rows(outcome)),
                "",
                f"Total time / bound = **{ratio}** (goal ≤ {GOAL_RATIO}x). Goal {verdict}.",
            ]
        )


def _rows(outcome: SyncOutcome) -> list[list[str]]:
    seconds = outcome.total_seconds or 0.0
    per_second = (
        f"{outcome.requests / seconds:.1f} / {outcome.successful_requests / seconds:.1f}"
        if seconds
        else "n/a"
    )
    states = " / ".join(
        f"{outcome.states.get(state, 0):,}"
        for state in (SyncState.SYNCED, SyncState.FAILED, SyncState.PENDING)
    )
    rows = [
        [
            "total time, first sync queued → last agent synced",
            f"{seconds:.1f} s" if outcome.total_seconds else "not all synced",
        ],
        [
            f"bound: ({outcome.successful_requests:,} successful requests - {outcome.burst} "
            f"burst) / {outcome.per_second:g} a second",
            f"{outcome.bound_seconds:.2f} s",
        ],
        ["beyond it: queued → first successful request", f"{outcome.first_success_seconds:.2f} s"],
        [
            "beyond it: allowance left unused between requests",
            f"{outcome.unused_token_seconds:.2f} s",
        ],
    ]
    if outcome.total_seconds:
        rows.append(
            [
                "beyond it: last successful request → last agent synced",
                f"{seconds - outcome.last_success_seconds:.2f} s",
            ]
        )
    return [
        *rows,
        [
            "requests: sent / successful / 429 / other errors",
            f"{outcome.requests:,} / {outcome.successful_requests:,} / "
            f"{outcome.rate_limited:,} / {outcome.other_errors:,}",
        ],
        ["requests a second: sent / successful", per_second],
        ["successful requests per agent", f"{outcome.successful_requests / outcome.agents:.2f}"],
        ["agents synced / failed / pending", states],
        ["agents made on the sandbox", f"{outcome.sandbox_agents:,}"],
        ["duplicates: sandbox agents sharing a `switchboard:` tag", f"{outcome.remote_duplicates}"],
        ["duplicates: our agents sharing an ElevenLabs id", f"{outcome.local_duplicates}"],
        ["our agents whose ElevenLabs agent lacks their tag", f"{outcome.unmatched}"],
        [
            "CPU used by the worker / the sandbox, start to stop",
            f"{outcome.worker_cpu_seconds:.1f} s / {outcome.sandbox_cpu_seconds:.1f} s",
        ],
    ]


def skipped_markdown(*, engine: str, command: str, reason: str) -> str:
    return "\n".join(
        [f"### {ENGINE_NAMES[engine]}: skipped", "", *_header(command), f"- Skipped: {reason}"]
    )


def _header(command: str) -> list[str]:
    return [f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", f"- Command: `{command}`"]
