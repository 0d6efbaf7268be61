"""`switchboard test AGENT`: a run of the agent's tests queued, followed to its verdict, and
its exit code: 0 passed (and promoted, if asked), 1 failed or the promotion refused, 2 nothing
proven (an error, a cancellation, a wait timed out) or the command failed."""

import json
import os
import signal

import pytest

from agents.models import Status
from common.errors import Conflict
from deployments.models import Deployment
from switchboard_cli import output, runs
from switchboard_cli.output import bar
from testruns.models import RunStatus, TestRun
from testruns.suites import agent_test_create
from tests.factories import allowing_text_only, sample_config
from tests.testruns.junit_schema import assert_valid_junit

pytestmark = pytest.mark.django_db(transaction=True)

PASSING = {"turns": [{"user": "Hello", "expect": [{"contains": "You said"}]}]}
FAILING = {"turns": [{"user": "Hello", "expect": [{"contains": "zebra"}]}]}


@pytest.fixture(autouse=True)
def polls(monkeypatch) -> list[float]:
    """The seconds the command waited between polls (it waits for none of them here)."""
    waited: list[float] = []
    monkeypatch.setattr(runs, "sleep", waited.append)
    return waited


@pytest.fixture
def agent(make_agent, owner):
    """An agent in testing with a passing scripted test. Its config lets a conversation be
    text only, so a scripted one takes milliseconds, not the half second of quiet that ends
    each spoken reply."""
    config = allowing_text_only(sample_config())
    agent = make_agent(Status.TESTING, name="Front Desk", config=config)
    add_test(agent, owner, "greets", PASSING)
    return agent


def add_test(agent, actor, name: str, definition: dict, suite: str = "default"):
    return agent_test_create(
        agent=agent, actor=actor, name=name, kind="scripted", definition=definition, suite=suite
    )


@pytest.fixture
def stays_queued(monkeypatch):
    """Runs are queued but no worker takes them: they go on until cancelled."""
    monkeypatch.setattr("elevenlabs_sync.test_runs.run_queue", lambda run_id: None)


def test_a_passing_run_exits_0_with_each_tests_verdict(cli, tester, agent, polls):
    run = cli(tester, "test", "Front Desk", "--wait")

    assert run.code == 0, run.err
    test_run = TestRun.objects.get()
    assert run.out.splitlines() == [
        f"Test run {test_run.pk} of agent {agent.pk} queued: 1 test(s), 1 attempt(s).",
        f"Test run {test_run.pk} of agent {agent.pk}: passed (1 of 1 test(s) passed; 1 of 1 "
        "attempt(s) needed each).",
        "  PASS  default/greets (1 of 1 attempt(s) passed)",
    ]
    assert run.err == ""  # no progress in a pipe
    assert polls == []  # the verdict was in at the first look


def test_a_failing_run_exits_1_saying_why(cli, tester, owner, agent):
    add_test(agent, owner, "zebra", FAILING, suite="animals")

    run = cli(tester, "test", "Front Desk", "--wait")

    assert run.code == 1
    lines = run.out.splitlines()
    assert "  FAIL  animals/zebra (0 of 1 attempt(s) passed)" in lines
    assert "  PASS  default/greets (1 of 1 attempt(s) passed)" in lines
    [reason] = [line for line in lines if line.startswith("        #1 failed: ")]
    assert 'Turn 1: the reply does not contain "zebra"' in reason
    assert run.err.strip() == "Failed, needing 1 passing attempt a test: zebra (0 of 1 passed)."


def test_a_run_that_could_not_be_judged_exits_2(cli, tester, owner, agent, sandbox):
    agent_test_create(
        agent=agent,
        actor=owner,
        name="polite",
        kind="llm",
        definition={"chat_history": [], "success_condition": "It answers."},
        suite="remote",
    )
    sandbox.test_run_delay(0)
    sandbox.add_fault(test_run="error")  # ElevenLabs' run of it ends in an error

    run = cli(tester, "test", "Front Desk", "--suite", "remote", "--wait")

    assert run.code == 2
    assert TestRun.objects.get().status == RunStatus.ERROR
    assert "Could not be judged" in run.err


def test_junit_writes_the_report_and_implies_wait(cli, tester, owner, agent, tmp_path):
    add_test(agent, owner, "zebra", FAILING, suite="animals")
    report = tmp_path / "report.xml"

    run = cli(
        tester, "test", str(agent.pk), "--suite", "animals", "--repeat", "2", "--junit", str(report)
    )

    assert run.code == 1
    assert run.out.splitlines()[-1] == f"JUnit report written to {report}."
    assert_valid_junit(report.read_bytes())
    text = report.read_text()
    assert 'failures="1"' in text
    assert "zebra" in text
    assert "greets" not in text  # only the suite asked for
    assert TestRun.objects.get().repeat == 2


def test_without_wait_it_exits_0_once_queued(cli, tester, agent, asgi_server):
    run = cli(tester, "test", "Front Desk", "--json")

    assert run.code == 0, run.err
    queued = json.loads(run.out)  # the API's answer: the run as queued
    assert (queued["agent"], queued["total"]) == (agent.pk, 1)
    assert TestRun.objects.filter(pk=queued["id"]).exists()
    plain = cli(tester, "test", "Front Desk")
    second = TestRun.objects.order_by("-id").first()
    assert plain.out.strip() == (
        f"Test run {second.pk} of agent {agent.pk} queued: 1 test(s), 1 attempt(s). Its verdict "
        f"will be at {asgi_server}/api/test-runs/{second.pk} (--wait waits for it)."
    )


