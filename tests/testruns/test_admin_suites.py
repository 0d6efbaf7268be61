"""Automated tests and their runs in the admin (testruns/admin_suites.py): tests written
through the services, runs read-only with their attempts, and cancelled through `run_cancel`;
all scoped to the caller's workspaces."""

import json

import pytest

from agents.models import Status
from elevenlabs_sync.models import AgentSync
from elevenlabs_sync.test_runs import run_start
from testruns import runs
from testruns.models import AgentTest, RunStatus, TestRun
from testruns.suites import agent_test_create
from tests.admin_helpers import (
    add_url,
    change_url,
    changelist_url,
    delete_url,
    form_data,
    messages_of,
    read_only_inline,
    run_action,
    staff_client,
)

GREETING = {"turns": [{"user": "Hello there", "expect": [{"contains": "You said"}]}]}


@pytest.fixture
def testing_agent(agent_in):
    agent = agent_in(Status.TESTING)
    AgentSync.objects.filter(pk=agent.pk).update(testing_branch_id="agtbrch_1")
    agent.refresh_from_db()
    return agent


@pytest.fixture
def tests_of(owner):
    """`tests_of(agent, count)`: that many scripted tests of `agent`, in two suites."""

    def make(agent, count: int = 1) -> list[AgentTest]:
        return [
            agent_test_create(
                agent=agent,
                actor=owner,
                name=f"test {n}",
                suite="smoke" if n % 2 else "default",
                kind="scripted",
                definition=GREETING,
            )
            for n in range(count)
        ]

    return make


def finished_run(agent, actor, *, repeat: int = 2) -> TestRun:
    """A run whose every try passed, through the services a worker calls."""
    run = runs.run_create(
        agent=agent,
        actor=actor,
        pinned=runs.Pinned("testing", agent.version, agent.config_revision, "agtbrch_1"),
        repeat=repeat,
    )
    runs.run_claim(run.pk)
    for attempt in run.attempts.all():
        runs.attempt_finish(attempt=attempt, status="passed", seconds=1.0)
    return runs.run_finish(run=run)


# --- tests ------------------------------------------------------------------------------------


def test_the_tests_are_listed_with_their_agent_suite_and_kind(
    testing_agent, tests_of, owner, django_assert_max_num_queries
):
    tests_of(testing_agent, 10)
    client = staff_client(owner)

    with django_assert_max_num_queries(14):
        response = client.get(changelist_url(AgentTest))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 10
    filtered = client.get(changelist_url(AgentTest) + "?suite=smoke&q=test")
    assert {test.suite for test in filtered.context["cl"].result_list} == {"smoke"}


def test_an_editor_adds_a_test_through_the_service(testing_agent, editor):
    client = staff_client(editor)
    page = client.get(add_url(AgentTest))
    assert list(page.context["adminform"].form.fields["agent"].queryset) == [testing_agent]

    response = client.post(
        add_url(AgentTest),
        form_data(
            page,
            agent=testing_agent.pk,
            name="greets",
            suite="",
            kind="scripted",
            definition=json.dumps(GREETING),
        ),
        follow=True,
    )

    assert response.status_code == 200
    test = AgentTest.objects.get()
    # The service's doing: its default suite, its canonical script, its record of who.
    assert (test.suite, test.created_by_name) == ("default", editor.get_username())
    assert test.definition["ends_within_turns"] is None


