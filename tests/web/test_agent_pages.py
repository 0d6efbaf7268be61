"""The web UI's agent detail page and sync badge (agents/views.py). Who may reach them at all:
tests/web/test_access.py."""

import pytest

from agents.models import Status
from agents.services import agent_update
from deployments.models import SyncState
from elevenlabs_sync.models import AgentSync
from tests.factories import AgentFactory, MembershipFactory, WorkspaceFactory, sample_config
from tests.web.helpers import (
    attrs,
    browser,
    dom,
    failed,
    htmx,
    is_fragment,
    listed,
    messages_of,
    missing_targets,
    one,
    select,
    text,
    url,
)
from workspaces.roles import Role

DRAFT, TESTING, PRODUCTION = Status.DRAFT, Status.TESTING, Status.PRODUCTION
ROLE_NEEDED = "You need the editor role in workspace 'acme'"


# Who may reach these pages at all: tests/web/test_access.py.

# --- the detail page ------------------------------------------------------------------------


def test_the_detail_page_shows_the_agent_and_its_history(viewer, agent_in, ship):
    agent = ship(agent_in(PRODUCTION), sample_config("Hi, v3 here."), changes="New greeting")

    response = browser(viewer).get(url("agent", agent))

    assert response.status_code == 200
    page = dom(response)
    assert text(one(page, "h1")) == agent.name
    assert text(one(page, css="summary")) == "Live v3"
    changelog = [text(entry) for entry in select(one(page, id_="changelog"), "li")]
    assert [entry.split(" · ")[0] for entry in changelog] == [
        "v3 New greeting",
        "v2 Go live",
        "v1 Initial version",
    ]
    versions = one(page, id_="versions")
    assert [text(cell) for cell in select(one(versions, "tbody"), "th")] == [
        "v3 live",
        "v2",
        "v1",
    ]
    assert select(versions, "table", css="diff") == []
    assert "No differences: v3 and the working config are the same." in text(versions)


def test_the_detail_page_compares_the_live_version_with_the_working_config(viewer, owner, agent_in):
    agent = agent_update(agent=agent_in(PRODUCTION), actor=owner, config=sample_config("Edited"))

    diff = one(dom(browser(viewer).get(url("agent", agent))), "table", css="diff")

    caption = text(one(diff, "caption"))
    assert caption.startswith("1 line ")
    assert caption.endswith(" between v2 and the working config")
    [changed] = select(diff, "tr", css="diff-changed")
    assert '"first_message": "Hello! How can I help?",' in text(changed)
    assert '"first_message": "Edited",' in text(changed)


def test_editors_get_edit_and_deploy_buttons(editor, agent):
    page = dom(browser(editor).get(url("agent", agent)))

    actions = one(page, css="agent-actions")
    assert text(one(actions, "a", href=url("agent-edit", agent))) == "Edit"
    assert text(one(actions, "a", href=url("agent-deploy", agent))) == "Deploy"
    assert select(actions, "button", disabled=True) == []


def test_viewers_see_edit_and_deploy_disabled_with_the_reason(viewer, agent):
    page = dom(browser(viewer).get(url("agent", agent)))

    actions = one(page, css="agent-actions")
    assert select(actions, "a") == []
    buttons = select(actions, "button", disabled=True)
    assert [text(button) for button in buttons] == ["Edit", "Deploy", "Record test result"]
    reasons = {text(button): attrs(button)["aria-describedby"] for button in buttons}
    assert {name: text(one(page, id_=reason)) for name, reason in reasons.items()} == {
        "Edit": "Editing agents needs the editor role.",
        "Deploy": "Deploying to testing needs the editor role.",
        "Record test result": "Recording tests needs the tester role.",
    }


@pytest.mark.parametrize(("role", "offered"), [(Role.VIEWER, False), (Role.TESTER, True)])
def test_testers_get_the_record_test_result_button(member, agent, role, offered):
    page = dom(browser(member(role)).get(url("agent", agent)))

    links = select(page, "a", href=url("test-result-new", agent))
    assert [text(link) for link in links] == (["Record test result"] if offered else [])
    disabled = [text(button) for button in select(page, "button", disabled=True)]
    assert ("Record test result" in disabled) is not offered


