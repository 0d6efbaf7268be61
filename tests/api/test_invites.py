"""Invite links through the API (api/invites.py): an editor makes one (the link shown once),
lists those in use and revokes one; below the editor role, or outside the workspace, not."""

import pytest

from agents.models import Status
from elevenlabs_sync.models import AgentSync
from testruns.models import InviteLink
from workspaces.models import hash_token

NEW = {"expires_in_hours": 24, "max_uses": 3, "note": "Try booking."}


@pytest.fixture
def testing_agent(agent_in):
    agent = agent_in(Status.TESTING)
    AgentSync.objects.filter(pk=agent.pk).update(testing_branch_id="agtbrch_1")
    agent.refresh_from_db()
    return agent


def test_an_editor_makes_lists_and_revokes_a_link(api, editor, testing_agent):
    client = api(editor)

    made = client.post(f"/api/agents/{testing_agent.pk}/invites/", NEW, format="json")

    assert made.status_code == 201, made.content
    body = made.json()
    key = body["link"].rsplit("/invite/", 1)[1]
    assert InviteLink.objects.get().key_hash == hash_token(key)
    assert (body["max_uses"], body["uses"], body["note"]) == (3, 0, "Try booking.")
    listed = client.get(f"/api/agents/{testing_agent.pk}/invites/").json()["results"]
    assert [row["id"] for row in listed] == [body["id"]]
    assert "link" not in listed[0]
    assert key not in str(listed)

    revoked = client.post(f"/api/invites/{body['id']}/revoke")

    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"]
    assert client.get(f"/api/agents/{testing_agent.pk}/invites/").json()["results"] == []


def test_a_tester_may_not_make_a_link(api, tester, testing_agent, api_error):
    response = api(tester).post(f"/api/agents/{testing_agent.pk}/invites/", NEW, format="json")

    api_error(response, 403, code="role_required")
    assert not InviteLink.objects.exists()


def test_an_agent_without_a_testing_branch_gets_no_link(api, editor, agent, api_error):
    response = api(editor).post(f"/api/agents/{agent.pk}/invites/", NEW, format="json")

    assert response.status_code == 409


def test_an_outsider_finds_neither_the_agents_links_nor_one_to_revoke(
    api, editor, outsider, testing_agent, api_error
):
    made = api(editor).post(f"/api/agents/{testing_agent.pk}/invites/", NEW, format="json")
    client = api(outsider)

    api_error(client.get(f"/api/agents/{testing_agent.pk}/invites/"), 404)
    api_error(client.post(f"/api/invites/{made.json()['id']}/revoke"), 404)
    assert InviteLink.objects.get().revoked_at is None
