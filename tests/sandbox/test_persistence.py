"""The sandbox's account kept across restarts in a state file (sandbox/persistence.py): what
the embedded default does, so that restarting `make run` never loses the agents it synced."""

import json
import os
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured
from elevenlabs import ElevenLabs

from sandbox import persistence
from sandbox.records import Fault
from sandbox.settings import Settings
from sandbox.store import SandboxStore
from tests.sandbox.sdk import create_agent
from tests.sandbox_fixtures import API_KEY, free_port, sandbox_process


@pytest.fixture
def state_file(tmp_path):
    return tmp_path / "var" / "sandbox_state.json"


def busy_account(store: SandboxStore) -> None:
    """Some of everything the account holds: agents, a branch, versions, a traffic split and
    a finished conversation."""
    agent = store.agent_create(
        name="Front Desk",
        conversation_config={"agent": {"first_message": "Hi"}},
        platform_settings={},
        tags=["sales"],
    )
    store.agent_update(agent, conversation_config={"agent": {"first_message": "Hello"}})
    branch = store.branch_create(
        agent, parent_version_id=agent.main.tip.id, name="testing", description="QA"
    )
    store.deploy(agent, {agent.main.id: 80.0, branch.id: 20.0})
    conversation = store.conversation_start(agent, branch_id=branch.id, source="websocket")
    conversation.transcript.append({"role": "agent", "message": "Hi", "time_in_call_secs": 0})
    store.conversation_end(conversation)
    store.agent_create(name="Other", conversation_config={}, platform_settings={}, tags=[])


def test_a_restarted_store_has_the_account_it_had(state_file):
    settings = Settings(api_key="k", state_file=str(state_file))
    before = SandboxStore(settings)
    busy_account(before)

    after = SandboxStore(settings)

    assert after.agents == before.agents
    assert after.conversations == before.conversations
    newest = max(agent.seq for agent in after.agents.values())
    created = after.agent_create(name="New", conversation_config={}, platform_settings={}, tags=[])
    assert created.seq > newest, "agents list newest first: a new one comes after the kept"


def test_what_tests_arrange_is_not_kept(state_file):
    settings = Settings(api_key="k", state_file=str(state_file))
    before = SandboxStore(settings)
    before.faults.append(Fault(path="agents", status=500))
    before.set_rate_limit(5)
    before.record("GET", "v1/convai/agents", 200)
    before.agent_create(name="A", conversation_config={}, platform_settings={}, tags=[])

    after = SandboxStore(settings)

    assert (after.faults, after.rate_limit, after.requests) == ([], None, [])
    assert len(after.agents) == 1


def test_a_reset_empties_the_kept_account(state_file):
    settings = Settings(api_key="k", state_file=str(state_file))
    busy_account(SandboxStore(settings))

    SandboxStore(settings).reset()

    after = SandboxStore(settings)
    assert (after.agents, after.conversations) == ({}, {})


def test_the_file_is_replaced_whole_and_readable_by_its_owner_only(state_file, monkeypatch):
    settings = Settings(api_key="k", state_file=str(state_file))
    store = SandboxStore(settings)
    store.agent_create(name="Kept", conversation_config={}, platform_settings={}, tags=[])
    kept = state_file.read_text()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(persistence.os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        store.agent_create(name="Lost", conversation_config={}, platform_settings={}, tags=[])

    assert state_file.read_text() == kept, "a failed write leaves the last good state"
    assert os.listdir(state_file.parent) == [state_file.name], "no temporary file is left"
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600


def test_with_no_file_yet_the_account_starts_empty(state_file):
    store = SandboxStore(Settings(api_key="k", state_file=str(state_file)))

    assert store.agents == {}
    assert not state_file.exists(), "nothing is written before something changes"


@pytest.mark.parametrize(
    "content",
    ["{not json", json.dumps([1, 2]), json.dumps({"format": 1, "agents": [{"x": 1}]})],
    ids=["not JSON", "not the state", "malformed record"],
)
def test_a_file_that_is_not_the_sandboxs_state_stops_start_up_naming_it(state_file, content):
    state_file.parent.mkdir(parents=True)
    state_file.write_text(content)

    with pytest.raises(ImproperlyConfigured, match=f"SANDBOX_STATE_FILE {state_file}"):
        SandboxStore(Settings(api_key="k", state_file=str(state_file)))


def test_the_standalone_sandbox_keeps_its_state_file_across_restarts(tmp_path, state_file):
    """`python -m sandbox --state-file PATH`, stopped and started again."""
    port, log = free_port(), tmp_path / "sandbox.log"
    arguments = ("--state-file", str(state_file))
    with sandbox_process(port=port, log=log, arguments=arguments) as url:
        agent_id = create_agent(ElevenLabs(api_key=API_KEY, base_url=url), name="Kept")

    with sandbox_process(port=port, log=log, arguments=arguments) as url:
        kept = ElevenLabs(api_key=API_KEY, base_url=url).conversational_ai.agents.get(agent_id)

    assert kept.name == "Kept"
