"""/api/agents/: the agent as the API shows it, create, edit, delete, filters and pagination."""

from datetime import UTC, datetime

import pytest
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from agents.models import Status, VoiceAgent
from api.agents import AgentViewSet
from deployments.models import AgentVersion, SyncState
from elevenlabs_sync.models import AgentSync
from tests.factories import AgentFactory, MembershipFactory, WorkspaceFactory, sample_config
from tests.shapes import (
    AGENT_KEYS,
    assert_first_release,
)
from workspaces.roles import Role


def with_config_change(path: str, value) -> dict:
    """`sample_config()` with the dotted `path` (under conversation_config) set to `value`."""
    config = sample_config()
    node = config["conversation_config"]
    *parents, leaf = path.split(".")
    for key in parents:
        node = node[key]
    node[leaf] = value
    return config


# --- the agent as every endpoint shows it ---------------------------------------------------


def test_an_agent_shows_its_fields_and_the_seeds_deployment_object(api, viewer, agent_in, owner):
    agent = agent_in(Status.PRODUCTION, tags=["sales", "en"])

    body = api(viewer).get(f"/api/agents/{agent.pk}/").json()

    assert set(body) >= AGENT_KEYS
    assert body["id"] == agent.pk
    assert body["workspace"] == "acme"
    assert body["name"] == agent.name
    assert body["tags"] == ["en", "sales"]
    assert body["config"] == sample_config()
    assert body["elevenlabs_agent_id"] == agent.sync.elevenlabs_agent_id
    assert body["sync_state"] == SyncState.PENDING  # the deploy's push has not run yet
    assert_first_release(body["deployment"], by=owner)
    assert [entry["version"] for entry in body["deployment"]["changelog"]] == [2, 1]


# --- create ---------------------------------------------------------------------------------


