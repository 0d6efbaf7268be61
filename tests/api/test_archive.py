"""Deleting an agent through the API archives it: its history stays readable, it leaves the
lists, it refuses writes, and an admin restores it (docs/lifecycle.md, "Archiving")."""

import pytest

from agents.models import Status
from deployments.models import AgentVersion, Deployment, DeploymentKind
from testruns.models import TestResult
from tests.factories import record_passing_test


@pytest.fixture
def archived(api, owner, agent_in):
    """`archived(status)`: an agent with versions, history and a test result, archived through
    `DELETE /api/agents/{id}` with a note."""

    def make(status: str = Status.TESTING):
        agent = agent_in(status)
        record_passing_test(agent, owner)
        response = api(owner).delete(f"/api/agents/{agent.pk}/", {"changes": "Replaced by v2"})
        assert response.status_code == 204, response.content
        agent.refresh_from_db()
        return agent

    return make


def test_deleting_an_agent_keeps_its_versions_history_and_test_results(api, owner, agent_in):
    agent = agent_in(Status.TESTING)
    record_passing_test(agent, owner)
    counts = (
        AgentVersion.objects.filter(agent_id=agent.pk).count(),
        Deployment.objects.filter(agent_id=agent.pk).count(),
        TestResult.objects.filter(agent_id=agent.pk).count(),
    )

    assert api(owner).delete(f"/api/agents/{agent.pk}/").status_code == 204

    assert AgentVersion.objects.filter(agent_id=agent.pk).count() == counts[0]
    assert Deployment.objects.filter(agent_id=agent.pk).count() == counts[1] + 1  # the archive
    assert TestResult.objects.filter(agent_id=agent.pk).count() == counts[2]


def test_an_archived_agent_stays_readable_with_who_archived_it(api, viewer, owner, archived):
    agent = archived()
    client = api(viewer)

    body = client.get(f"/api/agents/{agent.pk}/").json()
    assert body["archived_at"] is not None
    assert body["archived_by"] == {"id": owner.pk, "username": owner.username}
    assert body["deployment"]["changelog"][0]["changes"] == "Archived: Replaced by v2"

    assert client.get(f"/api/agents/{agent.pk}/versions/").json()["count"] == agent.version
    assert client.get(f"/api/agents/{agent.pk}/versions/1").status_code == 200
    assert client.get(f"/api/agents/{agent.pk}/versions/diff?from=1").status_code == 200
    assert client.get(f"/api/agents/{agent.pk}/test-results").json()["count"] == 1
    changelog = client.get(f"/api/agents/{agent.pk}/changelog").json()["changelog"]
    assert changelog[0]["changes"] == "Archived: Replaced by v2"
    history = client.get(f"/api/deployments/?agent={agent.pk}").json()["results"]
    assert history[0]["kind"] == DeploymentKind.ARCHIVE
    assert history[0]["deployed_by"]["username"] == owner.username


def test_archived_agents_leave_the_list_unless_asked_for(api, viewer, agent, archived):
    gone = archived()
    client = api(viewer)

    def listed(query: str = "") -> set[int]:
        return {row["id"] for row in client.get(f"/api/agents/{query}").json()["results"]}

    assert listed() == {agent.pk}
    assert listed("?archived=false") == {agent.pk}
    assert listed("?archived=true") == {gone.pk}
    assert listed("?archived=all") == {agent.pk, gone.pk}


def test_an_unknown_archived_filter_says_what_it_takes(api, viewer, api_error):
    body = api_error(api(viewer).get("/api/agents/?archived=maybe"), 400, field="archived")

    assert "use one of false, true, all" in body["message"]


WRITES = {
    "edit": ("patch", "/api/agents/{id}/", {"name": "New name"}),
    "replace": ("put", "/api/agents/{id}/", {"name": "New name"}),
    "deploy": ("post", "/api/agents/{id}/deploy", {"status": "draft"}),
    "rollback": ("post", "/api/agents/{id}/rollback", {"version": 1}),
    "test result": (
        "post",
        "/api/agents/{id}/test-results",
        {"duration": 3, "status": "passed"},
    ),
    "sync": ("post", "/api/agents/{id}/sync", {}),
    "drift pull": ("post", "/api/agents/{id}/drift/pull", {}),
    "drift overwrite": ("post", "/api/agents/{id}/drift/overwrite", {}),
    "conversation url": ("post", "/api/agents/{id}/test-conversation-url", {}),
    "test call": ("post", "/api/agents/{id}/test-call", {"to_number": "+14155550123"}),
    "archive again": ("delete", "/api/agents/{id}/", {}),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_an_archived_agent_refuses_every_write(
    api, owner, archived, api_error, db_state, sync_on, write
):
    agent = archived()
    method, path, data = write
    before = db_state()

    response = getattr(api(owner), method)(path.format(id=agent.pk), data, format="json")

    body = api_error(response, 409, code="agent_archived")
    assert "restore" in body["message"]
    assert db_state() == before


def test_an_admin_restores_an_archived_agent_as_a_draft(api, owner, archived):
    agent = archived(Status.TESTING)
    working_config = agent.config

    response = api(owner).post(f"/api/agents/{agent.pk}/restore", {"changes": "Needed again"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True
    shown = body["agent"]
    assert shown["archived_at"] is None
    assert shown["archived_by"] is None
    assert shown["config"] == working_config
    assert shown["elevenlabs_agent_id"].startswith("local_")
    assert shown["deployment"]["status"] == Status.DRAFT
    assert shown["deployment"]["changelog"][0]["changes"] == "Restored: Needed again"
    kinds = list(Deployment.objects.filter(agent_id=agent.pk).values_list("kind", flat=True)[:2])
    assert kinds == [DeploymentKind.RESTORE, DeploymentKind.ARCHIVE]
    listed = api(owner).get("/api/agents/").json()["results"]
    assert agent.pk in {row["id"] for row in listed}


def test_restoring_an_agent_that_is_not_archived_is_a_conflict(
    api, owner, agent, api_error, db_state
):
    before = db_state()

    response = api(owner).post(f"/api/agents/{agent.pk}/restore")

    api_error(response, 409, code="agent_not_archived")
    assert db_state() == before


@pytest.mark.parametrize("caller", ["editor", "tester", "viewer"])
def test_only_an_admin_archives_or_restores(api, request, agent, archived, api_error, caller):
    client = api(request.getfixturevalue(caller))
    gone = archived()

    api_error(client.delete(f"/api/agents/{agent.pk}/"), 403, code="role_required")
    api_error(client.post(f"/api/agents/{gone.pk}/restore"), 403, code="role_required")


def test_another_workspaces_agent_cannot_be_restored(api, outsider, archived, api_error):
    gone = archived()

    api_error(api(outsider).post(f"/api/agents/{gone.pk}/restore"), 404, code="not_found")
