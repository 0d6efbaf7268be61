"""Test runs: queued with their attempts, claimed by a worker, each attempt finished once,
and the run's verdict recorded as the production gate's evidence (docs/testing.md).

Who runs what lives in the ElevenLabs app (elevenlabs_sync/test_runs.py), which pins the
version under test and talks to ElevenLabs; this module keeps the records straight whatever
order workers, cancellations and retries arrive in: every change of state is a conditional
update from the state it leaves, so it happens once.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from agents.models import VoiceAgent
from agents.services import refuse_if_archived
from common.errors import Conflict, InvalidInput
from testruns.models import (
    ATTEMPT_FINISHED,
    REPEAT_MAX,
    AgentTest,
    AttemptStatus,
    Conversation,
    ConversationTarget,
    Promotion,
    RunStatus,
    TestAttempt,
    TestResult,
    TestRun,
    TestSource,
    TestStatus,
)
from testruns.reports import RunTest, tests_judged
from testruns.services import result_save
from workspaces.permissions import User, require_role
from workspaces.roles import Action


@dataclass(frozen=True)
class Pinned:
    """What a run tests: the target, the version and config revision that is, and where
    ElevenLabs finds it."""

    target: str
    version: int
    config_revision: str
    branch_id: str = ""
    elevenlabs_version_id: str = ""


def run_create(
    *,
    agent: VoiceAgent,
    actor: User,
    pinned: Pinned,
    suite: str = "",
    repeat: int = 1,
    pass_threshold: int | None = None,
    promote_changes: str | None = None,
) -> TestRun:
    """Queue a run of the agent's tests (of one suite, if named) with its attempts: each
    test `repeat` times. `pass_threshold` passing attempts make a test pass (all of them if
    not given). `promote_changes`, when given, deploys to production if every test passes."""
    actor = require_role(actor, agent.workspace, Action.RUN_TESTS)
    refuse_if_archived(agent)
    repeat = _clean_count("repeat", repeat, high=REPEAT_MAX)
    threshold = _clean_count(
        "pass_threshold", repeat if pass_threshold is None else pass_threshold, high=repeat
    )
    tests = list(AgentTest.objects.filter(agent=agent, **({"suite": suite} if suite else {})))
    if not tests:
        where = f" in suite '{suite}'" if suite else ""
        raise Conflict(
            f"'{agent.name}' has no tests{where} to run; add one first.",
            code="no_tests",
            errors={"suite": [f"No tests{where}."]} if suite else {},
        )
    if pinned.target == ConversationTarget.VERSION and any(t.runs_on_elevenlabs for t in tests):
        # ElevenLabs runs its tests on a branch's tip, not on a published version.
        raise InvalidInput.for_field(
            "version",
            "ElevenLabs runs its own tests (llm, tool, simulation) on a branch, not on a "
            "published version: run them on the testing branch or the live version, or name "
            "a suite of scripted tests.",
        )
    with transaction.atomic():
        run = TestRun.objects.create(
            agent=agent,
            suite=suite,
            target=pinned.target,
            version=pinned.version,
            config_revision=pinned.config_revision,
            branch_id=pinned.branch_id,
            elevenlabs_version_id=pinned.elevenlabs_version_id,
            repeat=repeat,
            pass_threshold=threshold,
            promotion=Promotion.PENDING if promote_changes is not None else Promotion.NOT_ASKED,
            promote_changes=promote_changes or "",
            started_by=actor,
            started_by_name=actor.get_username(),
            total=len(tests) * repeat,
        )
        TestAttempt.objects.bulk_create(
            TestAttempt(
                run=run,
                test=test,
                test_name=test.name,
                suite=test.suite,
                kind=test.kind,
                definition=test.definition,
                number=number,
            )
            for test in tests
            for number in range(1, repeat + 1)
        )
    return run


def run_claim(run_id: int) -> TestRun | None:
    """The queued run, now running, for the one worker that claims it; None for any other."""
    claimed = TestRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now()
    )
    return TestRun.objects.select_related("agent__workspace").get(pk=run_id) if claimed else None


def run_cancel(*, run: TestRun, actor: User) -> TestRun:
    """Stop a run: what has not finished is cancelled, and the worker stops at its next step
    (and cancels what ElevenLabs is running for it)."""
    actor = require_role(actor, run.agent.workspace, Action.RUN_TESTS)
    with transaction.atomic():
        stopped = TestRun.objects.filter(
            pk=run.pk, status__in=(RunStatus.QUEUED, RunStatus.RUNNING)
        ).update(
            status=RunStatus.CANCELLED,
            finished_at=timezone.now(),
            cancelled_by=actor,
            reason=f"Cancelled by {actor.get_username()}.",
        )
        if not stopped:
            run.refresh_from_db()
            raise Conflict(
                f"Test run {run.pk} has finished already ({run.get_status_display().lower()}); "
                "there is nothing to cancel.",
                code="run_finished",
            )
        _attempts_end(run.pk, AttemptStatus.CANCELLED, "The run was cancelled.")
        _promotion_settle(run.pk, Promotion.SKIPPED)
    run.refresh_from_db()
    return run


def run_is_going_on(run_id: int) -> bool:
    return TestRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).exists()


def attempt_claim(attempt: TestAttempt) -> bool:
    """Whether this worker may try `attempt` (pending, of a run still going on)."""
    return bool(
        TestAttempt.objects.filter(
            pk=attempt.pk, status=AttemptStatus.PENDING, run__status=RunStatus.RUNNING
        ).update(status=AttemptStatus.RUNNING, started_at=timezone.now())
    )


def attempt_finish(
    *,
    attempt: TestAttempt,
    status: str,
    reasons: Iterable[str] = (),
    transcript: list[dict] | None = None,
    latencies_ms: list[float] | None = None,
    seconds: float | None = None,
    conversation: Conversation | None = None,
) -> bool:
    """Record how an attempt went, once; the run's progress counts it. False when it had
    finished already (the run was cancelled meanwhile, say)."""
    assert status in ATTEMPT_FINISHED
    with transaction.atomic():
        finished = TestAttempt.objects.filter(
            pk=attempt.pk, status__in=(AttemptStatus.PENDING, AttemptStatus.RUNNING)
        ).update(
            status=status,
            reasons=list(reasons),
            transcript=transcript or [],
            latencies_ms=latencies_ms or [],
            seconds=seconds,
            conversation=conversation,
            finished_at=timezone.now(),
        )
        if finished:
            TestRun.objects.filter(pk=attempt.run_id).update(done=F("done") + 1)
    return bool(finished)


def attempts_error(*, run: TestRun, reason: str) -> None:
    """Every attempt of the run not finished yet ends in an error, for `reason` (ElevenLabs
    failed, the run ran out of time)."""
    _attempts_end(run.pk, AttemptStatus.ERROR, reason)


def run_finish(*, run: TestRun) -> TestRun:
    """The run's verdict from its attempts, recorded once: a passed or failed run is also a
    test result of the config it tested, the production gate's evidence. A cancelled run
    stays cancelled."""
    with transaction.atomic():
        attempts = list(TestAttempt.objects.filter(run=run))
        status, reason = run_verdict(attempts, threshold=run.pass_threshold)
        finished = TestRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=status, reason=reason, finished_at=timezone.now()
        )
        run.refresh_from_db()
        if finished and status in (RunStatus.PASSED, RunStatus.FAILED):
            run.result = _evidence_record(run, attempts)
            run.save(update_fields=["result"])
        if finished and status != RunStatus.PASSED:
            _promotion_settle(run.pk, Promotion.SKIPPED)
    run.refresh_from_db()
    return run


def promotion_claim(run: TestRun) -> bool:
    """Whether this caller makes the run's production deploy: once, for a passed run."""
    return bool(
        TestRun.objects.filter(
            pk=run.pk, status=RunStatus.PASSED, promotion=Promotion.PENDING
        ).update(promotion=Promotion.PROMOTED)
    )


