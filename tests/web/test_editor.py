"""The agent editor (agents/views.py `agent_new`, `agent_edit`): creating and editing through
the services, errors next to their fields, the warning before a live agent goes back to draft."""

import copy
import json

import pytest

from agents.models import Status, VoiceAgent
from tests.factories import sample_config
from tests.web.helpers import (
    alert_shown,
    attrs,
    browser,
    dom,
    error_shown,
    errors_of,
    messages_of,
    one,
    post_data,
    select,
    text,
    url,
)
from web.forms import AgentEditorForm

DRAFT, TESTING, PRODUCTION = Status.DRAFT, Status.TESTING, Status.PRODUCTION
ROLE_NEEDED = "You need the editor role in workspace 'acme'"


# --- the editor: a new agent ----------------------------------------------------------------


def new_agent_data(**overrides) -> dict:
    return post_data(AgentEditorForm(), **overrides)


def test_the_new_agent_page_is_an_empty_editor(editor):
    response = browser(editor).get(url("agent-new"))

    assert response.status_code == 200
    assert "agents/editor.html" in [template.name for template in response.templates]
    assert "A new agent is a draft at version 1." in response.content.decode()
    assert text(one(one(dom(response), "form", css="editor"), "button", type="submit")) == (
        "Create agent"
    )


def test_creating_an_agent_makes_a_draft_at_version_one_with_the_merged_config(editor, workspace):
    config = {"conversation_config": {"tts": {"voice_id": "voice-from-json"}}}
    data = new_agent_data(
        name=" Front Desk ",
        description="Answers the phone",
        tags="sales, en, ",
        system_prompt="You answer the phone.\r\nBe brief.",
        first_message="Hello!",
        temperature="0.3",
        config=json.dumps(config),
    )

    response = browser(editor).post(url("agent-new"), data, follow=True)

    agent = VoiceAgent.objects.get(workspace=workspace)
    assert response.redirect_chain == [(url("agent", agent), 302)]
    assert ("success", "Created Front Desk: a draft at version 1.") in messages_of(response)
    assert (agent.name, agent.status, agent.version, agent.live_version) == (
        "Front Desk",
        DRAFT,
        1,
        None,
    )
    assert agent.description == "Answers the phone"
    assert sorted(agent.tags.values_list("name", flat=True)) == ["en", "sales"]
    assert agent.created_by == editor
    assert agent.config == {
        "conversation_config": {
            "agent": {
                "first_message": "Hello!",
                "prompt": {"prompt": "You answer the phone.\nBe brief.", "temperature": 0.3},
            },
            "tts": {"voice_id": "voice-from-json"},
        },
        "platform_settings": {},
    }


def test_a_viewer_cannot_create_an_agent(viewer, db_state):
    before = db_state()

    response = browser(viewer).post(url("agent-new"), new_agent_data(name="Front Desk"))

    assert response.status_code == 403
    assert errors_of(response) == {
        "__all__": [f"{ROLE_NEEDED} to create agents."],
    }
    assert f"{ROLE_NEEDED} to create agents." in alert_shown(response)
    assert db_state() == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_user_without_a_workspace_has_no_editor(stranger, db_state, method):
    before = db_state()

    response = getattr(browser(stranger), method)(url("agent-new"), new_agent_data(name="X"))

    assert response.status_code == 404
    assert db_state() == before


def test_an_unknown_config_key_is_shown_at_the_json_with_the_closest_name(editor, db_state):
    config = {"conversation_config": {"agent": {"promt": {"prompt": "Hi"}}}}
    before = db_state()

    response = browser(editor).post(
        url("agent-new"), new_agent_data(name="Front Desk", config=json.dumps(config))
    )

    assert response.status_code == 400
    assert list(errors_of(response)) == ["config"]
    assert "Unknown key 'promt'. Did you mean 'prompt'?" in error_shown(response, "config")
    assert "open" in attrs(one(dom(response), "details", css="advanced"))
    assert db_state() == before


@pytest.mark.parametrize(
    ("config", "says"),
    [
        ('{"conversation_config": {', "This is not valid JSON: Expecting property name"),
        ("[1, 2]", "Give a JSON object"),
        ("", "This field is required."),
    ],
)
def test_a_config_that_is_not_a_json_object_is_refused(editor, db_state, config, says):
    before = db_state()

    response = browser(editor).post(url("agent-new"), new_agent_data(name="X", config=config))

    assert response.status_code == 400
    assert says in error_shown(response, "config")
    assert "Please correct the 1 field marked below." in alert_shown(response)
    assert db_state() == before


