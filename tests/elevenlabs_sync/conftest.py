"""Fixtures of the ElevenLabs app's tests."""

import pytest

from agents.models import Status
from deployments.services import deployment_create
from tests.factories import record_passing_test


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
