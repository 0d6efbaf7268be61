import pytest
from rest_framework.test import APIClient

from agents.models import Status
from deployments.services import deployment_create
from tests.factories import (
    AgentFactory,
    MembershipFactory,
    UserFactory,
    WorkspaceFactory,
    put_on_elevenlabs,
    record_passing_test,
)
from workspaces.roles import Role
from workspaces.services import api_token_create


@pytest.fixture
def workspace(db):
    return WorkspaceFactory(name="Acme", slug="acme")


@pytest.fixture
def member(workspace):
    """`member(Role.EDITOR)`: a user holding that role in `workspace`."""

    def make(role: Role):
        return MembershipFactory(workspace=workspace, role=role).user

    return make


@pytest.fixture
def owner(member):
    """The workspace's admin."""
    return member(Role.ADMIN)


@pytest.fixture
def editor(member):
    return member(Role.EDITOR)


@pytest.fixture
def tester(member):
    return member(Role.TESTER)


@pytest.fixture
def viewer(member):
    return member(Role.VIEWER)


@pytest.fixture
def outsider(db):
    """An admin, but of another workspace: must see nothing of `workspace`."""
    return MembershipFactory(workspace=WorkspaceFactory(), role=Role.ADMIN).user


@pytest.fixture
def stranger(db):
    """A user with no workspace at all."""
    return UserFactory()


@pytest.fixture
def api():
    """`api(user)`: an API client authenticated with a real token of `user`."""

    def make(user=None):
        client = APIClient()
        if user is not None:
            _, key = api_token_create(user=user, name="test")
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


@pytest.fixture
def agent(workspace, editor):
    return AgentFactory(workspace=workspace, actor=editor)


@pytest.fixture
def agent_in(workspace, owner):
    """`agent_in(status)`: an agent of `workspace` that exists on ElevenLabs, at `status`.

    A production agent got there the real way: testing, a passing test, then production (v2).
    """

    def make(status: str, **kwargs):
        agent = put_on_elevenlabs(AgentFactory(workspace=workspace, actor=owner, **kwargs))
        if status in (Status.TESTING, Status.PRODUCTION):
            deployment_create(agent=agent, to_status=Status.TESTING, changes="", actor=owner)
        if status == Status.PRODUCTION:
            record_passing_test(agent, owner)
            deployment_create(
                agent=agent, to_status=Status.PRODUCTION, changes="Go live", actor=owner
            )
        agent.refresh_from_db()
        return agent

    return make

