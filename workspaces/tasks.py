"""The workspaces app's periodic work."""

from celery import shared_task

from workspaces.idempotency import idempotency_keys_expire


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True)
def idempotency_keys_expire_task() -> int:
    """Forget the idempotency keys past their 24 hours (a key is also forgotten when reused)."""
    return idempotency_keys_expire()
