"""Automated tests in the web UI (web/views/testing.py, web/views/runs.py): the tests page,
adding, changing and deleting tests through the services, running them from the page and
following the run, cancelling, and a regression test made from a conversation. Who may reach
the agent's routes at all: tests/web/test_access.py."""

import json

import pytest
from django.urls import reverse

from agents.models import Status
from agents.services import agent_archive
from elevenlabs_sync.models import AgentSync
from elevenlabs_sync.test_runs import run_start
from testruns import runs
from testruns.models import AgentTest, AttemptStatus, RunStatus, TestRun, TurnRole
from testruns.services import conversation_end, conversation_start, conversation_transcript_add
from testruns.suites import agent_test_create, definition_check
from testruns.transcript import Identified, Said, ToolCalled
from tests.web.helpers import (
    alert_shown,
    attrs,
    browser,
    dom,
    error_shown,
    messages_of,
    missing_targets,
    one,
    select,
    text,
    url,
)

GREETING = {"turns": [{"user": "Hello there", "expect": [{"contains": "You said"}]}]}
ADD_NEEDS = "Writing tests needs the editor role."
RUN_NEEDS = "Running tests needs the tester role."
PROMOTE_NEEDS = "Deploying to production needs the admin role."


@pytest.fixture(autouse=True)
def _quick_runs(settings):
    settings.TEST_RUN_POLL_SECONDS = 0.05
    settings.TEST_TURN_TIMEOUT = 5.0


@pytest.fixture
def testing_agent(agent_in):
    """In testing with a testing branch, as its sync leaves it: runs can be queued (and are
    never run: no test here lets a queued run's task go)."""
    agent = agent_in(Status.TESTING)
    AgentSync.objects.filter(pk=agent.pk).update(testing_branch_id="agtbrch_1")
    agent.refresh_from_db()
    return agent


def add(agent, actor, name="greets", *, suite="default", kind="scripted", definition=GREETING):
    return agent_test_create(
        agent=agent, actor=actor, name=name, suite=suite, kind=kind, definition=definition
    )


def judged_run(agent, actor, statuses: dict[str, list[str]], *, suite: str = "") -> TestRun:
    """A run of `agent`'s tests that ended with each test's tries as `statuses` says (by test
    name), through the services a worker calls, without talking to anyone."""
    repeat = max(len(tries) for tries in statuses.values())
    run = runs.run_create(
        agent=agent,
        actor=actor,
        pinned=runs.Pinned("testing", agent.version, agent.config_revision, "agtbrch_1"),
        suite=suite,
        repeat=repeat,
        pass_threshold=1,
    )
    runs.run_claim(run.pk)
    for attempt in run.attempts.all():
        status = statuses[attempt.test_name][attempt.number - 1]
        reasons = [] if status == AttemptStatus.PASSED else [f"{attempt.test_name} went wrong"]
        runs.attempt_finish(
            attempt=attempt,
            status=status,
            reasons=reasons,
            transcript=[
                {"role": "user", "text": "Hello there"},
                {"role": "agent", "text": 'You said: "Hello there"', "latency_ms": 812.4},
            ],
            latencies_ms=[812.4],
            seconds=1.5,
        )
    return runs.run_finish(run=run)


def queued(agent, actor) -> TestRun:
    """A run queued and never taken up: its task would run after a commit that never comes."""
    return run_start(agent=agent, actor=actor)


def path_of(name: str, obj) -> str:
    """The path of page `name` of a test, a run or a conversation."""
    return reverse(f"app:{name}", args=[obj.pk])


# --- the tests page ---------------------------------------------------------------------------


