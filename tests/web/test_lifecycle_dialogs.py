"""The web UI's lifecycle dialogs (deployments/views.py): deploy, roll back and the diff, each a
dialog under htmx and a plain page without it, refusing exactly what the API refuses."""

import pytest

from agents.models import Status
from deployments.models import AgentVersion, Deployment
from elevenlabs_sync.receivers import NOT_ON_ELEVENLABS
from tests.factories import record_passing_test, sample_config
from tests.web.helpers import (
    alert_shown,
    attrs,
    browser,
    dom,
    error_shown,
    errors_of,
    htmx,
    is_fragment,
    messages_of,
    missing_targets,
    one,
    select,
    text,
    url,
)

DRAFT, TESTING, PRODUCTION = Status.DRAFT, Status.TESTING, Status.PRODUCTION
NO_PASSING_TEST = "No passing test result for the config being deployed"


@pytest.fixture
def candidate(agent_in, owner):
    """In testing, on ElevenLabs, with a passing test of its config: ready for production."""
    agent = agent_in(TESTING)
    record_passing_test(agent, owner)
    return agent


@pytest.fixture
def untested(agent_in):
    """In testing, on ElevenLabs, with no test result."""
    return agent_in(TESTING)


@pytest.fixture
def released(agent_in, ship):
    """Live at v3 (a new greeting); v1 and v2 hold the sample config."""
    agent = agent_in(PRODUCTION)
    return ship(agent, sample_config("Hi, this is v3."), changes="New greeting")


def deploy(client, agent, *, headers=None, follow=False, **data):
    return client.post(url("agent-deploy", agent), data, follow=follow, **(headers or {}))


def stages(response) -> dict[str, str]:
    """Each stage the dialog offers, with why it cannot be chosen ("" when it can; a stage
    open only to an override counts as one that can, see `needing_override`)."""
    page = dom(response)
    shown = {}
    for choice in select(page, "input", name="to_status"):
        value = attrs(choice)["value"]
        why = select(page, id_=f"stage-{value}-why")
        refused = "disabled" in attrs(choice)
        assert (refused or "data-needs-override" in attrs(choice)) == bool(why), value
        shown[value] = text(why[0]) if refused else ""
    return shown


def needing_override(response) -> list[str]:
    """The stages open only to an admin's override of a closed gate."""
    return [
        attrs(choice)["value"]
        for choice in select(dom(response), "input", name="to_status")
        if "data-needs-override" in attrs(choice)
    ]


def checked_stage(response) -> str | None:
    checked = select(dom(response), "input", name="to_status", checked=True)
    return (
        attrs(one(dom(response), "input", name="to_status", checked=True))["value"]
        if checked
        else None
    )


def checklist(response) -> dict[str, str]:
    """Each line of the production checklist: its label, and "met" or its problem."""
    lines = {}
    for item in select(one(dom(response), "ul", css="checklist"), "li"):
        problem = select(item, css="gate-problem")
        label = text(item).split(" ", 2)[2]  # after the mark and "Met:"/"Missing:"
        if problem:
            label = label.removesuffix(" " + text(problem[0]))
        lines[label] = text(problem[0]) if problem else "met"
    return lines


# --- who may open what ----------------------------------------------------------------------


def test_a_post_without_the_csrf_token_is_refused(owner, candidate, db_state):
    client = browser(owner, enforce_csrf_checks=True)
    before = db_state()

    refused = deploy(client, candidate, to_status=PRODUCTION, changes="Go")

    assert refused.status_code == 403
    assert db_state() == before
    form = one(dom(client.get(url("agent-deploy", candidate))), "form", css="dialog-form")
    token = attrs(one(form, name="csrfmiddlewaretoken"))["value"]
    accepted = deploy(
        client, candidate, to_status=PRODUCTION, changes="Go", csrfmiddlewaretoken=token
    )
    assert accepted.status_code == 302


# --- the deploy dialog ----------------------------------------------------------------------


