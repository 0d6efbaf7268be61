import pytest
from rest_framework.test import APIClient

from agents.models import Status
from deployments.services import deployment_create
from tests.factories import (
    AgentFactory,
    MembershipFactory,
    UserFactory,
    WorkspaceFactory,
    allowing_text_only,
    put_on_elevenlabs,
    record_passing_test,
    sample_config,
    taken_to,
)
from workspaces.roles import Role
from workspaces.services import api_token_create

pytest_plugins = ["tests.sandbox_fixtures", "tests.sync_fixtures", "tests.asgi_server"]


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
        return taken_to(agent, status, owner)

    return make


# --- REST API helpers (tests/api/) ---


@pytest.fixture
def api_error():
    """`api_error(response, 403, code=..., field=...)`: check the one error shape, return it.

    Every API error is `{"success": false, "message", "code", "errors"}`; `field` must be
    among the `errors` keys with at least one message.
    """

    def check(response, status: int, *, code: str | None = None, field: str | None = None):
        assert response.status_code == status, response.content[:2000]
        body = response.json()
        assert set(body) == {"success", "message", "code", "errors"}, body
        assert body["success"] is False
        assert isinstance(body["message"], str)
        assert body["message"].strip()
        assert isinstance(body["code"], str)
        assert body["code"]
        assert isinstance(body["errors"], dict)
        for messages in body["errors"].values():
            assert messages
            assert all(isinstance(message, str) and message for message in messages)
        if code is not None:
            assert body["code"] == code, body
        if field is not None:
            assert field in body["errors"], body
        return body

    return check


@pytest.fixture
def db_state(db):
    """`db_state()`: every row an API write can touch, to prove a refused write changed nothing."""
    from agents.models import AgentTag, VoiceAgent
    from deployments.models import AgentVersion, Deployment
    from elevenlabs_sync.models import AgentSync, RemoteDeletion
    from testruns.models import (
        AgentTest,
        Conversation,
        ConversationTurn,
        InviteLink,
        TestAttempt,
        TestResult,
        TestRun,
    )

    models = (
        VoiceAgent,
        AgentTag,
        AgentVersion,
        Deployment,
        TestResult,
        Conversation,
        ConversationTurn,
        InviteLink,
        AgentTest,
        TestRun,
        TestAttempt,
        AgentSync,
        RemoteDeletion,
    )

    def snapshot() -> dict:
        return {model.__name__: list(model.objects.order_by("pk").values()) for model in models}

    return snapshot


# --- Test conversations: the relay, the console, invite links, calls ---


@pytest.fixture
def application(settings):
    """The product's ASGI application (config/asgi.py), for Channels' communicators."""
    settings.ALLOWED_HOSTS = ["testserver"]
    from config.asgi import application

    return application


@pytest.fixture
def agent_in_testing_with(sandbox, workspace, owner, django_capture_on_commit_callbacks):
    """`agent_in_testing_with(config=None)`: an agent of `workspace` (of that config) in
    testing, synced to the sandbox: it has a testing branch there."""

    def make(config: dict | None = None):
        fields = {} if config is None else {"config": config}
        with django_capture_on_commit_callbacks(execute=True):
            agent = AgentFactory(workspace=workspace, actor=owner, **fields)
        with django_capture_on_commit_callbacks(execute=True):
            deployment_create(agent=agent, to_status=Status.TESTING, changes="", actor=owner)
        agent.refresh_from_db()
        assert agent.sync.testing_branch_id, agent.sync.last_error
        return agent

    return make


@pytest.fixture
def agent_in_testing(agent_in_testing_with):
    """An agent in testing, synced to the sandbox: it has a testing branch there."""
    return agent_in_testing_with()


@pytest.fixture
def text_agent_in_testing(agent_in_testing_with):
    """`agent_in_testing`, allowing conversations to ask for text only: a scripted test's
    turn then ends as its reply arrives, without waiting for the reply's audio to end."""
    return agent_in_testing_with(allowing_text_only(sample_config()))