def test_the_tests_page_lists_the_tests_by_suite_with_their_last_verdicts(
    viewer, owner, testing_agent
):
    add(testing_agent, owner, "greets")
    add(testing_agent, owner, "refunds", suite="smoke")
    run = judged_run(testing_agent, owner, {"greets": ["failed"], "refunds": ["passed"]})
    add(testing_agent, owner, "says goodbye", suite="smoke")  # after the run

    response = browser(viewer).get(url("agent-tests", testing_agent))

    assert response.status_code == 200
    section = one(dom(response), "section", id_="tests")
    assert [text(heading) for heading in select(section, "h3")] == [
        "Suite “default”",
        "Suite “smoke”",
    ]
    rows = {text(one(row, "th")): row for row in select(section, "tr", id_=True)}
    assert list(rows) == ["greets", "refunds", "says goodbye"]
    assert text(rows["greets"]).startswith("greets Scripted conversation Failed in run")
    assert "0 of 1 try passed" in text(rows["greets"])
    assert select(rows["greets"], "a", href=path_of("test-run", run))
    assert "Passed" in text(rows["refunds"])
    assert "not run yet" in text(rows["says goodbye"])


def test_a_test_edited_after_its_last_run_says_so(viewer, owner, testing_agent):
    from testruns.suites import agent_test_update

    test = add(testing_agent, owner)
    judged_run(testing_agent, owner, {"greets": ["passed"]})
    agent_test_update(test=test, actor=owner, suite="smoke")

    page = dom(browser(viewer).get(url("agent-tests", testing_agent)))

    assert "edited since" in text(one(page, "tr", id_=f"test-{test.pk}"))


def test_a_viewer_sees_the_controls_disabled_with_the_reasons(viewer, owner, testing_agent):
    add(testing_agent, owner)

    page = dom(browser(viewer).get(url("agent-tests", testing_agent)))

    assert text(one(page, id_="add-test-why")) == ADD_NEEDS
    assert attrs(one(page, "button", aria_describedby="add-test-why"))["disabled"] is None
    assert text(one(page, id_="run-why")) == RUN_NEEDS
    assert select(page, "form", id_="run-form") == []
    assert [text(a) for a in select(one(page, id_="tests"), "a", css="button")] == []


def test_a_tester_runs_tests_but_neither_writes_them_nor_promotes(tester, owner, testing_agent):
    add(testing_agent, owner)

    page = dom(browser(tester).get(url("agent-tests", testing_agent)))

    assert text(one(page, id_="add-test-why")) == ADD_NEEDS
    form = one(page, "form", id_="run-form")
    assert attrs(form)["action"] == url("agent-run-new", testing_agent)
    promote = one(form, "input", name="promote_on_pass")
    assert "disabled" in attrs(promote)
    assert attrs(promote)["aria-describedby"] == "promote-why"
    assert text(one(form, id_="promote-why")) == PROMOTE_NEEDS
    assert [text(o) for o in select(one(form, "select", name="suite"), "option")] == [
        "All suites",
        "default",
    ]


def test_an_editor_gets_add_edit_and_delete(editor, testing_agent):
    test = add(testing_agent, editor)

    page = dom(browser(editor).get(url("agent-tests", testing_agent)))

    assert select(page, "a", href=url("agent-test-new", testing_agent))
    row = one(page, "tr", id_=f"test-{test.pk}")
    assert select(row, "a", href=path_of("agent-test", test))
    assert select(row, "a", href=path_of("agent-test-delete", test))
    assert select(page, "form", id_="run-form")
    assert select(page, id_="promote-why")  # editors do not deploy to production


def test_an_admin_may_ask_for_a_deploy_to_production_on_a_pass(owner, testing_agent):
    add(testing_agent, owner)

    form = one(dom(browser(owner).get(url("agent-tests", testing_agent))), "form", id_="run-form")

    assert "disabled" not in attrs(one(form, "input", name="promote_on_pass"))
    assert "disabled" not in attrs(one(form, "textarea", name="changes"))
    assert select(form, id_="promote-why") == []


def test_an_archived_agents_tests_are_read_only(owner, testing_agent):
    add(testing_agent, owner)
    agent_archive(agent=testing_agent, actor=owner, note="")

    page = dom(browser(owner).get(url("agent-tests", testing_agent)))

    assert "archived" in text(one(page, "div", css="alert-warning"))
    assert select(page, "a", href=url("agent-test-new", testing_agent)) == []
    assert select(page, "form", id_="run-form") == []


