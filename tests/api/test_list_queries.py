"""How the agent list reads the database: each of its orders is served by an index, read
forwards or backwards, and its count reads no other table (docs/benchmarks.md, "Mixed load").
Without them PostgreSQL sorted every agent of the workspace to find one page, and counted by
reading every row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from agents.models import LIST_ORDERS
from api.agents import AgentViewSet
from tests.factories import AgentFactory
from tests.markers import requires_postgres_for

requires_postgres_indexes = requires_postgres_for("its indexes and query plans")


def listed_agents(user, query: str):
    """The agents the list view would page through for `query`, filtered and ordered."""
    request = APIView().initialize_request(APIRequestFactory().get(f"/api/agents/?{query}"))
    request.user = user
    view = AgentViewSet(request=request, action="list", format_kwarg=None, kwargs={})
    return view.filter_queryset(view.get_queryset())


def planning_with_indexes_only() -> None:
    """No table scan, bitmap scan or sort for the rest of the test's transaction."""
    with connection.cursor() as cursor:
        for method in ("seqscan", "bitmapscan", "sort"):
            cursor.execute(f"SET LOCAL enable_{method} = off")


@requires_postgres_indexes
@pytest.mark.parametrize("direction", ["", "-"])
@pytest.mark.parametrize("field", LIST_ORDERS)
def test_every_order_of_the_list_is_read_from_an_index(editor, field, direction):
    # The planner prefers a scan and a sort for a handful of rows; forbidding them shows
    # whether an index can give the order at all (a tie broken the other way cannot).
    planning_with_indexes_only()
    page = listed_agents(editor, f"ordering={direction}{field}").values("pk")[50:100]

    plan = page.explain()

    assert f"agents_by_{field}" in plan
    assert "Sort" not in plan


@requires_postgres_indexes
@pytest.mark.parametrize("field", LIST_ORDERS)
def test_a_list_of_one_stage_is_filtered_in_the_index_of_its_order(editor, field):
    # As above; the index alone (no heap) tells the stage of each agent it passes.
    planning_with_indexes_only()
    stage = listed_agents(editor, f"status=production&ordering={field}").values("pk")[50:100]

    plan = stage.explain()

    assert f"Index Only Scan using agents_by_{field}" in plan
    assert "Sort" not in plan


@requires_postgres_indexes
def test_a_search_by_name_has_an_index_of_the_expression_it_compares(editor):
    # The planner would not pick it over a handful of rows, so the test checks that it matches
    # what the search asks the database: the name, upper-cased, LIKE a pattern.
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'agents_name_search'")
        [(index,)] = cursor.fetchall()

    search = str(listed_agents(editor, "search=agent").query)

    assert 'UPPER("agents_voiceagent"."name"::text) LIKE UPPER(' in search
    assert "USING gin (upper((name)::text) gin_trgm_ops) WHERE (archived_at IS NULL)" in index


def test_counting_the_list_reads_the_agents_alone(api, editor, agent):
    AgentFactory.create_batch(2, workspace=agent.workspace)
    client = api(editor)
    client.get("/api/agents/?page_size=1")  # the token's first use is recorded once

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/agents/?page_size=1").json()["count"] == 3

    [count] = [query["sql"] for query in queries.captured_queries if "COUNT(" in query["sql"]]
    # A LEFT JOIN on a unique key is dropped by PostgreSQL, but one on a column the index
    # lacks (the archiver's name) kept it from counting in the index.
    assert "auth_user" not in count
    assert "workspaces_workspace" not in count
