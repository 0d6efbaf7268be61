"""The web UI's agent pages (agents/views.py): the dashboard, the editor, the detail page and
the sync badge, for each role; another workspace's agent is never there."""

import copy
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.filters import AgentDashboardFilter
from agents.forms import AgentForm
from agents.models import Status, SyncState, VoiceAgent
from agents.services import agent_update
from deployments.services import deployment_create
from tests.factories import AgentFactory, MembershipFactory, WorkspaceFactory, sample_config
from tests.ui_helpers import (
    alert_shown,
    attrs,
    browser,
    dom,
    error_shown,
    errors_of,
    htmx,
    is_fragment,
    login_redirect,
    messages_of,
    missing_targets,
    one,
    post_data,
    select,
    text,
    url,
)
from workspaces.roles import Role

DRAFT, TESTING, PRODUCTION = Status.DRAFT, Status.TESTING, Status.PRODUCTION
ROLE_NEEDED = "You need the editor role in workspace 'acme'"


@pytest.fixture
def sync_on(settings):
    """Sync is on (the sandbox setting), while ElevenLabs stays out of reach: what the sync
    queues is never run in a test, so a pending agent stays pending."""
    settings.ELEVENLABS_SANDBOX = True


def failed(agent, error="ElevenLabs refused the config: voice not found."):
    VoiceAgent.objects.filter(pk=agent.pk).update(
        sync_state=SyncState.FAILED, last_sync_error=error, sync_attempts=5
    )
    agent.refresh_from_db()
    return agent


def listed(response) -> list[str]:
    """The names of the agents in the dashboard's rows, in order."""
    return [text(link) for link in select(dom(response), "a", css="agent-name")]


def row(response, agent):
    return one(dom(response), "tr", id_=f"agent-{agent.pk}")


# --- who may open what ----------------------------------------------------------------------

AGENT_PAGES = ["agent", "agent-edit", "agent-sync-state"]


@pytest.mark.parametrize("name", ["agents", "agent-new"])
def test_anonymous_visitors_are_sent_to_log_in(db, name):
    response = browser().get(url(name))

    assert response.status_code == 302
    assert response["Location"] == login_redirect(url(name))


@pytest.mark.parametrize("name", AGENT_PAGES)
def test_anonymous_visitors_of_an_agent_page_are_sent_to_log_in(agent, name):
    response = browser().get(url(name, agent))

    assert response["Location"] == login_redirect(url(name, agent))


@pytest.mark.parametrize("name", ["agent-edit", "agent-sync"])
def test_an_anonymous_post_is_sent_to_log_in_and_changes_nothing(agent, db_state, name):
    before = db_state()

    response = browser().post(url(name, agent), {"name": "Hijacked"})

    assert response["Location"] == login_redirect(url(name, agent))
    assert db_state() == before


@pytest.mark.parametrize("who", ["outsider", "stranger"])
@pytest.mark.parametrize("name", AGENT_PAGES)
def test_another_workspaces_agent_is_not_found(request, agent, who, name):
    client = browser(request.getfixturevalue(who))

    response = client.get(url(name, agent))

    assert response.status_code == 404


@pytest.mark.parametrize("who", ["outsider", "stranger"])
@pytest.mark.parametrize("name", ["agent-edit", "agent-sync"])
def test_another_workspaces_agent_cannot_be_changed(request, agent, db_state, who, name):
    agent = failed(agent)
    client = browser(request.getfixturevalue(who))
    data = post_data(AgentForm(agent=agent), name="Hijacked")
    before = db_state()

    response = client.post(url(name, agent), data)

    assert response.status_code == 404
    assert db_state() == before


def test_another_workspaces_agent_looks_exactly_like_a_missing_one(agent, outsider):
    client = browser(outsider)
    missing = VoiceAgent.objects.order_by("pk").last().pk + 1

    theirs = client.get(url("agent", agent))
    nothing = client.get(f"/app/agents/{missing}")

    assert theirs.status_code == nothing.status_code == 404