def test_the_agent_page_leads_to_the_tests(viewer, owner, testing_agent):
    add(testing_agent, owner)
    run = judged_run(testing_agent, owner, {"greets": ["passed"]})

    section = one(dom(browser(viewer).get(url("agent", testing_agent))), id_="automated-tests")

    assert text(section).startswith("Automated tests 1 test. Newest run: run")
    assert select(section, "a", href=path_of("test-run", run))
    assert select(section, "a", href=url("agent-tests", testing_agent))
    assert text(one(section, id_="add-test-why")) == ADD_NEEDS
    assert text(one(section, id_="run-tests-why")) == RUN_NEEDS


# --- adding, changing, deleting ---------------------------------------------------------------


def new_test(**fields) -> dict:
    return {
        "name": "greets",
        "suite": "smoke",
        "kind": "scripted",
        "definition": json.dumps(GREETING),
        **fields,
    }


def test_the_new_test_form_shows_a_script_as_its_example(editor, testing_agent):
    page = dom(browser(editor).get(url("agent-test-new", testing_agent)))

    box = one(page, "textarea", name="definition")
    example = json.loads(attrs(box)["placeholder"])
    assert definition_check("scripted", example)["turns"][0]["expect"]  # a script that works
    assert attrs(one(page, "option", selected=True, value="scripted"))


def test_an_editor_adds_a_test_through_the_service(editor, testing_agent):
    client = browser(editor)

    response = client.post(url("agent-test-new", testing_agent), new_test(), follow=True)

    test = AgentTest.objects.get()
    assert (test.name, test.suite, test.kind, test.created_by) == (
        "greets",
        "smoke",
        "scripted",
        editor,
    )
    # The service's canonical form, not the text as posted.
    assert test.definition["ends_within_turns"] is None
    assert response.redirect_chain[-1][0].endswith(f"/tests#test-{test.pk}")
    assert messages_of(response) == [("success", "Added the test “greets” to suite “smoke”.")]


def test_every_problem_of_a_definition_is_shown_under_it(editor, testing_agent):
    bad = {"turns": [{"user": "Hi", "expect": [{"matches": "("}, {"max_latency_ms": 0}]}]}

    response = browser(editor).post(
        url("agent-test-new", testing_agent), new_test(definition=json.dumps(bad))
    )

    assert response.status_code == 400
    shown = error_shown(response, "definition")
    assert "definition.turns[0].expect[0].matches: Give a regular expression" in shown
    assert "definition.turns[0].expect[1].max_latency_ms: Give the most milliseconds" in shown
    assert not AgentTest.objects.exists()
    # What was typed is shown back, to fix.
    assert '"matches": "("' in text(one(dom(response), "textarea", name="definition"))


def test_json_that_does_not_parse_is_refused_under_the_box(editor, testing_agent):
    response = browser(editor).post(
        url("agent-test-new", testing_agent), new_test(definition='{"turns": [')
    )

    assert response.status_code == 400
    assert error_shown(response, "definition").startswith("This is not valid JSON")


def test_an_elevenlabs_test_of_another_kind_is_checked_as_that_kind(editor, testing_agent):
    response = browser(editor).post(
        url("agent-test-new", testing_agent),
        new_test(kind="llm", definition=json.dumps({"success_conditon": "x", "chat_history": []})),
    )

    assert response.status_code == 400
    assert "definition.success_conditon: " in error_shown(response, "definition")


def test_a_second_test_of_the_same_name_is_refused_beside_the_name(editor, testing_agent):
    add(testing_agent, editor)

    response = browser(editor).post(url("agent-test-new", testing_agent), new_test())

    assert response.status_code == 409
    assert error_shown(response, "name") == "A test of this agent has this name already."


def test_a_tester_may_not_add_a_test(tester, testing_agent):
    response = browser(tester).post(url("agent-test-new", testing_agent), new_test())

    assert response.status_code == 403
    assert "You need the editor role in workspace 'acme' to write agents' tests." in alert_shown(
        response
    )
    assert not AgentTest.objects.exists()