def test_json_prints_the_run_as_it_finished(cli, tester, agent):
    run = cli(tester, "test", "Front Desk", "--wait", "--json")

    assert run.code == 0, run.err
    shown = json.loads(run.out)  # one document: the queued line is for people only
    assert shown["status"] == "passed"
    [test] = shown["tests"]
    assert (test["name"], test["status"], test["passed_attempts"]) == ("greets", "passed", 1)
    assert test["attempts"][0]["transcript"][1] == {"role": "user", "text": "Hello"}


def test_promote_on_pass_deploys_to_production_once(cli, owner, agent):
    run = cli(
        owner, "test", "Front Desk", "--wait", "--promote-on-pass", "--changes", "Greets well"
    )

    assert run.code == 0, run.err
    assert run.out.splitlines()[-1] == "Promoted to production: v2 is live."
    agent.refresh_from_db()
    assert (agent.status, agent.live_version) == (Status.PRODUCTION, 2)
    assert Deployment.objects.filter(agent=agent, to_status=Status.PRODUCTION).count() == 1


def test_promote_on_pass_is_refused_to_a_tester_with_2(cli, tester, agent):
    run = cli(tester, "test", "Front Desk", "--wait", "--promote-on-pass", "--changes", "Ship")

    assert run.code == 2  # the token's role: the pipeline's set-up, not the agent
    assert "admin" in run.err.lower()
    assert not TestRun.objects.exists()


def test_a_promotion_production_refuses_after_a_pass_exits_1(cli, owner, agent, monkeypatch):
    def closed_gate(**kwargs):
        raise Conflict("The agent is not on ElevenLabs yet.", code="not_on_elevenlabs")

    monkeypatch.setattr("elevenlabs_sync.test_runs.deployment_create", closed_gate)

    run = cli(owner, "test", "Front Desk", "--wait", "--promote-on-pass", "--changes", "Ship")

    assert run.code == 1
    assert "  PASS  default/greets (1 of 1 attempt(s) passed)" in run.out
    assert run.out.splitlines()[-1] == "Not promoted to production: production refused it."
    assert run.err.strip() == ("Not deployed to production: The agent is not on ElevenLabs yet.")


def test_an_agent_without_tests_exits_1_with_the_apis_message(cli, tester, make_agent):
    bare = make_agent(Status.TESTING, name="Bare")

    run = cli(tester, "test", "Bare", "--wait", "--json")

    assert run.code == 1  # a 409: the agent is not ready, as the lifecycle's refusals
    body = json.loads(run.out)
    assert body["code"] == "no_tests"
    assert run.err.strip() == body["message"]
    assert not TestRun.objects.filter(agent=bare).exists()


@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm"])
def test_stopping_the_wait_cancels_the_run(cli, tester, agent, stays_queued, monkeypatch, stop):
    def interrupted(seconds: float) -> None:
        if stop == "ctrl-c":
            raise KeyboardInterrupt
        os.kill(os.getpid(), signal.SIGTERM)  # as a CI runner stops a cancelled job

    monkeypatch.setattr(runs, "sleep", interrupted)
    before = signal.getsignal(signal.SIGTERM)

    run = cli(tester, "test", "Front Desk", "--wait")

    assert run.code == 130
    test_run = TestRun.objects.get()
    assert test_run.status == RunStatus.CANCELLED
    assert run.err.splitlines() == [
        f"Test run {test_run.pk}: 0 of 1 attempt(s) done (queued).",
        f"Cancelled test run {test_run.pk}.",
        "Interrupted.",
    ]
    assert signal.getsignal(signal.SIGTERM) == before


def test_a_timeout_ends_the_wait_with_2_and_the_run_goes_on(
    cli, tester, agent, stays_queued, monkeypatch, asgi_server
):
    now, waited = [0.0], []

    def wait(seconds: float) -> None:
        waited.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(runs, "clock", lambda: now[0])
    monkeypatch.setattr(runs, "sleep", wait)
    monkeypatch.setattr(output, "_is_terminal", lambda stream: True)  # a bar shows there

    run = cli(tester, "test", "Front Desk", "--timeout", "3")  # --timeout waits too
    shown = run.err

    assert run.code == 2
    test_run = TestRun.objects.get()
    assert test_run.status == RunStatus.QUEUED  # not cancelled: only the wait ended
    assert waited == [1.0, 1.5, 0.5]  # growing, and not past the timeout
    assert f"\r\x1b[KTest run {test_run.pk} {bar(0, 1)} 0 of 1 (queued)" in shown
    assert shown.endswith(
        f"\r\x1b[KStopped waiting after 3 s: test run {test_run.pk} goes on (queued, 0 of 1 "
        f"attempt(s) done). Its verdict will be at {asgi_server}/api/test-runs/{test_run.pk}.\n"
    )


def test_a_bar_fills_in_proportion():
    assert bar(0, 4) == "[" + "-" * 20 + "]"
    assert bar(1, 4) == "[" + "#" * 5 + "-" * 15 + "]"
    assert bar(4, 4) == "[" + "#" * 20 + "]"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--changes", "Ship"], "--changes is the note of the deploy --promote-on-pass makes"),
        (["--timeout", "0"], "'0' is not a number of seconds above 0"),
    ],
)
def test_usage_errors_exit_2(run_cli, argv, message):
    run = run_cli("test", "7", *argv, url="http://127.0.0.1:9", token="key")

    assert run.code == 2
    assert message in run.err