def test_htmx_opens_the_deploy_dialog_as_a_fragment(editor, agent):
    response = browser(editor).get(url("agent-deploy", agent), **htmx())

    assert response.status_code == 200
    assert is_fragment(response)
    dialog = one(dom(response), "dialog", id_="dialog")
    assert text(one(dialog, "h2")) == f"Deploy {agent.name}"
    assert attrs(one(dialog, "form"))["hx-post"] == url("agent-deploy", agent)


def test_without_htmx_the_deploy_dialog_is_a_page(editor, agent):
    response = browser(editor).get(url("agent-deploy", agent))

    assert response.status_code == 200
    assert not is_fragment(response)
    assert select(dom(response), "dialog") == []
    assert attrs(one(dom(response), "form", css="dialog-form"))["action"] == (
        url("agent-deploy", agent)
    )


@pytest.mark.parametrize("name", ["agent-deploy", "agent-rollback"])
def test_the_dialog_as_a_page_submits_somewhere_that_exists(owner, released, name):
    response = browser(owner).get(url(name, released))

    assert missing_targets(response) == []


@pytest.mark.parametrize(
    ("status", "offered", "preselected"),
    [
        (
            DRAFT,
            {
                "draft": "The agent is already in draft.",
                "testing": "",
                "production": "Deploy to testing first: an agent reaches production from testing.",
            },
            "testing",
        ),
        # Production needs the test gate overridden: the person chooses, not the dialog.
        (TESTING, {"draft": "", "testing": "", "production": ""}, None),
        (
            PRODUCTION,
            {
                "draft": "",
                "testing": "",
                "production": "The agent is already live in production; edit it or roll back "
                "to an earlier version.",
            },
            None,  # never a step back out of production
        ),
    ],
)
def test_the_dialog_shows_why_a_stage_cannot_be_chosen(
    owner, agent_in, status, offered, preselected
):
    response = browser(owner).get(url("agent-deploy", agent_in(status)), **htmx())

    assert stages(response) == offered
    assert checked_stage(response) == preselected


def test_a_live_agent_gets_no_stage_preselected(owner, agent_in):
    response = browser(owner).get(url("agent-deploy", agent_in(PRODUCTION)), **htmx())

    assert checked_stage(response) is None
    assert select(dom(response), "input", name="to_status", checked=True) == []


def test_production_is_preselected_only_when_its_gates_are_open(owner, candidate, untested):
    tested = browser(owner).get(url("agent-deploy", candidate), **htmx())
    closed = browser(owner).get(url("agent-deploy", untested), **htmx())

    assert (checked_stage(tested), needing_override(tested)) == ("production", [])
    assert (checked_stage(closed), needing_override(closed)) == (None, ["production"])
    assert "override" in text(one(dom(closed), id_="stage-production-why"))


def test_production_is_refused_outright_while_a_gate_nobody_may_override_is_closed(owner, agent):
    record_passing_test(agent, owner)  # only the ElevenLabs gate is closed: a placeholder id
    agent.status = TESTING
    agent.save()

    response = browser(owner).get(url("agent-deploy", agent), **htmx())

    assert stages(response)["production"] == NOT_ON_ELEVENLABS
    assert needing_override(response) == []
    assert checked_stage(response) is None


EDITOR_NEEDED = {
    "draft": "Deploying to draft needs the editor role.",
    "testing": "Deploying to testing needs the editor role.",
}
ADMIN_NEEDED = {"production": "Deploying to production needs the admin role."}


@pytest.mark.parametrize(
    ("role", "offered"),
    [
        ("viewer", {**EDITOR_NEEDED, **ADMIN_NEEDED}),
        ("tester", {**EDITOR_NEEDED, **ADMIN_NEEDED}),
        ("editor", {"draft": "", "testing": "", **ADMIN_NEEDED}),
        ("owner", {"draft": "", "testing": "", "production": ""}),
    ],
)
def test_the_dialog_shows_which_stages_the_role_allows(request, untested, role, offered):
    response = browser(request.getfixturevalue(role)).get(url("agent-deploy", untested))

    assert stages(response) == offered


