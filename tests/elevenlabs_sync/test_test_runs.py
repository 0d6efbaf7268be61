"""Test runs end to end against the sandbox (elevenlabs_sync/test_runs.py): scripted
conversations held over the sandbox's WebSocket and ElevenLabs' own tests run there, judged
with repeat and threshold, recorded as the gate's evidence, cancelled, promoted."""

from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from agents.models import Status
from agents.services import agent_update
from common.errors import Conflict, InvalidInput, RoleRequired
from deployments.gates import production_gates
from elevenlabs_sync.remote_tests import remote_tests_follow, remote_tests_start
from elevenlabs_sync.test_runs import run_execute, run_start, runs_sweep
from testruns.models import (
    AttemptStatus,
    Channel,
    ConversationStatus,
    Promotion,
    RunStatus,
    TestResult,
    TestRun,
    TestSource,
)
from testruns.runs import run_cancel, run_claim
from testruns.suites import agent_test_create, agent_test_update
from tests.factories import allowing_text_only, record_passing_test, sample_config

GREETING = {"turns": [{"user": "Hello there", "expect": [{"contains": "You said"}]}]}


def scripted(agent, owner, name="greets", definition=GREETING, suite="default"):
    return agent_test_create(
        agent=agent, actor=owner, name=name, kind="scripted", definition=definition, suite=suite
    )


def llm_test(agent, owner, name="polite", condition='The reply says "You said"'):
    definition = {
        "chat_history": [{"role": "user", "message": "Hi", "time_in_call_secs": 0}],
        "success_condition": condition,
        "success_examples": [],
        "failure_examples": [],
    }
    return agent_test_create(agent=agent, actor=owner, name=name, kind="llm", definition=definition)


@pytest.fixture
def run_now(django_capture_on_commit_callbacks, sandbox):
    """`run_now(agent, actor, **options)`: queue a run and let its task run it (eager).
    ElevenLabs' tests have their verdicts by the first look."""
    sandbox.test_run_delay(0)

    def start(agent, actor, **options) -> TestRun:
        with django_capture_on_commit_callbacks(execute=True):
            run = run_start(agent=agent, actor=actor, **options)
        run.refresh_from_db()
        return run

    return start


@pytest.fixture(autouse=True)
def _quick_polls(settings):
    settings.TEST_RUN_POLL_SECONDS = 0.05
    settings.TEST_TURN_TIMEOUT = 5.0


def test_a_scripted_test_that_gets_what_it_expects_passes(agent_in_testing, owner, run_now):
    scripted(agent_in_testing, owner)

    run = run_now(agent_in_testing, owner)  # a voice agent: each reply's audio waited for

    assert run.status == RunStatus.PASSED, run.reason
    attempt = run.attempts.get()
    assert attempt.status == AttemptStatus.PASSED
    assert attempt.transcript[1] == {"role": "user", "text": "Hello there"}
    assert 'You said: "Hello there"' in attempt.transcript[2]["text"]
    assert len(attempt.latencies_ms) == 1
    conversation = attempt.conversation
    assert conversation.channel == Channel.SCRIPTED
    assert conversation.status == ConversationStatus.COMPLETED
    assert conversation.elevenlabs_conversation_id
    assert [turn.role for turn in conversation.turns.all()] == ["agent", "user", "agent"]


def test_a_scripted_test_that_does_not_fails_saying_why(text_agent_in_testing, owner, run_now):
    expecting_refund = {"turns": [{"user": "Hello", "expect": [{"contains": "refund"}]}]}
    scripted(text_agent_in_testing, owner, definition=expecting_refund)

    run = run_now(text_agent_in_testing, owner)

    assert run.status == RunStatus.FAILED
    (reason,) = run.attempts.get().reasons
    assert '"refund"' in reason
    assert "You said" in reason  # what came instead


def test_a_finished_run_is_the_gates_evidence_for_the_revision_it_tested(
    text_agent_in_testing, owner, run_now
):
    scripted(text_agent_in_testing, owner)

    run = run_now(text_agent_in_testing, owner)

    result = TestResult.objects.get(pk=run.result_id)
    assert (result.status, result.source) == ("passed", TestSource.SCENARIO)
    assert result.config_revision == text_agent_in_testing.config_revision == run.config_revision
    assert all(gate.passed for gate in production_gates(agent=text_agent_in_testing))