# --- dashboard: the workspace's agents ------------------------------------------------------


def test_the_dashboard_shows_each_stage_with_the_seeds_badge(viewer, agent_in):
    draft, testing, live = agent_in(DRAFT), agent_in(TESTING), agent_in(PRODUCTION)

    response = browser(viewer).get(url("agents"))

    assert response.status_code == 200
    for agent, css, label, version in [
        (draft, "badge-draft", "Draft", "v1"),
        (testing, "badge-testing", "Testing", "v1"),
        (live, "badge-live", "Live", "v2"),
    ]:
        summary = one(row(response, agent), css="summary")
        badge = one(summary, css="badge")
        assert css in attrs(badge)["class"].split()
        assert text(badge) == label
        assert text(one(summary, css="version")) == version


def test_the_dashboard_shows_the_live_version_while_a_newer_config_is_worked_on(
    viewer, owner, agent_in
):
    live = agent_in(PRODUCTION)
    edited = agent_update(agent=agent_in(PRODUCTION), actor=owner, config=sample_config("New"))

    response = browser(viewer).get(url("agents"))

    assert text(one(row(response, edited), css="summary")) == "Draft v2 v2 live"
    assert select(row(response, live), css="live-version") == []  # the working config is live


def test_the_dashboard_lists_only_the_current_workspaces_agents(viewer, agent, outsider):
    theirs = AgentFactory(workspace=outsider.memberships.get().workspace, actor=outsider)

    mine = browser(viewer).get(url("agents"))
    other = browser(outsider).get(url("agents", query="workspace=acme"))

    assert listed(mine) == [agent.name]
    assert listed(other) == []
    assert agent.name not in other.content.decode()
    assert listed(browser(outsider).get(url("agents"))) == [theirs.name]


def test_a_failed_sync_shows_its_error_and_editors_may_retry(editor, viewer, agent):
    agent = failed(agent, "Voice 'xyz' not found on ElevenLabs.")

    for user, retry in [(editor, True), (viewer, False)]:
        cell = one(row(browser(user).get(url("agents")), agent), css="sync")
        assert "sync-failed" in attrs(cell)["class"].split()
        assert text(one(cell, css="sync-error")) == "Voice 'xyz' not found on ElevenLabs."
        buttons = [text(button) for button in select(cell, "button")]
        assert buttons == (["Retry sync"] if retry else [])
        if retry:
            assert attrs(one(cell, "form"))["action"] == url("agent-sync", agent)


def test_the_dashboard_shows_who_deployed_last(viewer, editor, agent, workspace):
    deployed = AgentFactory(workspace=workspace, actor=editor)
    deployment_create(agent=deployed, to_status=TESTING, changes="", actor=editor)

    response = browser(viewer).get(url("agents"))

    when = one(row(response, deployed), "td", data_label="Last deployed")
    assert text(when) in {f"{editor.username}, now", f"{editor.username}, a second ago"} or (
        text(when).startswith(f"{editor.username}, ") and text(when).endswith(" seconds ago")
    )
    assert text(one(row(response, agent), "td", data_label="Last deployed")) == "Never deployed"


