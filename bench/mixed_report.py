"""The mixed-load results as a section of docs/benchmarks.md, and the goals they are held to."""

import shlex
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from bench import THROTTLE_ENV
from bench.load import Run
from bench.measure import percentile
from bench.mixed import (
    CLOSED_LOOP_CONCURRENCY,
    MIXED_RATE_GOAL,
    P99_GOAL_MS,
    RSS_GROWTH_GOAL_MIB,
    MixedOutcome,
    Step,
)
from bench.report import machine, table


@dataclass(frozen=True)
class MixedReport:
    outcome: MixedOutcome
    command: str
    database: str

    @property
    def share(self) -> float:
        best = self.outcome.best
        return best.rate / self.outcome.ceiling_rate if best else 0.0

    def failures(self) -> list[str]:
        outcome, soak = self.outcome, self.outcome.soak
        found = []
        if outcome.best is None:
            found.append(f"no rate of the mix met p99 < {P99_GOAL_MS:.0f} ms with no error")
        elif outcome.best.rate < MIXED_RATE_GOAL:
            found.append(
                f"the mix's best rate is {outcome.best.rate:.1f} requests/s "
                f"(goal ≥ {MIXED_RATE_GOAL:.0f})"
            )
        if outcome.most_connections > outcome.connection_bound:
            found.append(
                f"the server held {outcome.most_connections} PostgreSQL connections "
                f"(bound {outcome.connection_bound})"
            )
        if soak.step.errors:
            found.append(f"{soak.step.errors} errors during the soak")
        if not soak.memory_flat:
            found.append(f"a process grew more than {RSS_GROWTH_GOAL_MIB:.0f} MiB in the soak")
        if soak.watch.most_connections > outcome.connection_bound:
            found.append("the soak held more PostgreSQL connections than the pools allow")
        return found

    @property
    def goal_met(self) -> bool:
        return not self.failures()

    def markdown(self) -> str:
        outcome, seeded = self.outcome, self.outcome.seeded
        throttle = ", ".join(f"`{name}={value}`" for name, value in THROTTLE_ENV.items())
        lines = [
            f"### {outcome.database}: mixed load, uvicorn with {outcome.workers} workers",
            "",
            f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"- Command: `{self.command}`",
            f"- Machine: {machine()}; 1-minute load average {outcome.load[0]:.1f} before, "
            f"{outcome.load[1]:.1f} after",
            f"- Server: `{shlex.join(['uvicorn', *outcome.command[3:]])}`, "
            f"a pool of at most {outcome.pool_max} PostgreSQL connections per worker; "
            f"Redis; DEBUG off; sync off; {throttle}",
            f"- Database: {outcome.database}, `{self.database}`: {len(seeded.agent_ids):,} agents "
            f"+ 2 probes, seeded in {seeded.seconds:.0f} s",
            f"- Steps of {outcome.step_seconds:.0f} s"
            + (" (shortened: the goal asks for 60 s)" if outcome.step_seconds < 60 else ""),
            "",
            table(
                [
                    f"closed loop, {CLOSED_LOOP_CONCURRENCY} connections",
                    "requests/s",
                    "p50 ms",
                    "p99 ms",
                    "errors",
                    "generator CPU",
                ],
                [
                    _closed_row("ceiling: `GET /livez`, no database", outcome.ceiling),
                    _closed_row("the mix", outcome.saturation),
                ],
            ),
            "",
            f"Server CPU per request at the ceiling: {outcome.ceiling_server_ms:.1f} ms.",
            "",
            table(
                [
                    "open loop, requests/s",
                    "sent",
                    "errors",
                    "p50 ms",
                    "p99 ms",
                    "max ms",
                    "server CPU ms/request",
                    "generator CPU",
                    f"p99 < {P99_GOAL_MS:.0f} ms, no error",
                ],
                [_step_row(step) for step in outcome.steps],
            ),
        ]
        best_rate = outcome.best.rate if outcome.best else 0.0
        # By kind at the best rate; when none passed, at the lowest tried, to show what failed.
        shown = outcome.best or min(outcome.steps, key=lambda step: step.rate)
        lines += ["", f"By kind, at {shown.rate:.1f} requests/s:", "", _kinds(shown)]
        lines += ["", *self._soak_lines()]
        lines += [
            "",
            f"Most PostgreSQL connections the server held, sampled every second of the run: "
            f"{outcome.most_connections} (bound: {outcome.workers} workers x "
            f"{outcome.pool_max} = {outcome.connection_bound}).",
            "",
            f"Best mixed rate **{best_rate:.1f} requests/s** (goal ≥ {MIXED_RATE_GOAL:.0f}), "
            f"{self.share:.0%} of the ceiling ({outcome.ceiling_rate:.0f} requests/s). Goal "
            + ("met." if self.goal_met else f"**missed**: {'; '.join(self.failures())}."),
        ]
        return "\n".join(lines)

    def _soak_lines(self) -> list[str]:
        soak = self.outcome.soak
        step = soak.step
        answered = len(step.run.samples)
        memory = [
            f"{first:.0f} → {last:.0f} MiB ({last - first:+.1f})"
            for first, last in soak.growth_mib().values()
        ]
        rows = [
            ["rate, duration", f"{step.rate:.1f} requests/s for {step.run.seconds:.0f} s"],
            ["requests / errors", f"{answered:,} / {step.errors}"],
            ["p50 / p99 / max ms", " / ".join(f"{step.latency_ms(p):.0f}" for p in (50, 99, 100))],
            ["server CPU per request", f"{step.server_ms_per_request:.1f} ms"],
            ["generator CPU", f"{step.generator_share:.1%} of a core"],
            ["resident memory per process, first → last minute", "; ".join(memory)],
            [
                "PostgreSQL connections, most / bound",
                f"{soak.watch.most_connections} / {self.outcome.connection_bound}",
            ],
            [
                "PostgreSQL sessions opened (per request)",
                f"{soak.sessions} ({soak.sessions / max(answered, 1):.3f})",
            ],
        ]
        verdict = "flat" if soak.memory_flat else "**grew**"
        return [
            "Soak at half the best rate"
            + ("" if self.outcome.best else " (none passed: half the lowest tried)")
            + ":",
            "",
            table(["figure", "value"], rows),
            "",
            f"Memory {verdict} (bound: {RSS_GROWTH_GOAL_MIB:.0f} MiB per process from the "
            "median of the first minute to that of the last).",
        ]


