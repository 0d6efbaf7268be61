"""The adapter's calls (elevenlabs_adapter/remote.py) against the sandbox, through the real SDK over
real HTTP: each call does what its name says, as ElevenLabs records it."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from elevenlabs_adapter import remote, remote_config
from elevenlabs_adapter.errors import ElevenLabsError
from tests.factories import sample_config

PHONE_NUMBER_ID = "phnum_sandbox"


def stored(sandbox, agent_id: str) -> dict:
    """The agent as the sandbox holds it: branches, versions, traffic."""
    return next(agent for agent in sandbox.agents() if agent["agent_id"] == agent_id)


def main_of(agent: dict) -> dict:
    return agent["branches"][agent["main_branch_id"]]


def made(name: str = "Front Desk", first_message: str = "Hello!", tags=("sales",)) -> str:
    return remote.agent_create(name=name, config=sample_config(first_message), tags=list(tags))


def with_a_branch(agent_id: str, first_message: str = "Hello from the branch") -> str:
    main = remote.agent_get(agent_id)
    return remote.branch_create(
        agent_id,
        name="testing",
        parent_version_id=main.version_id,
        config=sample_config(first_message),
    )


# --- agents


def test_create_makes_an_agent_with_the_name_config_and_tags_given(sandbox):
    agent_id = made("Front Desk", "Welcome to Acme", tags=["sales", "switchboard:abc"])

    agent = stored(sandbox, agent_id)
    assert agent_id.startswith("agent_")
    assert agent["name"] == "Front Desk"
    assert agent["tags"] == ["sales", "switchboard:abc"]
    (version,) = main_of(agent)["versions"]
    assert version["conversation_config"] == sample_config("Welcome to Acme")["conversation_config"]


def test_find_by_tag_finds_only_the_agent_carrying_that_exact_tag(sandbox):
    mine = made(tags=["sales", "switchboard:mine"])
    made(tags=["sales", "switchboard:theirs"])

    assert remote.agent_find_by_tag("switchboard:mine") == mine
    assert remote.agent_find_by_tag("switchboard:nobody") is None
    assert remote.agent_find_by_tag("switchboard:min") is None


def test_get_reads_main_or_a_branch_as_a_config_we_can_store(sandbox):
    agent_id = made(first_message="Main speaking")
    branch_id = with_a_branch(agent_id, "Branch speaking")
    agent = stored(sandbox, agent_id)

    main = remote.agent_get(agent_id)
    branch = remote.agent_get(agent_id, branch_id=branch_id)

    assert main.agent_id == agent_id
    assert main.name == "Front Desk"
    assert main.tags == ["sales"]
    assert main.config == sample_config("Main speaking")
    assert main.branch_id == main.main_branch_id == agent["main_branch_id"]
    assert main.version_id == main_of(agent)["versions"][-1]["id"]
    assert branch.config == sample_config("Branch speaking")
    assert branch.branch_id == branch_id
    assert branch.version_id == agent["branches"][branch_id]["versions"][-1]["id"]


def test_get_drops_the_read_only_keys_elevenlabs_answers_with(sandbox):
    agent_id = made()
    sandbox.patch_agent(agent_id, platform_settings={"safety": {"is_blocked_ivc": False}})

    assert remote.agent_get(agent_id).config == sample_config("Hello!")


def test_remote_config_keeps_what_we_may_write_and_drops_the_rest():
    read = sample_config()
    read["platform_settings"] = {"safety": {"is_blocked_ivc": True}, "widget": {"variant": "full"}}
    read["conversation_config"]["agent"]["prompt"]["knowledge_base_document_ids"] = ["x"]
    before = json.dumps(read, sort_keys=True)

    trimmed = remote_config(read)

    assert trimmed == {**sample_config(), "platform_settings": {"widget": {"variant": "full"}}}
    assert json.dumps(read, sort_keys=True) == before, "the input must not be modified"


def test_push_to_main_commits_a_version_with_its_description(sandbox):
    agent_id = made(first_message="Before")

    pushed = remote.agent_push(
        agent_id, config=sample_config("After"), version_description="v2: Friendlier greeting"
    )

    versions = main_of(stored(sandbox, agent_id))["versions"]
    assert len(versions) == 2
    assert pushed.version_id == versions[-1]["id"]
    assert versions[-1]["description"] == "v2: Friendlier greeting"
    assert versions[-1]["conversation_config"] == sample_config("After")["conversation_config"]
    assert pushed.config == sample_config("After")


def test_push_of_name_and_tags_alone_commits_no_version(sandbox):
    agent_id = made(name="Old name", tags=["a"])

    remote.agent_push(agent_id, name="New name", tags=["b", "switchboard:k"])

    agent = stored(sandbox, agent_id)
    assert agent["name"] == "New name"
    assert agent["tags"] == ["b", "switchboard:k"]
    assert len(main_of(agent)["versions"]) == 1


def test_push_to_a_branch_commits_there_and_leaves_main_alone(sandbox):
    agent_id = made(first_message="Main")
    branch_id = with_a_branch(agent_id)

    pushed = remote.agent_push(
        agent_id, branch_id=branch_id, config=sample_config("Tested"), version_description="t"
    )

    agent = stored(sandbox, agent_id)
    assert pushed.branch_id == branch_id
    assert agent["branches"][branch_id]["versions"][-1]["id"] == pushed.version_id
    tested = agent["branches"][branch_id]["versions"][-1]["conversation_config"]
    assert tested == sample_config("Tested")["conversation_config"]
    assert len(main_of(agent)["versions"]) == 1


# --- branches


def test_branch_create_starts_from_the_version_given_with_our_config(sandbox):
    agent_id = made(first_message="Main")
    main_version = remote.agent_get(agent_id).version_id

    branch_id = remote.branch_create(
        agent_id, name="testing", parent_version_id=main_version, config=sample_config("Test")
    )

    branch = stored(sandbox, agent_id)["branches"][branch_id]
    assert branch["name"] == "testing"
    (version,) = branch["versions"]
    assert version["out_of_branch_parent_id"] == main_version
    assert version["conversation_config"] == sample_config("Test")["conversation_config"]


def test_branch_find_finds_the_named_branch_unless_it_is_archived(sandbox, sandbox_sdk):
    agent_id = made()
    assert remote.branch_find(agent_id, "testing") is None

    branch_id = with_a_branch(agent_id)
    assert remote.branch_find(agent_id, "testing") == branch_id
    assert remote.branch_find(agent_id, "staging") is None

    sandbox_sdk.conversational_ai.agents.branches.update(agent_id, branch_id, is_archived=True)
    assert remote.branch_find(agent_id, "testing") is None


# --- delete


def test_delete_removes_the_agent_and_a_second_delete_is_a_404(sandbox):
    agent_id = made()

    remote.agent_delete(agent_id)

    assert sandbox.agents() == []
    with pytest.raises(ElevenLabsError) as again:
        remote.agent_delete(agent_id)
    assert again.value.status == 404
    assert not again.value.retryable


# --- traffic


def test_traffic_split_sends_percent_and_answers_in_fractions(sandbox):
    agent_id = made()
    branch_id = with_a_branch(agent_id)
    main_id = stored(sandbox, agent_id)["main_branch_id"]

    split = remote.traffic_split(agent_id, {main_id: 0.75, branch_id: 0.25})

    assert split == {main_id: 0.75, branch_id: 0.25}
    agent = stored(sandbox, agent_id)
    assert agent["traffic"] == {main_id: 75.0, branch_id: 25.0}
    assert agent["deployments"][-1]["traffic"] == {main_id: 75.0, branch_id: 25.0}


# --- conversations


def opened_conversation(url: str) -> str | None:
    """Open the conversation WebSocket at `url` as a browser would: the conversation's id, or
    None when the sandbox refuses the URL (it sends an `error`, then closes)."""
    with connect(url, open_timeout=5) as socket:
        try:
            socket.send(json.dumps({"type": "conversation_initiation_client_data"}))
            while True:
                message = json.loads(socket.recv(timeout=5))
                if message["type"] == "error":
                    return None
                if message["type"] == "conversation_initiation_metadata":
                    return message["conversation_initiation_metadata_event"]["conversation_id"]
        except (ConnectionClosed, OSError):
            return None


@pytest.mark.parametrize("on_a_branch", [False, True], ids=["main", "branch"])
def test_a_signed_url_opens_a_conversation_with_the_agent_without_a_key(sandbox, on_a_branch):
    agent_id = made()
    branch_id = with_a_branch(agent_id) if on_a_branch else None

    url = remote.signed_url(agent_id, branch_id=branch_id)

    parts = urlsplit(url)
    assert parts.scheme == "ws"
    assert parts.path.endswith("/v1/convai/conversation")
    assert parse_qs(parts.query)["agent_id"] == [agent_id]
    assert "sandbox-key" not in url, "a signed URL carries no API key"
    conversation_id = opened_conversation(url)
    assert conversation_id is not None, "the sandbox refused the signed URL"
    (conversation,) = sandbox.state()["conversations"]
    assert conversation["conversation_id"] == conversation_id
    assert conversation["agent_id"] == agent_id
    expected_branch = branch_id or stored(sandbox, agent_id)["main_branch_id"]
    assert conversation["branch_id"] == expected_branch


def test_a_signed_url_with_a_forged_signature_is_refused(sandbox):
    url = remote.signed_url(made())
    forged = url.replace("conversation_signature=", "conversation_signature=x")

    assert opened_conversation(url) is not None
    assert opened_conversation(forged) is None


def test_an_outbound_call_is_placed_from_the_agent_and_answers_its_conversation_id(sandbox):
    agent_id = made()

    conversation_id = remote.outbound_call(
        agent_id,
        phone_number_id=PHONE_NUMBER_ID,
        to_number="+14155550123",
        dynamic_variables={"customer": "Ada"},
    )

    (call,) = sandbox.state()["conversations"]
    assert call["conversation_id"] == conversation_id
    assert call["agent_id"] == agent_id
    assert call["source"] == "outbound_call"
    assert call["to_number"] == "+14155550123"
    assert call["dynamic_variables"]["customer"] == "Ada"


def test_conversations_are_listed_newest_first_a_page_at_a_time(sandbox):
    agent_id = made()
    other_agent = made(name="Other")
    call = {"phone_number_id": PHONE_NUMBER_ID, "to_number": "+14155550123"}
    first = remote.outbound_call(agent_id, **call)
    second = remote.outbound_call(agent_id, **call)
    remote.outbound_call(other_agent, **call)

    page, cursor = remote.conversations_list(agent_id, page_size=1)
    rest, end = remote.conversations_list(agent_id, page_size=1, cursor=cursor)

    assert [c["conversation_id"] for c in page] == [second]
    assert [c["conversation_id"] for c in rest] == [first]
    assert cursor is not None
    assert end is None
    assert page[0]["agent_id"] == agent_id
    assert page[0]["status"] == "done"


def test_the_sandbox_is_reached_directly_whatever_proxy_the_environment_names(sandbox, monkeypatch):
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # a proxy nobody answers at
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    remote._client_for.cache_clear()  # clients read the environment when they are made

    agent_id = remote.agent_create(name="Direct", config=sample_config(), tags=[])

    assert [agent["agent_id"] for agent in sandbox.agents()] == [agent_id]
