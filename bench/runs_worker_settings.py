"""The settings of the scripted runs benchmark's worker (`bench/scripted_runs.py`): the
product's, with one change. A run's conversation, once closed, has ElevenLabs' record of it
read back by a task the worker queues itself (`conversation_reconcile_task`). Queued with the
product's settings, it would go to Celery's default queue, where no worker of the benchmark
listens: it would stay behind in the Redis, for whatever worker takes that queue to run
against a database it does not belong to. Here it goes to the one queue the worker listens on
(named on its command line by `bench.worker`), and the benchmark waits for it.
"""

import sys

from config.settings import *  # noqa: F403 - the product's settings, all of them


def _listened_queue(argv: list[str]) -> str | None:
    """The queue a `celery worker --queues NAME` command line names; None without one."""
    if "--queues" in argv[:-1]:
        return argv[argv.index("--queues") + 1].split(",")[0]
    return None


CELERY_TASK_DEFAULT_QUEUE = _listened_queue(sys.argv) or "celery"
