"""The agent editor's form (agents/forms.py): the common settings as controls, laid over the
full JSON config; a setting changed in both places is refused rather than guessed."""

import copy
import json

import pytest

from common.errors import InvalidInput, RoleRequired
from tests.factories import AgentFactory, sample_config
from tests.web.helpers import post_data
from web.forms import CONFIG_PATHS, AgentEditorForm

TOOL = {"type": "client", "name": "lookup", "description": "Find a booking"}


def full_config() -> dict:
    """Every control's setting present, the prompt on two lines."""
    config = sample_config()
    agent = config["conversation_config"]["agent"]
    agent["prompt"].update(
        prompt="You are a receptionist.\nBe brief.", llm="gemini-2.0-flash", tools=[TOOL]
    )
    agent["dynamic_variables"] = {"dynamic_variable_placeholders": {"name": "Ada", "city": "Oslo"}}
    config["conversation_config"]["conversation"] = {"max_duration_seconds": 300}
    return config


@pytest.fixture
def agent(workspace, editor):
    return AgentFactory(workspace=workspace, actor=editor, config=full_config(), tags=["a", "b"])


def at(config: dict, field: str):
    node = config
    for key in CONFIG_PATHS[field]:
        if key not in node:
            return KeyError
        node = node[key]
    return node


def submit(agent, **changes) -> AgentEditorForm:
    """The form as a browser posts it after `changes` (textareas with \\r\\n line ends)."""
    form = AgentEditorForm(post_data(AgentEditorForm(agent=agent), **changes), agent=agent)
    form.is_valid()
    return form


def merged(agent, **changes) -> dict:
    form = submit(agent, **changes)
    assert form.is_valid(), form.errors
    return form.cleaned_data["config"]


def json_with(agent, change) -> str:
    config = copy.deepcopy(agent.config)
    change(config)
    return json.dumps(config)


# --- the controls show the config -----------------------------------------------------------


def test_the_controls_start_from_the_agents_config(agent):
    form = AgentEditorForm(agent=agent)

    assert {name: form[name].value() for name in CONFIG_PATHS} == {
        "system_prompt": "You are a receptionist.\nBe brief.",
        "first_message": "Hello! How can I help?",
        "language": "en",
        "llm": "gemini-2.0-flash",
        "temperature": 0.4,
        "voice_id": "21m00Tcm4TlvDq8ikWAM",
        "max_duration_seconds": 300,
        "dynamic_variables": "name=Ada\ncity=Oslo",
        "tools": json.dumps([TOOL], indent=2),
    }
    assert json.loads(form["config"].value()) == agent.config
    assert (form["name"].value(), form["tags"].value()) == (agent.name, "a, b")


def test_a_new_agent_starts_from_an_empty_config(db):
    form = AgentEditorForm()

    assert json.loads(form["config"].value()) == {
        "conversation_config": {},
        "platform_settings": {},
    }
    assert all(form[name].value() == "" for name in CONFIG_PATHS)


# --- controls over the JSON -----------------------------------------------------------------


def test_an_untouched_form_keeps_the_config_exactly(agent):
    form = submit(agent)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["config"] == agent.config
    assert not set(form.changed_data) & set(CONFIG_PATHS)


@pytest.mark.parametrize(
    ("field", "posted", "stored"),
    [
        ("system_prompt", "Be kind.\r\nBe quick.", "Be kind.\nBe quick."),
        ("system_prompt", "  Spaces kept  ", "  Spaces kept  "),
        ("first_message", "Welcome!", "Welcome!"),
        ("language", "es", "es"),
        ("llm", "gpt-4o-mini", "gpt-4o-mini"),
        ("temperature", "0.9", 0.9),
        ("temperature", "0", 0.0),
        ("voice_id", "voice-2", "voice-2"),
        ("max_duration_seconds", "600", 600),
        ("dynamic_variables", "name=Bo", {"name": "Bo"}),
        ("tools", json.dumps([{**TOOL, "name": "book"}]), [{**TOOL, "name": "book"}]),
    ],
)
def test_a_changed_control_is_laid_over_the_json(agent, field, posted, stored):
    config = merged(agent, **{field: posted})

    assert at(config, field) == stored
    expected = copy.deepcopy(agent.config)
    node = expected
    for key in CONFIG_PATHS[field][:-1]:
        node = node[key]
    node[CONFIG_PATHS[field][-1]] = stored
    assert config == expected


