"""Celery tasks of the ElevenLabs app: thin, each one calls a service.

Time limits are set per task; `acks_late` (settings) puts a task back in the queue if its
worker dies, which is safe because every service here is idempotent.
"""

import logging

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from elevenlabs_adapter import ElevenLabsError, agent_testing, remote
from elevenlabs_sync.conversations import conversation_reconcile, conversation_reconcile_sweep
from elevenlabs_sync.drift import drift_candidates, drift_check
from elevenlabs_sync.remote_deletion import (
    remote_deletion_give_up,
    remote_deletion_run,
    remote_deletion_sweep,
)
from elevenlabs_sync.sync import agent_sync, retry_delay, sync_failure_record, sync_sweep
from elevenlabs_sync.test_runs import run_execute, runs_sweep
from testruns.services import conversations_abandoned_close

logger = logging.getLogger(__name__)

DRIFT_CHECKS_PER_SWEEP = 50


@shared_task(bind=True, max_retries=None, soft_time_limit=60, time_limit=90, ignore_result=True)
def agent_sync_task(self: Task, agent_id: int) -> str:
    try:
        return agent_sync(agent_id=agent_id)
    except SoftTimeLimitExceeded:
        error = ElevenLabsError(
            "The sync took too long and was stopped.", retryable=True, outcome_unknown=True
        )
    except ElevenLabsError as raised:
        error = raised
    delay = sync_failure_record(agent_id=agent_id, error=error, retries=self.request.retries)
    if delay is None:
        return "failed"
    raise self.retry(countdown=delay)


@shared_task(bind=True, max_retries=None, soft_time_limit=30, time_limit=60, ignore_result=True)
def remote_deletion_task(self: Task, deletion_id: int) -> None:
    """Delete an agent on ElevenLabs after ours was archived. Until it succeeds, its row stays
    and the sweep queues it again; a permanent refusal is recorded and dropped."""
    try:
        remote_deletion_run(deletion_id=deletion_id)
    except ElevenLabsError as error:
        if not error.retryable:
            remote_deletion_give_up(deletion_id=deletion_id, reason=error.message)
            return
        delay = retry_delay(attempt=self.request.retries + 1, retry_after=error.retry_after)
        if self.request.retries >= settings.SYNC_MAX_ATTEMPTS:
            return  # left for the sweep
        raise self.retry(countdown=delay) from error


@shared_task(
    soft_time_limit=settings.TEST_RUN_TIME_LIMIT,
    time_limit=settings.TEST_RUN_TIME_LIMIT + 60,
    ignore_result=True,
)
def run_tests_task(run_id: int) -> str:
    """Run a queued test run to its verdict (claimed, so a second delivery does nothing)."""
    return run_execute(run_id=run_id)


@shared_task(bind=True, max_retries=5, soft_time_limit=30, time_limit=60, ignore_result=True)
def agent_test_remote_delete_task(self: Task, elevenlabs_test_id: str) -> None:
    """Delete a deleted test's copy on ElevenLabs, trying again while that may help."""
    try:
        agent_testing.agent_test_delete(elevenlabs_test_id)
    except ElevenLabsError as error:
        if not error.retryable or self.request.is_eager:
            logger.info("Test %s not deleted on ElevenLabs: %s", elevenlabs_test_id, error.message)
            return
        delay = retry_delay(attempt=self.request.retries + 1, retry_after=error.retry_after)
        raise self.retry(countdown=delay) from error


# ElevenLabs finishes a conversation's record within seconds to a few minutes of its end.
RECONCILE_RETRY_SECS = 15
RECONCILE_ATTEMPTS = 20


@shared_task(
    bind=True, max_retries=RECONCILE_ATTEMPTS, soft_time_limit=30, time_limit=60, ignore_result=True
)
def conversation_reconcile_task(self: Task, conversation_id: int) -> None:
    """Read ElevenLabs' record of an ended conversation back into ours, asking again until it is
    finished there; what this gives up on, the sweep asks for later."""
    try:
        if conversation_reconcile(conversation_id=conversation_id):
            return
        delay = float(RECONCILE_RETRY_SECS)
    except ElevenLabsError as error:
        if not error.retryable:
            logger.info("Conversation %s not read back: %s", conversation_id, error.message)
            return
        delay = retry_delay(attempt=self.request.retries + 1, retry_after=error.retry_after)
    if self.request.is_eager or self.request.retries >= RECONCILE_ATTEMPTS:
        return  # eager mode has no countdown: the sweep asks again instead of at once
    raise self.retry(countdown=delay)


@shared_task(soft_time_limit=240, time_limit=300, ignore_result=True)
def sync_sweep_task() -> None:
    """Periodic: queue syncs that never ran, close conversations whose relay stopped, queue
    test runs again or close lost ones, read back ended conversations, and look for drift on
    a batch of agents."""
    queued = sync_sweep()
    if queued:
        logger.info("Queued %d agents whose sync was pending too long.", len(queued))
    deletions = remote_deletion_sweep()
    if deletions:
        logger.info("Queued %d remote deletions left behind.", len(deletions))
    abandoned = conversations_abandoned_close()
    if abandoned:
        logger.info("Closed %d conversations whose relay had stopped.", len(abandoned))
    waiting, lost = runs_sweep()
    if waiting or lost:
        logger.info("Queued %d test runs again; closed %d lost ones.", len(waiting), len(lost))
    conversations = conversation_reconcile_sweep()
    if conversations:
        logger.info("Queued %d conversations to read back from ElevenLabs.", len(conversations))
    if not remote.sync_enabled():
        return
    for sync in drift_candidates(limit=DRIFT_CHECKS_PER_SWEEP):
        try:
            if drift_check(sync=sync):
                logger.info("Agent %s was changed on ElevenLabs outside Switchboard.", sync.pk)
        except ElevenLabsError as error:
            logger.info("Drift check of agent %s skipped: %s", sync.pk, error.message)
