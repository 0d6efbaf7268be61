"""Restarting the sandbox, as restarting `make run` does, breaks no agent: it keeps its account
in a state file (config/serve.py gives the embedded one var/sandbox_state.json)."""

from contextlib import ExitStack

import pytest

from agents.services import agent_update
from deployments.models import SyncState
from tests.sandbox_fixtures import API_KEY, free_port, sandbox_process


@pytest.fixture
def restartable_sandbox(tmp_path, settings):
    """`restart()`: stop the sandbox the product talks to and start it again, on the same
    address and state file."""
    port, log = free_port(), tmp_path / "sandbox.log"
    arguments = ("--state-file", str(tmp_path / "sandbox_state.json"))
    with ExitStack() as running:

        def start() -> None:
            url = running.enter_context(sandbox_process(port=port, log=log, arguments=arguments))
            settings.ELEVENLABS_SANDBOX = True
            settings.ELEVENLABS_BASE_URL = url
            settings.ELEVENLABS_API_KEY = API_KEY

        def restart() -> None:
            running.close()
            start()

        start()
        yield restart


def test_an_agent_synced_before_a_restart_syncs_after_it(
    restartable_sandbox, synced_agent, editor, committing
):
    agent = synced_agent()

    restartable_sandbox()
    with committing():
        agent_update(agent=agent, actor=editor, name="Renamed after the restart")

    agent.refresh_from_db()
    assert agent.sync.state == SyncState.SYNCED, agent.sync.last_error
    assert agent.sync.exists_on_elevenlabs
