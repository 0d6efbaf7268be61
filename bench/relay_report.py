"""The relay's results as a section of docs/benchmarks.md (`relay-sqlite`, `relay-postgresql`),
and the goals they are held to."""

import shlex
from dataclasses import dataclass
from datetime import UTC, datetime

from bench.relay import (
    CHUNK_SECS,
    MEDIAN_GOAL_MS,
    P99_GOAL_MS,
    PING_SECS,
    SILENT_CHUNKS,
    Phase,
    RelayOutcome,
)
from bench.report import machine, table
from testruns.models import ConversationStatus

ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass(frozen=True)
class RelayReport:
    outcome: RelayOutcome
    command: str
    database: str

    def failures(self) -> list[str]:
        outcome = self.outcome
        found = []
        median, p99 = outcome.added_ms(50), outcome.added_ms(99)
        if not median < MEDIAN_GOAL_MS:  # NaN (no round trip measured) fails too
            found.append(
                f"the relay adds {median:.2f} ms at the median (goal < {MEDIAN_GOAL_MS:g})"
            )
        if not p99 < P99_GOAL_MS:
            found.append(f"the relay adds {p99:.2f} ms at p99 (goal < {P99_GOAL_MS:g})")
        for check, count in outcome.relay.problems().items():
            if count:
                found.append(f"through the relay: {count} {check}")
        if outcome.relay.undrained:
            found.append(
                f"{outcome.relay.undrained} relayed conversations closed before their last "
                "reply was heard out"
            )
        for check, count in outcome.direct.problems().items():
            if count:
                found.append(f"straight to the sandbox (the benchmark's fault): {count} {check}")
        # The warm-up's conversation is recorded too.
        conversations = outcome.clients + 1
        completed = outcome.recorded.get(ConversationStatus.COMPLETED, 0)
        if completed != conversations:
            found.append(
                f"{completed} of {conversations} relayed conversations recorded as completed "
                f"({_statuses(outcome.recorded)})"
            )
        return found

    @property
    def goal_met(self) -> bool:
        return not self.failures()

    def markdown(self) -> str:
        outcome, memory = self.outcome, self.outcome.memory
        direct, relay = outcome.direct, outcome.relay
        rows = [
            _latency_row("round trip, all", direct, relay, None),
            _latency_row("closing silence → `user_transcript`", direct, relay, "transcript"),
            _latency_row("speech over a reply → `interruption`", direct, relay, "interruption"),
        ]
        messages = relay.chunks_sent + relay.frames_received
        verdict = "met." if self.goal_met else f"**missed**: {'; '.join(self.failures())}."
        return "\n".join(
            [
                f"### {outcome.database}: {outcome.clients} conversations through the relay",
                "",
                f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
                f"- Command: `{self.command}`",
                f"- Machine: {machine()}; 1-minute load average {outcome.load[0]:.1f} before, "
                f"{outcome.load[1]:.1f} after",
                f"- Server: `{shlex.join(['uvicorn', *outcome.command[3:]])}`; DEBUG off; "
                f"no Redis (an in-memory channel layer, tasks eager); database "
                f"{outcome.database}, `{self.database}`",
                f"- Sandbox: `python -m sandbox` (Daphne), pinging every {PING_SECS:g} s",
                f"- Clients: {outcome.clients} at once, in this process (asyncio, `websockets`), "
                f"each streaming a {CHUNK_SECS * 1000:.0f} ms chunk of PCM16 in real time for "
                f"{outcome.stream_seconds:g} s: utterances of 14 to 22 chunks of tone, each "
                f"followed by {SILENT_CHUNKS} of silence",
                "",
                table(
                    [
                        "round trips, ms",
                        "direct: count",
                        "p50",
                        "p99",
                        "relay: count",
                        "p50",
                        "p99",
                        "added p50",
                        "added p99",
                    ],
                    rows,
                ),
                "",
                table(
                    ["figure", "direct", "relay"],
                    [
                        ["audio chunks sent", f"{direct.chunks_sent:,}", f"{relay.chunks_sent:,}"],
                        [
                            "server messages received",
                            f"{direct.frames_received:,}",
                            f"{relay.frames_received:,}",
                        ],
                        *[
                            [check, str(count), str(relay.problems()[check])]
                            for check, count in direct.problems().items()
                        ],
                        [
                            "conversations closed before the last reply was heard out",
                            str(direct.undrained),
                            str(relay.undrained),
                        ],
                        ["phase, first chunk → last close", _secs(direct), _secs(relay)],
                        [
                            "CPU: clients (this process)",
                            _cpu(direct, "generator"),
                            _cpu(relay, "generator"),
                        ],
                        ["CPU: the sandbox", _cpu(direct, "sandbox"), _cpu(relay, "sandbox")],
                        ["CPU: the relay's process", "-", _cpu(relay, "server")],
                        [
                            "the relay's CPU per message relayed (both ways)",
                            "-",
                            f"{relay.server_cpu_seconds / max(messages, 1) * 1e6:.0f} µs",
                        ],
                    ],
                ),
                "",
                f"The relay's process: {memory.before_mib:.1f} MiB resident before the "
                f"conversations, {memory.most_mib:.1f} MiB at most with {memory.conversations} "
                f"open, {memory.after_mib:.1f} MiB after: **{memory.per_conversation_kib:.0f} KiB "
                f"per open conversation**. Relayed conversations recorded: "
                f"{_statuses(outcome.recorded)} (the warm-up's included).",
                "",
                f"Added to a round trip (two messages through the relay): **"
                f"{outcome.added_ms(50):.2f} ms** at the median (goal < {MEDIAN_GOAL_MS:g}), **"
                f"{outcome.added_ms(99):.2f} ms** at p99 (goal < {P99_GOAL_MS:g}). Goal {verdict}",
            ]
        )


def skipped_markdown(*, engine: str, command: str, reason: str) -> str:
    return "\n".join(
        [
            f"### {ENGINE_NAMES[engine]}: relay skipped",
            "",
            f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"- Command: `{command}`",
            f"- Skipped: {reason}",
        ]
    )


def _latency_row(name: str, direct: Phase, relay: Phase, kind: str | None) -> list[str]:
    cells = [name]
    for phase in (direct, relay):
        cells += [
            f"{len(phase.round_trips_ms(kind)):,}",
            f"{phase.latency_ms(50, kind):.2f}",
            f"{phase.latency_ms(99, kind):.2f}",
        ]
    for percent in (50, 99):
        cells.append(f"{relay.latency_ms(percent, kind) - direct.latency_ms(percent, kind):+.2f}")
    return cells


def _secs(phase: Phase) -> str:
    return f"{phase.seconds:.1f} s"


def _cpu(phase: Phase, whose: str) -> str:
    seconds = {
        "generator": phase.generator_cpu_seconds,
        "sandbox": phase.sandbox_cpu_seconds,
        "server": phase.server_cpu_seconds,
    }[whose]
    return f"{seconds:.1f} s ({seconds / phase.seconds:.0%} of a core)"


def _statuses(recorded: dict[str, int]) -> str:
    return ", ".join(f"{count} {status}" for status, count in sorted(recorded.items())) or "none"