def test_only_admins_may_roll_back_from_the_versions_list(owner, editor, agent_in):
    agent = agent_in(PRODUCTION)  # v2 is live; v1 can be rolled back to

    admin = one(dom(browser(owner).get(url("agent", agent))), id_="versions")
    other = one(dom(browser(editor).get(url("agent", agent))), id_="versions")

    link = one(admin, "a", href=url("agent-rollback", agent, "version=1"))
    assert text(link) == "Roll back to v1"
    assert [text(button) for button in select(admin, "button", disabled=True)] == []
    assert select(other, "a", href=url("agent-rollback", agent, "version=1")) == []
    [button] = select(other, "button", disabled=True)
    assert text(button) == "Roll back"
    reason = one(
        dom(browser(editor).get(url("agent", agent))), id_=attrs(button)["aria-describedby"]
    )
    assert text(reason) == "Rolling back needs the admin role."


def test_the_checklist_says_what_is_missing_before_production(owner, agent_in):
    agent = agent_in(TESTING)

    checklist = one(one(dom(browser(owner).get(url("agent", agent))), id_="gates"), "ul")

    items = {text(item).split(" ", 2)[2]: attrs(item)["class"] for item in select(checklist, "li")}
    assert items == {
        "Deployed by someone with the admin role": "met",
        "The working config is in testing": "met",
        "The agent exists on ElevenLabs": "met",
        f"A passing test of this config (revision {agent.config_revision}) No passing test "
        f"result for the config being deployed (revision {agent.config_revision}). Record a "
        "passing test of this config, or, as an admin, force the deploy and give the reason "
        '("force": true and "force_reason" in the API).': "overridable",
    }


@pytest.mark.parametrize("name", ["agents", "agent", "agent-edit"])
def test_whatever_htmx_updates_on_an_agent_page_is_on_the_page(editor, agent_in, name):
    agent = failed(agent_in(PRODUCTION))  # every control: deploy, retry, compare, roll back

    response = browser(editor).get(url(name, None if name == "agents" else agent))

    assert select(dom(response), hx_target=True) or name == "agent-edit"
    assert missing_targets(response) == []


def test_opening_an_agent_makes_its_workspace_the_current_one(viewer, workspace):
    other = WorkspaceFactory(name="Zeta", slug="zeta")
    MembershipFactory(workspace=other, user=viewer, role=Role.VIEWER)
    theirs = AgentFactory(workspace=other, name="Zeta agent")
    client = browser(viewer)
    assert listed(client.get(url("agents"))) == []  # Acme, first by name

    client.get(url("agent", theirs))

    assert listed(client.get(url("agents"))) == ["Zeta agent"]


# --- the sync badge -------------------------------------------------------------------------


def test_a_pending_badge_polls_until_the_sync_settles(viewer, agent, sync_on):
    response = browser(viewer).get(url("agent-sync-state", agent))

    assert response.status_code == 200
    assert is_fragment(response)
    badge = one(dom(response), "span", id_=f"agent-{agent.pk}-sync")
    assert "Syncing…" in text(badge)
    assert attrs(badge)["hx-get"] == url("agent-sync-state", agent)
    assert attrs(badge)["hx-trigger"] == "every 2s"
    assert "HX-Trigger" not in response.headers


@pytest.mark.parametrize(
    ("state", "says"), [(SyncState.SYNCED, "Synced"), (SyncState.FAILED, "Sync failed")]
)
def test_a_settled_badge_stops_polling_and_tells_the_page(viewer, agent, sync_on, state, says):
    AgentSync.objects.filter(pk=agent.pk).update(state=state, last_error="Boom")

    response = browser(viewer).get(url("agent-sync-state", agent))

    badge = one(dom(response), "span", id_=f"agent-{agent.pk}-sync")
    assert says in text(badge)
    assert "hx-trigger" not in attrs(badge)
    assert response.headers["HX-Trigger"] == "syncSettled"