def test_each_problem_of_a_definition_is_shown_under_it(testing_agent, editor):
    client = staff_client(editor)
    page = client.get(add_url(AgentTest))
    bad = {"turns": [{"user": "Hi", "expect": [{"matches": "("}, {"contains": ""}]}]}

    response = client.post(
        add_url(AgentTest),
        form_data(
            page,
            agent=testing_agent.pk,
            name="broken",
            kind="scripted",
            definition=json.dumps(bad),
        ),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["definition"]
    assert [error.split(":")[0] for error in errors] == [
        "definition.turns[0].expect[0].matches",
        "definition.turns[0].expect[1].contains",
    ]
    assert not AgentTest.objects.exists()


def test_an_editor_changes_a_test_through_the_service(testing_agent, tests_of, editor):
    [test] = tests_of(testing_agent)
    client = staff_client(editor)
    page = client.get(change_url(test))
    changed = {"turns": [{"user": "Good morning"}]}

    client.post(
        change_url(test),
        form_data(page, name="morning", definition=json.dumps(changed)),
        follow=True,
    )

    test.refresh_from_db()
    assert test.name == "morning"
    assert test.definition["turns"] == [{"user": "Good morning", "expect": []}]


def test_a_tester_may_look_but_not_change_a_test(testing_agent, tests_of, tester):
    [test] = tests_of(testing_agent)
    client = staff_client(tester)
    page = client.get(change_url(test))

    response = client.post(change_url(test), form_data(page, name="hijacked"), follow=True)

    assert page.status_code == 200
    test.refresh_from_db()
    assert test.name == "test 0"
    [(level, message)] = messages_of(response)
    assert level == "error"
    assert message == "You need the editor role in workspace 'acme' to write agents' tests."


def test_deleting_goes_through_the_service_one_by_one_or_together(
    testing_agent, tests_of, editor, tester
):
    first, second, third = tests_of(testing_agent, 3)
    client = staff_client(editor)

    client.post(delete_url(first), {"post": "yes"})
    asked = run_action(client, AgentTest, "delete_selected", [second, third])
    refused = run_action(staff_client(tester), AgentTest, "delete_selected", [second], apply="1")
    done = run_action(client, AgentTest, "delete_selected", [second, third], apply="1")

    assert "Runs that tried these tests keep what they ran" in asked.content.decode()
    assert messages_of(refused)[0][0] == "error"
    assert messages_of(done) == [("success", "Deleted test 2, test 1.")]
    assert not AgentTest.objects.exists()


def test_staff_of_another_workspace_sees_none_of_its_tests(testing_agent, tests_of, outsider):
    [test] = tests_of(testing_agent)
    client = staff_client(outsider)

    assert list(client.get(changelist_url(AgentTest)).context["cl"].result_list) == []
    assert client.get(change_url(test)).status_code == 404


# --- runs -------------------------------------------------------------------------------------


def test_runs_are_listed_in_a_fixed_number_of_queries(
    testing_agent, tests_of, owner, django_assert_max_num_queries
):
    tests_of(testing_agent, 2)
    for _ in range(5):
        finished_run(testing_agent, owner)
    client = staff_client(owner)

    with django_assert_max_num_queries(12):
        response = client.get(changelist_url(TestRun))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 5


def test_a_run_is_a_read_only_page_with_its_attempts(
    testing_agent, tests_of, owner, django_assert_max_num_queries
):
    tests_of(testing_agent, 3)
    run = finished_run(testing_agent, owner, repeat=2)
    client = staff_client(owner)

    with django_assert_max_num_queries(16):
        response = client.get(change_url(run))

    inline = read_only_inline(response)
    assert len(inline.formset.forms) == 6
    assert [form.instance.test_name for form in inline.formset.forms][:2] == ["test 0", "test 0"]


def test_runs_cannot_be_added_changed_or_deleted(testing_agent, tests_of, owner):
    tests_of(testing_agent)
    run = finished_run(testing_agent, owner)
    client = staff_client(owner, superuser=True)

    assert client.get(add_url(TestRun)).status_code == 403
    assert client.post(change_url(run), {"status": "failed"}).status_code == 403
    assert client.post(delete_url(run), {"post": "yes"}).status_code == 403
    run.refresh_from_db()
    assert run.status == RunStatus.PASSED


def test_the_cancel_action_cancels_through_the_service(testing_agent, tests_of, owner, tester):
    tests_of(testing_agent)
    going_on = run_start(agent=testing_agent, actor=owner)  # queued: its task never runs here
    done = finished_run(testing_agent, owner)

    response = run_action(staff_client(tester), TestRun, "cancel_selected", [going_on, done])

    going_on.refresh_from_db()
    assert (going_on.status, going_on.cancelled_by) == (RunStatus.CANCELLED, tester)
    assert set(messages_of(response)) == {
        ("success", "Cancelled 1 test run."),
        (
            "error",
            f"Test run {done.pk} has finished already (passed); there is nothing to cancel.",
        ),
    }


def test_a_viewer_cannot_cancel_a_run(testing_agent, tests_of, owner, viewer):
    tests_of(testing_agent)
    run = run_start(agent=testing_agent, actor=owner)

    response = run_action(staff_client(viewer), TestRun, "cancel_selected", [run])

    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED
    assert messages_of(response) == [
        ("error", "You need the tester role in workspace 'acme' to run agents' tests.")
    ]


def test_staff_of_another_workspace_sees_none_of_its_runs(testing_agent, tests_of, owner, outsider):
    tests_of(testing_agent)
    run = finished_run(testing_agent, owner)
    client = staff_client(outsider)

    assert list(client.get(changelist_url(TestRun)).context["cl"].result_list) == []
    assert client.get(change_url(run)).status_code == 404
