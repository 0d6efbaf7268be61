"""The web UI benchmark's results: a table on stdout and a section of docs/benchmarks.md."""

from dataclasses import dataclass
from datetime import UTC, datetime

from bench.measure import Result
from bench.report import machine, table
from bench.seed import FAILED_SYNC_EVERY
from bench.ui import SMALL_AGENTS, UiOutcome

GOAL_MS = 150.0  # the dashboard's median server time, for each request timed


@dataclass(frozen=True)
class UiReport:
    outcome: UiOutcome
    command: str
    database: str  # where the data lived, e.g. "var/bench.sqlite3"
    rounds: int
    warmup: int

    @property
    def _dashboard(self) -> list[Result]:
        return [r for r in self.outcome.results if r.name in self.outcome.dashboard_cases]

    @property
    def slowest(self) -> Result:
        return max(self._dashboard, key=lambda result: result.median_ms)

    @property
    def fast_enough(self) -> bool:
        return self.slowest.median_ms <= GOAL_MS

    @property
    def full_page_counts(self) -> set[int]:
        """Queries of every full dashboard page: first, filtered and sorted, last; at 50
        agents and at 500."""
        return {
            count
            for row in self.outcome.listing_counts
            if row.full_page
            for count in (row.small, row.large)
        }

    @property
    def queries_constant(self) -> bool:
        return (
            len(self.full_page_counts) == 1
            and all(row.equal for row in self.outcome.listing_counts)
            and all(len(result.queries) == 1 for result in self._dashboard)
        )

    @property
    def goal_met(self) -> bool:
        return self.fast_enough and self.queries_constant

    def failures(self) -> list[str]:
        """Why the goal is missed, one line each; none when it is met."""
        lines = []
        if not self.fast_enough:
            slowest = self.slowest
            lines.append(
                f"median of '{slowest.name}' is {slowest.median_ms:.1f} ms, over {GOAL_MS:.0f} ms"
            )
        if not self.queries_constant:
            counts = ", ".join(
                f"{row.name}: {row.small} at {SMALL_AGENTS} agents, {row.large} at "
                f"{self.outcome.large_agents}"
                for row in self.outcome.listing_counts
            )
            lines.append(f"dashboard query counts differ ({counts})")
            lines += [
                f"'{result.name}' ran {result.queries_label} queries from one round to another"
                for result in self._dashboard
                if len(result.queries) > 1
            ]
        return lines

    def markdown(self) -> str:
        outcome = self.outcome
        large = outcome.large_agents
        counts = ", ".join(f"{name} {count:,}" for name, count in outcome.row_counts.items())
        history = ", ".join(f"{count} {kind}" for kind, count in outcome.long_history.items())
        timings = table(
            ["request", "path", "median ms", "p95 ms", "queries"],
            [
                [
                    r.name,
                    f"`{outcome.paths[r.name]}`",
                    f"{r.median_ms:.1f}",
                    f"{r.p95_ms:.1f}",
                    r.queries_label,
                ]
                for r in outcome.results
            ],
        )
        scaling = table(
            ["queries of", f"{SMALL_AGENTS} agents", f"{large} agents", "equal"],
            [
                [row.name, str(row.small), str(row.large), "yes" if row.equal else "**no**"]
                for row in outcome.listing_counts
            ],
        )
        details = "; ".join(
            f"{count} with {name.removeprefix('agent detail, ')}"
            for name, count in outcome.detail_counts.items()
        )
        full_pages = "/".join(map(str, sorted(self.full_page_counts)))
        slowest = self.slowest
        return "\n".join(
            [
                f"### {outcome.database}: web UI, {large:,} agents",
                "",
                f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
                f"- Command: `{self.command}`",
                f"- Machine: {machine()}; 1-minute load average {outcome.load[0]:.1f} "
                f"before the timed requests, {outcome.load[1]:.1f} after",
                f"- Database: {outcome.database}, `{self.database}`",
                f"- Data: a workspace of {large:,} agents (timed) and one of {SMALL_AGENTS}, "
                f"each with its admin, seeded in "
                f"{outcome.large.seconds + outcome.small.seconds:.1f} s ({counts}); one agent "
                f"in {FAILED_SYNC_EVERY} failed to sync "
                f"({len(outcome.large.failed_ids)} of {large:,}); the long-history agent has "
                f"{history}",
                f"- Rounds: {self.rounds} timed after {self.warmup} warm-up rounds per request, "
                "as the workspace's admin, logged in",
                "",
                timings,
                "",
                scaling,
                "",
                f"Agent detail page queries (information, not part of the goal): {details}.",
                "",
                f"Slowest dashboard median **{slowest.median_ms:.1f} ms** ({slowest.name}; "
                f"goal ≤ {GOAL_MS:.0f} ms); every full dashboard page runs the same number of "
                f"queries ({full_pages}) whatever its page, filter, sort or workspace size, and "
                f"the htmx results the same at both sizes: "
                f"{'yes' if self.queries_constant else '**no**'}. "
                f"Goal {'met' if self.goal_met else '**missed**'}.",
            ]
        )
