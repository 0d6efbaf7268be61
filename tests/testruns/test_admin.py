"""Test results in the admin: read-only history, scoped to the caller's workspaces."""

import pytest

from testruns.models import TestResult
from tests.admin_helpers import (
    add_url,
    change_url,
    changelist_url,
    delete_url,
    staff_client,
)
from tests.factories import AgentFactory, MembershipFactory, record_passing_test
from workspaces.roles import Role


@pytest.fixture
def results(workspace, editor):
    """Ten results from five testers, across five agents."""
    for _ in range(5):
        agent = AgentFactory(workspace=workspace, actor=editor)
        tester = MembershipFactory(workspace=workspace, role=Role.TESTER).user
        record_passing_test(agent, tester)
        record_passing_test(agent, tester)
    return TestResult.objects.all()


def test_changelist_queries_do_not_grow_with_the_rows(
    results, owner, django_assert_max_num_queries
):
    client = staff_client(owner)

    with django_assert_max_num_queries(12):
        response = client.get(changelist_url(TestResult))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 10


def test_change_page_is_a_read_only_view(results, owner, django_assert_max_num_queries):
    client = staff_client(owner)

    with django_assert_max_num_queries(12):
        response = client.get(change_url(results.first()))

    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert response.context["adminform"].form.fields == {}


def test_results_cannot_be_added_changed_or_deleted(results, owner):
    result = results.first()
    client = staff_client(owner, superuser=True)

    assert client.get(add_url(TestResult)).status_code == 403
    assert client.post(change_url(result), {"status": "failed"}).status_code == 403
    assert client.post(delete_url(result), {"post": "yes"}).status_code == 403
    result.refresh_from_db()
    assert result.status == "passed"


def test_staff_of_another_workspace_sees_none_of_its_results(results, outsider):
    client = staff_client(outsider)

    assert list(client.get(changelist_url(TestResult)).context["cl"].result_list) == []
    assert client.get(change_url(results.first())).status_code == 404
