"""The scripted test runs benchmark's pieces: its script (which the sandbox's agent must pass),
its percentiles and overhead arithmetic, the pairing of a worker's runs, and what its report
says and fails on. The run itself is `make bench` (a minute, a Redis, a worker and a sandbox of
its own)."""

import math

import pytest

from bench.scripted_runs import (
    CUSTOMER,
    POOL,
    SCRIPT,
    TURNS,
    BareConversation,
    Baseline,
    RunsOutcome,
    TimedRun,
    bare_user_text,
    between_runs,
    cpu_ms_per,
    per_turn_overhead_ms,
    percentile_or_nan,
)
from bench.scripted_runs_report import RunsReport
from bench.seed import agent_config
from sandbox.conversation_rules import Session, reply_to
from testruns.expectations import TurnSeen, script_failures
from testruns.scripts import script_parse, user_text

# --- the script ---------------------------------------------------------------------------


def test_the_script_is_five_turns_with_expectations():
    script = script_parse(SCRIPT)

    assert len(script.turns) == TURNS == 5
    assert all(turn.expect for turn in script.turns)


def test_the_sandboxs_agent_passes_the_script():
    """What the sandbox replies (it quotes the user and the prompt's first words) meets every
    expectation, so a run fails only when something went wrong."""
    script = script_parse(SCRIPT)
    config = agent_config(1, 1)["conversation_config"]
    session = Session(
        prompt=config["agent"]["prompt"]["prompt"],
        first_message=config["agent"]["first_message"],
        voice_id="",
        text_only=True,
        output_format="pcm_16000",
        input_format="pcm_16000",
        client_tools=[],
    )
    seen = []
    for turn in script.turns:
        said = user_text(turn, script.dynamic_variables)
        seen.append(TurnSeen(said, reply_to(said, session), (), latency_ms=3.0, ended=False))

    assert script_failures(script, seen) == []


def test_the_bare_client_says_what_the_worker_says():
    script = script_parse(SCRIPT)

    said = [bare_user_text(turn) for turn in SCRIPT["turns"]]

    assert said == [user_text(turn, script.dynamic_variables) for turn in script.turns]
    assert CUSTOMER in said[0]


# --- the arithmetic -----------------------------------------------------------------------


def test_percentiles_leave_out_what_is_not_known_and_are_nan_for_nothing():
    assert percentile_or_nan([3.0, None, 1.0, 2.0], 50) == 2.0
    assert percentile_or_nan([1.0, 2.0, 3.0, 4.0], 95) == 4.0
    assert math.isnan(percentile_or_nan([None, None], 50))
    assert math.isnan(percentile_or_nan([], 95))


def test_the_overhead_per_turn_spreads_the_run_beyond_the_bare_conversation():
    assert per_turn_overhead_ms(run_ms=160.0, bare_ms=10.0, turns=5) == 30.0
    assert cpu_ms_per(2.0, 1000) == 2.0
    assert math.isnan(cpu_ms_per(2.0, 0))


def test_the_time_between_runs_pairs_each_start_with_the_oldest_finish_before_it():
    runs = [
        run(1, started=0.0, finished=1.0),  # process A
        run(2, started=0.0, finished=1.5),  # process B
        run(3, started=1.1, finished=2.0),  # A, 0.1 s after its last
        run(4, started=1.8, finished=3.0),  # B, 0.3 s after its last
        run(5, started=2.05, finished=2.5),  # A, 0.05 s after its last
    ]

    assert between_runs(runs) == pytest.approx([0.1, 0.3, 0.05])


def test_a_run_never_started_or_finished_has_no_time():
    assert run(1, started=None, finished=None).seconds is None
    assert run(1, started=1.0, finished=None).outside_seconds is None
    assert run(1, started=1.0, finished=1.2).outside_seconds == pytest.approx(0.2 - 0.02)


# --- the outcome and its report -----------------------------------------------------------


def run(
    run_id: int,
    *,
    status: str = "passed",
    started: float | None = 0.0,
    finished: float | None = 0.1,
    latency_ms: float = 2.0,
    reason: str = "",
) -> TimedRun:
    return TimedRun(
        run_id=run_id,
        status=status,
        reason=reason,
        started=started,
        finished=finished,
        conversation_seconds=0.02,
        latencies_ms=(latency_ms,) * TURNS,
    )


