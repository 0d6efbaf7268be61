"""Logging in and out of the web UI, and switching between one's workspaces
(workspaces/views.py)."""

import pytest

from tests.factories import PASSWORD, AgentFactory, MembershipFactory, WorkspaceFactory
from tests.web.helpers import attrs, browser, dom, listed, login_redirect, one, select, text, url
from workspaces.roles import Role

# --- logging in and out ---------------------------------------------------------------------


def test_the_login_page_asks_for_a_username_and_password(db):
    response = browser().get(url("login"))

    assert response.status_code == 200
    form = one(dom(response), "form", action=url("login"))
    assert [attrs(field)["name"] for field in select(form, "input")] == [
        "csrfmiddlewaretoken",
        "username",
        "password",
        "next",
    ]


def test_logging_in_opens_the_dashboard(viewer, agent):
    client = browser()

    response = client.post(url("login"), {"username": viewer.username, "password": PASSWORD})

    assert response["Location"] == url("agents")
    assert listed(client.get(url("agents"))) == [agent.name]


def test_logging_in_returns_to_the_page_asked_for(viewer, agent):
    client = browser()
    asked = client.get(url("agent", agent))
    assert asked["Location"] == login_redirect(url("agent", agent))
    form = one(dom(client.get(asked["Location"])), "form", action=url("login"))
    assert attrs(one(form, "input", name="next"))["value"] == url("agent", agent)

    response = client.post(
        url("login"),
        {"username": viewer.username, "password": PASSWORD, "next": url("agent", agent)},
    )

    assert response["Location"] == url("agent", agent)


def test_logging_in_never_sends_the_user_to_another_site(viewer):
    response = browser().post(
        url("login"),
        {"username": viewer.username, "password": PASSWORD, "next": "https://evil.example/"},
    )

    assert response["Location"] == url("agents")


def test_a_wrong_password_is_refused_and_logs_nobody_in(viewer):
    client = browser()

    response = client.post(url("login"), {"username": viewer.username, "password": "wrong"})

    assert response.status_code == 200
    assert "Please enter a correct username and password." in text(
        one(dom(response), css="alert-error")
    )
    assert client.get(url("agents"))["Location"] == login_redirect(url("agents"))


def test_a_logged_in_user_is_sent_on_from_the_login_page(viewer):
    assert browser(viewer).get(url("login"))["Location"] == url("agents")


def test_logging_out_ends_the_session(viewer):
    client = browser(viewer)

    response = client.post(url("logout"))

    assert response["Location"] == url("login")
    assert client.get(url("agents"))["Location"] == login_redirect(url("agents"))


def test_a_link_cannot_log_anyone_out(viewer):
    client = browser(viewer)

    assert client.get(url("logout")).status_code == 405
    assert client.get(url("agents")).status_code == 200


# --- the workspace switcher -----------------------------------------------------------------


@pytest.fixture
def zeta(viewer):
    """A second workspace of `viewer`, after Acme by name, with an agent."""
    workspace = WorkspaceFactory(name="Zeta", slug="zeta")
    MembershipFactory(workspace=workspace, user=viewer, role=Role.VIEWER)
    AgentFactory(workspace=workspace, name="Zeta agent")
    return workspace


def switcher(response) -> dict[str, bool]:
    """The switcher's workspaces by slug, and which is selected."""
    choice = one(dom(response), "select", name="slug")
    return {
        attrs(option)["value"]: "selected" in attrs(option) for option in select(choice, "option")
    }


def test_the_dashboard_starts_with_the_first_workspace_by_name(viewer, agent, zeta, outsider):
    response = browser(viewer).get(url("agents"))

    assert listed(response) == [agent.name]
    assert switcher(response) == {"acme": True, "zeta": False}


def test_switching_shows_the_other_workspaces_agents(viewer, agent, zeta):
    client = browser(viewer)

    response = client.post(url("workspace-switch"), {"slug": "zeta"})

    assert response["Location"] == url("agents")
    assert client.session["workspace"] == "zeta"
    dashboard = client.get(url("agents"))
    assert listed(dashboard) == ["Zeta agent"]
    assert switcher(dashboard) == {"acme": False, "zeta": True}


@pytest.mark.parametrize("slug", ["elsewhere", "", None, "ze\x00ta", "zeta" * 100])
def test_a_workspace_one_does_not_belong_to_does_not_exist(viewer, agent, zeta, outsider, slug):
    if slug == "elsewhere":
        slug = outsider.memberships.get().workspace.slug
    client = browser(viewer)
    client.post(url("workspace-switch"), {"slug": "zeta"})

    response = client.post(url("workspace-switch"), {} if slug is None else {"slug": slug})

    assert response.status_code == 404
    assert client.session["workspace"] == "zeta"
    assert listed(client.get(url("agents"))) == ["Zeta agent"]


def test_a_workspace_one_was_removed_from_is_no_longer_shown(viewer, agent, zeta):
    client = browser(viewer)
    client.post(url("workspace-switch"), {"slug": "zeta"})

    zeta.memberships.filter(user=viewer).delete()

    response = client.get(url("agents"))
    assert listed(response) == [agent.name]
    assert switcher(response) == {"acme": True}


def test_switching_needs_a_logged_in_post(viewer, zeta):
    anonymous = browser().post(url("workspace-switch"), {"slug": "zeta"})

    assert anonymous["Location"] == login_redirect(url("workspace-switch"))
    assert browser(viewer).get(url("workspace-switch")).status_code == 405
