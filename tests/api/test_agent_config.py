"""Editing an agent's config through /api/agents/{id}: PATCH merges (RFC 7396), PUT replaces,
and the one validation of config (ranges, text that cannot be stored, depth) answers every
refusal with a 400 naming the dotted path."""

import json

import pytest

from agents.models import Status, VoiceAgent
from agents.services import agent_update
from tests.factories import sample_config

PROMPT_PATH = "config.conversation_config.agent.prompt"
TEMPERATURE = f"{PROMPT_PATH}.temperature"
TOOL = {"type": "client", "name": "lookup", "description": "Look the caller up."}


def patch_config(client, agent, config, **body):
    return client.patch(f"/api/agents/{agent.pk}/", {"config": config, **body}, format="json")


def prompt_of(config: dict) -> dict:
    return config["conversation_config"]["agent"]["prompt"]


# --- PATCH merges ---------------------------------------------------------------------------


def test_patching_one_setting_keeps_the_rest_of_the_config(api, editor, agent):
    response = patch_config(
        api(editor), agent, {"conversation_config": {"agent": {"prompt": {"temperature": 0.9}}}}
    )

    assert response.status_code == 200, response.content
    expected = sample_config()
    prompt_of(expected)["temperature"] = 0.9
    assert response.json()["config"] == expected
    agent.refresh_from_db()
    assert agent.config == expected
    assert prompt_of(agent.config)["prompt"] == "You are a helpful assistant."


def test_a_patched_null_removes_its_key_so_elevenlabs_default_applies(api, editor, agent):
    response = patch_config(
        api(editor), agent, {"conversation_config": {"agent": {"prompt": {"temperature": None}}}}
    )

    assert response.status_code == 200, response.content
    assert "temperature" not in prompt_of(response.json()["config"])
    assert prompt_of(response.json()["config"])["prompt"] == "You are a helpful assistant."


def test_a_patched_list_replaces_the_list_whole(api, editor, agent):
    first = {**TOOL, "name": "first"}
    agent = agent_update(
        agent=agent,
        actor=editor,
        config_patch={"conversation_config": {"agent": {"prompt": {"tools": [first, TOOL]}}}},
    )

    response = patch_config(
        api(editor), agent, {"conversation_config": {"agent": {"prompt": {"tools": [TOOL]}}}}
    )

    assert response.status_code == 200, response.content
    assert prompt_of(response.json()["config"])["tools"] == [TOOL]


def test_put_replaces_the_whole_config(api, editor, agent):
    config = {"conversation_config": {"agent": {"first_message": "Only this"}}}

    response = api(editor).put(
        f"/api/agents/{agent.pk}/", {"name": agent.name, "config": config}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["config"] == {**config, "platform_settings": {}}


def test_a_patch_that_changes_nothing_makes_no_draft_and_no_history(
    api, editor, agent_in, db_state
):
    agent = agent_in(Status.PRODUCTION)
    before = db_state()

    response = patch_config(
        api(editor),
        agent,
        {"conversation_config": {"agent": {"prompt": {"temperature": 0.4}}}},
        name=agent.name,
    )

    assert response.status_code == 200, response.content
    assert response.json()["deployment"]["status"] == Status.PRODUCTION
    assert db_state() == before


def test_a_patch_is_validated_merged_with_the_config_it_changes(api, editor, agent, db_state):
    # The stored temperature was accepted before the ranges existed (or came from
    # ElevenLabs): patching the greeting must not be refused for it, nor drop it.
    VoiceAgent.objects.filter(pk=agent.pk).update(
        config={
            **sample_config(),
            "conversation_config": {"agent": {"prompt": {"temperature": 2.5}}},
        }
    )

    response = patch_config(
        api(editor), agent, {"conversation_config": {"agent": {"first_message": "Hi"}}}
    )

    assert response.status_code == 200, response.content
    assert response.json()["config"]["conversation_config"]["agent"] == {
        "first_message": "Hi",
        "prompt": {"temperature": 2.5},
    }


@pytest.mark.parametrize("patch", [["a list"], "text", 3])
def test_a_config_patch_that_is_not_an_object_is_refused(
    api, editor, agent, api_error, db_state, patch
):
    before = db_state()

    body = api_error(patch_config(api(editor), agent, patch), 400, field="config")

    assert "PUT the whole config" in body["errors"]["config"][0]
    assert db_state() == before


# --- one validation: ranges -----------------------------------------------------------------


def with_temperature(value) -> dict:
    config = sample_config()
    prompt_of(config)["temperature"] = value
    return config


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(
            lambda client, agent: client.post(
                "/api/agents/", {"name": "Hot", "config": with_temperature(7)}, format="json"
            ),
            id="create",
        ),
        pytest.param(
            lambda client, agent: client.put(
                f"/api/agents/{agent.pk}/",
                {"name": agent.name, "config": with_temperature(7)},
                format="json",
            ),
            id="put",
        ),
        pytest.param(
            lambda client, agent: patch_config(
                client, agent, {"conversation_config": {"agent": {"prompt": {"temperature": 7}}}}
            ),
            id="patch",
        ),
    ],
)
def test_a_temperature_of_7_is_refused_naming_the_path_and_the_range(
    api, editor, agent, api_error, db_state, write
):
    before = db_state()

    body = api_error(write(api(editor), agent), 400, code="invalid_config", field=TEMPERATURE)

    assert body["errors"] == {TEMPERATURE: ["Must be between 0 and 2; 7 is not."]}
    assert body["message"] == f"{TEMPERATURE}: Must be between 0 and 2; 7 is not."
    assert db_state() == before


