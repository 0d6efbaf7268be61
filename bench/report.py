"""The results as a table on stdout and as a generated section of docs/benchmarks.md.

The document keeps one section per database engine between markers, so a PostgreSQL run
replaces only the PostgreSQL results and leaves the hand-written text alone.
"""

import os
import platform
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import django

from bench.benchmark import Outcome
from bench.cases import BASELINE_CASE, LIST_CASE
from bench.measure import Result

GOAL_RATIO = 1.5


@dataclass(frozen=True)
class Report:
    outcome: Outcome
    engine: str  # "sqlite" or "postgresql": which section of the document this run owns
    database: str  # where the data lived, e.g. "var/bench.sqlite3"
    command: str
    agents: int
    rounds: int
    warmup: int

    def _result(self, name: str) -> Result:
        return next(result for result in self.outcome.results if result.name == name)

    @property
    def ratio(self) -> float:
        return self._result(LIST_CASE).median_ms / self._result(BASELINE_CASE).median_ms

    @property
    def queries_constant(self) -> bool:
        return all(row.constant for row in self.outcome.scaling) and all(
            len(result.queries) == 1 for result in self.outcome.results
        )

    @property
    def goal_met(self) -> bool:
        return self.ratio <= GOAL_RATIO and self.queries_constant

    def markdown(self) -> str:
        outcome, seeded = self.outcome, self.outcome.seeded
        counts = ", ".join(f"{table} {count:,}" for table, count in seeded.row_counts.items())
        timings = table(
            ["request", "median ms", "p99 ms", "CPU ms", "queries"],
            [
                [
                    r.name,
                    f"{r.median_ms:.1f}",
                    f"{r.p99_ms:.1f}",
                    f"{r.cpu_ms:.1f}",
                    r.queries_label,
                ]
                for r in outcome.results
            ],
        )
        scaling = table(
            ["queries of", "smallest", "typical", "largest", "constant"],
            [
                [row.name, *map(str, row.counts), "yes" if row.constant else "**no**"]
                for row in outcome.scaling
            ],
        )
        verdict = "met" if self.goal_met else "**missed**"
        return "\n".join(
            [
                f"### {outcome.database}",
                "",
                f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
                f"- Command: `{self.command}`",
                f"- Machine: {machine()}; 1-minute load average {outcome.load[0]:.1f} "
                f"before the timed requests, {outcome.load[1]:.1f} after",
                f"- Database: {outcome.database}, `{self.database}`",
                f"- Data: {self.agents:,} agents + 2 probes, seeded in {seeded.seconds:.1f} s "
                f"({counts})",
                f"- Rounds: {self.rounds} timed after {self.warmup} warm-up rounds per request",
                "",
                timings,
                "",
                scaling,
                "",
                f"Agent list median / baseline median = **{self.ratio:.2f}x** (goal ≤ "
                f"{GOAL_RATIO}x); query counts constant: "
                f"{'yes' if self.queries_constant else '**no**'}. Goal {verdict}.",
            ]
        )


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = (cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return f"| {' | '.join(padded)} |"

    return "\n".join([line(header), line(["-" * width for width in widths]), *map(line, rows)])


def machine() -> str:
    cpu = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        cpu = found.group(1) if found else cpu
    return (
        f"{os.cpu_count()} CPUs{f' ({cpu})' if cpu else ''}, {platform.system()} "
        f"{platform.release()} {platform.machine()}, Python {platform.python_version()}, "
        f"Django {django.get_version()}"
    )


def write_section(path: Path, engine: str, text: str) -> None:
    """Replace this engine's generated section of `path`, or append one."""
    begin, end = f"<!-- bench:{engine}:begin -->", f"<!-- bench:{engine}:end -->"
    section = f"{begin}\n{text}\n{end}"
    document = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.DOTALL)
    if pattern.search(document):
        document = pattern.sub(lambda _: section, document)
    else:
        document = f"{document.rstrip()}\n\n{section}\n"
    path.write_text(document)