def _closed_row(name: str, run: Run) -> list[str]:
    answered = [s.latency for s in run.samples if 200 <= s.status < 300]
    errors = len(run.samples) - len(answered)
    return [
        name,
        f"{len(answered) / run.seconds:.1f}",
        f"{percentile(answered, 50) * 1000:.0f}" if answered else "-",
        f"{percentile(answered, 99) * 1000:.0f}" if answered else "-",
        str(errors),
        f"{run.cpu_seconds / run.seconds:.1%} of a core",
    ]


def _step_row(step: Step) -> list[str]:
    return [
        f"{step.rate:.1f}",
        f"{len(step.run.samples):,}",
        str(step.errors),
        f"{step.latency_ms(50):.0f}",
        f"{step.latency_ms(99):.0f}",
        f"{step.latency_ms(100):.0f}",
        f"{step.server_ms_per_request:.1f}",
        f"{step.generator_share:.1%} of a core",
        "yes" if step.passed else "no",
    ]


def _kinds(step: Step) -> str:
    latencies: dict[str, list[float]] = {}
    errors: Counter[str] = Counter()
    for sample in step.run.samples:
        latencies.setdefault(sample.kind, []).append(sample.latency)
        errors[sample.kind] += not 200 <= sample.status < 300
    total = len(step.run.samples)
    return table(
        ["request", "share", "p50 ms", "p99 ms", "errors"],
        [
            [
                kind,
                f"{len(values) / total:.0%}",
                f"{percentile(values, 50) * 1000:.0f}",
                f"{percentile(values, 99) * 1000:.0f}",
                str(errors[kind]),
            ]
            for kind, values in sorted(latencies.items(), key=lambda item: -len(item[1]))
        ],
    )