# --- Lifecycle helpers (service tests: tests/deployments, tests/agents, tests/elevenlabs_sync) ---


@pytest.fixture
def ship(owner):
    """`ship(agent, config)`: release a new config the real way and return the fresh agent.

    Edit (back to draft), deploy to testing, record a passing test, deploy to production: the
    agent ends live at the next version with `config`.
    """
    from agents.services import agent_update

    def release(agent, config: dict, *, changes: str = "Ship it"):
        agent = agent_update(agent=agent, actor=owner, config=config)
        deployment_create(agent=agent, to_status=Status.TESTING, changes="", actor=owner)
        record_passing_test(agent, owner)
        deployment_create(agent=agent, to_status=Status.PRODUCTION, changes=changes, actor=owner)
        agent.refresh_from_db()
        return agent

    return release


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Every factory user gets a password; the production hasher would cost ~0.2 s each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def agents_with_history(workspace, owner, ship):
    """`agents_with_history(count, releases=2)`: agents of `workspace` on ElevenLabs, each
    with three tags and `releases` production releases (so versions, test results, deployments
    and changelog entries): the data list endpoints must serve in a fixed number of queries."""
    from tests.factories import put_on_elevenlabs

    def make(count: int, *, releases: int = 2) -> list:
        agents = []
        for index in range(count):
            agent = AgentFactory(workspace=workspace, actor=owner, tags=["sales", "en", "beta"])
            agent = put_on_elevenlabs(agent)
            for release in range(1, releases + 1):
                config = sample_config(f"Hello from agent {index}, release {release}")
                agent = ship(agent, config, changes=f"Release {release}")
            agents.append(agent)
        return agents

    return make


@pytest.fixture(autouse=True)
def _tasks_run_in_the_test(request):
    """Celery tasks run in the test's process, as in the embedded default, even where
    REDIS_URL gives Celery a broker (CI): no worker serves the tests, and a test asserts what
    its tasks did. `make bench` runs the sync through a real worker."""
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture(autouse=True)
def _elevenlabs_unreachable_unless_asked(settings):
    """No test reaches ElevenLabs, or a `make run` on this machine, by accident: a sync a test
    did not ask for meets a closed port. Tests that sync use the `sandbox` fixture."""
    settings.ELEVENLABS_BASE_URL = "http://127.0.0.1:9/unreachable"


# --- Throttling (tests/api/test_throttling.py, tests/workspaces/test_lockout.py) ---


@pytest.fixture(autouse=True)
def _no_throttling(settings):
    """The API throttles and the login lockout are off: their counters live in a cache that
    outlives each test, where token ids, usernames and 127.0.0.1 come back test after test, so
    a limit would be reached by whichever test happened to run last. `throttling` turns them on."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": None, "address": None},
    }
    settings.LOGIN_FAILURE_LIMIT = 0
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 0


@pytest.fixture
def throttling(settings):
    """`throttling(token=..., address=..., login=..., login_address=..., lockout=...)`: these
    limits on (API rates such as "3/minute"; login failure counts; lockout seconds), counted in
    the configured cache (Redis in CI) under a key prefix of this test's own."""
    from uuid import uuid4

    default_cache = settings.CACHES["default"]
    settings.CACHES = {"default": {**default_cache, "KEY_PREFIX": f"test-{uuid4().hex}"}}

    def turn_on(
        *,
        token: str | None = None,
        address: str | None = None,
        login: int = 0,
        login_address: int = 0,
        lockout: int = 900,
    ) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"token": token, "address": address},
        }
        settings.LOGIN_FAILURE_LIMIT = login
        settings.LOGIN_ADDRESS_FAILURE_LIMIT = login_address
        settings.LOGIN_LOCKOUT_SECONDS = lockout

    return turn_on
