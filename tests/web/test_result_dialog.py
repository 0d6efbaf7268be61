"""Recording a test result in the web UI (testruns/views.py): testers and up, for the agent's
working config, which is what the production gate then looks for."""

import pytest

from agents.models import Status
from agents.services import agent_update
from testruns.models import TestResult
from tests.factories import sample_config
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

PASSED = {"status": "passed", "rating": "5", "duration": "42.5", "notes": "Handled the booking"}


def record(client, agent, *, headers=None, follow=False, **data):
    return client.post(url("test-result-new", agent), data, follow=follow, **(headers or {}))


def test_htmx_opens_the_form_as_a_dialog_naming_the_config_tested(tester, agent):
    response = browser(tester).get(url("test-result-new", agent), **htmx())

    assert response.status_code == 200
    assert is_fragment(response)
    dialog = one(dom(response), "dialog", id_="dialog")
    says = f"For the working config, v1's config (revision {agent.config_revision})."
    assert says in text(dialog)
    assert [attrs(choice)["value"] for choice in select(dialog, "input", name="status")] == [
        "passed",
        "failed",
        "needs_improvement",
    ]


def test_the_form_names_an_edited_config_by_the_version_it_was_edited_after(
    tester, owner, agent_in
):
    live = agent_in(Status.PRODUCTION)
    agent = agent_update(agent=live, actor=owner, config=sample_config("New"))

    dialog = one(dom(browser(tester).get(url("test-result-new", agent), **htmx())), "dialog")

    says = f"For the working config, as edited after v2 (revision {agent.config_revision})."
    assert says in text(dialog)
    assert "v2's config" not in text(dialog)


def test_without_htmx_the_form_is_a_page(tester, agent):
    response = browser(tester).get(url("test-result-new", agent))

    assert not is_fragment(response)
    assert select(dom(response), "dialog") == []
    assert attrs(one(dom(response), "form", css="dialog-form"))["action"] == (
        url("test-result-new", agent)
    )


def test_the_form_as_a_page_submits_somewhere_that_exists(tester, agent):
    response = browser(tester).get(url("test-result-new", agent))

    assert missing_targets(response) == []


def test_a_tester_records_a_passing_test_of_the_working_config(tester, agent_in):
    agent = agent_in(Status.TESTING)

    response = record(
        browser(tester),
        agent,
        headers=htmx(),
        transcript="Agent: Hello!\r\n  Caller: Hi.",
        **PASSED,
    )

    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "agentChanged"
    assert text(one(dom(response), id_="toast")) == "Test recorded: passed."
    result = TestResult.objects.get(agent=agent)
    assert (result.status, result.rating, result.duration, result.notes) == (
        "passed",
        5,
        42.5,
        "Handled the booking",
    )
    assert (result.version, result.config_revision) == (agent.version, agent.config_revision)
    assert result.tested_by == tester
    assert result.transcript == "Agent: Hello!\r\n  Caller: Hi."


def test_without_htmx_a_recorded_test_goes_back_to_the_agent(tester, agent):
    response = record(
        browser(tester), agent, follow=True, status="failed", rating="", duration="10"
    )

    assert response.redirect_chain == [(url("agent", agent), 302)]
    assert ("success", "Test recorded: failed.") in messages_of(response)
    result = TestResult.objects.get(agent=agent)
    assert (result.status, result.rating) == ("failed", None)


def test_a_passing_test_opens_the_production_gate(tester, owner, agent_in):
    agent = agent_in(Status.TESTING)
    deploy = {"to_status": Status.PRODUCTION, "changes": "First release"}
    refused = browser(owner).post(url("agent-deploy", agent), deploy)
    assert refused.status_code == 409

    record(browser(tester), agent, **PASSED)
    deployed = browser(owner).post(url("agent-deploy", agent), deploy)

    assert deployed.status_code == 302
    agent.refresh_from_db()
    assert (agent.status, agent.live_version) == (Status.PRODUCTION, 2)


def test_a_viewer_cannot_record_a_test(viewer, agent, db_state):
    before = db_state()

    response = record(browser(viewer), agent, **PASSED)

    assert response.status_code == 403
    says = "You need the tester role in workspace 'acme' to save test results."
    assert errors_of(response) == {"__all__": [says]}
    assert says in alert_shown(response)
    assert db_state() == before


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        (
            {"rating": "6"},
            "rating",
            "Select a valid choice. 6 is not one of the available choices.",
        ),
        ({"rating": "0"}, "rating", "Select a valid choice."),
        ({"rating": "great"}, "rating", "Select a valid choice."),
        ({"duration": "-1"}, "duration", "greater than or equal to 0"),
        ({"duration": "a minute"}, "duration", "Enter a number."),
        ({"duration": "inf"}, "duration", "Enter a number."),
        ({"duration": ""}, "duration", "This field is required."),
        ({"status": "great"}, "status", "Select a valid choice."),
        ({"status": ""}, "status", "This field is required."),
    ],
)
def test_an_invalid_result_is_refused_on_its_field(tester, agent, db_state, changes, field, says):
    before = db_state()

    response = record(browser(tester), agent, headers=htmx(), **{**PASSED, **changes})

    assert response.status_code == 400
    assert list(errors_of(response)) == [field]
    assert says in errors_of(response)[field][0]
    assert says in error_shown(response, field)
    assert one(dom(response), "dialog")  # the dialog stays open, showing what to fix
    assert db_state() == before
