"""Fixtures of the agents tests that sync with ElevenLabs (the sandbox)."""

import pytest

from agents.models import Status, VoiceAgent
from agents.services import agent_create
from config.celery import app
from deployments.models import SyncState
from deployments.services import deployment_create
from tests.factories import record_passing_test, sample_config


@pytest.fixture
def committing(django_capture_on_commit_callbacks):
    """`with committing():` runs the on-commit callbacks of the block (the syncs its saves
    queue) as it ends, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def synced_agent(workspace, editor, committing):
    """`synced_agent(**fields)`: a new draft agent, created on ElevenLabs by its sync."""

    def make(**fields):
        fields = {"name": "Front Desk", "tags": ["sales"], "config": sample_config(), **fields}
        with committing():
            agent = agent_create(workspace=workspace, actor=editor, **fields)
        agent.refresh_from_db()
        assert agent.sync.state == SyncState.SYNCED, agent.sync.last_error
        return agent

    return make


@pytest.fixture
def live_agent(synced_agent, owner, committing):
    """An agent live in production at version 2, published on ElevenLabs' main branch."""
    agent = synced_agent()
    with committing():
        deployment_create(agent=agent, to_status=Status.TESTING, changes="", actor=owner)
        record_passing_test(agent, owner)
        deployment_create(agent=agent, to_status=Status.PRODUCTION, changes="Go live", actor=owner)
    agent.refresh_from_db()
    assert agent.live_version == 2
    return agent


@pytest.fixture
def new_agent(workspace, editor, committing):
    """`new_agent()`: create an agent and run the sync its creation queues."""

    def make() -> VoiceAgent:
        with committing():
            agent = agent_create(
                workspace=workspace, actor=editor, name="Front Desk", config=sample_config()
            )
        agent.refresh_from_db()
        return agent

    return make


@pytest.fixture
def pending_agent(workspace, editor):
    return agent_create(workspace=workspace, actor=editor, name="Front Desk")  # never committed


@pytest.fixture
def broker_down():
    """Celery with a real broker nobody answers at, failing fast rather than retrying: the
    test calls the fixture's value to bring the (eager) broker back."""
    keys = [
        "task_always_eager",
        "broker_url",
        "task_publish_retry",
        "broker_connection_timeout",
        "broker_transport_options",
    ]
    saved = {key: app.conf[key] for key in keys}
    pools = app._pool, app.amqp._producer_pool

    def back_up():
        if app._pool is not None and app._pool is not pools[0]:
            app._pool.force_close_all()
        app.conf.update(saved)
        app._pool, app.amqp._producer_pool = pools

    app._pool = app.amqp._producer_pool = None
    app.conf.update(
        task_always_eager=False,
        broker_url="redis://127.0.0.1:1/0",
        task_publish_retry=False,
        broker_connection_timeout=0.5,
        broker_transport_options={"max_retries": 0},
    )
    try:
        yield back_up
    finally:
        back_up()


@pytest.fixture
def sync_on(settings):
    """Sync is on (the sandbox setting), while ElevenLabs stays out of reach: what the sync
    queues is never run in a test, so a pending agent stays pending."""
    settings.ELEVENLABS_SANDBOX = True