@pytest.fixture
def catalogue(workspace, editor, owner, agent_in):
    """Four agents to find: names, stages, tags and sync states all differ."""
    front = agent_in(DRAFT, name="Front Desk", tags=["sales", "en"])
    billing = agent_in(TESTING, name="Billing Bot", tags=["support"])
    sales = agent_in(PRODUCTION, name="Sales Line", tags=["sales"])
    spanish = failed(AgentFactory(workspace=workspace, actor=editor, name="Ventas", tags=["es"]))
    return {"front": front, "billing": billing, "sales": sales, "spanish": spanish}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("search=desk", ["Front Desk"]),
        ("search=LINE", ["Sales Line"]),
        ("status=testing", ["Billing Bot"]),
        ("status=production", ["Sales Line"]),
        ("tag=sales", ["Front Desk", "Sales Line"]),
        ("sync_state=failed", ["Ventas"]),
        ("sync_state=synced&tag=sales&status=draft", ["Front Desk"]),
        ("sort=name", ["Billing Bot", "Front Desk", "Sales Line", "Ventas"]),
        ("sort=-name", ["Ventas", "Sales Line", "Front Desk", "Billing Bot"]),
    ],
)
def test_the_dashboard_searches_filters_and_sorts(viewer, catalogue, query, expected):
    response = browser(viewer).get(url("agents", query=query))

    assert response.status_code == 200
    names = listed(response)
    assert (names if "sort" in query else sorted(names)) == expected


def test_the_dashboard_lists_the_most_recently_changed_first_by_default(viewer, catalogue):
    response = browser(viewer).get(url("agents"))

    assert listed(response) == ["Ventas", "Sales Line", "Billing Bot", "Front Desk"]


def chosen(page, name: str) -> str:
    """What a browser submits for a <select>: its selected option, else its first."""
    options = select(one(page, "select", name=name), "option")
    picked = [option for option in options if "selected" in attrs(option)] or options[:1]
    return attrs(picked[0]).get("value", text(picked[0]))


def test_choosing_a_filter_keeps_the_order_the_list_is_shown_in(viewer, catalogue):
    client = browser(viewer)
    first = client.get(url("agents"))
    page = dom(first)
    form = {name: chosen(page, name) for name in ("status", "tag", "sync_state", "sort")}

    refreshed = client.get(url("agents"), {"search": "", **form}, **htmx(target="agent-results"))

    assert listed(refreshed) == listed(first)


def test_the_filters_show_what_is_chosen(viewer, catalogue):
    page = dom(browser(viewer).get(url("agents", query="search=bot&status=testing&tag=es")))

    assert attrs(one(page, "input", id_="filter-search"))["value"] == "bot"
    status = one(page, "select", id_="filter-status")
    assert [attrs(option)["value"] for option in select(status, "option", selected=True)] == [
        "testing"
    ]
    tags = one(page, "select", id_="filter-tag")
    assert [text(option) for option in select(tags, "option")] == [
        "Any tag",
        "en",
        "es",
        "sales",
        "support",
    ]
    assert [text(option) for option in select(tags, "option", selected=True)] == ["es"]


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("status=live", "'live' is not a stage; use one of draft, testing, production."),
        ("sync_state=lost", "'lost' is not a sync state; use one of pending, synced, failed."),
        ("sort=colour", "Select a valid choice"),
    ],
)
def test_a_bad_filter_value_is_explained_and_lists_nothing(viewer, catalogue, query, says):
    response = browser(viewer).get(url("agents", query=query))

    assert says in alert_shown(response)
    assert listed(response) == []
    assert "No agents" not in response.content.decode()


def test_the_search_box_refreshes_only_the_results(viewer, catalogue):
    response = browser(viewer).get(
        url("agents", query="search=sales"), **htmx(target="agent-results")
    )

    assert response.status_code == 200
    assert is_fragment(response)
    assert select(dom(response), "form", role="search") == []
    assert listed(response) == ["Sales Line"]


def test_without_the_results_target_an_htmx_request_gets_the_whole_page(viewer, catalogue):
    response = browser(viewer).get(url("agents", query="search=sales"), **htmx())

    assert not is_fragment(response)
    assert listed(response) == ["Sales Line"]


def test_results_refreshed_by_the_search_box_keep_the_editors_buttons(editor, catalogue):
    response = browser(editor).get(
        url("agents", query="search=ventas"), **htmx(target="agent-results")
    )

    cells = row(response, catalogue["spanish"])
    assert [text(button) for button in select(cells, "button")] == ["Retry sync"]
    assert text(one(cells, "a", href=url("agent-deploy", catalogue["spanish"]))) == "Deploy"


