"""Test runs end to end against the sandbox (elevenlabs_sync/test_runs.py): scripted
conversations held over the sandbox's WebSocket and ElevenLabs' own tests run there, judged
with repeat and threshold, recorded as the gate's evidence, cancelled, promoted."""

import pytest

from agents.models import Status
from common.errors import Conflict, InvalidInput, RoleRequired
from deployments.gates import production_gates
from elevenlabs_sync.test_runs import run_execute, run_start
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
from testruns.runs import run_cancel
from testruns.suites import agent_test_create

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
def run_now(django_capture_on_commit_callbacks):
    """`run_now(agent, actor, **options)`: queue a run and let its task run it (eager)."""

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

    run = run_now(agent_in_testing, owner)

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


def test_a_scripted_test_that_does_not_fails_saying_why(agent_in_testing, owner, run_now):
    expecting_refund = {"turns": [{"user": "Hello", "expect": [{"contains": "refund"}]}]}
    scripted(agent_in_testing, owner, definition=expecting_refund)

    run = run_now(agent_in_testing, owner)

    assert run.status == RunStatus.FAILED
    reasons = run.attempts.get().reasons
    assert len(reasons) == 1 and '"refund"' in reasons[0] and "You said" in reasons[0]


def test_a_finished_run_is_the_gates_evidence_for_the_revision_it_tested(
    agent_in_testing, owner, run_now
):
    scripted(agent_in_testing, owner)

    run = run_now(agent_in_testing, owner)

    result = TestResult.objects.get(pk=run.result_id)
    assert (result.status, result.source) == ("passed", TestSource.SCENARIO)
    assert result.config_revision == agent_in_testing.config_revision == run.config_revision
    assert all(gate.passed for gate in production_gates(agent=agent_in_testing))


def test_a_failed_run_closes_the_gate_a_passing_result_had_opened(agent_in_testing, owner, run_now):
    from tests.factories import record_passing_test

    record_passing_test(agent_in_testing, owner)
    scripted(
        agent_in_testing,
        owner,
        definition={"turns": [{"user": "Hi", "expect": [{"contains": "zebra"}]}]},
    )

    run = run_now(agent_in_testing, owner)

    gate = production_gates(agent=agent_in_testing)[-1]
    assert not gate.passed
    assert f"Test run {run.pk}" in gate.problem


def test_a_passing_run_after_a_failed_one_opens_the_gate_again(agent_in_testing, owner, run_now):
    test = scripted(
        agent_in_testing,
        owner,
        definition={"turns": [{"user": "Hi", "expect": [{"contains": "zebra"}]}]},
    )
    run_now(agent_in_testing, owner)
    from testruns.suites import agent_test_update

    agent_test_update(test=test, actor=owner, definition=GREETING)
    run_now(agent_in_testing, owner)

    assert production_gates(agent=agent_in_testing)[-1].passed


def test_an_elevenlabs_llm_test_runs_on_elevenlabs_and_is_judged_there(
    agent_in_testing, owner, run_now, sandbox
):
    llm_test(agent_in_testing, owner)

    run = run_now(agent_in_testing, owner, repeat=2)

    assert run.status == RunStatus.PASSED, [
        (a.status, a.reasons, a.number) for a in run.attempts.all()
    ]
    assert [a.status for a in run.attempts.all()] == ["passed", "passed"]
    invocation = sandbox.state()["test_invocations"]
    assert run.elevenlabs_invocation_id


def test_an_elevenlabs_test_that_fails_there_fails_with_elevenlabs_reason(
    agent_in_testing, owner, run_now
):
    llm_test(agent_in_testing, owner, condition='The reply says "zebra crossing"')

    run = run_now(agent_in_testing, owner)

    assert run.status == RunStatus.FAILED
    assert "zebra crossing" in run.attempts.get().reasons[0]


def test_two_of_three_passes_a_test_with_a_threshold_of_two(
    agent_in_testing, owner, run_now, sandbox
):
    llm_test(agent_in_testing, owner)
    sandbox.add_fault(test_run="error", count=1)

    run = run_now(agent_in_testing, owner, repeat=3, pass_threshold=2)

    statuses = sorted(a.status for a in run.attempts.all())
    assert statuses == ["error", "passed", "passed"]
    assert run.status == RunStatus.PASSED


def test_errors_that_keep_a_test_from_its_threshold_make_the_run_an_error(
    agent_in_testing, owner, run_now, sandbox
):
    llm_test(agent_in_testing, owner)
    sandbox.add_fault(test_run="error", count=2)

    run = run_now(agent_in_testing, owner, repeat=3, pass_threshold=2)

    assert run.status == RunStatus.ERROR
    assert run.result_id is None  # no verdict, so no evidence either way


def test_elevenlabs_refusing_to_start_the_tests_is_an_error_saying_so(
    agent_in_testing, owner, run_now, sandbox
):
    llm_test(agent_in_testing, owner)
    sandbox.add_fault(path=r"run-tests$", method="POST", status=500, count=5)

    run = run_now(agent_in_testing, owner)

    assert run.status == RunStatus.ERROR
    assert "could not be started" in run.attempts.get().reasons[0]


def test_a_cancelled_run_stops_and_stays_cancelled(
    agent_in_testing, owner, django_capture_on_commit_callbacks
):
    scripted(agent_in_testing, owner)
    run = run_start(agent=agent_in_testing, actor=owner)  # queued, not run (no commit)

    run_cancel(run=run, actor=owner)
    assert run_execute(run_id=run.pk) == "not claimed"

    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert run.done == run.total
    assert [a.status for a in run.attempts.all()] == ["cancelled"]
    with pytest.raises(Conflict):
        run_cancel(run=run, actor=owner)


def test_promote_on_pass_deploys_to_production_once(agent_in_testing, owner, run_now):
    scripted(agent_in_testing, owner)

    run = run_now(agent_in_testing, owner, promote_on_pass=True, changes="Ship it")

    agent_in_testing.refresh_from_db()
    assert run.promotion == Promotion.PROMOTED
    assert agent_in_testing.status == Status.PRODUCTION
    assert run.promoted_version == agent_in_testing.live_version
    assert run_execute(run_id=run.pk) == "not claimed"
    assert agent_in_testing.deployments.filter(to_status="production").count() == 1


def test_promote_on_pass_needs_the_admin_role(agent_in_testing, editor):
    with pytest.raises(RoleRequired):
        run_start(agent=agent_in_testing, actor=editor, promote_on_pass=True, changes="x")


def test_promote_on_pass_needs_a_changelog_note(agent_in_testing, owner):
    with pytest.raises(InvalidInput) as refused:
        run_start(agent=agent_in_testing, actor=owner, promote_on_pass=True, changes=" ")
    assert "changes" in refused.value.errors


def test_a_failed_run_does_not_promote(agent_in_testing, owner, run_now):
    scripted(
        agent_in_testing,
        owner,
        definition={"turns": [{"user": "Hi", "expect": [{"contains": "zebra"}]}]},
    )

    run = run_now(agent_in_testing, owner, promote_on_pass=True, changes="Ship it")

    agent_in_testing.refresh_from_db()
    assert run.promotion == Promotion.SKIPPED
    assert agent_in_testing.status == Status.TESTING