def test_an_editor_changes_a_test_through_the_service(editor, testing_agent):
    test = add(testing_agent, editor)
    client = browser(editor)
    page = dom(client.get(path_of("agent-test", test)))
    assert json.loads(text(one(page, "textarea", name="definition")))["turns"][0]["user"] == (
        "Hello there"
    )
    changed = {"turns": [{"user": "Good morning", "expect": [{"contains": "morning"}]}]}

    response = client.post(
        path_of("agent-test", test),
        new_test(name="greets in the morning", suite="nightly", definition=json.dumps(changed)),
    )

    assert response.status_code == 302
    test.refresh_from_db()
    assert (test.name, test.suite) == ("greets in the morning", "nightly")
    assert test.definition["turns"][0]["user"] == "Good morning"


def test_a_refused_change_leaves_the_test_and_its_page_as_they_were(editor, testing_agent):
    test = add(testing_agent, editor)

    response = browser(editor).post(
        path_of("agent-test", test),
        new_test(name="renamed", definition=json.dumps({"turns": []})),
    )

    assert response.status_code == 400
    assert "definition.turns: Give at least one turn" in error_shown(response, "definition")
    assert text(one(dom(response), "h1")) == "Test “greets”"
    test.refresh_from_db()
    assert test.name == "greets"


def test_a_viewer_reads_a_test_but_cannot_save_or_delete_it(viewer, editor, testing_agent):
    test = add(testing_agent, editor)
    client = browser(viewer)

    page = dom(client.get(path_of("agent-test", test)))
    response = client.post(path_of("agent-test", test), new_test(name="hijacked"))

    assert ADD_NEEDS in text(one(page, "div", css="alert-warning"))
    assert "disabled" in attrs(one(one(page, "form", id_="test-form"), "button", type="submit"))
    assert text(one(page, id_="delete-why")) == ADD_NEEDS
    assert response.status_code == 403
    test.refresh_from_db()
    assert test.name == "greets"


def test_deleting_asks_first_then_deletes_through_the_service(editor, testing_agent):
    test = add(testing_agent, editor)
    client = browser(editor)

    page = dom(client.get(path_of("agent-test-delete", test)))
    response = client.post(path_of("agent-test-delete", test), follow=True)

    assert attrs(one(page, "form", id_="delete-form"))["method"] == "post"
    assert AgentTest.objects.filter(pk=test.pk).exists() is False
    assert response.redirect_chain[-1][0] == url("agent-tests", testing_agent)
    assert messages_of(response) == [("success", "Deleted the test “greets”.")]


def test_a_tester_cannot_delete_a_test(tester, editor, testing_agent):
    test = add(testing_agent, editor)
    client = browser(tester)

    page = dom(client.get(path_of("agent-test-delete", test)))
    response = client.post(path_of("agent-test-delete", test))

    assert text(one(page, id_="delete-why")) == ADD_NEEDS
    assert response.status_code == 403
    assert "to write agents' tests" in alert_shown(response)
    assert AgentTest.objects.filter(pk=test.pk).exists()


# --- running ---------------------------------------------------------------------------------


def test_a_run_started_from_the_page_shows_its_verdict(
    tester, owner, text_agent_in_testing, django_capture_on_commit_callbacks
):
    add(text_agent_in_testing, owner)
    client = browser(tester)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("agent-run-new", text_agent_in_testing), {"repeat": "1"})

    run = TestRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == path_of("test-run", run)
    shown = client.get(response["Location"])
    page = dom(shown)
    assert text(one(one(page, id_="run-status"), "span", css="verdict")) == "Passed"
    assert "1 of 1 try finished" in text(one(page, id_="run-status"))
    assert "hx-trigger" not in attrs(one(page, id_="run-page"))  # finished: no more polling
    [test] = select(page, "article", css="test-result")
    assert text(one(test, "h3")) == "greets"
    assert "1 of 1 try passed" in text(test)
    tries = select(test, "li", css="attempt")
    assert len(tries) == 1
    lines = [text(line) for line in select(tries[0], "li", css="turn")]
    assert lines[1] == "User Hello there"
    assert lines[2].startswith("Agent replied in ")
    assert 'You said: "Hello there"' in lines[2]
    conversation = run.attempts.first().conversation
    assert select(tries[0], "a", href=reverse("app:conversation", args=[conversation.pk]))
    assert select(page, "a", href=f"/api/test-runs/{run.pk}/junit.xml")
    assert select(page, "form", id_="cancel-form") == []
    assert missing_targets(shown) == []
    # The tests page shows the verdict too.
    tests = dom(client.get(url("agent-tests", text_agent_in_testing)))
    assert "Passed" in text(one(tests, "tr", id_=f"test-{run.attempts.first().test_id}"))