def test_the_dashboard_shows_fifty_agents_a_page(viewer, workspace, editor):
    for number in range(51):
        AgentFactory(workspace=workspace, actor=editor, name=f"Agent {number:02}")
    client = browser(viewer)

    first = client.get(url("agents", query="sort=name"))
    second = client.get(url("agents", query="sort=name&page=2"))

    assert listed(first) == [f"Agent {number:02}" for number in range(50)]
    assert listed(second) == ["Agent 50"]
    pages = one(dom(first), "nav", css="pagination")
    assert "Page 1 of 2" in text(pages)
    assert attrs(one(pages, "a"))["href"] == "?sort=name&page=2"
    assert "Page 2 of 2" in text(one(dom(second), "nav", css="pagination"))


def test_an_empty_workspace_says_what_to_do_first(editor, viewer, workspace):
    for user, offer in [(editor, True), (viewer, False)]:
        response = browser(user).get(url("agents"))

        empty = one(dom(response), "div", css="empty")
        assert "No agents yet" in text(empty)
        assert "Create an agent: it starts as a draft, version 1." in text(empty)
        create = select(empty, "a", href=url("agent-new"))
        assert [text(link) for link in create] == (["Create your first agent"] if offer else [])
        if not offer:
            assert "ask an editor of Acme to create one" in text(empty)


def test_filters_matching_nothing_say_so_rather_than_how_to_start(viewer, catalogue):
    response = browser(viewer).get(url("agents", query="search=nobody"))

    empty = text(one(dom(response), "div", css="empty"))
    assert "No agents match these filters." in empty
    assert "No agents yet" not in empty
    assert listed(response) == []


def test_a_user_without_a_workspace_is_told_to_ask_for_one(stranger, agent):
    response = browser(stranger).get(url("agents"))

    assert response.status_code == 200
    assert "agents/no_workspace.html" in [template.name for template in response.templates]
    assert "You are not in a workspace yet" in response.content.decode()
    assert agent.name not in response.content.decode()


def test_the_create_button_is_offered_to_editors_and_explained_to_viewers(editor, viewer, agent):
    mine = dom(browser(editor).get(url("agents")))
    theirs = dom(browser(viewer).get(url("agents")))

    assert text(one(mine, "a", href=url("agent-new"))) == "Create agent"
    assert select(mine, "button", disabled=True) == []
    assert select(theirs, "a", href=url("agent-new")) == []
    button = one(theirs, "button", disabled=True)
    assert text(button) == "Create agent"
    assert text(one(theirs, id_=attrs(button)["aria-describedby"])) == (
        "Creating agents needs the editor role."
    )


def test_only_editors_get_a_deploy_button_on_each_row(editor, viewer, agent):
    deploy = url("agent-deploy", agent)

    assert text(one(row(browser(editor).get(url("agents")), agent), "a", href=deploy)) == "Deploy"
    assert select(row(browser(viewer).get(url("agents")), agent), "a", href=deploy) == []


@pytest.fixture
def dashboard_agents(workspace, editor):
    """`dashboard_agents(count)`: agents with tags, a deployer, some failed syncs."""

    def make(count: int) -> None:
        for number in range(count):
            agent = AgentFactory(workspace=workspace, actor=editor, tags=["sales", "en"])
            deployment_create(agent=agent, to_status=TESTING, changes="QA", actor=editor)
            if number % 3 == 0:
                failed(agent)

    return make


def test_the_dashboard_runs_the_same_queries_for_five_agents_as_for_forty(
    editor, dashboard_agents, django_assert_num_queries
):
    client = browser(editor)
    dashboard_agents(5)
    with CaptureQueriesContext(connection) as few:
        assert len(listed(client.get(url("agents")))) == 5
    dashboard_agents(35)

    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url("agents"))

    assert len(listed(response)) == 40