def test_the_preselected_stage_is_one_the_user_may_choose(editor, agent):
    response = browser(editor).get(url("agent-deploy", agent), **htmx())

    assert checked_stage(response) == "testing"
    assert stages(response)["testing"] == ""


def test_no_step_back_is_preselected_when_the_usual_next_stage_is_closed(editor, untested):
    response = browser(editor).get(url("agent-deploy", untested), **htmx())

    assert stages(response)["production"] == "Deploying to production needs the admin role."
    assert checked_stage(response) is None  # not draft, the first stage the editor may choose


def test_the_dialog_lists_what_is_missing_before_production(owner, editor, untested, agent):
    admin = checklist(browser(owner).get(url("agent-deploy", untested)))
    not_admin = checklist(browser(editor).get(url("agent-deploy", untested)))
    placeholder = checklist(browser(owner).get(url("agent-deploy", agent)))

    gate = f"A passing test of this config (revision {untested.config_revision})"
    assert list(admin) == [
        "You have the admin role",
        "The working config is in testing",
        "The agent exists on ElevenLabs",
        gate,
    ]
    assert [label for label, state in admin.items() if state != "met"] == [gate]
    assert admin[gate].startswith(NO_PASSING_TEST)
    assert '"force"' not in admin[gate]  # the dialog has its own override control
    assert not_admin["You have the admin role"] == (
        "Deploying to production needs the admin role. Ask someone who has it in this workspace."
    )
    assert placeholder["The agent exists on ElevenLabs"] == NOT_ON_ELEVENLABS
    assert placeholder["The working config is in testing"].startswith("Deploy to testing first")


def test_a_passing_test_meets_the_last_gate(owner, candidate):
    lines = checklist(browser(owner).get(url("agent-deploy", candidate)))

    assert set(lines.values()) == {"met"}


def test_only_admins_are_offered_the_override(owner, editor, untested):
    admin = dom(browser(owner).get(url("agent-deploy", untested)))
    not_admin = dom(browser(editor).get(url("agent-deploy", untested)))

    assert [attrs(field)["name"] for field in select(one(admin, css="force"), "input")] == ["force"]
    assert len(select(admin, "textarea", name="force_reason")) == 1
    assert select(not_admin, css="force") == []
    assert select(not_admin, name="force_reason") == []


def test_an_editor_deploys_to_testing_in_the_dialog(editor, agent):
    response = deploy(browser(editor), agent, headers=htmx(), to_status=TESTING, changes="QA")

    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "agentChanged"
    assert is_fragment(response)
    page = dom(response)
    assert select(page, "dialog") == []  # the dialog is replaced by nothing
    summary = one(page, id_=f"agent-{agent.pk}-summary")
    assert attrs(summary)["hx-swap-oob"] == "true"
    assert text(summary) == "Testing v1"
    toast = one(page, id_="toast")
    assert attrs(toast)["hx-swap-oob"] == "true"
    assert text(toast) == "Deployed to testing."
    agent.refresh_from_db()
    assert (agent.status, agent.deployed_by) == (TESTING, editor)
    deployment = Deployment.objects.filter(agent=agent).first()
    assert (deployment.to_status, deployment.changes, deployment.deployed_by) == (
        TESTING,
        "QA",
        editor,
    )


def test_without_htmx_a_deploy_goes_back_to_the_agent_with_a_message(editor, agent):
    response = deploy(browser(editor), agent, to_status=TESTING, changes="", follow=True)

    assert response.redirect_chain == [(url("agent", agent), 302)]
    assert ("success", "Deployed to testing.") in messages_of(response)
    agent.refresh_from_db()
    assert agent.status == TESTING


@pytest.mark.parametrize("start", [TESTING, PRODUCTION])
def test_an_editor_may_take_an_agent_back_to_draft(editor, agent_in, start):
    agent = agent_in(start)

    response = deploy(browser(editor), agent, headers=htmx(), to_status=DRAFT)

    assert text(one(dom(response), id_="toast")) == "Deployed to draft."
    agent.refresh_from_db()
    assert agent.status == DRAFT


