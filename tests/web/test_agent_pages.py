"""The web UI's agent detail page and sync badge (agents/views.py). Who may reach them at all:
tests/web/test_access.py."""

import pytest

from agents.models import Status
from agents.services import agent_update
from deployments.models import SyncState
from deployments.services import agent_rollback
from elevenlabs_sync.models import AgentSync
from tests.factories import (
    AgentFactory,
    MembershipFactory,
    WorkspaceFactory,
    record_passing_test,
    sample_config,
)
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
    assert text(one(page, css="summary")) == "Production v3"
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

    response = browser(viewer).get(url("agent", agent))

    diff = one(dom(response), "table", css="diff", id_="diff-table")
    caption = text(one(diff, "caption"))
    assert caption.startswith("1 line ")
    assert caption.endswith(" between v2 and the working config")
    [changed] = select(diff, "tr", css="diff-changed")
    assert text(one(changed, "del")) == "Hello! How can I help?"
    assert text(one(changed, "ins")) == "Edited"


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
    assert [text(button) for button in buttons] == [
        "Edit",
        "Deploy",
        "Test in browser",
        "Record test result",
    ]
    reasons = {text(button): attrs(button)["aria-describedby"] for button in buttons}
    assert {name: text(one(page, id_=reason)) for name, reason in reasons.items()} == {
        "Edit": "Editing agents needs the editor role.",
        "Deploy": "Deploying to testing needs the editor role.",
        "Test in browser": "Talking to agents needs the tester role.",
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
        "You have the admin role": "met",
        "The working config is in testing": "met",
        "The agent exists on ElevenLabs": "met",
        f"A passing test of this config (revision {agent.config_revision}) No passing test "
        f"result for the config being deployed (revision {agent.config_revision}). Record a "
        "passing test of this config, or, as an admin, override the gate and give the "
        "reason.": "overridable",
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


# --- the working config, as a person reads it -----------------------------------------------

PROMPT = "You answer calls for a dental practice.\n\nBook, move or cancel appointments."


def configured(**agent) -> dict:
    config = sample_config("Good morning, Front desk speaking.")
    config["conversation_config"]["agent"]["prompt"].update(
        prompt=PROMPT,
        llm="gemini-2.5-flash",
        tools=[
            {"type": "client", "name": "show_calendar", "description": "Show free slots."},
            {
                "type": "webhook",
                "name": "book_slot",
                "description": "Book a slot.",
                "api_schema": {"url": "https://example.com/book"},
            },
        ],
    )
    config["conversation_config"]["agent"].update(agent)
    return config


def test_the_agent_page_shows_the_working_config(viewer, agent_in):
    agent = agent_in(DRAFT, config=configured(language="en-GB"))

    section = one(dom(browser(viewer).get(url("agent", agent))), "section", id_="config")

    shown = {
        text(item.children[0]): item.children[1]
        for item in select(section, "div")
        if select(item, "dt")
    }
    assert text(shown["First message"]) == "Good morning, Front desk speaking."
    assert text(shown["Language"]) == "en-GB"
    assert text(shown["LLM"]) == "gemini-2.5-flash"
    assert text(shown["Voice"]) == "21m00Tcm4TlvDq8ikWAM"
    assert [text(tool) for tool in select(shown["Tools"], "li")] == [
        "show_calendar client",
        "book_slot webhook",
    ]
    # The prompt as text, its line breaks kept for the page's pre-wrap to show.
    [prompt] = select(shown["System prompt"], css="prompt")
    assert "Book, move or cancel appointments." in text(prompt)
    assert (
        "You answer calls for a dental practice.\n\nBook"
        in browser(viewer).get(url("agent", agent)).content.decode()
    )
    assert "Nothing is live: no caller gets a version of this agent." in text(section)


def test_the_agent_page_says_what_differs_from_the_live_version(viewer, owner, agent_in):
    agent = agent_in(PRODUCTION)
    agent = agent_update(agent=agent, actor=owner, config=configured())

    section = one(dom(browser(viewer).get(url("agent", agent))), "section", id_="config")

    summary = text(one(section, "p", css="config-changes"))
    assert summary.startswith(
        "Differs from v2, the live version callers get, in 4 settings: first message, LLM, "
        "system prompt, tools."
    )
    link = one(section, "a", href=url("agent-diff", agent, "from=2&to=working"))
    assert text(link) == "See every change"


def test_an_unchanged_live_agent_says_it_is_the_live_version(viewer, agent_in):
    agent = agent_in(PRODUCTION)

    section = one(dom(browser(viewer).get(url("agent", agent))), "section", id_="config")

    assert text(one(section, "p", css="config-changes")) == (
        "The same as v2, the live version callers get."
    )


# --- the checklist, the history and the test results say what is true -----------------------


def test_a_live_agent_has_no_checklist_of_gates_that_mean_nothing_for_it(owner, agent_in):
    agent = agent_in(PRODUCTION)

    gates = one(dom(browser(owner).get(url("agent", agent))), "section", id_="gates")

    assert select(gates, "ul", css="checklist") == []
    assert "The working config is in testing" not in text(gates)
    assert text(gates).startswith("Before production The working config is live as v2")


def test_the_role_gate_speaks_of_the_reader_not_of_a_deploy_that_never_happened(owner, agent):
    gates = one(dom(browser(owner).get(url("agent", agent))), "section", id_="gates")

    assert "Deployed by" not in text(gates)
    assert "You have the admin role" in text(gates)


def test_a_rollback_within_production_reads_as_one(owner, agent_in, ship):
    agent = ship(agent_in(PRODUCTION), sample_config("v3"))
    agent_rollback(agent=agent, version=2, changes="", actor=owner)

    history = one(dom(browser(owner).get(url("agent", agent))), "section", id_="history")

    changes = [text(row.children[2]) for row in select(one(history, "tbody"), "tr")]
    assert changes[0] == "Rolled back, stays in Production"
    assert "Deployed: Testing → Production" in changes
    assert not any("Production → Production" in change for change in changes)


def test_a_test_result_is_labelled_with_the_version_its_config_became(owner, agent_in, ship):
    agent = ship(agent_in(PRODUCTION), sample_config("Third"))  # tested after v2, became v3
    agent = agent_update(agent=agent, actor=owner, config=sample_config("Fourth"))
    record_passing_test(agent, owner)  # tested after v3, not published

    tests = one(dom(browser(owner).get(url("agent", agent))), "section", id_="tests")

    labels = [text(item).split(" · ")[1] for item in select(tests, "li")]
    assert labels[0].startswith("working config after v3, revision ")
    assert labels[1].startswith("v3, revision ")  # not "v2", the version before it
    assert labels[2].startswith("v2, revision ")  # v1's config, first published as v2