def test_a_refused_form_keeps_what_was_typed(editor):
    data = new_agent_data(name="Front Desk", system_prompt="Keep me", config="{")

    response = browser(editor).post(url("agent-new"), data)

    page = dom(response)
    assert attrs(one(page, "input", name="name"))["value"] == "Front Desk"
    assert text(one(page, "textarea", name="system_prompt")) == "Keep me"


# --- the editor: an existing agent ----------------------------------------------------------


def edit_data(agent, **overrides) -> dict:
    return post_data(AgentEditorForm(agent=agent), **overrides)


def test_the_edit_page_shows_the_agents_settings_as_controls(editor, agent):
    response = browser(editor).get(url("agent-edit", agent))

    assert response.status_code == 200
    page = dom(response)
    assert attrs(one(page, "input", name="name"))["value"] == agent.name
    assert text(one(page, "textarea", name="first_message")) == "Hello! How can I help?"
    assert attrs(one(page, "input", name="temperature"))["value"] == "0.4"
    assert attrs(one(page, "input", name="voice_id"))["value"] == "21m00Tcm4TlvDq8ikWAM"
    assert text(one(one(page, "form", css="editor"), "button", type="submit")) == "Save changes"


@pytest.mark.parametrize(
    ("status", "live_note"),
    [(TESTING, ""), (PRODUCTION, " Callers still get v2.")],
)
def test_a_config_change_takes_the_agent_back_to_draft_keeping_the_live_version(
    editor, agent_in, status, live_note
):
    agent = agent_in(status)
    live = agent.live_version

    response = browser(editor).post(
        url("agent-edit", agent), edit_data(agent, first_message="Welcome back!"), follow=True
    )

    assert response.redirect_chain == [(url("agent", agent), 302)]
    message = f"Saved. The config changed, so {agent.name} is back in draft.{live_note}"
    assert ("success", message) in messages_of(response)
    agent.refresh_from_db()
    assert (agent.status, agent.live_version) == (DRAFT, live)
    assert agent.config["conversation_config"]["agent"]["first_message"] == "Welcome back!"


def test_renaming_a_live_agent_keeps_it_live(editor, agent_in):
    agent = agent_in(PRODUCTION)
    config = copy.deepcopy(agent.config)

    response = browser(editor).post(
        url("agent-edit", agent), edit_data(agent, name="Front Desk", tags="vip"), follow=True
    )

    assert ("success", "Saved Front Desk.") in messages_of(response)
    agent.refresh_from_db()
    assert (agent.name, agent.status, agent.version) == ("Front Desk", PRODUCTION, 2)
    assert agent.config == config
    assert list(agent.tags.values_list("name", flat=True)) == ["vip"]


def test_saving_an_untouched_prompt_written_with_windows_line_ends_changes_nothing(
    editor, agent_in
):
    config = sample_config()
    config["conversation_config"]["agent"]["prompt"]["prompt"] = "Be kind.\r\nBe brief."
    agent = agent_in(PRODUCTION, config=config)  # written through the API, as sent

    browser(editor).post(url("agent-edit", agent), edit_data(agent, name="Front Desk"))

    agent.refresh_from_db()
    assert agent.name == "Front Desk"
    assert (agent.status, agent.config) == (PRODUCTION, config)


@pytest.mark.parametrize("status", [TESTING, PRODUCTION])
def test_editing_a_deployed_agent_warns_that_it_goes_back_to_draft(editor, agent_in, status):
    agent = agent_in(status)

    warning = one(dom(browser(editor).get(url("agent-edit", agent))), css="alert-warning")

    assert f"This agent is in {status}." in text(warning)
    assert "Changing its config moves it back to draft" in text(warning)
    said = "Production callers keep getting v2 until you deploy again."
    assert (said in text(warning)) == (status == PRODUCTION)


def test_editing_a_draft_has_no_warning(editor, agent):
    response = browser(editor).get(url("agent-edit", agent))

    assert select(dom(response), css="alert-warning") == []
    assert "moves it back to draft" not in response.content.decode()


