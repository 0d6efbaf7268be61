"""The dashboard (agents/views.py `agent_dashboard`): the workspace's agents, their badges,
search, filters, sort, pages, empty states, and its constant number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.models import Status, VoiceAgent
from agents.services import agent_update
from deployments.services import deployment_create
from tests.factories import AgentFactory, sample_config
from tests.web.helpers import (
    alert_shown,
    attrs,
    browser,
    dom,
    failed,
    htmx,
    is_fragment,
    listed,
    one,
    row,
    select,
    text,
    url,
)
from web.filters import AgentDashboardFilter

DRAFT, TESTING, PRODUCTION = Status.DRAFT, Status.TESTING, Status.PRODUCTION
ROLE_NEEDED = "You need the editor role in workspace 'acme'"


# --- dashboard: the workspace's agents ------------------------------------------------------


def test_the_dashboard_shows_each_stage_with_the_seeds_badge(viewer, agent_in):
    draft, testing, live = agent_in(DRAFT), agent_in(TESTING), agent_in(PRODUCTION)

    response = browser(viewer).get(url("agents"))

    assert response.status_code == 200
    for agent, css, label, version in [
        (draft, "badge-draft", "Draft", "v1"),
        (testing, "badge-testing", "Testing", "v1"),
        (live, "badge-production", "Production", "v2"),  # the API's word, not "Live"
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
            assert "Creating agents needs the editor role." in text(empty)


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


@pytest.mark.parametrize(
    ("sort", "order"), [("version", ("version", "id")), ("-name", ("-name", "-id"))]
)
def test_every_dashboard_sort_ends_with_the_id(workspace, sort, order):
    """Agents sharing a version must keep one order, or paging repeats some and skips others."""
    filters = AgentDashboardFilter({"sort": sort}, queryset=VoiceAgent.objects.all())

    assert filters.qs.query.order_by == order


def test_a_moment_the_database_cannot_compare_is_a_form_error_not_a_server_error(viewer, agent):
    response = browser(viewer).get(url("agents", query="updated_since=2020-01-01T00:00:00%2B16:00"))

    # As every refused filter: shown above an empty list (a 4xx would keep htmx from showing it).
    assert response.status_code == 200
    assert "between -15:59 and +15:59" in alert_shown(response)
    assert listed(response) == []


def test_app_itself_leads_to_the_dashboard(viewer):
    response = browser(viewer).get("/app/")

    assert response.status_code == 302
    assert response["Location"] == url("agents")
