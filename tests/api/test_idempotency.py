"""`Idempotency-Key` on the API's state-changing requests (workspaces/idempotency.py): what a
retry may and may not do. Every write endpoint's retry: tests/api/test_roles.py."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from deployments.models import Deployment
from testruns.models import TestResult
from tests.markers import requires_postgres
from workspaces.idempotency import idempotency_keys_expire
from workspaces.models import IdempotencyKey

RESULT = {"duration": 42, "transcript": "Hi.", "rating": 4, "notes": "Fine", "status": "passed"}


def post(client, path, body, key):
    return client.post(path, body, format="json", headers={"Idempotency-Key": key})


def test_the_same_key_with_another_body_is_refused_naming_the_key(api, tester, agent, api_error):
    client = api(tester)
    path = f"/api/agents/{agent.pk}/test-results"
    assert post(client, path, RESULT, "k-1").status_code == 201

    response = post(client, path, {**RESULT, "rating": 2}, "k-1")

    body = api_error(response, 422, code="idempotency_key_reused")
    assert "Idempotency-Key" in body["errors"]
    assert "'k-1'" in body["message"]
    assert TestResult.objects.filter(agent=agent).count() == 1


def test_the_same_body_in_another_order_is_the_same_request(api, tester, agent):
    client = api(tester)
    path = f"/api/agents/{agent.pk}/test-results"
    first = post(client, path, RESULT, "k-2")

    retried = post(client, path, dict(reversed(list(RESULT.items()))), "k-2")

    assert retried.json() == first.json()
    assert TestResult.objects.filter(agent=agent).count() == 1


def test_a_refused_request_is_not_remembered_so_its_retry_may_succeed(api, owner, agent_in):
    from agents.models import Status
    from tests.factories import record_passing_test

    agent = agent_in(Status.TESTING)
    client = api(owner)
    path = f"/api/agents/{agent.pk}/deploy"
    ship = {"status": "production", "changes": "Ship it"}
    refused = post(client, path, ship, "k-3")
    assert refused.status_code == 409  # no passing test of this config yet

    record_passing_test(agent, owner)
    shipped = post(client, path, ship, "k-3")

    assert shipped.status_code == 200, shipped.content
    assert "Idempotent-Replayed" not in shipped.headers


def test_a_key_is_forgotten_after_24_hours(api, tester, agent):
    client = api(tester)
    path = f"/api/agents/{agent.pk}/test-results"
    post(client, path, RESULT, "k-4")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=24, seconds=1))

    again = post(client, path, RESULT, "k-4")

    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers
    assert TestResult.objects.filter(agent=agent).count() == 2


def test_keys_are_each_callers_own(api, tester, editor, agent):
    path = f"/api/agents/{agent.pk}/test-results"
    post(api(tester), path, RESULT, "k-5")

    theirs = post(api(editor), path, {**RESULT, "rating": 3}, "k-5")

    assert theirs.status_code == 201
    assert TestResult.objects.filter(agent=agent).count() == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there"])
def test_a_key_that_is_not_one_is_refused_naming_the_header(api, tester, agent, api_error, key):
    response = post(api(tester), f"/api/agents/{agent.pk}/test-results", RESULT, key)

    body = api_error(response, 400)
    assert "Idempotency-Key" in body["errors"]
    assert not TestResult.objects.filter(agent=agent).exists()


def test_the_sweep_forgets_only_keys_past_their_day(api, tester, agent):
    client = api(tester)
    path = f"/api/agents/{agent.pk}/test-results"
    post(client, path, RESULT, "old")
    post(client, path, {**RESULT, "rating": 5}, "new")
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))

    assert idempotency_keys_expire() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_deploys_at_once_with_one_key_deploy_once_and_answer_alike(api, owner, agent_in):
    from agents.models import Status

    agent = agent_in(Status.DRAFT)
    path = f"/api/agents/{agent.pk}/deploy"
    body = {"status": "testing", "changes": "QA"}
    clients = [api(owner), api(owner)]
    answers: list = [None, None]
    start = threading.Barrier(2)

    def deploy(index: int) -> None:
        start.wait()
        try:
            answers[index] = post(clients[index], path, body, "k-at-once")
        finally:
            connection.close()

    threads = [threading.Thread(target=deploy, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [answer.status_code for answer in answers] == [200, 200]
    assert answers[0].json() == answers[1].json()
    assert Deployment.objects.filter(agent=agent, to_status=Status.TESTING).count() == 1


def test_the_periodic_task_that_forgets_old_keys_is_scheduled_and_does(api, tester, agent):
    from django.conf import settings

    from config.celery import app
    from workspaces.tasks import idempotency_keys_expire_task

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert idempotency_keys_expire_task.name in scheduled
    assert idempotency_keys_expire_task.name in app.tasks
    post(api(tester), f"/api/agents/{agent.pk}/test-results", RESULT, "old")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(days=2))

    assert idempotency_keys_expire_task.apply().get() == 1