def test_a_failed_run_closes_the_gate_a_passing_result_had_opened(
    text_agent_in_testing, owner, run_now
):

    record_passing_test(text_agent_in_testing, owner)
    scripted(
        text_agent_in_testing,
        owner,
        definition={"turns": [{"user": "Hi", "expect": [{"contains": "zebra"}]}]},
    )

    run = run_now(text_agent_in_testing, owner)

    gate = production_gates(agent=text_agent_in_testing)[-1]
    assert not gate.passed
    assert f"Test run {run.pk}" in gate.problem


def test_a_passing_run_after_a_failed_one_opens_the_gate_again(
    text_agent_in_testing, owner, run_now
):
    test = scripted(
        text_agent_in_testing,
        owner,
        definition={"turns": [{"user": "Hi", "expect": [{"contains": "zebra"}]}]},
    )
    run_now(text_agent_in_testing, owner)

    agent_test_update(test=test, actor=owner, definition=GREETING)
    run_now(text_agent_in_testing, owner)

    assert production_gates(agent=text_agent_in_testing)[-1].passed


def test_an_elevenlabs_llm_test_runs_on_elevenlabs_and_is_judged_there(
    text_agent_in_testing, owner, run_now, sandbox
):
    llm_test(text_agent_in_testing, owner)

    run = run_now(text_agent_in_testing, owner, repeat=2)

    assert run.status == RunStatus.PASSED, run.reason
    assert [a.status for a in run.attempts.all()] == ["passed", "passed"]
    (invocation,) = sandbox.state()["test_invocations"]
    assert invocation["id"] == run.elevenlabs_invocation_id
    assert invocation["repeat_count"] == 2


def test_an_elevenlabs_test_that_fails_there_fails_with_elevenlabs_reason(
    text_agent_in_testing, owner, run_now
):
    llm_test(text_agent_in_testing, owner, condition='The reply says "zebra crossing"')

    run = run_now(text_agent_in_testing, owner)

    assert run.status == RunStatus.FAILED
    assert "zebra crossing" in run.attempts.get().reasons[0]


def test_two_of_three_passes_a_test_with_a_threshold_of_two(
    text_agent_in_testing, owner, run_now, sandbox
):
    llm_test(text_agent_in_testing, owner)
    sandbox.add_fault(test_run="error", count=1)

    run = run_now(text_agent_in_testing, owner, repeat=3, pass_threshold=2)

    statuses = sorted(a.status for a in run.attempts.all())
    assert statuses == ["error", "passed", "passed"]
    assert run.status == RunStatus.PASSED


def test_errors_that_keep_a_test_from_its_threshold_make_the_run_an_error(
    text_agent_in_testing, owner, run_now, sandbox
):
    llm_test(text_agent_in_testing, owner)
    sandbox.add_fault(test_run="error", count=2)

    run = run_now(text_agent_in_testing, owner, repeat=3, pass_threshold=2)

    assert run.status == RunStatus.ERROR
    assert run.result_id is None  # no verdict, so no evidence either way


def test_elevenlabs_refusing_to_start_the_tests_is_an_error_saying_so(
    text_agent_in_testing, owner, run_now, sandbox
):
    llm_test(text_agent_in_testing, owner)
    sandbox.add_fault(path=r"run-tests$", method="POST", status=500, count=5)

    run = run_now(text_agent_in_testing, owner)

    assert run.status == RunStatus.ERROR
    assert "could not be started" in run.attempts.get().reasons[0]


def test_a_cancelled_run_stops_and_stays_cancelled(
    text_agent_in_testing, owner, django_capture_on_commit_callbacks
):
    scripted(text_agent_in_testing, owner)
    run = run_start(agent=text_agent_in_testing, actor=owner)  # queued, not run (no commit)

    run_cancel(run=run, actor=owner)
    assert run_execute(run_id=run.pk) == "not claimed"

    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert run.done == run.total
    assert [a.status for a in run.attempts.all()] == ["cancelled"]
    with pytest.raises(Conflict):
        run_cancel(run=run, actor=owner)