# --- the editor: a new agent ----------------------------------------------------------------


def new_agent_data(**overrides) -> dict:
    return post_data(AgentForm(), **overrides)


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
    return post_data(AgentForm(agent=agent), **overrides)


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


# --- the detail page ------------------------------------------------------------------------


def test_the_detail_page_shows_the_agent_and_its_history(viewer, agent_in, ship):
    agent = ship(agent_in(PRODUCTION), sample_config("Hi, v3 here."), changes="New greeting")

    response = browser(viewer).get(url("agent", agent))

    assert response.status_code == 200
    page = dom(response)
    assert text(one(page, "h1")) == agent.name
    assert text(one(page, css="summary")) == "Live v3"
    changelog = [text(entry) for entry in select(one(page, id_="changelog"), "li")]
    assert [entry.split(" · ")[0] for entry in changelog] == [
        "v3 New greeting",
        "v2 Go live",
        "v1 Initial version",
    ]
    versions = one(page, id_="versions")
    assert [text(cell) for cell in select(one(versions, "tbody"), "th")] == [
        "v3 live",
        "v2",
        "v1",
    ]
    assert select(versions, "table", css="diff") == []
    assert "No differences: v3 and the working config are the same." in text(versions)


def test_the_detail_page_compares_the_live_version_with_the_working_config(viewer, owner, agent_in):
    agent = agent_update(agent=agent_in(PRODUCTION), actor=owner, config=sample_config("Edited"))

    diff = one(dom(browser(viewer).get(url("agent", agent))), "table", css="diff")

    caption = text(one(diff, "caption"))
    assert caption.startswith("1 line ")
    assert caption.endswith(" between v2 and the working config")
    [changed] = select(diff, "tr", css="diff-changed")
    assert '"first_message": "Hello! How can I help?",' in text(changed)
    assert '"first_message": "Edited",' in text(changed)


def test_editors_get_edit_and_deploy_buttons(editor, agent):
    page = dom(browser(editor).get(url("agent", agent)))

    actions = one(page, css="agent-actions")
    assert text(one(actions, "a", href=url("agent-edit", agent))) == "Edit"
    assert text(one(actions, "a", href=url("agent-deploy", agent))) == "Deploy"
    assert select(actions, "button", disabled=True) == []


def test_viewers_see_edit_and_deploy_disabled_with_the_reason(viewer, agent):
    page = dom(browser(viewer).get(url("agent", agent)))

    actions = one(page, css="agent-actions")
    assert select(actions, "a") == []
    buttons = select(actions, "button", disabled=True)
    assert [text(button) for button in buttons] == ["Edit", "Deploy", "Record test result"]
    reasons = {text(button): attrs(button)["aria-describedby"] for button in buttons}
    assert {name: text(one(page, id_=reason)) for name, reason in reasons.items()} == {
        "Edit": "Editing and deploying need the editor role.",
        "Deploy": "Editing and deploying need the editor role.",
        "Record test result": "Recording tests needs the tester role.",
    }


@pytest.mark.parametrize(("role", "offered"), [(Role.VIEWER, False), (Role.TESTER, True)])
def test_testers_get_the_record_test_result_button(member, agent, role, offered):
    page = dom(browser(member(role)).get(url("agent", agent)))

    links = select(page, "a", href=url("test-result-new", agent))
    assert [text(link) for link in links] == (["Record test result"] if offered else [])
    disabled = [text(button) for button in select(page, "button", disabled=True)]
    assert ("Record test result" in disabled) is not offered


