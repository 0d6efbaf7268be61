"""The scripted test runs' results as a section of docs/benchmarks.md (`runs-postgresql`: on
SQLite the part is skipped), and what a run must show: every run passed, each with a reply to
every turn, every conversation read back, and the baseline's conversations all held."""

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bench.report import machine, table
from bench.scripted_runs import SHOWN_FAILURES, RunsOutcome, cpu_ms_per

ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass(frozen=True)
class RunsReport:
    outcome: RunsOutcome
    command: str
    database: str
    broker: str  # the Redis, without its password

    def failures(self) -> list[str]:
        outcome = self.outcome
        found = []
        if outcome.total_seconds is None:
            unfinished = sum(run.status in ("queued", "running") for run in outcome.runs)
            found.append(f"{unfinished} runs not finished in time")
        for run in outcome.not_passed[:SHOWN_FAILURES]:
            found.append(f"run {run.run_id} {run.status}: {run.reason or 'no reason given'}")
        if len(outcome.not_passed) > SHOWN_FAILURES:
            found.append(f"{len(outcome.not_passed) - SHOWN_FAILURES} more runs did not pass")
        short = [
            run
            for run in outcome.runs
            if run.status == "passed" and len(run.latencies_ms) != outcome.turns
        ]
        if short:
            found.append(f"{len(short)} passed runs without a reply time for each turn")
        if outcome.read_back_seconds is None:
            found.append(
                f"{outcome.read_backs} of {len(outcome.runs)} conversations read back in time"
            )
        problems = outcome.baseline.problems
        if problems:
            found.append(
                f"{len(problems)} baseline conversations failed (the benchmark's fault): "
                f"{problems[0]}"
            )
        return found

    @property
    def goal_met(self) -> bool:
        return not self.failures()

    def markdown(self) -> str:
        outcome, baseline = self.outcome, self.outcome.baseline
        runs, turns = len(outcome.runs), outcome.turns
        throughput = outcome.throughput
        verdict = "met." if self.goal_met else f"**missed**: {'; '.join(self.failures())}."
        passed = f"{outcome.passed} of {runs} runs passed"
        return "\n".join(
            [
                f"### {outcome.database}: {runs} scripted runs through two workers",
                "",
                f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
                f"- Command: `{self.command}`",
                f"- Machine: {machine()}; 1-minute load average {outcome.load[0]:.1f} before "
                f"the runs, {outcome.load[1]:.1f} after",
                f"- Database: {outcome.database}, `{self.database}`; broker: Redis "
                f"`{self.broker}`, on a queue of the run's own",
                f"- Worker: `celery --app config worker {outcome.pool.label}`: {outcome.pool.why}",
                "- Sandbox: `python -m sandbox` (Daphne), no rate limit, default pacing; the "
                "agent is text-only (its replies come without audio)",
                f"- Runs: {runs} of one scripted test of {turns} turns, made by `run_start` in "
                f"{outcome.created_seconds:.1f} s in one transaction (not timed), queued at its "
                f"commit in {outcome.queued_seconds:.2f} s (timed)",
                f"- Baseline: {len(baseline.conversations)} bare conversations (`websockets`, "
                "nothing of Switchboard's), two at a time in two processes, straight to the same "
                "sandbox, half before the runs and half after",
                "",
                table(["figure", "value"], _run_rows(outcome)),
                "",
                table(
                    ["per turn and per run", "bare client", "Switchboard's worker", "added"],
                    _turn_rows(outcome),
                ),
                "",
                f"{passed}. Throughput **{_num(throughput, '.1f')} runs/s** "
                f"({_num(throughput and throughput * turns, '.0f')} turns/s), run time p95 "
                f"**{_num(outcome.run_ms(95), '.0f')} ms**; Switchboard adds "
                f"**{_signed(outcome.added_turn_ms(50))} ms** to a turn's reply at the median "
                f"and **{_signed(outcome.added_per_turn_ms)} ms** per turn all in (the run "
                f"beyond a bare client's conversation, over its {turns} turns), with "
                f"**{_num(outcome.worker_cpu_ms_per_turn, '.1f')} ms** of the worker's CPU per "
                f"turn. Check {verdict}",
            ]
        )