def outcome(runs: list[TimedRun] | None = None, **changes) -> RunsOutcome:
    """Ten runs of 100 ms, two at a time, in 0.5 s; turns 2 ms each, 1 ms bare."""
    if runs is None:
        runs = [
            run(number, started=0.1 * (number // 2), finished=0.1 * (number // 2) + 0.1)
            for number in range(10)
        ]
    bare = BareConversation(url_seconds=0.002, seconds=0.008, latencies_ms=(1.0,) * TURNS)
    defaults = {
        "database": "PostgreSQL 15",
        "runs": runs,
        "turns": TURNS,
        "pool": POOL,
        "created_seconds": 0.1,
        "queued_seconds": 0.01,
        "total_seconds": 0.5,
        "worker_cpu_seconds": 0.4,
        "sandbox_cpu_seconds": 0.05,
        "baseline": Baseline(
            conversations=[bare] * 10,
            seconds=0.05,
            client_cpu_seconds=0.01,
            sandbox_cpu_seconds=0.03,
        ),
        "load": (0.5, 0.7),
        "worker_processes": 3,
        "sessions_opened": 40,
        "read_backs": len(runs),
        "read_back_seconds": 0.1,
        "read_back_cpu_seconds": 0.05,
    }
    return RunsOutcome(**{**defaults, **changes})


def report(**changes) -> RunsReport:
    return RunsReport(
        outcome=outcome(**changes),
        command="make bench",
        database="app_bench",
        broker="redis://127.0.0.1:6379/15",
    )


def test_the_outcome_says_throughput_and_what_switchboard_adds():
    measured = outcome()

    assert measured.throughput == 20.0  # 10 runs in 0.5 s
    assert measured.run_ms(95) == pytest.approx(100.0)
    assert measured.outside_ms(50) == pytest.approx(80.0)
    assert measured.added_turn_ms(50) == pytest.approx(1.0)  # 2 ms against 1 ms bare
    # (100 ms run - (2 + 8) ms bare) / 5 turns
    assert measured.added_per_turn_ms == pytest.approx(18.0)
    assert measured.worker_cpu_ms_per_turn == pytest.approx(8.0)  # 0.4 s over 50 turns
    assert measured.client_cpu_ms_per_turn == pytest.approx(0.2)  # 0.01 s over 50 turns


def test_the_baselines_two_parts_add_up():
    part = outcome().baseline

    whole = part.joined(part)

    assert len(whole.conversations) == 20
    assert whole.seconds == pytest.approx(0.1)
    assert whole.client_cpu_seconds == pytest.approx(0.02)


def test_a_run_where_every_run_passed_is_met():
    met = report()

    assert met.failures() == []
    text = met.markdown()
    assert "10 of 10 runs passed. Throughput **20.0 runs/s** (100 turns/s)" in text
    assert "run time p95 **100 ms**" in text
    assert "**+1.00 ms** to a turn's reply at the median" in text
    assert "**+18.00 ms** per turn all in" in text
    assert "| 10 / 0.10 s / 5.0 ms" in text  # read back, when, CPU per read-back
    assert "| 40 (2.00)" in text  # sessions per task: 10 runs and 10 read-backs
    assert "Check met." in text


def test_a_run_that_did_not_pass_is_a_failure_naming_it():
    failed = run(3, status="failed", reason='Turn 2: the reply does not contain "Tuesday".')
    runs = [*outcome().runs[:9], failed]

    missed = report(runs=runs)

    assert any("run 3 failed: Turn 2" in found for found in missed.failures())
    assert "| runs: passed / failed / error / other" in missed.markdown()
    assert "9 / 1 / 0 / 0" in missed.markdown()
    assert "Check **missed**" in missed.markdown()


def test_runs_left_unfinished_are_a_failure():
    runs = [*outcome().runs[:8], run(8, status="running", finished=None)]
    runs.append(run(9, status="queued", started=None, finished=None))

    missed = report(runs=runs, total_seconds=None)

    assert "2 runs not finished in time" in missed.failures()
    assert "not all finished" in missed.markdown()


def test_a_passed_run_without_each_turns_time_and_a_failed_baseline_are_failures():
    short = TimedRun(1, "passed", "", 0.0, 0.1, 0.02, (2.0,) * (TURNS - 1))
    broken = BareConversation(0.002, 0.008, (), problem="TimeoutError: timed out")
    baseline = Baseline([broken], 0.01, 0.001, 0.001)

    found = report(runs=[short], baseline=baseline).failures()

    assert "1 passed runs without a reply time for each turn" in found
    assert any("1 baseline conversations failed" in problem for problem in found)


def test_conversations_not_read_back_are_a_failure():
    found = report(read_backs=7, read_back_seconds=None).failures()

    assert "7 of 10 conversations read back in time" in found
