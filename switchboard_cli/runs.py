"""`switchboard test AGENT`: run an agent's automated tests, and say how they went.

It queues a run (`POST /api/agents/{id}/test-runs`) and, when asked to wait, follows it
(`GET /api/test-runs/{id}`) until it has a verdict: each test's, with the reasons of those
that did not pass, and the JUnit report written for CI. Interrupted while it waits (Ctrl-C,
or the SIGTERM a cancelled CI job gets), it cancels the run: a job that stops leaves no run
going on. Exit codes: 0 the run passed (and was promoted, if asked); 1 the tests failed, or
production refused the promotion; 2 nothing was proven (the run errored or was cancelled, or
the wait timed out) or the command failed (docs/cli.md, "Testing").
"""

import argparse
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from switchboard_cli.agents import AGENT_HELP, WORKSPACE_HELP, find_agent_id
from switchboard_cli.client import Api
from switchboard_cli.errors import FAILED, REFUSED, SUCCEEDED, ApiError, CliError
from switchboard_cli.output import Output, bar

FINISHED = ("passed", "failed", "error", "cancelled")
# Polls: after 1 s, then each wait half as long again as the last, up to 5 s.
POLL_FIRST_SECONDS = 1.0
POLL_GROWTH = 1.5
POLL_MAX_SECONDS = 5.0
MARKS = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "cancelled": "CANCELLED"}

# Tests replace them, so that waiting costs them nothing.
sleep = time.sleep
clock = time.monotonic


def add_command(commands: Any, common: argparse.ArgumentParser) -> None:
    test = commands.add_parser(
        "test",
        parents=[common],
        help="run an agent's automated tests",
        description="Queue a run of the agent's tests on its testing branch and print its id; "
        "with --wait, follow it to its verdict and print each test's. Exit codes: 0 passed (and "
        "promoted, if asked); 1 the tests failed, or production refused the promotion; 2 the "
        "run errored or was cancelled, the wait timed out, or the command failed.",
    )
    test.add_argument("agent", metavar="AGENT", help=AGENT_HELP)
    test.add_argument("--suite", metavar="NAME", help="only this suite's tests (default: all)")
    test.add_argument("--repeat", type=int, metavar="N", help="try each test N times (1 to 10)")
    test.add_argument(
        "--threshold", type=int, metavar="K", help="passing tries each test needs (default: N)"
    )
    test.add_argument("--wait", action="store_true", help="wait for the verdict and print it")
    test.add_argument(
        "--junit", type=Path, metavar="FILE", help="write the JUnit XML report to FILE (waits)"
    )
    test.add_argument(
        "--promote-on-pass",
        action="store_true",
        help="admins: deploy to production if every test passes (needs --changes)",
    )
    test.add_argument("--changes", metavar="TEXT", help="the production deploy's changelog note")
    test.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help="stop waiting after SECONDS, leaving the run going on (waits; exit 2)",
    )
    test.add_argument("--workspace", metavar="SLUG", help=WORKSPACE_HELP)
    test.set_defaults(run=run_tests)


def run_tests(args: argparse.Namespace, api: Api, out: Output) -> int:
    if args.changes is not None and not args.promote_on_pass:
        raise CliError("--changes is the note of the deploy --promote-on-pass makes: give both.")
    agent_id = find_agent_id(api, args.agent, workspace=args.workspace)
    out.progress(f"Queueing a test run of agent {agent_id}…")
    run = api.post(f"agents/{agent_id}/test-runs", _request(args))
    where = f"{api.url}/api/test-runs/{run['id']}"
    if not (args.wait or args.junit is not None or args.timeout is not None):
        out.document(run)
        out.line(f"{_queued(run)} Its verdict will be at {where} (--wait waits for it).")
        return SUCCEEDED
    out.line(_queued(run))
    try:
        with _terminating_as_interrupt():
            run = _follow(api, out, run, timeout=args.timeout, where=where)
    except KeyboardInterrupt:
        _cancel(api, out, run["id"])
        raise
    out.document(run)
    for line in describe(run):
        out.line(line)
    if args.junit is not None:
        _write_junit(api, run["id"], args.junit)
        out.line(f"JUnit report written to {args.junit}.")
    code = exit_code(run)
    if code != SUCCEEDED:
        out.error(run["reason"] or f"Test run {run['id']} {run['status']}.")
    return code


def exit_code(run: dict[str, Any]) -> int:
    """0 the run passed (and was promoted if asked); 1 the tests failed, or production
    refused the promotion (the agent is not ready); 2 nothing was proven (an error, a
    cancellation)."""
    if run["status"] == "passed":
        return REFUSED if run["promotion"] == "refused" else SUCCEEDED
    return REFUSED if run["status"] == "failed" else FAILED