def test_a_created_agent_starts_in_draft_at_version_one(api, editor, workspace):
    response = api(editor).post(
        "/api/agents/",
        {"name": "Sales Assistant", "tags": ["sales"], "config": sample_config()},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    agent = VoiceAgent.objects.get(pk=body["id"])
    assert agent.workspace == workspace
    assert body["name"] == "Sales Assistant"
    assert body["tags"] == ["sales"]
    assert body["config"] == sample_config()
    assert body["elevenlabs_agent_id"].startswith("local_")
    assert body["deployment"]["status"] == "draft"
    assert body["deployment"]["version"] == 1
    assert body["deployment"]["liveVersion"] is None
    [entry] = body["deployment"]["changelog"]
    assert entry["version"] == 1
    assert entry["changes"] == "Initial version"
    assert entry["updatedBy"] == {"id": editor.pk, "username": editor.username}


def test_a_created_agent_records_the_note_it_was_given(api, editor, workspace):
    response = api(editor).post(
        "/api/agents/", {"name": "Sales Assistant", "changes": "First cut"}, format="json"
    )

    assert response.json()["deployment"]["changelog"][0]["changes"] == "First cut"
    assert AgentVersion.objects.get(agent_id=response.json()["id"]).changes == "First cut"


def test_an_agent_created_without_a_config_gets_both_empty_sections(api, editor, workspace):
    response = api(editor).post("/api/agents/", {"name": "Blank"}, format="json")

    assert response.json()["config"] == {"conversation_config": {}, "platform_settings": {}}


@pytest.fixture
def second_workspace(editor):
    """Makes `editor` a member of a second workspace, "beta"."""
    beta = WorkspaceFactory(name="Beta", slug="beta")
    MembershipFactory(user=editor, workspace=beta, role=Role.EDITOR)
    return beta


def test_a_member_of_several_workspaces_must_name_one(
    api, editor, second_workspace, api_error, db_state
):
    before = db_state()

    response = api(editor).post("/api/agents/", {"name": "Where?"}, format="json")

    body = api_error(response, 400, field="workspace")
    assert "acme" in body["errors"]["workspace"][0]
    assert "beta" in body["errors"]["workspace"][0]
    assert db_state() == before


def test_a_member_of_several_workspaces_creates_in_the_one_named(api, editor, second_workspace):
    response = api(editor).post(
        "/api/agents/", {"name": "Here", "workspace": "beta"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["workspace"] == "beta"
    assert VoiceAgent.objects.get(pk=response.json()["id"]).workspace == second_workspace


@pytest.mark.parametrize(
    ("body", "field", "hint"),
    [
        pytest.param({}, "name", "required", id="no-name"),
        pytest.param({"name": "   "}, "name", "blank", id="blank-name"),
        pytest.param({"name": "x" * 201}, "name", "200", id="name-too-long"),
        pytest.param({"name": "A", "tags": ["t"] * 21}, "tags", "20", id="too-many-tags"),
        pytest.param({"name": "A", "tags": ["x" * 51]}, "tags.0", "50", id="tag-too-long"),
        pytest.param({"name": "A", "changes": "x" * 5001}, "changes", "5000", id="long-note"),
        pytest.param({"name": "A", "workspace": "nowhere"}, "workspace", "nowhere", id="ws"),
    ],
)
def test_an_invalid_create_is_refused_naming_the_field(
    api, editor, workspace, api_error, db_state, body, field, hint
):
    before = db_state()

    response = api(editor).post("/api/agents/", body, format="json")

    errors = api_error(response, 400, field=field)["errors"]
    assert hint in " ".join(errors[field])
    assert db_state() == before


# --- config validation ----------------------------------------------------------------------

CONFIG_ERRORS = [
    pytest.param(
        with_config_change("agent.prompt.promt", "You are terse."),
        "config.conversation_config.agent.prompt.promt",
        "Unknown key 'promt'. Did you mean 'prompt'?",
        id="misspelt-key",
    ),
    pytest.param(
        with_config_change("agent.prompt.temperature", "hot"),
        "config.conversation_config.agent.prompt.temperature",
        "valid number",
        id="wrong-type",
    ),
    pytest.param(
        {**sample_config(), "conversation_confg": {}},
        "config.conversation_confg",
        "Did you mean 'conversation_config'?",
        id="unknown-top-level-key",
    ),
    pytest.param(
        {**sample_config(), "extras": {}},
        "config.extras",
        "Valid keys here: conversation_config, platform_settings.",
        id="unrelated-top-level-key",
    ),
    pytest.param("hello", "config", "Must be an object", id="not-an-object"),
]


@pytest.mark.parametrize(("config", "path", "message"), CONFIG_ERRORS)
def test_an_invalid_config_is_refused_at_create_keyed_by_its_path(
    api, editor, workspace, api_error, db_state, config, path, message
):
    before = db_state()

    response = api(editor).post("/api/agents/", {"name": "A", "config": config}, format="json")

    body = api_error(response, 400, field=path)
    assert message in body["errors"][path][0]
    assert path in body["message"]
    assert db_state() == before


@pytest.mark.parametrize(("config", "path", "message"), CONFIG_ERRORS)
def test_an_invalid_config_is_refused_at_edit_keyed_by_its_path(
    api, editor, agent_in, api_error, db_state, config, path, message
):
    agent = agent_in(Status.PRODUCTION)
    before = db_state()

    response = api(editor).patch(f"/api/agents/{agent.pk}/", {"config": config}, format="json")

    body = api_error(response, 400, field=path)
    assert message in body["errors"][path][0]
    assert db_state() == before


# --- edit -----------------------------------------------------------------------------------


def test_a_partial_update_changes_only_what_it_names(api, editor, agent):
    response = api(editor).patch(
        f"/api/agents/{agent.pk}/", {"name": "Renamed", "tags": ["b", "a"]}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["tags"]) == ("Renamed", ["a", "b"])
    assert body["description"] == agent.description
    assert body["config"] == agent.config
    agent.refresh_from_db()
    assert agent.name == "Renamed"


def test_a_full_update_needs_the_name(api, editor, agent, api_error, db_state):
    before = db_state()

    response = api(editor).put(f"/api/agents/{agent.pk}/", {"description": "x"}, format="json")

    api_error(response, 400, field="name")
    assert db_state() == before


def test_editing_a_production_agents_config_sends_it_back_to_draft_keeping_the_live_version(
    api, editor, agent_in
):
    agent = agent_in(Status.PRODUCTION)

    response = api(editor).patch(
        f"/api/agents/{agent.pk}", {"config": sample_config("Hi there!")}, format="json"
    )

    deployment = response.json()["deployment"]
    assert (deployment["status"], deployment["version"], deployment["liveVersion"]) == (
        "draft",
        2,
        2,
    )


# --- delete (archives: tests/api/test_archive.py) --------------------------------------------


@pytest.mark.parametrize("status", [Status.DRAFT, Status.TESTING])
def test_an_admin_deletes_an_agent_that_is_not_live(api, owner, agent_in, status):
    agent = agent_in(status)

    response = api(owner).delete(f"/api/agents/{agent.pk}/")

    assert response.status_code == 204
    assert VoiceAgent.objects.get(pk=agent.pk).archived_at is not None
    assert api(owner).get(f"/api/agents/{agent.pk}/").status_code == 200


def test_a_production_agent_cannot_be_deleted(api, owner, agent_in, api_error, db_state):
    agent = agent_in(Status.PRODUCTION)
    before = db_state()

    response = api(owner).delete(f"/api/agents/{agent.pk}/")

    body = api_error(response, 409, code="agent_live")
    assert "Deploy it to draft or testing" in body["message"]
    assert db_state() == before


def test_an_unknown_agent_is_not_found(api, owner, agent, api_error):
    body = api_error(api(owner).get(f"/api/agents/{agent.pk + 1000}/"), 404, code="not_found")

    assert str(agent.pk + 1000) in body["message"]


# --- trailing slashes -------------------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_agent_paths_work_with_or_without_a_trailing_slash(api, editor, agent, slash):
    client = api(editor)

    assert client.get(f"/api/agents{slash}").status_code == 200
    assert client.get(f"/api/agents/{agent.pk}{slash}").status_code == 200
    response = client.patch(f"/api/agents/{agent.pk}{slash}", {"name": "Moved"}, format="json")
    assert response.status_code == 200
    assert client.post(f"/api/agents{slash}", {"name": "New"}, format="json").status_code == 201


# --- filters, ordering and pagination -------------------------------------------------------


@pytest.fixture
def catalogue(workspace, owner, editor, agent_in):
    """Agents told apart by every filter, plus one in a second workspace of the editor."""
    agents = {
        "sales_draft": AgentFactory(
            workspace=workspace, actor=owner, name="Sales Assistant", tags=["sales"]
        ),
        "support_testing": agent_in(Status.TESTING, name="Support Bot", tags=["support"]),
        "closer_live": agent_in(Status.PRODUCTION, name="Sales Closer", tags=["sales", "en"]),
    }
    for key, state, updated_at in [
        ("sales_draft", SyncState.FAILED, datetime(2024, 1, 1, tzinfo=UTC)),
        ("support_testing", SyncState.SYNCED, datetime(2025, 1, 1, tzinfo=UTC)),
        ("closer_live", SyncState.SYNCED, datetime(2025, 6, 1, tzinfo=UTC)),
    ]:
        VoiceAgent.objects.filter(pk=agents[key].pk).update(updated_at=updated_at)
        AgentSync.objects.filter(pk=agents[key].pk).update(state=state)
    beta = WorkspaceFactory(name="Beta", slug="beta")
    MembershipFactory(user=editor, workspace=beta, role=Role.VIEWER)
    agents["beta_draft"] = AgentFactory(workspace=beta, name="Beta Agent")
    return agents


def listed(api, user, query: str) -> list[str]:
    response = api(user).get(f"/api/agents/?{query}")
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("status=draft", {"Sales Assistant", "Beta Agent"}),
        ("status=testing", {"Support Bot"}),
        ("status=production", {"Sales Closer"}),
        ("sync_state=failed", {"Sales Assistant"}),
        ("sync_state=synced", {"Support Bot", "Sales Closer"}),
        ("sync_state=pending", {"Beta Agent"}),
        ("search=sales", {"Sales Assistant", "Sales Closer"}),
        ("search=BOT", {"Support Bot"}),
        ("tag=sales", {"Sales Assistant", "Sales Closer"}),
        ("tag=en", {"Sales Closer"}),
        ("tag=none", set()),
        ("updated_since=2025-01-01T00:00:00Z", {"Support Bot", "Sales Closer", "Beta Agent"}),
        ("updated_since=2025-02-01T00:00:00Z", {"Sales Closer", "Beta Agent"}),
        ("workspace=beta", {"Beta Agent"}),
        ("workspace=acme&tag=sales&status=production", {"Sales Closer"}),
    ],
)
def test_the_agent_list_filters(api, editor, catalogue, query, names):
    result = listed(api, editor, query)

    assert set(result) == names
    assert len(result) == len(names)


def test_filtering_by_one_tag_still_shows_all_of_an_agents_tags(api, editor, catalogue):
    [row] = api(editor).get("/api/agents/?tag=en").json()["results"]

    assert row["tags"] == ["en", "sales"]


def test_the_agent_list_is_most_recently_updated_first_by_default(api, editor, catalogue):
    assert listed(api, editor, "") == [
        "Beta Agent",
        "Sales Closer",
        "Support Bot",
        "Sales Assistant",
    ]


@pytest.mark.parametrize(
    ("ordering", "names"),
    [
        ("name", ["Beta Agent", "Sales Assistant", "Sales Closer", "Support Bot"]),
        ("-name", ["Support Bot", "Sales Closer", "Sales Assistant", "Beta Agent"]),
        ("updated_at", ["Sales Assistant", "Support Bot", "Sales Closer", "Beta Agent"]),
        ("-updated_at", ["Beta Agent", "Sales Closer", "Support Bot", "Sales Assistant"]),
    ],
)
def test_the_agent_list_orders_by_request(api, editor, catalogue, ordering, names):
    assert listed(api, editor, f"ordering={ordering}") == names


@pytest.mark.parametrize(
    ("query", "field", "says"),
    [
        ("status=live", "status", "live"),
        ("sync_state=unknown", "sync_state", "unknown"),
        ("updated_since=yesterday", "updated_since", "Enter a date and time in ISO 8601, such as"),
    ],
)
def test_an_invalid_filter_value_is_refused_naming_the_filter(
    api, editor, catalogue, api_error, query, field, says
):
    body = api_error(api(editor).get(f"/api/agents/?{query}"), 400, field=field)

    assert says in body["errors"][field][0]


@pytest.fixture
def many_agents(workspace):
    """101 agents: more than the largest page."""
    agents = VoiceAgent.objects.bulk_create(
        VoiceAgent(
            workspace=workspace,
            name=f"Agent {index:03}",
            config=sample_config(),
            config_revision="0" * 16,
        )
        for index in range(101)
    )
    AgentSync.objects.bulk_create(AgentSync(agent=agent) for agent in agents)


@pytest.mark.parametrize(("page_size", "shown"), [("", 50), ("10", 10), ("100", 100), ("500", 100)])
def test_the_agent_list_pages_at_most_a_hundred_at_a_time(
    api, viewer, many_agents, page_size, shown
):
    body = api(viewer).get(f"/api/agents/?page_size={page_size}").json()

    assert body["count"] == 101
    assert len(body["results"]) == shown
    assert body["next"] is not None


# --- a fixed number of queries --------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 30])
@pytest.mark.parametrize(
    ("expand", "budget"),
    [
        # token, the caller's workspace ids, count, page (sync states joined), tags
        ("", 5),
        # and the changelogs
        ("&expand=config,changelog", 6),
    ],
)
def test_the_agent_list_runs_a_fixed_number_of_queries(
    api, owner, agents_with_history, django_assert_max_num_queries, count, expand, budget
):
    agents_with_history(count)
    client = api(owner)
    client.get("/api/agents/")  # the token's first use is recorded once; not part of the list

    # Pages of 10: one agent fits on a page, 30 fill three (a full page needs the count).
    with django_assert_max_num_queries(budget):
        response = client.get(f"/api/agents/?page_size=10{expand}")

    rows = response.json()["results"]
    assert len(rows) == min(count, 10)
    assert response.json()["count"] == count
    if expand:
        assert all(len(row["deployment"]["changelog"]) == 3 for row in rows)


@pytest.mark.parametrize(
    ("query", "order"),
    [
        ("ordering=version", ("version", "id")),
        ("ordering=-name", ("-name", "-id")),
        ("ordering=-last_deployed_at,name", ("-last_deployed_at", "name", "-id")),
        ("", ("-updated_at", "-id")),
    ],
)
def test_every_ordering_ends_with_the_id(editor, query, order):
    """Most agents share a version: without a last, unique key the database may order ties
    differently from one page's query to the next, repeating some agents and skipping others.
    The id follows the first field's direction, so one index serves a sort both ways."""
    request = APIView().initialize_request(APIRequestFactory().get(f"/api/agents/?{query}"))
    request.user = editor
    view = AgentViewSet(request=request, action="list", format_kwarg=None, kwargs={})

    assert view.filter_queryset(view.get_queryset()).query.order_by == order