def test_a_run_that_asks_more_passes_than_tries_is_refused_beside_the_field(
    tester, owner, testing_agent
):
    add(testing_agent, owner)

    response = browser(tester).post(
        url("agent-run-new", testing_agent), {"repeat": "2", "pass_threshold": "3"}
    )

    assert response.status_code == 400
    assert "from 1 to 2" in error_shown(response, "pass_threshold")
    assert not TestRun.objects.exists()


def test_a_tester_may_not_ask_for_a_deploy_to_production(tester, owner, testing_agent):
    add(testing_agent, owner)

    response = browser(tester).post(
        url("agent-run-new", testing_agent),
        {"repeat": "1", "promote_on_pass": "on", "changes": "Ship it"},
    )

    assert response.status_code == 403
    assert "to deploy to production" in alert_shown(response)
    assert not TestRun.objects.exists()


def test_a_deploy_on_a_pass_needs_a_changelog_note(owner, testing_agent):
    add(testing_agent, owner)

    response = browser(owner).post(
        url("agent-run-new", testing_agent), {"repeat": "1", "promote_on_pass": "on"}
    )

    assert response.status_code == 400
    assert "changelog note" in error_shown(response, "changes")


def test_an_admin_queues_a_run_that_deploys_on_a_pass(owner, testing_agent):
    add(testing_agent, owner)

    response = browser(owner).post(
        url("agent-run-new", testing_agent),
        {"repeat": "1", "promote_on_pass": "on", "changes": "Ship it"},
        follow=True,
    )

    run = TestRun.objects.get()
    assert (run.promotion, run.promote_changes) == ("pending", "Ship it")
    assert "If every test passes" in text(one(dom(response), id_="run-promotion"))


def test_a_run_of_one_suite_runs_only_its_tests(tester, owner, testing_agent):
    add(testing_agent, owner, "greets")
    add(testing_agent, owner, "refunds", suite="smoke")

    browser(tester).post(url("agent-run-new", testing_agent), {"repeat": "1", "suite": "smoke"})

    run = TestRun.objects.get()
    assert run.suite == "smoke"
    assert [attempt.test_name for attempt in run.attempts.all()] == ["refunds"]


def test_without_tests_there_is_nothing_to_run(tester, testing_agent):
    page = dom(browser(tester).get(url("agent-run-new", testing_agent)))

    assert "No tests to run yet." in text(one(page, id_="run-tests"))
    assert select(page, "form", id_="run-form") == []


def test_a_queued_run_follows_itself_and_a_tester_cancels_it(tester, owner, testing_agent):
    add(testing_agent, owner)
    run = queued(testing_agent, owner)
    client = browser(tester)

    page = dom(client.get(path_of("test-run", run)))

    following = attrs(one(page, id_="run-page"))
    assert following["hx-get"] == path_of("test-run", run)
    assert following["hx-trigger"] == "every 2s"
    assert text(one(one(page, id_="run-status"), "span", css="verdict")) == "Queued"
    assert (
        '<meta http-equiv="refresh" content="2">'
        in client.get(path_of("test-run", run)).content.decode()
    )
    assert attrs(one(page, "form", id_="cancel-form"))["action"] == path_of("test-run-cancel", run)

    response = client.post(path_of("test-run-cancel", run), follow=True)

    run.refresh_from_db()
    assert (run.status, run.cancelled_by) == (RunStatus.CANCELLED, tester)
    assert messages_of(response) == [("success", f"Cancelled test run {run.pk}.")]
    after = dom(response)
    assert "hx-trigger" not in attrs(one(after, id_="run-page"))
    assert "Cancelled by" in text(one(after, id_="run-reason"))


