"""Handing work to Celery when the work itself is already saved as a row."""

import logging
from typing import Any

from celery import Task

logger = logging.getLogger(__name__)


def delay_or_leave_to_sweep(task: Task, *args: Any, what: str) -> None:
    """Queue `task(*args)`. A broker outage loses nothing: the work is recorded in the
    database, where a periodic sweep finds what was never queued; so log and go on."""
    try:
        task.delay(*args)
    except Exception as error:  # kombu raises several types for an unreachable broker
        logger.warning(
            "Could not queue %s (%s); the periodic sweep will retry it.",
            what,
            type(error).__name__,
        )