def test_a_control_creates_the_sections_it_needs(db):
    form = AgentEditorForm(post_data(AgentEditorForm(), name="New", temperature="0.2"))

    assert form.is_valid(), form.errors
    assert form.cleaned_data["config"] == {
        "conversation_config": {"agent": {"prompt": {"temperature": 0.2}}},
        "platform_settings": {},
    }


@pytest.mark.parametrize("field", list(CONFIG_PATHS))
def test_a_blanked_control_removes_its_key_so_elevenlabs_default_applies(agent, field):
    config = merged(agent, **{field: ""})

    assert at(config, field) is KeyError
    restored = copy.deepcopy(config)
    node = restored
    for key in CONFIG_PATHS[field][:-1]:
        node = node[key]
    node[CONFIG_PATHS[field][-1]] = at(agent.config, field)
    assert restored == agent.config  # nothing else moved


def test_an_empty_tools_list_counts_as_blank(agent):
    assert at(merged(agent, tools="[]"), "tools") is KeyError


def test_a_json_edit_wins_where_the_controls_are_untouched(agent):
    def change(config):
        config["conversation_config"]["agent"]["prompt"]["prompt"] = "From the JSON"
        config["conversation_config"]["agent"]["prompt"]["temperature"] = 1.1
        config["platform_settings"] = {"widget": {"variant": "compact"}}

    config = merged(agent, config=json_with(agent, change))

    expected = copy.deepcopy(agent.config)
    change(expected)
    assert config == expected


def test_a_control_and_the_json_may_change_different_settings(agent):
    def change(config):
        config["conversation_config"]["agent"]["language"] = "de"

    config = merged(agent, first_message="Hallo!", config=json_with(agent, change))

    assert (at(config, "first_message"), at(config, "language")) == ("Hallo!", "de")


@pytest.mark.parametrize(
    ("field", "posted", "in_json"),
    [
        ("first_message", "From the control", "From the JSON"),
        ("temperature", "0.9", 1.2),
        ("tools", "[]", [TOOL, TOOL]),
        ("dynamic_variables", "name=Bo", {"name": "Cy"}),
        ("voice_id", "voice-2", KeyError),  # removed in the JSON
    ],
)
def test_a_setting_changed_in_both_places_is_refused(agent, field, posted, in_json):
    def change(config):
        node = config
        for key in CONFIG_PATHS[field][:-1]:
            node = node[key]
        if in_json is KeyError:
            del node[CONFIG_PATHS[field][-1]]
        else:
            node[CONFIG_PATHS[field][-1]] = in_json

    form = submit(agent, **{field: posted}, config=json_with(agent, change))

    assert not form.is_valid()
    assert form.errors == {
        field: ["You changed this here and in the JSON config; change it in one place."]
    }


def test_the_same_change_made_in_both_places_is_accepted(agent):
    def change(config):
        config["conversation_config"]["agent"]["first_message"] = "Same"

    config = merged(agent, first_message="Same", config=json_with(agent, change))

    assert at(config, "first_message") == "Same"


def test_browser_line_ends_do_not_count_as_a_change(agent):
    """Browsers send textareas with \\r\\n; the untouched prompt must not clash with a JSON
    edit of the prompt."""

    def change(config):
        config["conversation_config"]["agent"]["prompt"]["prompt"] = "New prompt\nfrom JSON"

    form = submit(agent, config=json_with(agent, change))

    assert "\r\n" in post_data(AgentEditorForm(agent=agent))["system_prompt"]
    assert form.is_valid(), form.errors
    assert "system_prompt" not in form.changed_data
    assert at(form.cleaned_data["config"], "system_prompt") == "New prompt\nfrom JSON"


def test_an_invalid_control_is_reported_and_not_merged(agent):
    form = submit(agent, temperature="warm", first_message="Welcome!")

    assert not form.is_valid()
    assert list(form.errors) == ["temperature"]
    assert form.errors["temperature"] == ["Enter a number."]