def test_a_viewer_cannot_edit_an_agent(viewer, agent, db_state):
    before = db_state()

    response = browser(viewer).post(
        url("agent-edit", agent), edit_data(agent, name="Renamed", first_message="Changed")
    )

    assert response.status_code == 403
    assert errors_of(response) == {"__all__": [f"{ROLE_NEEDED} to edit agents."]}
    assert f"{ROLE_NEEDED} to edit agents." in alert_shown(response)
    assert db_state() == before


def test_a_service_refusal_is_shown_next_to_the_control_it_names(editor, agent, db_state):
    before = db_state()

    response = browser(editor).post(url("agent-edit", agent), edit_data(agent, name="   "))

    assert response.status_code == 400
    assert "This field is required." in error_shown(response, "name")
    assert db_state() == before


def test_a_setting_changed_in_its_control_and_in_the_json_is_refused(editor, agent, db_state):
    config = copy.deepcopy(agent.config)
    config["conversation_config"]["agent"]["first_message"] = "From the JSON"
    before = db_state()

    response = browser(editor).post(
        url("agent-edit", agent),
        edit_data(agent, first_message="From the control", config=json.dumps(config)),
    )

    assert response.status_code == 400
    assert "change it in one place" in error_shown(response, "first_message")
    assert db_state() == before


# --- the one validation of config: the same sentences as the API ---------------------------


def config_with(agent, path: tuple, value) -> str:
    config = copy.deepcopy(agent.config)
    node = config
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    return json.dumps(config)


def test_a_temperature_out_of_range_is_refused_by_the_config_check_beside_its_control(
    editor, agent, db_state
):
    before = db_state()

    response = browser(editor).post(url("agent-edit", agent), edit_data(agent, temperature="3"))

    assert response.status_code == 400
    assert error_shown(response, "temperature") == "Must be between 0 and 2; 3 is not."
    assert db_state() == before


def test_a_setting_out_of_range_in_the_json_is_refused_in_the_apis_own_words(
    editor, agent, api, db_state
):
    config = config_with(agent, ("conversation_config", "tts", "stability"), 5)
    from_the_api = api(editor).put(
        f"/api/agents/{agent.pk}/",
        {"name": agent.name, "config": json.loads(config)},
        format="json",
    )
    before = db_state()

    response = browser(editor).post(url("agent-edit", agent), edit_data(agent, config=config))

    assert response.status_code == 400
    assert error_shown(response, "config") == from_the_api.json()["message"]
    assert error_shown(response, "config") == (
        "config.conversation_config.tts.stability: Must be between 0 and 1; 5 is not."
    )
    assert db_state() == before


@pytest.mark.parametrize(
    ("escaped", "says"),
    [
        pytest.param("\\u0000", "contains a NUL character", id="nul"),
        pytest.param("\\ud800", "contains a lone surrogate", id="surrogate"),
    ],
)
def test_text_in_the_json_that_cannot_be_stored_is_refused_naming_its_path(
    editor, agent, db_state, escaped, says
):
    config = config_with(agent, ("conversation_config", "agent", "first_message"), "Hi<>")
    before = db_state()

    response = browser(editor).post(
        url("agent-edit", agent), edit_data(agent, config=config.replace("<>", escaped))
    )

    assert response.status_code == 400
    shown = error_shown(response, "config")
    assert shown.startswith("config.conversation_config.agent.first_message: This text")
    assert says in shown
    assert db_state() == before


@pytest.mark.parametrize("number", ["NaN", "Infinity", "1e999"])
def test_a_number_in_the_json_that_is_not_json_is_refused(editor, agent, db_state, number):
    config = config_with(agent, ("conversation_config", "turn", "silence_end_call_timeout"), "<>")
    before = db_state()

    response = browser(editor).post(
        url("agent-edit", agent), edit_data(agent, config=config.replace('"<>"', number))
    )

    assert response.status_code == 400
    assert error_shown(response, "config") == (
        "config.conversation_config.turn.silence_end_call_timeout: "
        "Must be a finite number: NaN and Infinity are not JSON."
    )
    assert db_state() == before


@pytest.mark.parametrize("levels", [100, 1000])
def test_json_nested_too_deep_is_refused_naming_the_limit(editor, agent, db_state, levels):
    config = '{"conversation_config": {"agent": {"prompt": {"tools": %s}}}}' % (
        "[" * levels + "]" * levels
    )
    before = db_state()

    response = browser(editor).post(url("agent-edit", agent), edit_data(agent, config=config))

    assert response.status_code == 400
    assert "Nested more than 64 levels deep" in error_shown(response, "config")
    assert db_state() == before