def promotion_record(*, run: TestRun, version: int | None, refusal: str = "") -> None:
    """What the deploy claimed with `promotion_claim` came to: the version put live, or why
    production refused it."""
    if refusal:
        TestRun.objects.filter(pk=run.pk).update(
            promotion=Promotion.REFUSED, reason=f"Not deployed to production: {refusal}"
        )
    else:
        TestRun.objects.filter(pk=run.pk).update(promoted_version=version)


def run_verdict(attempts: list[TestAttempt], *, threshold: int) -> tuple[str, str]:
    """Passed when every test passed (testruns/reports.py judges each); failed when one
    failed; an error when errors (not failures) kept one from its threshold."""
    judged = tests_judged(attempts, threshold=threshold)
    failed = [test for test in judged if test.status == AttemptStatus.FAILED]
    erred = [
        test for test in judged if test.status not in (AttemptStatus.PASSED, AttemptStatus.FAILED)
    ]
    need = f"{threshold} passing attempt{'s' if threshold > 1 else ''} a test"
    if failed:
        return RunStatus.FAILED, f"Failed, needing {need}: {_counted(failed)}."
    if erred:
        return RunStatus.ERROR, f"Could not be judged, needing {need}: {_counted(erred)}."
    return RunStatus.PASSED, ""


def _counted(tests: list[RunTest]) -> str:
    return ", ".join(
        f"{test.name} ({test.passed_attempts} of {len(test.attempts)} passed)" for test in tests
    )


def _evidence_record(run: TestRun, attempts: list[TestAttempt]) -> TestResult:
    tests = len({attempt.test_name for attempt in attempts})
    finished = run.finished_at or timezone.now()
    took = (finished - run.started_at).total_seconds() if run.started_at else 0.0
    lines = [
        f"{attempt.test_name} #{attempt.number}: {attempt.status}"
        + "".join(f"\n  {reason}" for reason in attempt.reasons)
        for attempt in attempts
    ]
    result = TestResult(
        agent=run.agent,
        tested_by=run.started_by,
        tested_by_name=run.started_by_name,
        duration=max(took, 0.0),
        transcript="\n".join(lines),
        notes=(
            f"Test run {run.pk}: {tests} test{'s' if tests != 1 else ''}, each tried "
            f"{run.repeat} time{'s' if run.repeat != 1 else ''}, {run.pass_threshold} to pass. "
            f"{run.reason}"
        ).strip(),
        status=TestStatus.PASSED if run.status == RunStatus.PASSED else TestStatus.FAILED,
        version=run.version,
        config_revision=run.config_revision,
        source=TestSource.SCENARIO,
        source_ref=f"test run {run.pk}",
    )
    return result_save(result)


def _attempts_end(run_id: int, status: str, reason: str) -> None:
    ended = TestAttempt.objects.filter(
        run_id=run_id, status__in=(AttemptStatus.PENDING, AttemptStatus.RUNNING)
    ).update(status=status, reasons=[reason], finished_at=timezone.now())
    if ended:
        TestRun.objects.filter(pk=run_id).update(done=F("done") + ended)


def _promotion_settle(run_id: int, outcome: str) -> None:
    TestRun.objects.filter(pk=run_id, promotion=Promotion.PENDING).update(promotion=outcome)


def _clean_count(field: str, value: object, *, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        raise InvalidInput.for_field(field, f"Give {field} as a whole number from 1 to {high}.")
    return value