def test_an_admin_deploys_a_tested_agent_to_production(owner, candidate):
    response = deploy(
        browser(owner), candidate, headers=htmx(), to_status=PRODUCTION, changes="First release"
    )

    assert response.status_code == 200
    assert text(one(dom(response), id_="toast")) == "Deployed to production: v2 is live."
    assert text(one(dom(response), id_=f"agent-{candidate.pk}-summary")) == "Production v2"
    candidate.refresh_from_db()
    assert (candidate.status, candidate.version, candidate.live_version) == (PRODUCTION, 2, 2)
    assert AgentVersion.objects.get(agent=candidate, number=2).changes == "First release"


@pytest.mark.parametrize("headers", [{}, htmx()], ids=["page", "htmx"])
def test_production_without_a_passing_test_is_refused_with_the_gates_message(
    owner, untested, db_state, headers
):
    before = db_state()

    response = deploy(browser(owner), untested, headers=headers, to_status=PRODUCTION, changes="Go")

    assert response.status_code == 409
    [message] = errors_of(response)["__all__"]
    assert message.startswith(NO_PASSING_TEST)
    assert NO_PASSING_TEST in alert_shown(response)
    # In the dialog's own words, pointing at its override control, not at the API's fields.
    assert message.endswith('To do so, tick "Override the passing-test gate".')
    assert '"force"' not in message
    assert "force_reason" not in message
    assert bool(select(dom(response), "dialog")) == bool(headers)  # still open, with the error
    assert db_state() == before


@pytest.mark.parametrize(
    ("role", "target", "says"),
    [
        (
            "editor",
            PRODUCTION,
            "You need the admin role in workspace 'acme' to deploy to production.",
        ),
        ("tester", TESTING, "You need the editor role in workspace 'acme' to deploy to testing."),
        ("viewer", DRAFT, "You need the editor role in workspace 'acme' to deploy to draft."),
    ],
)
def test_a_deploy_beyond_the_role_is_refused_saying_which_role(
    request, candidate, db_state, role, target, says
):
    before = db_state()

    response = deploy(
        browser(request.getfixturevalue(role)), candidate, to_status=target, changes="Go"
    )

    assert response.status_code == 403
    assert errors_of(response) == {"__all__": [says]}
    assert says in alert_shown(response)
    assert db_state() == before


@pytest.mark.parametrize("reason", ["", "   "])
def test_force_without_a_reason_is_refused_on_the_reason(owner, untested, db_state, reason):
    before = db_state()

    response = deploy(
        browser(owner),
        untested,
        to_status=PRODUCTION,
        changes="Hotfix",
        force="on",
        force_reason=reason,
    )

    assert response.status_code == 400
    says = "Say why the test gate is skipped: a forced deploy needs a reason."
    assert errors_of(response) == {"force_reason": [says]}
    assert says in error_shown(response, "force_reason")
    assert db_state() == before


def test_an_admin_may_force_past_the_test_gate_saying_why(owner, untested):
    response = deploy(
        browser(owner),
        untested,
        to_status=PRODUCTION,
        changes="Hotfix",
        force="on",
        force_reason="The test runner is down.",
    )

    assert response.status_code == 302
    deployment = Deployment.objects.filter(agent=untested, to_status=PRODUCTION).get()
    assert (deployment.forced, deployment.force_reason) == (True, "The test runner is down.")


@pytest.mark.parametrize(
    ("data", "field", "says"),
    [
        ({"to_status": PRODUCTION, "changes": " "}, "changes", "production deploys need a "),
        ({"to_status": "staging"}, "to_status", "Select a valid choice."),
        ({}, "to_status", "This field is required."),
        (
            {"to_status": TESTING, "force": "on", "force_reason": "Why not"},
            "force",
            "Only production deploys have a gate to override.",
        ),
    ],
)
def test_an_invalid_deploy_is_refused_on_its_field(owner, candidate, db_state, data, field, says):
    before = db_state()

    response = deploy(browser(owner), candidate, **data)

    assert response.status_code == 400
    assert list(errors_of(response)) == [field]
    assert says in errors_of(response)[field][0]
    assert "Please correct the 1 field marked below." in alert_shown(response)
    assert db_state() == before


