"""Agents through the official SDK: create, get, patch, delete, list."""

import pytest
from elevenlabs.core.api_error import ApiError
from elevenlabs.errors import UnprocessableEntityError

from tests.sandbox.sdk import create_agent, strictly


def test_a_created_agent_reads_back_as_sent(sandbox_sdk):
    agents = sandbox_sdk.conversational_ai.agents
    config = {"agent": {"first_message": "Hi there", "language": "en"}, "tts": {"voice_id": "v1"}}

    created = strictly(
        agents.create(
            conversation_config=config,
            platform_settings={"widget": {"variant": "compact"}},
            name="Concierge",
            tags=["sales", "en"],
        )
    )
    agent = strictly(agents.get(created.agent_id))

    assert created.agent_id.startswith("agent_")
    assert agent.agent_id == created.agent_id
    assert agent.name == "Concierge"
    assert agent.tags == ["sales", "en"]
    assert agent.conversation_config.agent.first_message == "Hi there"
    assert agent.conversation_config.tts.voice_id == "v1"
    assert agent.platform_settings.widget.variant == "compact"
    assert agent.branch_id == agent.main_branch_id
    assert agent.version_id.startswith("agtvrsn_")
    assert agent.metadata.created_at_unix_secs > 0


def test_patching_main_commits_a_version_and_merges_the_config(sandbox_sdk):
    agents = sandbox_sdk.conversational_ai.agents
    agent_id = create_agent(sandbox_sdk, "First")
    before = agents.get(agent_id)

    after = strictly(
        agents.update(
            agent_id,
            conversation_config={"agent": {"first_message": "Second"}},
            name="Renamed",
            tags=["beta"],
            version_description="Friendlier greeting",
        )
    )

    assert after.version_id != before.version_id
    assert after.name == "Renamed"
    assert after.tags == ["beta"]
    assert after.conversation_config.agent.first_message == "Second"
    # What the patch did not send is kept.
    assert after.conversation_config.agent.prompt.prompt == "Be brief."
    assert agents.get(agent_id).version_id == after.version_id
    version = strictly(agents.versions.get(agent_id, after.version_id))
    assert version.version_description == "Friendlier greeting"
    assert version.parents.in_branch_parent_id == before.version_id


def test_patching_a_branch_commits_there_and_leaves_main_alone(sandbox_sdk):
    agents = sandbox_sdk.conversational_ai.agents
    agent_id = create_agent(sandbox_sdk, "Main greeting")
    main = agents.get(agent_id)
    created = agents.branches.create(
        agent_id, parent_version_id=main.version_id, name="testing", description="QA"
    )

    patched = strictly(
        agents.update(
            agent_id,
            branch_id=created.created_branch_id,
            conversation_config={"agent": {"first_message": "Branch greeting"}},
        )
    )

    assert patched.branch_id == created.created_branch_id
    assert patched.version_id not in (created.created_version_id, main.version_id)
    on_branch = agents.get(agent_id, branch_id=created.created_branch_id)
    assert on_branch.version_id == patched.version_id
    assert on_branch.conversation_config.agent.first_message == "Branch greeting"
    main_now = agents.get(agent_id)
    assert main_now.version_id == main.version_id
    assert main_now.conversation_config.agent.first_message == "Main greeting"
    # Every version stays readable by id, with its own config.
    old = agents.get(agent_id, version_id=created.created_version_id)
    assert old.conversation_config.agent.first_message == "Main greeting"
    assert old.branch_id == created.created_branch_id


def test_a_deleted_agent_is_gone(sandbox_sdk, sandbox):
    agent_id = create_agent(sandbox_sdk)

    sandbox_sdk.conversational_ai.agents.delete(agent_id)

    with pytest.raises(ApiError) as raised:
        sandbox_sdk.conversational_ai.agents.get(agent_id)
    assert raised.value.status_code == 404
    assert raised.value.body["detail"]["status"] == "agent_not_found"
    assert sandbox.agents() == []