def test_only_admins_may_roll_back_from_the_versions_list(owner, editor, agent_in):
    agent = agent_in(PRODUCTION)  # v2 is live; v1 can be rolled back to

    admin = one(dom(browser(owner).get(url("agent", agent))), id_="versions")
    other = one(dom(browser(editor).get(url("agent", agent))), id_="versions")

    link = one(admin, "a", href=url("agent-rollback", agent, "version=1"))
    assert text(link) == "Roll back to v1"
    assert [text(button) for button in select(admin, "button", disabled=True)] == []
    assert select(other, "a", href=url("agent-rollback", agent, "version=1")) == []
    [button] = select(other, "button", disabled=True)
    assert text(button) == "Roll back"
    reason = one(
        dom(browser(editor).get(url("agent", agent))), id_=attrs(button)["aria-describedby"]
    )
    assert text(reason) == "Rolling back needs the admin role."


def test_the_checklist_says_what_is_missing_before_production(owner, agent_in):
    agent = agent_in(TESTING)

    checklist = one(one(dom(browser(owner).get(url("agent", agent))), id_="gates"), "ul")

    items = {text(item).split(" ", 2)[2]: attrs(item)["class"] for item in select(checklist, "li")}
    assert items == {
        "Deployed by an admin": "met",
        "The working config is in testing": "met",
        "The agent exists on ElevenLabs": "met",
        f"A passing test of this config (revision {agent.config_revision}) No passing test "
        f"result for the config being deployed (revision {agent.config_revision}). Record a "
        "passing test of this config, or, as an admin, force the deploy and give the reason "
        '("force": true and "force_reason" in the API).': "overridable",
    }


@pytest.mark.parametrize("name", ["agents", "agent", "agent-edit"])
def test_whatever_htmx_updates_on_an_agent_page_is_on_the_page(editor, agent_in, name):
    agent = failed(agent_in(PRODUCTION))  # every control: deploy, retry, compare, roll back

    response = browser(editor).get(url(name, None if name == "agents" else agent))

    assert select(dom(response), hx_target=True) or name == "agent-edit"
    assert missing_targets(response) == []


def test_opening_an_agent_makes_its_workspace_the_current_one(viewer, workspace):
    other = WorkspaceFactory(name="Zeta", slug="zeta")
    MembershipFactory(workspace=other, user=viewer, role=Role.VIEWER)
    theirs = AgentFactory(workspace=other, name="Zeta agent")
    client = browser(viewer)
    assert listed(client.get(url("agents"))) == []  # Acme, first by name

    client.get(url("agent", theirs))

    assert listed(client.get(url("agents"))) == ["Zeta agent"]


# --- the sync badge -------------------------------------------------------------------------


def test_a_pending_badge_polls_until_the_sync_settles(viewer, agent, sync_on):
    response = browser(viewer).get(url("agent-sync-state", agent))

    assert response.status_code == 200
    assert is_fragment(response)
    badge = one(dom(response), "span", id_=f"agent-{agent.pk}-sync")
    assert "Syncing…" in text(badge)
    assert attrs(badge)["hx-get"] == url("agent-sync-state", agent)
    assert attrs(badge)["hx-trigger"] == "every 2s"
    assert "HX-Trigger" not in response.headers


@pytest.mark.parametrize(
    ("state", "says"), [(SyncState.SYNCED, "Synced"), (SyncState.FAILED, "Sync failed")]
)
def test_a_settled_badge_stops_polling_and_tells_the_page(viewer, agent, sync_on, state, says):
    VoiceAgent.objects.filter(pk=agent.pk).update(sync_state=state, last_sync_error="Boom")

    response = browser(viewer).get(url("agent-sync-state", agent))

    badge = one(dom(response), "span", id_=f"agent-{agent.pk}-sync")
    assert says in text(badge)
    assert "hx-trigger" not in attrs(badge)
    assert response.headers["HX-Trigger"] == "syncSettled"


def test_with_sync_off_a_pending_badge_says_so_and_does_not_poll(viewer, agent, settings):
    settings.ELEVENLABS_SANDBOX = False
    settings.ELEVENLABS_API_KEY = ""

    badge = one(dom(browser(viewer).get(url("agent-sync-state", agent))), "span", css="sync")

    assert text(badge) == "Sync off"
    assert "hx-trigger" not in attrs(badge)


