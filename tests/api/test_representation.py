"""The agent as the API shows it (api/representation.py): what a list shows and what
`?expand=` adds, times written exactly as DRF writes them, the schema describing both shapes,
and pages read without a needless count."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone as django_timezone
from rest_framework import serializers

from agents.models import Status
from api.serializers import AgentListItemSerializer, AgentSerializer
from common.serializers import time_formatter
from tests.factories import AgentFactory
from tests.shapes import CHANGELOG_ENTRY_KEYS

LIST_DEPLOYMENT_KEYS = {"status", "version", "liveVersion", "lastDeployedAt", "deployedBy"}


def listed(client, query: str = "") -> dict:
    response = client.get(f"/api/agents/?{query}")
    assert response.status_code == 200, response.content
    [row] = response.json()["results"]
    return row


def test_a_list_shows_each_agent_without_its_config_and_changelog(api, viewer, agent_in, owner):
    agent = agent_in(Status.PRODUCTION, tags=["sales"])
    client = api(viewer)

    row = listed(client)
    whole = client.get(f"/api/agents/{agent.pk}").json()

    assert "config" not in row
    assert set(row["deployment"]) == LIST_DEPLOYMENT_KEYS
    assert row["deployment"]["deployedBy"] == owner.pk
    # Everything else as the agent's own endpoint shows it, key for key and in its order.
    expected = {key: value for key, value in whole.items() if key != "config"}
    expected["deployment"] = {
        key: value for key, value in whole["deployment"].items() if key != "changelog"
    }
    assert list(row) == list(expected)
    assert row == expected


@pytest.mark.parametrize(
    ("expand", "config", "changelog"),
    [
        ("config", True, False),
        ("changelog", False, True),
        ("config,changelog", True, True),
        ("changelog, config", True, True),
        ("", False, False),
    ],
)
def test_expand_adds_the_config_or_the_changelog_as_the_agents_own_endpoint_shows_them(
    api, viewer, agent_in, expand, config, changelog
):
    agent = agent_in(Status.PRODUCTION)
    client = api(viewer)
    whole = client.get(f"/api/agents/{agent.pk}").json()

    row = listed(client, f"expand={expand}")

    assert ("config" in row) is config
    assert ("changelog" in row["deployment"]) is changelog
    if config:
        assert row["config"] == whole["config"]
    if changelog:
        assert row["deployment"]["changelog"] == whole["deployment"]["changelog"]
        assert all(set(entry) == CHANGELOG_ENTRY_KEYS for entry in row["deployment"]["changelog"])
    if config and changelog:
        assert row == whole


def test_expand_may_be_repeated(api, viewer, agent):
    row = listed(api(viewer), "expand=config&expand=changelog")

    assert "config" in row
    assert "changelog" in row["deployment"]


def test_an_unknown_expansion_is_refused_naming_the_parameter_and_the_choices(
    api, viewer, agent, api_error
):
    body = api_error(api(viewer).get("/api/agents/?expand=config,history"), 400, field="expand")

    assert "'history'" in body["message"]
    assert "config" in body["errors"]["expand"][0]
    assert "changelog" in body["errors"]["expand"][0]


# --- times ----------------------------------------------------------------------------------

TIMES = [
    datetime(2025, 3, 1, 12, 30, 5, 123456, tzinfo=UTC),
    datetime(2025, 3, 1, 12, 30, 5, tzinfo=UTC),  # no microseconds: none written
    datetime(2025, 3, 1, 23, 59, 59, 1, tzinfo=timezone(timedelta(hours=-5))),
    datetime(2024, 2, 29, 0, 0, tzinfo=ZoneInfo("Asia/Kolkata")),
    None,
]


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/St_Johns"])
def test_times_are_written_exactly_as_drfs_datetime_field_writes_them(zone):
    with django_timezone.override(ZoneInfo(zone)):
        drf = serializers.DateTimeField()
        shown = time_formatter()

        for value in TIMES:
            assert shown(value) == (None if value is None else drf.to_representation(value))


def test_a_list_and_a_detail_write_an_agents_times_alike(api, viewer, agent_in):
    agent = agent_in(Status.PRODUCTION)
    client = api(viewer)

    row = listed(client, "expand=changelog")
    whole = client.get(f"/api/agents/{agent.pk}").json()

    agent.refresh_from_db()
    drf = serializers.DateTimeField()
    assert row["updated_at"] == whole["updated_at"] == drf.to_representation(agent.updated_at)
    assert row["deployment"]["lastDeployedAt"] == drf.to_representation(agent.last_deployed_at)
    assert row["deployment"]["changelog"] == whole["deployment"]["changelog"]


# --- the schema describes what is shown -----------------------------------------------------


def _schema(api) -> dict:
    return api().get("/api/schema/?format=json").json()["components"]["schemas"]


def _keys(schema: dict, name: str) -> tuple[set, set]:
    component = schema[name]
    return set(component["properties"]), set(component.get("required", []))


def test_the_schema_lists_every_key_an_agent_shows_and_requires_those_always_shown(
    api, viewer, agent_in, db
):
    agent = agent_in(Status.PRODUCTION)
    client = api(viewer)
    whole = client.get(f"/api/agents/{agent.pk}").json()
    row = listed(client)
    schema = _schema(api)

    assert _keys(schema, "Agent") == (set(whole), set(whole))
    assert _keys(schema, "AgentDeployment") == (set(whole["deployment"]),) * 2
    properties, required = _keys(schema, "AgentListItem")
    assert (properties, required) == (set(whole), set(row))
    properties, required = _keys(schema, "AgentListItemDeployment")
    assert (properties, required) == (set(whole["deployment"]), set(row["deployment"]))


def test_the_schema_says_which_values_of_a_never_deployed_agent_are_null(api, viewer, agent, db):
    shown = api(viewer).get(f"/api/agents/{agent.pk}").json()
    schema = _schema(api)

    nulls = {key for key, value in shown.items() if value is None}
    nulls_in_deployment = {key for key, value in shown["deployment"].items() if value is None}

    assert nulls == {"last_synced_at", "drift_detected_at", "archived_at", "archived_by"}
    assert nulls_in_deployment == {"liveVersion", "lastDeployedAt", "deployedBy"}
    for component, keys in [("Agent", nulls), ("AgentDeployment", nulls_in_deployment)]:
        for key in keys:
            assert schema[component]["properties"][key].get("nullable") is True, (component, key)


def test_the_list_operation_documents_expand_and_the_list_item(api, db):
    operation = api().get("/api/schema/?format=json").json()["paths"]["/api/agents/"]["get"]

    [expand] = [parameter for parameter in operation["parameters"] if parameter["name"] == "expand"]
    assert set(expand["schema"]["items"]["enum"]) == {"config", "changelog"}
    assert expand["explode"] is False
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert page.endswith("/PaginatedAgentListItemList")


def test_the_serializers_describe_the_shapes_only(db):
    """They serialize nothing at run time; their fields are what the schema is built from."""
    assert set(AgentSerializer().fields) == set(AgentListItemSerializer().fields)
    assert not AgentListItemSerializer().fields["config"].required


# --- pages ----------------------------------------------------------------------------------


@pytest.fixture
def eleven_agents(workspace, owner):
    return [AgentFactory(workspace=workspace, actor=owner, name=f"A{n:02}") for n in range(11)]


@pytest.mark.parametrize(
    ("query", "names", "counted"),
    [
        ("page_size=4&ordering=name", ["A00", "A01", "A02", "A03"], True),
        ("page_size=4&page=2&ordering=name", ["A04", "A05", "A06", "A07"], True),
        ("page_size=4&page=3&ordering=name", ["A08", "A09", "A10"], False),
        ("page_size=4&page=last&ordering=-name", ["A02", "A01", "A00"], True),
        ("page_size=20&ordering=-name", [f"A{n:02}" for n in range(10, -1, -1)], False),
    ],
)
def test_a_page_shows_its_agents_and_the_count_counting_only_when_the_page_cannot_tell(
    api, viewer, eleven_agents, query, names, counted, django_assert_num_queries
):
    client = api(viewer)
    client.get("/api/agents/")  # the token's first use is recorded once; not part of the list

    # token, workspace ids, the page (its tags included), and the count unless it is the last
    with django_assert_num_queries(3 + counted):
        body = client.get(f"/api/agents/?{query}").json()

    assert [row["name"] for row in body["results"]] == names
    assert body["count"] == 11


@pytest.mark.parametrize("page", ["4", "0", "-1", "x", "1.5"])
def test_a_page_that_does_not_exist_is_not_found(api, viewer, eleven_agents, page, api_error):
    api_error(api(viewer).get(f"/api/agents/?page_size=4&page={page}"), 404)


@pytest.mark.parametrize(
    ("tags", "shown"), [(["sales", "de", "b2b"], ["b2b", "de", "sales"]), ([], [])]
)
def test_an_agents_tags_are_shown_sorted_in_a_list_and_in_its_detail(
    api, viewer, workspace, owner, tags, shown
):
    """Read with the agent's own row (a JSON array aggregated in its query), not a query of
    their own."""
    agent = AgentFactory(workspace=workspace, actor=owner, tags=tags)
    client = api(viewer)

    assert listed(client)["tags"] == shown
    assert client.get(f"/api/agents/{agent.pk}").json()["tags"] == shown
