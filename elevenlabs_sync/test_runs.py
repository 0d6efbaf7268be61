"""Running an agent's tests: queued on the version under test, run by a worker
(`run_tests_task`), promoted to production on a pass when asked (docs/testing.md).

ElevenLabs' kinds of test run on ElevenLabs (elevenlabs_sync/remote_tests.py) while the
scripted conversations are held here (elevenlabs_sync/scripted_runs.py); the run is judged
once both are done, whatever stopped them.
"""

import logging
from datetime import timedelta

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agents.models import Status, VoiceAgent
from agents.services import refuse_if_archived
from common.errors import DomainError, InvalidInput, RoleRequired
from common.tasks import delay_or_leave_to_sweep
from deployments.services import clean_changes, deployment_create
from elevenlabs_sync.live import agent_on_elevenlabs, talk_to
from elevenlabs_sync.remote_tests import (
    invocation_cancel,
    remote_tests_follow,
    remote_tests_start,
)
from elevenlabs_sync.scripted_runs import scripted_run
from testruns import runs
from testruns.models import ConversationTarget, Promotion, RunStatus, TestRun
from workspaces.permissions import User, require_role
from workspaces.roles import Action

logger = logging.getLogger(__name__)

# Past its time limit, how long a run may still be finishing before it counts as lost.
LOST_AFTER = 120


def run_start(
    *,
    agent: VoiceAgent,
    actor: User,
    suite: str = "",
    repeat: int = 1,
    pass_threshold: int | None = None,
    target: str | None = None,
    version: int | None = None,
    promote_on_pass: bool = False,
    changes: str = "",
) -> TestRun:
    """Queue a run of the agent's tests on the version under test (its testing branch unless
    `target`/`version` say otherwise); a worker runs it after commit. With `promote_on_pass`,
    a run in which every test passes deploys to production with `changes` as the note, as
    the caller (who needs the admin role now, and still has to then)."""
    # Who may, first: a viewer learns nothing of the agent's state from a refusal.
    require_role(actor, agent.workspace, Action.RUN_TESTS)
    refuse_if_archived(agent)
    promote_changes = None
    if promote_on_pass:
        require_role(actor, agent.workspace, Action.DEPLOY_PRODUCTION)
        promote_changes = clean_changes(changes, required=True)
        if target not in (None, ConversationTarget.TESTING) or version is not None:
            raise InvalidInput.for_field(
                "promote_on_pass",
                "Only a run on the testing branch can promote it to production; leave out "
                "target and version.",
            )
    talk = talk_to(agent, agent_on_elevenlabs(agent), target=target, version=version)
    run = runs.run_create(
        agent=agent,
        actor=actor,
        pinned=runs.Pinned(
            target=talk.target,
            version=talk.version,
            config_revision=talk.config_revision,
            branch_id=talk.branch_id or "",
            elevenlabs_version_id=talk.version_id or "",
        ),
        suite=suite,
        repeat=repeat,
        pass_threshold=pass_threshold,
        promote_changes=promote_changes,
    )
    transaction.on_commit(lambda: run_queue(run.pk))
    return run


def run_queue(run_id: int) -> None:
    delay_or_leave_to_sweep(run_tests_task_of(), run_id, what=f"test run {run_id}")


def run_tests_task_of() -> Task:
    from elevenlabs_sync.tasks import run_tests_task

    return run_tests_task


def run_execute(*, run_id: int) -> str:
    """Run a queued run to its verdict, once (a second worker finds it claimed). Whatever
    stops it early, its unfinished attempts end in an error saying why, and it is judged."""
    run = runs.run_claim(run_id)
    if run is None:
        return "not claimed"
    try:
        _run(run)
    except SoftTimeLimitExceeded:
        runs.attempts_error(
            run=run,
            reason=f"The run took longer than {settings.TEST_RUN_TIME_LIMIT} s "
            "(TEST_RUN_TIME_LIMIT) and was stopped.",
        )
        invocation_cancel(run)
    except Exception:
        logger.exception("Test run %s stopped on an unexpected error", run.pk)
        runs.attempts_error(run=run, reason="The run stopped on an unexpected error.")
        invocation_cancel(run)
    run = runs.run_finish(run=run)
    _promote(run)
    return run.status


def runs_sweep(*, limit: int = 100) -> tuple[list[int], list[int]]:
    """Runs a worker lost: queued ones no worker took (the broker was down) are queued again;
    running ones past their time limit (their worker died) are judged on what they have.
    The ids of each."""
    now = timezone.now()
    waiting = list(
        TestRun.objects.filter(
            status=RunStatus.QUEUED,
            created_at__lt=now - timedelta(seconds=settings.SYNC_STALE_AFTER),
        ).values_list("pk", flat=True)[:limit]
    )
    for run_id in waiting:
        delay_or_leave_to_sweep(run_tests_task_of(), run_id, what=f"test run {run_id}")
    lost = list(
        TestRun.objects.filter(
            status=RunStatus.RUNNING,
            started_at__lt=now - timedelta(seconds=settings.TEST_RUN_TIME_LIMIT + LOST_AFTER),
        ).values_list("pk", flat=True)[:limit]
    )
    for run_id in lost:
        run = TestRun.objects.select_related("agent__workspace").get(pk=run_id)
        runs.attempts_error(run=run, reason="The worker running it stopped before it finished.")
        invocation_cancel(run)
        _promote(runs.run_finish(run=run))
    return waiting, lost


def _run(run: TestRun) -> None:
    attempts = list(run.attempts.select_related("test"))
    remote_attempts = [attempt for attempt in attempts if attempt.runs_on_elevenlabs]
    # ElevenLabs runs its tests while the scripted conversations are held here.
    remote_ids = remote_tests_start(run, remote_attempts) if remote_attempts else {}
    scripted = [attempt for attempt in attempts if not attempt.runs_on_elevenlabs]
    if scripted:
        scripted_run(run, scripted)
    if remote_ids:
        remote_tests_follow(run, remote_attempts, remote_ids)


def _promote(run: TestRun) -> None:
    """Deploy the tested config to production if the run passed and asked for it: once,
    through the deploy service and its gates, as the one who started the run. The claim, the
    deploy and the version it made commit together; a refusal undoes the claim, and is
    recorded instead."""
    if run.promotion != Promotion.PENDING:
        return
    try:
        with transaction.atomic():
            if not runs.promotion_claim(run):
                return
            if run.started_by is None:
                raise RoleRequired(
                    f"{run.started_by_name}, who started the run, no longer has an account."
                )
            deployment = deployment_create(
                agent=run.agent,
                to_status=Status.PRODUCTION,
                changes=run.promote_changes,
                actor=run.started_by,
            )
            runs.promotion_record(run=run, version=deployment.version)
    except DomainError as refusal:
        runs.promotion_record(run=run, version=None, refusal=refusal.message)
