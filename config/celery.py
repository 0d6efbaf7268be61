"""The Celery app. Tasks live in each app's tasks.py and are found by autodiscovery."""

import os
from typing import Any

from celery import Celery, Task
from celery.signals import task_postrun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("switchboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_postrun.connect
def connections_back_to_the_pool(task: Task | None = None, **kwargs: Any) -> None:
    """After each task, its database connections go back to the process's pool, as a
    request's do (CONN_MAX_AGE=0), and a connection left broken is dropped.

    Celery's own Django fixup would close each database's whole pool before and after every
    task of a prefork worker instead (settings.CELERY_DB_REUSE_MAX turns that off): every task
    then opened two new PostgreSQL connections, and two workers ran 21-29 scripted test runs
    a second against 44-46 with the pool kept (docs/benchmarks.md, "Test runs"). An eager
    task runs inside its caller's request or transaction, whose connection is not its own.
    """
    if task is None or task.request.is_eager:
        return
    from django.db import close_old_connections

    close_old_connections()
