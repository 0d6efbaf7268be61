"""Who may reach the web UI's agent pages and actions, in one table for every route that takes
an agent: anonymous visitors are sent to log in, and to anyone outside the agent's workspace
the agent does not exist (404, never 403), whatever they send. Role checks inside a workspace
are tested beside each page."""

import pytest

from agents.models import Status, VoiceAgent
from tests.web.helpers import browser, failed, htmx, login_redirect, post_data, url
from web import urls as app_urls
from web.forms import AgentEditorForm

SCRIPT = '{"turns": [{"user": "Hello", "expect": []}]}'

PAGES = ["agent", "agent-edit", "agent-sync-state", "agent-deploy", "agent-rollback", "agent-diff"]
PAGES += ["test-result-new", "agent-archive", "agent-restore", "agent-console"]
PAGES += ["agent-console-finished", "agent-console-options", "agent-conversations", "agent-invites"]
PAGES += ["agent-tests", "agent-test-new", "agent-runs", "agent-run-new"]
ACTIONS = ["agent-edit", "agent-sync", "agent-deploy", "agent-rollback", "test-result-new"]
ACTIONS += ["agent-archive", "agent-restore", "agent-invites", "agent-console-call"]
ACTIONS += ["agent-test-new", "agent-run-new"]


@pytest.fixture
def target(agent_in):
    """Live at v2 and failed to sync: every action has something it could change."""
    return failed(agent_in(Status.PRODUCTION))


def attempt(name: str, agent) -> dict:
    """What an owner would send to `name` to change `agent`."""
    return {
        "agent-edit": post_data(AgentEditorForm(agent=agent), name="Hijacked"),
        "agent-sync": {},
        "agent-deploy": {"to_status": Status.DRAFT},
        "agent-rollback": {"version": "1"},
        "test-result-new": {"status": "passed", "duration": "30", "rating": "5"},
        "agent-archive": {"note": "Hijacked"},
        "agent-restore": {"note": "Hijacked"},
        "agent-invites": {"expires_in": "7d", "max_uses": "3", "note": "Hijacked"},
        "agent-console-call": {"to_number": "+14155550123", "target": "live"},
        "agent-test-new": {"name": "Hijacked", "kind": "scripted", "definition": SCRIPT},
        "agent-run-new": {"repeat": "1"},
    }[name]


def test_the_tables_cover_every_route_that_takes_an_agent():
    routes = {route.name for route in app_urls.urlpatterns if "<int:pk>" in str(route.pattern)}

    assert routes == set(PAGES) | set(ACTIONS)


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_log_in(target, name):
    response = browser().get(url(name, target))

    assert response.status_code == 302
    assert response["Location"] == login_redirect(url(name, target))


@pytest.mark.parametrize("name", ACTIONS)
def test_an_anonymous_post_is_sent_to_log_in_and_changes_nothing(target, db_state, name):
    before = db_state()

    response = browser().post(url(name, target), attempt(name, target))

    assert response["Location"] == login_redirect(url(name, target))
    assert db_state() == before


@pytest.mark.parametrize("who", ["outsider", "stranger"])
@pytest.mark.parametrize("name", PAGES)
def test_another_workspaces_agent_is_not_found(request, target, who, name):
    client = browser(request.getfixturevalue(who))

    assert client.get(url(name, target)).status_code == 404
    assert client.get(url(name, target), **htmx()).status_code == 404


@pytest.mark.parametrize("who", ["outsider", "stranger"])
@pytest.mark.parametrize("name", ACTIONS)
def test_another_workspaces_agent_cannot_be_changed(request, target, db_state, who, name):
    client = browser(request.getfixturevalue(who))
    before = db_state()

    response = client.post(url(name, target), attempt(name, target))

    assert response.status_code == 404
    assert db_state() == before


def test_another_workspaces_agent_looks_exactly_like_a_missing_one(target, outsider):
    client = browser(outsider)
    missing = VoiceAgent.objects.order_by("pk").last().pk + 1

    theirs = client.get(url("agent", target))
    nothing = client.get(f"/app/agents/{missing}")

    assert theirs.status_code == nothing.status_code == 404
    assert theirs.content == nothing.content.replace(str(missing).encode(), str(target.pk).encode())


@pytest.mark.parametrize("name", ["agents", "agent-new"])
def test_anonymous_visitors_of_the_dashboard_and_editor_are_sent_to_log_in(db, name):
    response = browser().get(url(name))

    assert response.status_code == 302
    assert response["Location"] == login_redirect(url(name))