def test_promote_on_pass_deploys_to_production_once(text_agent_in_testing, owner, run_now):
    scripted(text_agent_in_testing, owner)

    run = run_now(text_agent_in_testing, owner, promote_on_pass=True, changes="Ship it")

    text_agent_in_testing.refresh_from_db()
    assert run.promotion == Promotion.PROMOTED
    assert text_agent_in_testing.status == Status.PRODUCTION
    assert run.promoted_version == text_agent_in_testing.live_version
    assert run_execute(run_id=run.pk) == "not claimed"
    assert text_agent_in_testing.deployments.filter(to_status="production").count() == 1


def test_promote_on_pass_needs_the_admin_role(text_agent_in_testing, editor):
    with pytest.raises(RoleRequired):
        run_start(agent=text_agent_in_testing, actor=editor, promote_on_pass=True, changes="x")


def test_promote_on_pass_needs_a_changelog_note(text_agent_in_testing, owner):
    with pytest.raises(InvalidInput) as refused:
        run_start(agent=text_agent_in_testing, actor=owner, promote_on_pass=True, changes=" ")
    assert "changes" in refused.value.errors


def test_a_failed_run_does_not_promote(text_agent_in_testing, owner, run_now):
    scripted(
        text_agent_in_testing,
        owner,
        definition={"turns": [{"user": "Hi", "expect": [{"contains": "zebra"}]}]},
    )

    run = run_now(text_agent_in_testing, owner, promote_on_pass=True, changes="Ship it")

    text_agent_in_testing.refresh_from_db()
    assert run.promotion == Promotion.SKIPPED
    assert text_agent_in_testing.status == Status.TESTING


def test_an_elevenlabs_simulation_runs_on_elevenlabs(text_agent_in_testing, owner, run_now):
    definition = {
        "simulation_scenario": "Hello there.",
        "simulation_max_turns": 2,
        "success_conditions": ['The agent says "You said"'],
    }
    agent_test_create(
        agent=text_agent_in_testing,
        actor=owner,
        name="sim",
        kind="simulation",
        definition=definition,
    )

    run = run_now(text_agent_in_testing, owner)

    assert run.status == RunStatus.PASSED, run.reason


def test_a_changed_elevenlabs_test_is_pushed_again_and_an_unchanged_one_is_not(
    text_agent_in_testing, owner, run_now, sandbox
):
    test = llm_test(text_agent_in_testing, owner)
    run_now(text_agent_in_testing, owner)
    run_now(text_agent_in_testing, owner)
    assert len(sandbox.requests("POST", r"agent-testing/create$")) == 1
    assert sandbox.requests("PUT", r"agent-testing/") == []

    agent_test_update(test=test, actor=owner, name="renamed")
    run_now(text_agent_in_testing, owner)

    assert len(sandbox.requests("PUT", r"agent-testing/")) == 1


def test_a_conversation_elevenlabs_drops_is_an_error_not_a_failure(
    text_agent_in_testing, owner, run_now, sandbox
):
    scripted(text_agent_in_testing, owner)
    sandbox.add_fault(drop_socket_after=1)

    run = run_now(text_agent_in_testing, owner)

    attempt = run.attempts.get()
    assert (run.status, attempt.status) == (RunStatus.ERROR, AttemptStatus.ERROR)
    assert "closed the conversation" in attempt.reasons[0]
    assert attempt.conversation.status == ConversationStatus.FAILED


@pytest.fixture
def agent_that_ends_calls(agent_in_testing_with):
    """A text agent in testing with ElevenLabs' built-in end_call tool: the sandbox's agent
    ends the call when told goodbye."""
    config = allowing_text_only(sample_config())
    config["conversation_config"]["agent"]["prompt"]["built_in_tools"] = {
        "end_call": {
            "type": "system",
            "name": "end_call",
            "params": {"system_tool_type": "end_call"},
        }
    }
    return agent_in_testing_with(config)


def test_the_agent_ending_the_call_in_time_meets_ends_within_turns(
    agent_that_ends_calls, owner, run_now
):
    agent = agent_that_ends_calls
    in_time = {"turns": [{"user": "Hi"}, {"user": "Thanks, bye"}], "ends_within_turns": 2}
    scripted(agent, owner, definition=in_time)
    too_late = {"turns": [{"user": "Hi"}, {"user": "Thanks, bye"}], "ends_within_turns": 1}
    scripted(agent, owner, name="ends too late", definition=too_late)

    run = run_now(agent, owner)

    verdicts = {attempt.test_name: attempt for attempt in run.attempts.all()}
    assert verdicts["greets"].status == AttemptStatus.PASSED, verdicts["greets"].reasons
    assert verdicts["ends too late"].status == AttemptStatus.FAILED
    (reason,) = verdicts["ends too late"].reasons
    assert "turn 2" in reason