@pytest.mark.parametrize(
    ("call", "status"),
    [
        (lambda agents, agent_id: agents.get("agent_nope"), "agent_not_found"),
        (lambda agents, agent_id: agents.get(agent_id, branch_id="nope"), "branch_not_found"),
        (lambda agents, agent_id: agents.get(agent_id, version_id="nope"), "version_not_found"),
        (lambda agents, agent_id: agents.update(agent_id, branch_id="nope"), "branch_not_found"),
        (lambda agents, agent_id: agents.delete("agent_nope"), "agent_not_found"),
    ],
)
def test_unknown_ids_are_404_in_elevenlabs_shape(sandbox_sdk, call, status):
    agent_id = create_agent(sandbox_sdk)

    with pytest.raises(ApiError) as raised:
        call(sandbox_sdk.conversational_ai.agents, agent_id)

    assert raised.value.status_code == 404
    assert raised.value.body["detail"]["status"] == status
    assert raised.value.body["detail"]["message"]


def test_a_create_without_a_config_is_refused_in_fastapi_shape(sandbox):
    response = sandbox.http.post(
        "v1/convai/agents/create", json={"name": "No config", "tags": ["x", 3]}
    )

    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", "conversation_config"]
    assert problem["type"] == "missing"
    assert problem["msg"]
    assert sandbox.agents() == []


def test_malformed_fields_are_422_naming_them(sandbox_sdk):
    agent_id = create_agent(sandbox_sdk)

    with pytest.raises(UnprocessableEntityError) as raised:
        sandbox_sdk.conversational_ai.agents.update(agent_id, tags=["ok", 7])

    assert raised.value.body["detail"][0]["loc"] == ["body", "tags", 1]


def test_the_list_filters_by_any_of_the_tags_and_by_name(sandbox_sdk):
    sales = create_agent(sandbox_sdk, name="Sales bot", tags=["sales", "en"])
    support = create_agent(sandbox_sdk, name="Support bot", tags=["support"])
    create_agent(sandbox_sdk, name="Other", tags=["internal"])
    agents = sandbox_sdk.conversational_ai.agents

    by_tags = strictly(agents.list(tags=["sales", "support"]))
    by_one_tag = agents.list(tags="support")
    by_name = agents.list(search="BOT", tags=["support"])

    assert [agent.agent_id for agent in by_tags.agents] == [support, sales]  # newest first
    assert [agent.agent_id for agent in by_one_tag.agents] == [support]
    assert [agent.agent_id for agent in by_name.agents] == [support]
    summary = by_tags.agents[1]
    assert summary.tags == ["sales", "en"]
    assert summary.access_info.role == "admin"


def test_the_list_reports_the_voice_and_archived_agents(sandbox_sdk):
    voiced = create_agent(sandbox_sdk, conversation_config={"tts": {"voice_id": "voice_x"}})
    archived = create_agent(sandbox_sdk, platform_settings={"archived": True})
    agents = sandbox_sdk.conversational_ai.agents

    listed = {agent.agent_id: agent for agent in agents.list().agents}

    assert listed[voiced].voice_id == "voice_x"
    assert listed[archived].voice_id  # a default: the field is required
    assert [agent.agent_id for agent in agents.list(archived=True).agents] == [archived]
    assert [agent.agent_id for agent in agents.list(archived=False).agents] == [voiced]


def test_the_list_pages_by_cursor_without_gaps_or_repeats(sandbox_sdk):
    created = [create_agent(sandbox_sdk, name=f"Agent {index}") for index in range(5)]
    agents = sandbox_sdk.conversational_ai.agents

    first = strictly(agents.list(page_size=2))
    sandbox_sdk.conversational_ai.agents.delete(created[2])  # removed between pages
    second = agents.list(page_size=2, cursor=first.next_cursor)

    assert first.has_more
    assert [agent.agent_id for agent in first.agents] == [created[4], created[3]]
    assert [agent.agent_id for agent in second.agents] == [created[1], created[0]]
    assert second.has_more is False
    assert second.next_cursor is None


def test_page_size_is_capped_at_100(sandbox_sdk):
    with pytest.raises(UnprocessableEntityError) as raised:
        sandbox_sdk.conversational_ai.agents.list(page_size=101)

    assert raised.value.body["detail"][0]["loc"] == ["query", "page_size"]