def test_a_viewer_cannot_cancel_a_run(viewer, owner, testing_agent):
    add(testing_agent, owner)
    run = queued(testing_agent, owner)
    client = browser(viewer)

    page = dom(client.get(path_of("test-run", run)))
    response = client.post(path_of("test-run-cancel", run), follow=True)

    assert text(one(page, id_="cancel-why")) == RUN_NEEDS
    assert select(page, "form", id_="cancel-form") == []
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED
    assert messages_of(response)[0][0] == "error"


def test_a_finished_run_cannot_be_cancelled(tester, owner, testing_agent):
    add(testing_agent, owner)
    run = judged_run(testing_agent, owner, {"greets": ["passed"]})

    response = browser(tester).post(path_of("test-run-cancel", run), follow=True)

    assert messages_of(response) == [
        (
            "error",
            f"Test run {run.pk} has finished already (passed); there is nothing to cancel.",
        )
    ]


def test_a_failed_run_shows_why_and_each_tries_reasons(viewer, owner, testing_agent):
    add(testing_agent, owner)
    run = judged_run(testing_agent, owner, {"greets": ["failed", "failed"]})

    page = dom(browser(viewer).get(path_of("test-run", run)))

    assert text(one(one(page, id_="run-status"), "span", css="verdict")) == "Failed"
    assert text(one(page, id_="run-reason")) == (
        "Failed, needing 1 passing attempt a test: greets (0 of 2 passed)."
    )
    [test] = select(page, "article", css="test-result")
    assert "0 of 2 tries passed" in text(test)
    reasons = [text(reason) for reason in select(test, "ul", css="reasons")]
    assert reasons == ["greets went wrong", "greets went wrong"]
    assert "Not deployed" not in text(page)


def test_the_runs_page_lists_the_runs_newest_first(viewer, owner, testing_agent):
    add(testing_agent, owner)
    older = judged_run(testing_agent, owner, {"greets": ["failed"]})
    newer = queued(testing_agent, owner)

    page = dom(browser(viewer).get(url("agent-runs", testing_agent)))

    rows = select(one(page, "tbody"), "tr")
    assert [attrs(row)["id"] for row in rows] == [f"run-{newer.pk}", f"run-{older.pk}"]
    assert text(rows[0]).startswith(f"Run {newer.pk} Queued v{testing_agent.version}")
    assert "0 of 1 try" in text(rows[0])
    assert "Failed" in text(rows[1])
    assert "all suites" in text(rows[1])


# --- a regression test from a conversation --------------------------------------------------


def recorded(agent, user, *, said_by_user=True):
    conversation = conversation_start(
        agent=agent,
        actor=user,
        target="testing",
        version=agent.version,
        config_revision=agent.config_revision,
    )
    call = {"tool_name": "check_order", "tool_call_id": "c1", "parameters": {"id": "7"}}
    events = [Identified("conv_1"), Said(TurnRole.AGENT, "Hello! How can I help?", 0, 1)]
    if said_by_user:
        events += [
            Said(TurnRole.USER, "Where is my order?", 1_500),
            Said(TurnRole.AGENT, "Let me look.", 3_000, 2),
            ToolCalled(2, 3_100, call),
        ]
    conversation_transcript_add(conversation_id=conversation.pk, events=events)
    conversation_end(conversation_id=conversation.pk, status="completed", reason="Ended.")
    conversation.refresh_from_db()
    return conversation


def test_an_editor_makes_a_regression_test_from_a_conversation(editor, tester, testing_agent):
    conversation = recorded(testing_agent, tester)
    client = browser(editor)
    page = dom(client.get(path_of("conversation", conversation)))
    form = one(page, "form", id_="make-test-form")
    assert attrs(form)["action"] == path_of("conversation-test", conversation)
    assert attrs(one(form, "input", name="name"))["value"].startswith("Conversation of ")

    response = client.post(
        path_of("conversation-test", conversation),
        {"name": "order status", "suite": "regression"},
        follow=True,
    )

    test = AgentTest.objects.get()
    assert (test.kind, test.suite, test.from_conversation) == (
        "scripted",
        "regression",
        conversation,
    )
    assert test.definition["turns"][0]["user"] == "Where is my order?"
    assert test.definition["turns"][0]["expect"] == [
        {"tool_called": {"name": "check_order", "arguments": {"id": "7"}}}
    ]
    assert response.redirect_chain[-1][0] == path_of("agent-test", test)
    made = dom(response)
    assert select(made, "a", href=path_of("conversation", conversation))


