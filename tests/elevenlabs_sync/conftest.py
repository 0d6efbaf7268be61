"""Fixtures of the ElevenLabs app's tests."""

import pytest

from agents.models import Status
from deployments.services import deployment_create
from tests.factories import AgentFactory, record_passing_test


@pytest.fixture
def application(settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    from config.asgi import application

    return application


@pytest.fixture
def agent_in_testing(sandbox, workspace, owner, django_capture_on_commit_callbacks):
    """An agent in testing, synced to the sandbox: it has a testing branch there."""
    with django_capture_on_commit_callbacks(execute=True):
        agent = AgentFactory(workspace=workspace, actor=owner)
    with django_capture_on_commit_callbacks(execute=True):
        deployment_create(agent=agent, to_status=Status.TESTING, changes="", actor=owner)
    agent.refresh_from_db()
    assert agent.sync.testing_branch_id, agent.sync.last_error
    return agent


@pytest.fixture
def released(agent_in_testing, owner, django_capture_on_commit_callbacks):
    """`agent_in_testing` deployed to production: its version 2, live and published."""
    record_passing_test(agent_in_testing, owner)
    with django_capture_on_commit_callbacks(execute=True):
        deployment_create(
            agent=agent_in_testing, to_status=Status.PRODUCTION, changes="Live", actor=owner
        )
    agent_in_testing.refresh_from_db()
    return agent_in_testing.versions.get(number=agent_in_testing.live_version)
