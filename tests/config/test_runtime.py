"""The processes' wiring: health, the channel layer and Celery, on whatever backs them here
(in-memory locally, Redis in CI)."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.celery import app as celery_app


def test_health_check_answers_ok_when_the_database_does(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_check_reports_unavailable_when_the_database_fails(client, db, monkeypatch):
    class UnreachableDatabase:
        def cursor(self):
            raise OSError("connection refused")

    monkeypatch.setattr("common.health.connection", UnreachableDatabase())

    response = client.get("/healthz")

    assert response.status_code == 503
    assert "refused" not in response.content.decode()


def test_liveness_answers_ok_without_touching_the_database(client, db):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/livez")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert len(queries) == 0


def test_channel_layer_delivers_a_message_to_a_group():
    layer = get_channel_layer()

    async def round_trip():
        channel = await layer.new_channel()
        await layer.group_add("runtime-check", channel)
        await layer.group_send("runtime-check", {"type": "ping", "n": 1})
        message = await layer.receive(channel)
        await layer.group_discard("runtime-check", channel)
        return message

    assert async_to_sync(round_trip)() == {"type": "ping", "n": 1}


@pytest.mark.skipif(not settings.REDIS_URL, reason="REDIS_URL not set: Celery runs eagerly")
def test_celery_uses_redis_as_its_broker_when_redis_url_is_set():
    with celery_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1)
        assert connection.transport_cls in ("redis", "rediss")


def test_celery_runs_tasks_eagerly_without_redis():
    # The settings, not the app's conf: the tests run every task in-process (conftest.py).
    assert settings.CELERY_TASK_ALWAYS_EAGER is (not settings.REDIS_URL)