def test_a_conversation_where_the_caller_said_nothing_makes_no_test(editor, tester, testing_agent):
    conversation = recorded(testing_agent, tester, said_by_user=False)

    response = browser(editor).post(
        path_of("conversation-test", conversation), {"name": "nothing", "suite": ""}
    )

    assert response.status_code == 409
    assert "no user turn to say again" in alert_shown(response)
    assert not AgentTest.objects.exists()


@pytest.mark.parametrize("role", ["tester", "viewer"])
def test_below_the_editor_role_no_test_is_made_from_a_conversation(
    request, tester, testing_agent, role
):
    conversation = recorded(testing_agent, tester)
    client = browser(request.getfixturevalue(role))

    page = dom(client.get(path_of("conversation", conversation)))
    response = client.post(path_of("conversation-test", conversation), {"name": "mine"})

    assert text(one(page, id_="make-test-why")) == ADD_NEEDS
    assert select(page, "form", id_="make-test-form") == []
    assert response.status_code == 403
    assert not AgentTest.objects.exists()


# --- who sees what --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["outsider", "stranger"])
def test_another_workspaces_tests_runs_and_conversations_are_not_found(
    request, owner, tester, testing_agent, who
):
    test = add(testing_agent, owner)
    run = queued(testing_agent, owner)
    conversation = recorded(testing_agent, tester)
    client = browser(request.getfixturevalue(who))

    for name, obj in [
        ("agent-test", test),
        ("agent-test-delete", test),
        ("test-run", run),
        ("conversation-test", conversation),
    ]:
        assert client.get(path_of(name, obj)).status_code == 404, name
    assert client.post(path_of("agent-test", test), new_test(name="x")).status_code == 404
    assert client.post(path_of("agent-test-delete", test)).status_code == 404
    assert client.post(path_of("test-run-cancel", run)).status_code == 404
    assert client.post(path_of("conversation-test", conversation), {"name": "x"}).status_code == (
        404
    )
    test.refresh_from_db()
    run.refresh_from_db()
    assert (test.name, run.status) == ("greets", RunStatus.QUEUED)
    assert AgentTest.objects.count() == 1


def test_anonymous_visitors_are_sent_to_log_in(owner, testing_agent):
    test = add(testing_agent, owner)
    run = queued(testing_agent, owner)

    for path in (path_of("agent-test", test), path_of("test-run", run)):
        response = browser().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("app:login"))


# --- queries ---------------------------------------------------------------------------------


@pytest.fixture
def busy_agent(testing_agent, owner):
    """Eight tests in two suites, each tried in three runs of three tries."""
    names = [f"test {n}" for n in range(8)]
    for index, name in enumerate(names):
        add(testing_agent, owner, name, suite="smoke" if index % 2 else "default")
    for _ in range(3):
        judged_run(testing_agent, owner, {name: ["passed", "failed", "passed"] for name in names})
    return testing_agent


def test_the_tests_page_reads_a_fixed_number_of_queries(
    busy_agent, viewer, django_assert_max_num_queries
):
    client = browser(viewer)
    client.get(url("agent", busy_agent))  # the session, saved with the workspace in view

    with django_assert_max_num_queries(12):
        response = client.get(url("agent-tests", busy_agent))

    assert len(select(dom(response), "tr", id_=True)) == 8 + 3


def test_the_runs_page_and_a_run_read_a_fixed_number_of_queries(
    busy_agent, viewer, django_assert_max_num_queries
):
    client = browser(viewer)
    client.get(url("agent", busy_agent))  # the session, saved with the workspace in view
    run = TestRun.objects.first()

    with django_assert_max_num_queries(9):
        listing = client.get(url("agent-runs", busy_agent))
    with django_assert_max_num_queries(7):
        shown = client.get(path_of("test-run", run))

    assert len(select(one(dom(listing), "tbody"), "tr")) == 3
    assert len(select(dom(shown), "li", css="attempt")) == 8 * 3