def test_with_sync_off_a_pending_badge_says_so_and_does_not_poll(viewer, agent, settings):
    settings.ELEVENLABS_SANDBOX = False
    settings.ELEVENLABS_API_KEY = ""

    badge = one(dom(browser(viewer).get(url("agent-sync-state", agent))), "span", css="sync")

    assert text(badge) == "Sync off"
    assert "hx-trigger" not in attrs(badge)


def test_a_badge_that_settles_on_failed_offers_editors_a_retry(editor, agent, sync_on):
    failed(agent)

    response = browser(editor).get(url("agent-sync-state", agent))

    assert [text(button) for button in select(dom(response), "button")] == ["Retry sync"]


def test_a_viewer_cannot_retry_a_sync(viewer, agent, sync_on):
    agent = failed(agent, "Voice not found.")

    response = browser(viewer).post(url("agent-sync", agent), **htmx())

    assert response.status_code == 403
    refusal = one(dom(response), css="error")
    assert text(refusal) == "You need the editor role in workspace 'acme' to sync agents."
    agent.refresh_from_db()
    assert (agent.sync.state, agent.sync.last_error) == (SyncState.FAILED, "Voice not found.")


def test_without_htmx_a_refused_retry_goes_back_to_the_agent_saying_why(viewer, agent, sync_on):
    agent = failed(agent)

    response = browser(viewer).post(url("agent-sync", agent), follow=True)

    assert response.redirect_chain == [(url("agent", agent), 302)]
    assert (
        "error",
        "You need the editor role in workspace 'acme' to sync agents.",
    ) in messages_of(response)
    agent.refresh_from_db()
    assert agent.sync.state == SyncState.FAILED


def test_an_editor_retries_a_failed_sync(editor, agent, sync_on):
    agent = failed(agent)

    response = browser(editor).post(url("agent-sync", agent), **htmx())

    assert response.status_code == 200
    badge = one(dom(response), "span", id_=f"agent-{agent.pk}-sync")
    assert "Syncing…" in text(badge)
    assert attrs(badge)["hx-trigger"] == "every 2s"
    agent.refresh_from_db()
    assert (agent.sync.state, agent.sync.last_error, agent.sync.attempts) == (
        SyncState.PENDING,
        "",
        0,
    )


def test_without_htmx_a_retry_goes_back_to_the_agent(editor, agent, sync_on):
    agent = failed(agent)

    response = browser(editor).post(url("agent-sync", agent))

    assert response["Location"] == url("agent", agent)
    agent.refresh_from_db()
    assert agent.sync.state == SyncState.PENDING


def test_a_retried_sync_reaches_elevenlabs(editor, workspace, sandbox, committing):
    agent = failed(AgentFactory(workspace=workspace, actor=editor, name="Front Desk"))

    with committing():
        response = browser(editor).post(url("agent-sync", agent), **htmx())

    assert response.status_code == 200
    agent.refresh_from_db()
    assert (agent.sync.state, agent.sync.last_error) == (SyncState.SYNCED, "")
    [remote] = sandbox.agents()
    assert (remote["agent_id"], remote["name"]) == (agent.sync.elevenlabs_agent_id, "Front Desk")


def test_a_retry_with_sync_off_says_how_to_turn_it_on(editor, agent, settings):
    settings.ELEVENLABS_SANDBOX = False
    settings.ELEVENLABS_API_KEY = ""
    agent = failed(agent)

    response = browser(editor).post(url("agent-sync", agent), **htmx())

    assert response.status_code == 409
    assert "Sync with ElevenLabs is off" in text(one(dom(response), css="error"))
    agent.refresh_from_db()
    assert agent.sync.state == SyncState.FAILED


def test_a_sync_is_retried_only_by_a_post(editor, agent):
    assert browser(editor).get(url("agent-sync", agent)).status_code == 405
