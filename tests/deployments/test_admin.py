"""Versions and deployments in the admin: read-only history, scoped to the caller's workspaces."""

import pytest

from agents.models import Status
from deployments.models import AgentVersion, Deployment
from deployments.services import deployment_create
from tests.admin_helpers import (
    add_url,
    change_url,
    changelist_url,
    delete_url,
    staff_client,
)
from tests.factories import AgentFactory

HISTORY = [AgentVersion, Deployment]


@pytest.fixture
def history(agent_in):
    """Several agents with a few history rows each, recorded by different people."""
    return [agent_in(Status.PRODUCTION) for _ in range(6)]


@pytest.mark.parametrize("model", HISTORY)
def test_changelist_queries_do_not_grow_with_the_rows(
    model, history, owner, django_assert_max_num_queries
):
    client = staff_client(owner)
    rows = model.objects.count()
    assert rows >= 12

    with django_assert_max_num_queries(12):
        response = client.get(changelist_url(model))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == rows


@pytest.mark.parametrize("model", HISTORY)
def test_change_page_is_a_read_only_view(model, history, owner, django_assert_max_num_queries):
    row = model.objects.first()
    client = staff_client(owner)

    with django_assert_max_num_queries(12):
        response = client.get(change_url(row))

    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert response.context["adminform"].form.fields == {}  # every field is read-only


def test_version_page_shows_its_config(agent, owner):
    client = staff_client(owner)

    response = client.get(change_url(agent.versions.get()))

    assert "You are a helpful assistant." in response.content.decode()


@pytest.mark.parametrize("model", HISTORY)
def test_history_cannot_be_added_changed_or_deleted(model, agent_in, owner):
    agent_in(Status.PRODUCTION)
    row = model.objects.first()
    client = staff_client(owner, superuser=True)

    assert client.get(add_url(model)).status_code == 403
    assert client.post(add_url(model), {"changes": "forged"}).status_code == 403
    assert client.post(change_url(row), {"changes": "forged"}).status_code == 403
    assert client.post(delete_url(row), {"post": "yes"}).status_code == 403
    action_form = client.get(changelist_url(model)).context["action_form"]
    assert action_form is None  # not even "delete selected"
    assert model.objects.filter(pk=row.pk, changes=row.changes).exists()


@pytest.mark.parametrize("model", HISTORY)
def test_staff_of_another_workspace_sees_none_of_its_history(model, agent, outsider):
    own = AgentFactory(workspace=outsider.memberships.get().workspace, actor=outsider)
    client = staff_client(outsider)

    listed = client.get(changelist_url(model)).context["cl"].result_list

    assert {row.agent for row in listed} == {own}
    assert client.get(change_url(model.objects.filter(agent=agent).first())).status_code == 404


def test_a_forced_deployment_shows_why_the_gate_was_skipped(agent_in, owner):
    agent = agent_in(Status.TESTING)
    reason = "Outage <fix>; the test runner is down"
    forced = deployment_create(
        agent=agent,
        to_status=Status.PRODUCTION,
        changes="Hotfix",
        actor=owner,
        force=True,
        force_reason=reason,
    )
    client = staff_client(owner)

    page = client.get(change_url(forced))
    agent_page = client.get(change_url(agent))

    assert "force_reason" in page.context["adminform"].readonly_fields
    assert "Outage &lt;fix&gt;; the test runner is down" in page.content.decode()
    history = next(
        inline
        for inline in agent_page.context["inline_admin_formsets"]
        if inline.formset.model is Deployment
    )
    assert "force_reason" in [field["name"] for field in history.fields()]
    assert "Outage &lt;fix&gt;; the test runner is down" in agent_page.content.decode()