def test_a_badge_that_settles_on_failed_offers_editors_a_retry(editor, agent, sync_on):
    failed(agent)

    response = browser(editor).get(url("agent-sync-state", agent))

    assert [text(button) for button in select(dom(response), "button")] == ["Retry sync"]


def test_a_viewer_cannot_retry_a_sync(viewer, agent, sync_on):
    agent = failed(agent, "Voice not found.")

    response = browser(viewer).post(url("agent-sync", agent), **htmx())

    assert response.status_code == 403
    refusal = one(dom(response), css="error")
    assert text(refusal) == "You need the editor role in workspace 'acme' to sync agents."
    agent.refresh_from_db()
    assert (agent.sync_state, agent.last_sync_error) == (SyncState.FAILED, "Voice not found.")


def test_without_htmx_a_refused_retry_goes_back_to_the_agent_saying_why(viewer, agent, sync_on):
    agent = failed(agent)

    response = browser(viewer).post(url("agent-sync", agent), follow=True)

    assert response.redirect_chain == [(url("agent", agent), 302)]
    assert (
        "error",
        "You need the editor role in workspace 'acme' to sync agents.",
    ) in messages_of(response)
    agent.refresh_from_db()
    assert agent.sync_state == SyncState.FAILED


def test_an_editor_retries_a_failed_sync(editor, agent, sync_on):
    agent = failed(agent)

    response = browser(editor).post(url("agent-sync", agent), **htmx())

    assert response.status_code == 200
    badge = one(dom(response), "span", id_=f"agent-{agent.pk}-sync")
    assert "Syncing…" in text(badge)
    assert attrs(badge)["hx-trigger"] == "every 2s"
    agent.refresh_from_db()
    assert (agent.sync_state, agent.last_sync_error, agent.sync_attempts) == (
        SyncState.PENDING,
        "",
        0,
    )


def test_without_htmx_a_retry_goes_back_to_the_agent(editor, agent, sync_on):
    agent = failed(agent)

    response = browser(editor).post(url("agent-sync", agent))

    assert response["Location"] == url("agent", agent)
    agent.refresh_from_db()
    assert agent.sync_state == SyncState.PENDING


def test_a_retried_sync_reaches_elevenlabs(editor, workspace, sandbox, committing):
    agent = failed(AgentFactory(workspace=workspace, actor=editor, name="Front Desk"))

    with committing():
        response = browser(editor).post(url("agent-sync", agent), **htmx())

    assert response.status_code == 200
    agent.refresh_from_db()
    assert (agent.sync_state, agent.last_sync_error) == (SyncState.SYNCED, "")
    [remote] = sandbox.agents()
    assert (remote["agent_id"], remote["name"]) == (agent.elevenlabs_agent_id, "Front Desk")


def test_a_retry_with_sync_off_says_how_to_turn_it_on(editor, agent, settings):
    settings.ELEVENLABS_SANDBOX = False
    settings.ELEVENLABS_API_KEY = ""
    agent = failed(agent)

    response = browser(editor).post(url("agent-sync", agent), **htmx())

    assert response.status_code == 409
    assert "Sync with ElevenLabs is off" in text(one(dom(response), css="error"))
    agent.refresh_from_db()
    assert agent.sync_state == SyncState.FAILED


def test_a_sync_is_retried_only_by_a_post(editor, agent):
    assert browser(editor).get(url("agent-sync", agent)).status_code == 405


@pytest.mark.parametrize(
    ("sort", "order"), [("version", ("version", "-id")), ("-name", ("-name", "-id"))]
)
def test_every_dashboard_sort_ends_with_the_id(workspace, sort, order):
    """Agents sharing a version must keep one order, or paging repeats some and skips others."""
    filters = AgentDashboardFilter({"sort": sort}, queryset=VoiceAgent.objects.all())

    assert filters.qs.query.order_by == order