def _run_rows(outcome: RunsOutcome) -> list[list[str]]:
    statuses = outcome.statuses
    others = len(outcome.runs) - sum(
        statuses.get(status, 0) for status in ("passed", "failed", "error")
    )
    total = outcome.total_seconds
    return [
        [
            "runs: passed / failed / error / other",
            f"{statuses.get('passed', 0)} / {statuses.get('failed', 0)} / "
            f"{statuses.get('error', 0)} / {others}",
        ],
        [
            "total time, runs queued → last run finished",
            f"{total:.2f} s" if total is not None else "not all finished",
        ],
        [
            "throughput: runs / turns a second",
            f"{_num(outcome.throughput, '.1f')} / "
            f"{_num(outcome.throughput and outcome.throughput * outcome.turns, '.0f')}",
        ],
        ["run time, started → finished: p50 / p95 / max", _spread(outcome.run_ms)],
        [
            "of which its conversation, connect → closed: p50 / p95 / max",
            _spread(outcome.conversation_ms),
        ],
        [
            "of which around it (claim, config read, records, verdict): p50 / p95 / max",
            _spread(outcome.outside_ms),
        ],
        [
            "a worker process between runs, finished → next started: p50 / p95 / max",
            _spread(outcome.between_runs_ms),
        ],
        [
            f"CPU: the worker's {outcome.worker_processes} processes / the sandbox, timed part",
            f"{outcome.worker_cpu_seconds:.1f} s / {outcome.sandbox_cpu_seconds:.1f} s",
        ],
        [
            "read-backs, after the runs: done / last run finished → last done / CPU each",
            f"{outcome.read_backs} / {_num(outcome.read_back_seconds, '.2f')} s / "
            f"{_num(cpu_ms_per(outcome.read_back_cpu_seconds, outcome.read_backs), '.1f')} ms",
        ],
        [
            "PostgreSQL sessions opened by the worker for the runs and read-backs (per task)",
            "n/a (SQLite)"
            if outcome.sessions_opened is None
            else f"{outcome.sessions_opened:,} ({outcome.sessions_opened / outcome.tasks:.2f})",
        ],
        [
            "the worker's CPU per run / per turn",
            f"{outcome.worker_cpu_seconds / max(len(outcome.runs), 1) * 1000:.1f} ms / "
            f"{_num(outcome.worker_cpu_ms_per_turn, '.1f')} ms",
        ],
    ]


def _turn_rows(outcome: RunsOutcome) -> list[list[str]]:
    baseline = outcome.baseline
    conversations = len(baseline.conversations)
    bare_all_in = outcome.bare_url_ms(50) + outcome.bare_conversation_ms(50)
    runs = max(len(outcome.runs), 1)
    return [
        [
            "turns timed",
            f"{len(baseline.latencies_ms):,}",
            f"{len(outcome.latencies_ms):,}",
            "",
        ],
        *(
            [
                f"reply latency p{percent}, message sent → reply received (ms)",
                _num(outcome.bare_turn_ms(percent), ".2f"),
                _num(outcome.turn_ms(percent), ".2f"),
                _signed(outcome.added_turn_ms(percent)),
            ]
            for percent in (50, 95, 99)
        ),
        [
            "conversation p50, connect → closed (ms)",
            _num(outcome.bare_conversation_ms(50), ".1f"),
            _num(outcome.conversation_ms(50), ".1f"),
            _signed(outcome.conversation_ms(50) - outcome.bare_conversation_ms(50)),
        ],
        [
            "signed URL + conversation (bare) / run, started → finished (worker): p50 (ms)",
            _num(bare_all_in, ".1f"),
            _num(outcome.run_ms(50), ".1f"),
            _signed(outcome.run_ms(50) - bare_all_in),
        ],
        [
            f"the same, per turn ({outcome.turns} a run) (ms)",
            _num(bare_all_in / outcome.turns, ".1f"),
            _num(outcome.run_ms(50) / outcome.turns, ".1f"),
            _signed(outcome.added_per_turn_ms),
        ],
        [
            "CPU per turn, the client's own process(es) (ms)",
            _num(outcome.client_cpu_ms_per_turn, ".2f"),
            _num(outcome.worker_cpu_ms_per_turn, ".2f"),
            _signed(outcome.worker_cpu_ms_per_turn - outcome.client_cpu_ms_per_turn),
        ],
        [
            "CPU of the sandbox per conversation (ms)",
            _num(baseline.sandbox_cpu_seconds * 1000 / max(conversations, 1), ".1f"),
            _num(outcome.sandbox_cpu_seconds * 1000 / runs, ".1f"),
            "",
        ],
        [
            "time taken: bare conversations (both halves) / runs, queued → last finished (s)",
            f"{baseline.seconds:.2f}",
            _num(outcome.total_seconds, ".2f"),
            "",
        ],
    ]


def _spread(ms: Callable[[float], float]) -> str:
    return " / ".join(_num(ms(percent), ".0f") for percent in (50, 95, 100)) + " ms"


def _num(value: float | None, spec: str) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return format(value, spec)


def _signed(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:+.2f}"


def skipped_markdown(*, engine: str, command: str, reason: str) -> str:
    return "\n".join(
        [
            f"### {ENGINE_NAMES[engine]}: scripted runs skipped",
            "",
            f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"- Command: `{command}`",
            f"- Skipped: {reason}",
        ]
    )