def test_an_agent_ending_the_call_before_the_scripts_end_fails_it_there(
    agent_that_ends_calls, owner, run_now
):
    script = {"turns": [{"user": "Thanks, bye"}, {"user": "Still there?"}]}
    scripted(agent_that_ends_calls, owner, definition=script)

    run = run_now(agent_that_ends_calls, owner)

    attempt = run.attempts.get()
    assert attempt.status == AttemptStatus.FAILED
    assert "turn 1" in attempt.reasons[0]
    assert [line["text"] for line in attempt.transcript if line["role"] == "user"] == [
        "Thanks, bye"
    ]


def test_an_unexpected_error_ends_the_run_in_an_error_not_a_hang(
    text_agent_in_testing, owner, run_now, monkeypatch
):
    scripted(text_agent_in_testing, owner)

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("elevenlabs_sync.scripted_runs.conversation_hold", broken)

    run = run_now(text_agent_in_testing, owner)

    assert run.status == RunStatus.ERROR
    assert run.attempts.get().reasons == ["The run stopped on an unexpected error."]


def test_a_run_past_its_time_limit_is_stopped_saying_so(
    text_agent_in_testing, owner, run_now, monkeypatch
):

    scripted(text_agent_in_testing, owner)

    def too_long(**kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr("elevenlabs_sync.scripted_runs.conversation_hold", too_long)

    run = run_now(text_agent_in_testing, owner)

    assert run.status == RunStatus.ERROR
    assert "TEST_RUN_TIME_LIMIT" in run.attempts.get().reasons[0]


def test_the_sweep_queues_a_run_no_worker_took_and_closes_a_lost_one(
    text_agent_in_testing, owner, settings, django_capture_on_commit_callbacks
):

    scripted(text_agent_in_testing, owner)
    waiting = run_start(agent=text_agent_in_testing, actor=owner)
    lost = run_start(agent=text_agent_in_testing, actor=owner)
    long_ago = timezone.now() - timedelta(seconds=settings.TEST_RUN_TIME_LIMIT + 3600)
    TestRun.objects.filter(pk=waiting.pk).update(created_at=long_ago)
    TestRun.objects.filter(pk=lost.pk).update(status=RunStatus.RUNNING, started_at=long_ago)

    assert runs_sweep() == ([waiting.pk], [lost.pk])

    waiting.refresh_from_db()
    lost.refresh_from_db()
    assert waiting.status == RunStatus.PASSED  # queued again, and run (eagerly) this time
    assert lost.status == RunStatus.ERROR
    assert "stopped before it finished" in lost.attempts.get().reasons[0]


def test_cancelling_a_running_run_cancels_its_tests_on_elevenlabs(
    text_agent_in_testing, owner, sandbox
):

    llm_test(text_agent_in_testing, owner)
    sandbox.add_fault(test_run="pending")  # ElevenLabs would never finish it by itself
    run = run_claim(run_start(agent=text_agent_in_testing, actor=owner).pk)
    attempts = list(run.attempts.all())
    remote_ids = remote_tests_start(run, attempts)

    run_cancel(run=run, actor=owner)  # while the worker follows the tests
    remote_tests_follow(run, attempts, remote_ids)

    (invocation,) = sandbox.state()["test_invocations"]
    assert invocation["cancelled"] is True
    assert run.attempts.get().status == AttemptStatus.CANCELLED


def test_a_promotion_the_lifecycle_refuses_is_recorded_with_its_reason(
    text_agent_in_testing, owner, sandbox
):

    sandbox.test_run_delay(0)
    scripted(text_agent_in_testing, owner)
    run = run_start(agent=text_agent_in_testing, actor=owner, promote_on_pass=True, changes="Go")
    # Edited while the run waits: a draft again, which production does not take.
    agent_update(agent=text_agent_in_testing, actor=owner, config=sample_config("Changed"))

    assert run_execute(run_id=run.pk) == RunStatus.PASSED

    run.refresh_from_db()
    text_agent_in_testing.refresh_from_db()
    assert run.promotion == Promotion.REFUSED
    assert "testing first" in run.reason
    assert text_agent_in_testing.status == Status.DRAFT
