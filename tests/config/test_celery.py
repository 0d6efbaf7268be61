"""The Celery app's handling of database connections (config/celery.py)."""

from types import SimpleNamespace

import pytest
from django.db import connection

from config.celery import app, connections_back_to_the_pool
from tests.markers import requires_postgres_for


def task(*, eager: bool) -> SimpleNamespace:
    return SimpleNamespace(request=SimpleNamespace(is_eager=eager))


def test_celerys_fixup_leaves_the_pools_open_around_tasks():
    # Without it, the fixup closes every pool before and after each task of a prefork worker.
    assert app.conf.get("CELERY_DB_REUSE_MAX")


@requires_postgres_for("a pool to give connections back to; SQLite in memory stays open")
@pytest.mark.django_db(transaction=True)
def test_a_workers_task_gives_its_connection_back_when_it_ends():
    connection.ensure_connection()

    connections_back_to_the_pool(task=task(eager=False))

    assert connection.connection is None  # closed: given back to the pool, or dropped


@pytest.mark.django_db
def test_an_eager_task_leaves_its_callers_connection_alone():
    connection.ensure_connection()
    held = connection.connection

    connections_back_to_the_pool(task=task(eager=True))

    assert connection.connection is held
