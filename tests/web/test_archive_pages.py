"""The web UI's delete, which archives (web/views/lifecycle.py): the archive and restore
dialogs, the archived agent's read-only page, and the dashboard's filter."""

import pytest

from agents.models import Status, VoiceAgent
from agents.services import agent_archive
from deployments.models import Deployment, DeploymentKind
from tests.factories import AgentFactory
from tests.web.helpers import (
    browser,
    dom,
    errors_of,
    htmx,
    is_fragment,
    listed,
    messages_of,
    one,
    post_data,
    select,
    text,
    url,
)


@pytest.fixture
def archived(agent, owner):
    return agent_archive(agent=agent, actor=owner, note="Replaced")


def buttons(response) -> list[str]:
    """The labels of the agent page's action buttons."""
    actions = one(dom(response), "div", css="agent-actions")
    return [text(link) for link in select(actions, "a", css="button")]


def test_an_admin_archives_an_agent_from_its_page(agent, owner):
    client = browser(owner)
    assert "Archive" in buttons(client.get(url("agent", agent)))
    dialog = client.get(url("agent-archive", agent), **htmx())
    assert is_fragment(dialog)
    assert "history" in text(one(dom(dialog), "div", css="alert"))

    response = client.post(url("agent-archive", agent), {"note": "Unused"}, follow=True)

    assert any("Archived" in message for _, message in messages_of(response))
    agent.refresh_from_db()
    assert agent.archived_at is not None
    newest = Deployment.objects.filter(agent=agent).first()
    assert (newest.kind, newest.changes) == (DeploymentKind.ARCHIVE, "Archived: Unused")


def test_only_admins_are_offered_archive_and_a_refusal_is_shown(agent, editor):
    client = browser(editor)
    assert "Archive" not in buttons(client.get(url("agent", agent)))

    response = client.post(url("agent-archive", agent), {"note": ""})

    assert response.status_code == 403
    assert "admin role" in " ".join(errors_of(response)["__all__"])
    agent.refresh_from_db()
    assert agent.archived_at is None


def test_a_live_agent_is_not_archived_and_the_dialog_says_why(agent_in, owner):
    live = agent_in(Status.PRODUCTION)

    response = browser(owner).post(url("agent-archive", live), {"note": ""})

    assert response.status_code == 409
    assert "Deploy it to draft or testing" in " ".join(errors_of(response)["__all__"])


def test_an_archived_agents_page_is_read_only_and_says_so(archived, owner, viewer):
    page = browser(owner).get(url("agent", archived))

    assert page.status_code == 200
    assert "Archived" in text(one(dom(page), "div", id_="archived-banner"))
    assert buttons(page) == ["Restore"]
    assert "Replaced" in page.content.decode()  # the history stays readable
    assert buttons(browser(viewer).get(url("agent", archived))) == []


def test_an_archived_agents_versions_can_be_compared_but_offer_no_roll_back(archived, owner):
    versions = one(dom(browser(owner).get(url("agent", archived))), "section", id_="versions")

    labels = [text(control) for control in select(versions, "a") + select(versions, "button")]
    assert "Compare" in labels
    assert not [label for label in labels if "Roll back" in label], labels


def test_editing_an_archived_agent_is_refused_saying_how_to_restore_it(archived, owner):
    client = browser(owner)
    editor = client.get(url("agent-edit", archived)).context["form"]

    response = client.post(url("agent-edit", archived), post_data(editor, name="Renamed"))

    assert response.status_code == 409
    assert "restore" in " ".join(errors_of(response)["__all__"])
    assert VoiceAgent.objects.get(pk=archived.pk).name == archived.name


def test_an_admin_restores_an_archived_agent(archived, owner):
    response = browser(owner).post(url("agent-restore", archived), {"note": "Back"}, follow=True)

    assert any("Restored" in message for _, message in messages_of(response))
    archived.refresh_from_db()
    assert (archived.archived_at, archived.status) == (None, Status.DRAFT)
    assert Deployment.objects.filter(agent=archived).first().changes == "Restored: Back"


def test_the_dashboard_hides_archived_agents_unless_asked(agent, owner, viewer, workspace):
    gone = agent_archive(agent=AgentFactory(workspace=workspace, actor=owner), actor=owner)
    client = browser(viewer)

    assert listed(client.get(url("agents"))) == [agent.name]
    assert listed(client.get(url("agents", query="archived=true"))) == [gone.name]
    assert set(listed(client.get(url("agents", query="archived=all")))) == {agent.name, gone.name}