def test_a_maximum_call_length_of_ten_to_the_twentieth_is_refused(
    api, editor, agent, api_error, db_state
):
    where = "config.conversation_config.conversation.max_duration_seconds"
    before = db_state()

    response = patch_config(
        api(editor),
        agent,
        {"conversation_config": {"conversation": {"max_duration_seconds": 10**20}}},
    )

    body = api_error(response, 400, code="invalid_config", field=where)
    assert body["errors"][where][0].startswith("Must be between 1 and 86,400")
    assert db_state() == before


# --- one validation: text that cannot be stored, depth --------------------------------------


@pytest.mark.parametrize(
    ("escaped", "says"),
    [
        pytest.param("\\u0000", "contains a NUL character", id="nul"),
        pytest.param("\\ud800", "contains a lone surrogate", id="surrogate"),
    ],
)
@pytest.mark.parametrize("method", ["post", "patch"])
def test_text_that_cannot_be_stored_is_a_400_naming_its_path(
    api, editor, agent, api_error, db_state, escaped, says, method
):
    # Sent as raw JSON: a client library would refuse to encode a lone surrogate itself.
    config = {"conversation_config": {"agent": {"first_message": "Hi<here>there"}}}
    body = json.dumps({"name": "A", "config": config}).replace("<here>", escaped)
    url = "/api/agents/" if method == "post" else f"/api/agents/{agent.pk}/"
    where = "config.conversation_config.agent.first_message"
    before = db_state()

    response = getattr(api(editor), method)(url, body, content_type="application/json")

    refusal = api_error(response, 400, code="invalid_config", field=where)
    assert says in refusal["errors"][where][0]
    assert "remove it" in refusal["errors"][where][0]
    assert db_state() == before


def test_a_config_nested_deeper_than_the_limit_is_a_400_naming_the_limit(
    api, editor, agent, api_error, db_state
):
    # Just past the limit (the tools list is the config's fifth level): JSON this shallow is
    # not the request parser's to refuse, so the config's own check answers.
    tools: list = []
    for _ in range(62):
        tools = [tools]
    before = db_state()

    response = patch_config(
        api(editor), agent, {"conversation_config": {"agent": {"prompt": {"tools": tools}}}}
    )

    body = api_error(response, 400, code="invalid_config")
    [(path, [message])] = body["errors"].items()
    assert path.startswith(f"{PROMPT_PATH}.tools.0.0")
    assert message.startswith("Nested more than 64 levels deep")
    assert db_state() == before
