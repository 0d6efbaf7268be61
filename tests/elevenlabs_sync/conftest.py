"""Fixtures of the ElevenLabs app's tests."""

import pytest

from agents.models import Status
from deployments.services import deployment_create
from tests.factories import AgentFactory


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