def describe(run: dict[str, Any]) -> list[str]:
    """The verdict as `test --wait` prints it: the run's, each test's, the reasons of each
    attempt that did not pass, and what became of the promotion."""
    tests = run["tests"]
    passed = sum(test["status"] == "passed" for test in tests)
    lines = [
        f"Test run {run['id']} of agent {run['agent']}: {run['status']} ({passed} of "
        f"{len(tests)} test(s) passed; {run['pass_threshold']} of {run['repeat']} "
        "attempt(s) needed each)."
    ]
    for test in tests:
        mark = MARKS.get(test["status"], test["status"].upper())
        lines.append(
            f"  {mark:<5} {test['suite']}/{test['name']} ({test['passed_attempts']} of "
            f"{len(test['attempts'])} attempt(s) passed)"
        )
        for attempt in test["attempts"] if test["status"] != "passed" else []:
            for reason in attempt["reasons"] if attempt["status"] != "passed" else []:
                reason = reason.replace("\n", "\n" + " " * 10)
                lines.append(f"        #{attempt['number']} {attempt['status']}: {reason}")
    if run["promotion"] == "promoted":
        lines.append(f"Promoted to production: v{run['promoted_version']} is live.")
    elif run["promotion"] == "skipped":
        lines.append("Not promoted to production: the run did not pass.")
    elif run["promotion"] == "refused":
        lines.append("Not promoted to production: production refused it.")
    return lines


def _request(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if args.suite is not None:
        body["suite"] = args.suite
    if args.repeat is not None:
        body["repeat"] = args.repeat
    if args.threshold is not None:
        body["pass_threshold"] = args.threshold
    if args.promote_on_pass:
        body |= {"promote_on_pass": True, "changes": args.changes or ""}
    return body


def _queued(run: dict[str, Any]) -> str:
    tests = len(run["tests"])
    return (
        f"Test run {run['id']} of agent {run['agent']} queued: {tests} test(s), "
        f"{run['total']} attempt(s)."
    )


def _follow(
    api: Api, out: Output, run: dict[str, Any], *, timeout: float | None, where: str
) -> dict[str, Any]:
    """The run once it has its verdict (and its promotion, if asked), asking every few
    seconds and showing how far it got; CliError if `timeout` seconds pass first."""
    deadline = None if timeout is None else clock() + timeout
    interval, shown = POLL_FIRST_SECONDS, ""
    while True:
        run = api.get(f"test-runs/{run['id']}")
        if _settled(run):
            return run
        shown = _show_progress(out, run, shown)
        left = None if deadline is None else deadline - clock()
        if left is not None and left <= 0:
            raise CliError(
                f"Stopped waiting after {timeout:g} s: test run {run['id']} goes on "
                f"({run['status']}, {run['done']} of {run['total']} attempt(s) done). Its "
                f"verdict will be at {where}."
            )
        sleep(interval if left is None else min(interval, left))
        interval = min(interval * POLL_GROWTH, POLL_MAX_SECONDS)


def _settled(run: dict[str, Any]) -> bool:
    """Finished, and its promotion too: a passed run deploys after its verdict, and shows
    `promoted` before the version it put live."""
    if run["status"] not in FINISHED:
        return False
    return run["promotion"] != "pending" and not (
        run["promotion"] == "promoted" and run["promoted_version"] is None
    )


def _show_progress(out: Output, run: dict[str, Any], shown: str) -> str:
    """A bar on a terminal; elsewhere (a CI log) a line each time the run moves on."""
    done, total = run["done"], run["total"]
    text = f"Test run {run['id']}: {done} of {total} attempt(s) done ({run['status']})"
    if out.on_terminal:
        out.progress(f"Test run {run['id']} {bar(done, total)} {done} of {total} ({run['status']})")
    elif text != shown:
        out.note(text + ".")
    return text


@contextmanager
def _terminating_as_interrupt() -> Iterator[None]:
    """SIGTERM (what a CI runner sends a job it cancels) stops the wait as Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _cancel(api: Api, out: Output, run_id: int) -> None:
    """Cancel the run the command was waiting for, saying what came of it."""
    try:
        api.post(f"test-runs/{run_id}/cancel", {})
    except ApiError as error:
        if error.code == "run_finished":
            out.note(f"Test run {run_id} had finished: nothing to cancel.")
        else:
            out.note(f"Test run {run_id} could not be cancelled: {error.message}")
    except CliError as error:
        out.note(f"Test run {run_id} could not be cancelled: {error.message}")
    else:
        out.note(f"Cancelled test run {run_id}.")


def _write_junit(api: Api, run_id: int, path: Path) -> None:
    report = api.download(f"test-runs/{run_id}/junit.xml", media_type="application/xml")
    try:
        path.write_bytes(report)
    except OSError as error:
        raise CliError(f"{path}: cannot be written ({error}).") from error


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds above 0")
    return seconds