# --- dynamic variables ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("posted", "placeholders"),
    [
        ("name=Ada\r\ncity=Oslo", {"name": "Ada", "city": "Oslo"}),
        (
            "  name =  Ada Lovelace  \r\n\r\n   \r\ncity=Oslo\r\n",
            {"name": "Ada Lovelace", "city": "Oslo"},
        ),
        ("query=a=b", {"query": "a=b"}),
        ("empty=", {"empty": ""}),
        ("name=Ada\r\nname=Bo", {"name": "Bo"}),
    ],
)
def test_dynamic_variables_are_one_name_value_pair_a_line(agent, posted, placeholders):
    assert at(merged(agent, dynamic_variables=posted), "dynamic_variables") == placeholders


@pytest.mark.parametrize(
    ("posted", "says"),
    [
        ("name=Ada\r\njust a name", "Line 2: write it as name=value."),
        ("=Ada", "Line 1: write it as name=value."),
        ("  = Ada", "Line 1: write it as name=value."),
    ],
)
def test_a_dynamic_variable_line_without_a_name_and_value_is_refused(agent, posted, says):
    form = submit(agent, dynamic_variables=posted)

    assert form.errors == {"dynamic_variables": [says]}


def test_only_blank_lines_remove_the_placeholders(agent):
    assert at(merged(agent, dynamic_variables="\r\n  \r\n"), "dynamic_variables") is KeyError


# --- tools ----------------------------------------------------------------------------------


def test_tools_are_a_json_list(agent):
    tools = [TOOL, {**TOOL, "name": "book", "description": "Book a table"}]

    assert at(merged(agent, tools=json.dumps(tools)), "tools") == tools


@pytest.mark.parametrize(
    ("posted", "says"),
    [
        ('[{"type": "client",', "This is not valid JSON: Expecting property name enclosed"),
        ("[\r\n  {\r\n  }\r\n  oops\r\n]", "at line 4, column 3."),
        ('{"type": "client"}', "Give a JSON list of tools: [{...}, {...}]."),
        ('"lookup"', "Give a JSON list of tools"),
    ],
)
def test_tools_that_are_not_a_json_list_are_refused(agent, posted, says):
    form = submit(agent, tools=posted)

    assert list(form.errors) == ["tools"]
    assert says in form.errors["tools"][0]


# --- the JSON config and the basics ---------------------------------------------------------


@pytest.mark.parametrize(
    ("posted", "says"),
    [
        ('{\n  "conversation_config": {,\n}', "This is not valid JSON: Expecting property name"),
        ('{\n  "conversation_config": {,\n}', "at line 2, column 27."),
        ("[]", "Give a JSON object"),
        ("null", "Give a JSON object"),
    ],
)
def test_a_config_that_is_not_a_json_object_is_refused(agent, posted, says):
    form = submit(agent, config=posted, first_message="Not merged")

    assert list(form.errors) == ["config"]
    assert says in form.errors["config"][0]


def test_tags_are_separated_by_commas(agent):
    form = submit(agent, tags=" sales, ,en ,, vip ")

    assert form.is_valid(), form.errors
    assert form.cleaned_data["tags"] == ["sales", "en", "vip"]


# --- a service's refusal, next to the field it names ----------------------------------------


@pytest.mark.parametrize(
    ("key", "field", "shown"),
    [
        # A key inside what its field shows is named, as the API's message names it.
        ("config.conversation_config.agent.promt", "config", "{key}: Bad value."),
        ("config", "config", "Bad value."),
        ("config.conversation_config.agent.prompt.temperature", "temperature", "Bad value."),
        ("config.conversation_config.agent.prompt.tools.0.type", "tools", "{key}: Bad value."),
        ("config.conversation_config.agent.prompt.prompt", "system_prompt", "Bad value."),
        ("config.conversation_config.agent.prompt.promptx", "config", "{key}: Bad value."),
        ("name", "name", "Bad value."),
        ("tags", "tags", "Bad value."),
        ("workspace", "__all__", "Bad value."),
    ],
)
def test_a_service_error_is_shown_on_the_field_it_names(agent, key, field, shown):
    form = submit(agent)
    error = InvalidInput("Refused.", errors={key: ["Bad value."]})

    assert form.add_service_error(error) == 400
    assert form.errors == {field: [shown.format(key=key)]}


def test_a_service_error_naming_no_field_is_the_forms_own(agent):
    form = submit(agent)

    status = form.add_service_error(RoleRequired("You need the editor role."))

    assert status == 403
    assert form.errors == {"__all__": ["You need the editor role."]}