# --- the rollback dialog --------------------------------------------------------------------


def rollback(client, agent, *, headers=None, **data):
    return client.post(url("agent-rollback", agent), data, **(headers or {}))


def test_the_rollback_dialog_offers_every_version_newest_first(owner, released):
    response = browser(owner).get(url("agent-rollback", released, "version=1"), **htmx())

    assert response.status_code == 200
    assert is_fragment(response)
    choice = one(one(dom(response), "dialog"), "select", name="version")
    options = select(choice, "option")
    assert [attrs(option)["value"] for option in options] == ["3", "2", "1"]
    assert text(options[0]).endswith(": New greeting")
    assert [attrs(option)["value"] for option in select(choice, "option", selected=True)] == ["1"]
    assert "becomes v4, live in production at once" in text(one(dom(response), css="alert"))


def test_an_admin_rolls_back_to_an_earlier_version_as_the_next_one(owner, released):
    response = rollback(browser(owner), released, headers=htmx(), version="1")

    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "agentChanged"
    page = dom(response)
    assert text(one(page, id_="toast")) == "Rollback to v1: v4 is live."
    assert text(one(page, id_=f"agent-{released.pk}-summary")) == "Production v4"
    released.refresh_from_db()
    assert (released.status, released.version, released.live_version) == (PRODUCTION, 4, 4)
    assert released.config == sample_config()
    newest = Deployment.objects.filter(agent=released).first()
    assert (newest.kind, newest.changes) == ("rollback", "Rollback to v1")


def test_without_htmx_a_rollback_goes_back_to_the_agent(owner, released):
    response = rollback(browser(owner), released, version="2", changes="v3 confused callers")

    assert response["Location"] == url("agent", released)
    assert Deployment.objects.filter(agent=released).first().changes == (
        "Rollback to v2: v3 confused callers"
    )


@pytest.mark.parametrize("role", ["editor", "tester", "viewer"])
def test_only_admins_may_roll_back(request, released, db_state, role):
    before = db_state()

    response = rollback(browser(request.getfixturevalue(role)), released, version="1")

    assert response.status_code == 403
    says = "You need the admin role in workspace 'acme' to roll back."
    assert errors_of(response) == {"__all__": [says]}
    assert says in alert_shown(response)
    assert db_state() == before


@pytest.mark.parametrize(
    ("version", "status", "field", "says"),
    [
        ("99", 400, "version", "Select a valid choice. 99 is not one of the available choices."),
        ("v1", 400, "version", "Select a valid choice. v1 is not one of the available choices."),
        ("", 400, "version", "This field is required."),
        ("3", 409, "__all__", "Version 3 is already live."),
    ],
)
def test_a_rollback_to_no_such_version_is_refused(
    owner, released, db_state, version, status, field, says
):
    before = db_state()

    response = rollback(browser(owner), released, version=version)

    assert response.status_code == status
    assert errors_of(response) == {field: [says]}
    assert db_state() == before


# --- the diff -------------------------------------------------------------------------------


def rows(response) -> list[tuple[str, str, str]]:
    """The diff's rows that differ, as shown: (kind, old text, new text), each side's text
    after its hidden "removed: " or "added: " (the page's own spacing, which the HTML parser
    of the other helpers drops around <del> and <ins>, comes from the rows rendered)."""
    shown = [
        line
        for line in select(dom(response), "tr")
        if attrs(line).get("class", "").startswith("diff-") and attrs(line)["class"] != "diff-same"
    ]
    lines = [
        line
        for block in response.context["diff"].blocks
        for line in block.lines
        if line.kind != "same"
    ]
    assert [attrs(row)["class"].removeprefix("diff-") for row in shown] == [
        line.kind for line in lines
    ]
    return [
        (
            line.kind,
            f"{_marker(row.children[1])}{line.old_text.strip()}",
            f"{_marker(row.children[3])}{line.new_text.strip()}",
        )
        for row, line in zip(shown, lines, strict=True)
    ]


