"""Concurrent deploys of one agent, on PostgreSQL: the row lock and the unique constraint must
give contiguous versions and exactly one winner where only one move is possible."""

import threading

import pytest
from django.db import connection

from agents.models import Status, VoiceAgent
from common.errors import Conflict
from deployments.models import AgentVersion, Deployment, DeploymentKind
from deployments.services import agent_rollback, deployment_create
from tests.factories import record_passing_test
from tests.markers import requires_postgres

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]

CALLERS = 50


def run_together(work) -> tuple[list, list[Exception]]:
    """Run `work()` in CALLERS threads released at once; return its results and its errors."""
    barrier = threading.Barrier(CALLERS)
    results, errors = [], []
    lock = threading.Lock()

    def call():
        try:
            barrier.wait(timeout=30)
            outcome = work()
            with lock:
                results.append(outcome)
        except Exception as error:
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a deploy never finished"
    return results, errors


def test_concurrent_production_deploys_get_contiguous_versions(agent_in, owner):
    agent = agent_in(Status.PRODUCTION)  # live at v2
    history = Deployment.objects.filter(agent=agent).count()

    deployments, errors = run_together(
        lambda: agent_rollback(agent=agent, version=1, changes="", actor=owner)
    )

    assert errors == []
    versions = sorted(deployment.version for deployment in deployments)
    assert versions == list(range(3, 3 + CALLERS))
    assert list(
        AgentVersion.objects.filter(agent=agent).order_by("number").values_list("number", flat=True)
    ) == list(range(1, 3 + CALLERS))
    assert Deployment.objects.filter(agent=agent).count() == history + CALLERS
    assert Deployment.objects.filter(agent=agent, kind=DeploymentKind.ROLLBACK).count() == CALLERS
    agent.refresh_from_db()
    assert agent.version == agent.live_version == max(versions)
    assert agent.status == Status.PRODUCTION


def test_concurrent_deploys_to_production_of_one_testing_agent_have_one_winner(agent_in, owner):
    agent = agent_in(Status.TESTING)
    record_passing_test(agent, owner)

    deployments, errors = run_together(
        lambda: deployment_create(
            agent=agent, to_status=Status.PRODUCTION, changes="Go live", actor=owner
        )
    )

    assert len(deployments) == 1
    assert len(errors) == CALLERS - 1
    assert all(isinstance(error, Conflict) for error in errors), errors[:3]
    assert {error.code for error in errors} == {"invalid_transition"}
    agent = VoiceAgent.objects.get(pk=agent.pk)
    assert (agent.status, agent.version, agent.live_version) == (Status.PRODUCTION, 2, 2)
    assert AgentVersion.objects.filter(agent=agent).count() == 2
    assert Deployment.objects.filter(agent=agent, to_status=Status.PRODUCTION).count() == 1