def _marker(cell) -> str:
    hidden = select(cell, "span", css="visually-hidden")
    return f"{text(hidden[0])} " if hidden else ""


def test_the_diff_shows_two_versions_side_by_side(viewer, released):
    response = browser(viewer).get(url("agent-diff", released, "from=2&to=3"))

    assert response.status_code == 200
    assert not is_fragment(response)
    page = dom(response)
    assert text(one(page, "h1")) == f"Compare versions of {released.name}"
    caption = text(one(page, "caption"))
    assert caption.startswith("1 line ")
    assert caption.endswith(" between v2 and v3")
    assert [text(cell) for cell in select(one(page, "thead"), "th")] == ["v2", "v3"]
    assert rows(response) == [
        (
            "changed",
            'removed: "first_message": "Hello! How can I help?",',
            'added: "first_message": "Hi, this is v3.",',
        )
    ]


def test_the_diff_page_refreshes_a_panel_it_has(viewer, released):
    response = browser(viewer).get(url("agent-diff", released, "from=2&to=3"))

    assert attrs(one(dom(response), "form", css="diff-pick"))["hx-target"] == "#diff"
    assert missing_targets(response) == []


def test_the_diff_numbers_the_lines_of_each_side(viewer, released):
    page = dom(browser(viewer).get(url("agent-diff", released, "from=2&to=3")))

    [changed] = select(page, "tr", css="diff-changed")
    old_number, new_number = text(changed.children[0]), text(changed.children[2])
    assert old_number == new_number
    assert int(old_number) > 1


def test_the_diff_compares_the_live_version_with_the_working_config_by_default(viewer, released):
    response = browser(viewer).get(url("agent-diff", released))

    page = dom(response)
    assert "No differences: v3 and the working config are the same." in text(page)
    pick = one(page, "form", css="diff-pick")
    assert [attrs(option)["value"] for option in select(pick, "option", selected=True)] == [
        "3",
        "working",
    ]


def test_the_diff_may_run_either_way(viewer, released):
    response = browser(viewer).get(url("agent-diff", released, "from=working&to=1"))

    assert [(kind, new) for kind, _, new in rows(response)] == [
        ("changed", 'added: "first_message": "Hello! How can I help?",')
    ]


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("from=9&to=2", "'9' is not a version of this agent; use 1 to 3 or 'working'."),
        ("from=1&to=latest", "'latest' is not a version of this agent; use 1 to 3 or 'working'."),
        # Digits that are not ASCII: str.isdigit() takes them, int() reads or refuses them.
        ("from=%C2%B2&to=2", "'\u00b2' is not a version of this agent; use 1 to 3 or 'working'."),
        (
            "from=%EF%BC%91&to=2",
            "'\uff11' is not a version of this agent; use 1 to 3 or 'working'.",
        ),
    ],
)
def test_a_diff_of_no_such_version_is_refused(viewer, released, query, says):
    response = browser(viewer).get(url("agent-diff", released, query))

    assert response.status_code == 400
    assert alert_shown(response) == says
    assert select(dom(response), "table") == []


def test_choosing_versions_refreshes_only_the_diff(viewer, released):
    response = browser(viewer).get(
        url("agent-diff", released, "from=3&to=2"), **htmx(target="diff")
    )

    assert response.status_code == 200
    assert is_fragment(response)
    panel = dom(response)
    assert attrs(panel)["id"] == "diff"
    assert select(panel, "h1") == []
    assert len(rows(response)) == 1


def test_a_refused_diff_in_the_panel_is_a_fragment_too(viewer, released):
    response = browser(viewer).get(url("agent-diff", released, "from=0"), **htmx(target="diff"))

    assert response.status_code == 400
    assert is_fragment(response)
    assert "'0' is not a version of this agent" in alert_shown(response)
