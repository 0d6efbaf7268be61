"""The CI API of automated tests (api/testing.py): tests, runs (202, then followed), JUnit,
cancellation, a test made from a conversation, and idempotent retries of each POST."""

import pytest

from agents.models import Status
from agents.services import agent_archive
from common.errors import Conflict, InvalidInput
from deployments.models import AgentVersion
from testruns.models import AgentTest, Conversation, ConversationTurn, TestRun
from testruns.runs import Pinned, run_create
from testruns.suites import agent_test_create, agent_test_update
from tests.factories import put_on_elevenlabs
from tests.testruns.junit_schema import assert_valid_junit

SCRIPT = {"turns": [{"user": "Hello there", "expect": [{"contains": "You said"}]}]}
FAILING = {"turns": [{"user": "Hello", "expect": [{"contains": "zebra"}]}]}


def add_test(client, agent, *, name="greets", definition=SCRIPT, kind="scripted", **extra):
    return client.post(
        f"/api/agents/{agent.pk}/tests",
        {"name": name, "kind": kind, "definition": definition, **extra},
        format="json",
    )


@pytest.fixture(autouse=True)
def _quick_polls(settings):
    settings.TEST_RUN_POLL_SECONDS = 0.05
    settings.TEST_TURN_TIMEOUT = 5.0


@pytest.fixture
def run_via_api(api, django_capture_on_commit_callbacks, sandbox):
    """`run_via_api(user, agent, body, **headers)`: POST a run, and let its task run it."""
    sandbox.test_run_delay(0)

    def run(user, agent, body=None, **headers):
        with django_capture_on_commit_callbacks(execute=True):
            return api(user).post(
                f"/api/agents/{agent.pk}/test-runs", body or {}, format="json", headers=headers
            )

    return run


def test_an_editor_adds_a_test_and_anyone_in_the_workspace_lists_it(api, editor, viewer, agent):
    response = add_test(api(editor), agent, suite="smoke")

    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["name"], created["kind"], created["suite"]) == ("greets", "scripted", "smoke")
    listed = api(viewer).get(f"/api/agents/{agent.pk}/tests?suite=smoke").json()
    assert [test["id"] for test in listed["results"]] == [created["id"]]


def test_a_tester_may_not_write_tests(api, tester, agent, api_error):
    api_error(add_test(api(tester), agent), 403, code="role_required")
    assert not AgentTest.objects.exists()


def test_a_bad_script_is_refused_naming_the_field_and_changes_nothing(
    api, editor, agent, api_error
):
    bad = {"turns": [{"user": "Hi", "expect": [{"matches": "("}]}]}

    body = api_error(add_test(api(editor), agent, definition=bad), 400)

    assert "definition.turns[0].expect[0].matches" in body["errors"]
    assert not AgentTest.objects.exists()


def test_a_bad_elevenlabs_test_is_refused_naming_the_field(api, editor, agent, api_error):
    bad = {"success_conditon": "x", "chat_history": []}

    body = api_error(add_test(api(editor), agent, kind="llm", definition=bad), 400)

    assert "definition.success_conditon" in body["errors"]
    assert "success_condition" in body["errors"]["definition.success_conditon"][0]


def test_a_second_test_of_the_same_name_is_a_conflict(api, editor, agent, api_error):
    add_test(api(editor), agent)

    body = api_error(add_test(api(editor), agent), 409, code="duplicate_name")
    assert "name" in body["errors"]


def test_a_test_is_changed_and_deleted_through_its_own_endpoint(api, editor, agent):
    test_id = add_test(api(editor), agent).json()["id"]

    changed = api(editor).patch(f"/api/tests/{test_id}", {"suite": "nightly"}, format="json")
    assert changed.status_code == 200
    assert changed.json()["suite"] == "nightly"
    assert api(editor).delete(f"/api/tests/{test_id}").status_code == 204
    assert not AgentTest.objects.filter(pk=test_id).exists()


def test_an_outsider_sees_no_test_and_no_run(api, editor, outsider, agent):
    test_id = add_test(api(editor), agent).json()["id"]

    assert api(outsider).get(f"/api/tests/{test_id}").status_code == 404
    assert api(outsider).get(f"/api/agents/{agent.pk}/tests").status_code == 404


def test_a_run_is_accepted_with_202_and_followed_to_its_verdict(
    api, owner, tester, text_agent_in_testing, run_via_api
):
    add_test(api(owner), text_agent_in_testing)

    response = run_via_api(tester, text_agent_in_testing, {"repeat": 2})

    assert response.status_code == 202, response.content
    run_id = response.json()["id"]
    shown = api(tester).get(f"/api/test-runs/{run_id}").json()
    assert shown["status"] == "passed"
    assert (shown["done"], shown["total"], shown["repeat"]) == (2, 2, 2)
    (test,) = shown["tests"]
    assert (test["name"], test["status"], test["passed_attempts"]) == ("greets", "passed", 2)
    assert test["attempts"][0]["transcript"][1] == {"role": "user", "text": "Hello there"}


def test_a_run_of_an_agent_without_tests_is_a_conflict(
    api, tester, text_agent_in_testing, api_error
):
    response = api(tester).post(
        f"/api/agents/{text_agent_in_testing.pk}/test-runs", {}, format="json"
    )

    api_error(response, 409, code="no_tests")


def test_a_viewer_may_not_run_tests(api, owner, viewer, text_agent_in_testing, api_error):
    add_test(api(owner), text_agent_in_testing)

    response = api(viewer).post(
        f"/api/agents/{text_agent_in_testing.pk}/test-runs", {}, format="json"
    )

    api_error(response, 403)
    assert not TestRun.objects.exists()


def test_promote_on_pass_is_refused_to_a_tester(
    api, owner, tester, text_agent_in_testing, api_error
):
    add_test(api(owner), text_agent_in_testing)

    response = api(tester).post(
        f"/api/agents/{text_agent_in_testing.pk}/test-runs",
        {"promote_on_pass": True, "changes": "Ship"},
        format="json",
    )

    api_error(response, 403)
    assert not TestRun.objects.exists()


def test_the_junit_report_is_valid_and_says_why_a_test_failed(
    api, owner, text_agent_in_testing, run_via_api
):
    add_test(api(owner), text_agent_in_testing, definition=FAILING)
    run_id = run_via_api(owner, text_agent_in_testing).json()["id"]

    response = api(owner).get(f"/api/test-runs/{run_id}/junit.xml")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert_valid_junit(response.content)
    report = response.content.decode()
    assert 'failures="1"' in report
    assert "zebra" in report


def test_a_queued_run_is_cancelled_and_a_second_cancel_is_a_conflict(
    api, owner, text_agent_in_testing, api_error
):
    add_test(api(owner), text_agent_in_testing)
    run_id = api(owner).post(f"/api/agents/{text_agent_in_testing.pk}/test-runs", {}, format="json")
    run_id = run_id.json()["id"]  # queued: the test's transaction never commits

    cancelled = api(owner).post(f"/api/test-runs/{run_id}/cancel")

    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    api_error(api(owner).post(f"/api/test-runs/{run_id}/cancel"), 409, code="run_finished")


def test_a_retried_run_with_the_same_key_queues_one_run(
    api, owner, text_agent_in_testing, run_via_api, api_error
):
    add_test(api(owner), text_agent_in_testing)
    first = run_via_api(owner, text_agent_in_testing, {"repeat": 1}, **{"Idempotency-Key": "ci-1"})

    retried = run_via_api(
        owner, text_agent_in_testing, {"repeat": 1}, **{"Idempotency-Key": "ci-1"}
    )
    other = run_via_api(owner, text_agent_in_testing, {"repeat": 2}, **{"Idempotency-Key": "ci-1"})

    assert retried.json()["id"] == first.json()["id"]
    assert retried["Idempotent-Replayed"] == "true"
    api_error(other, 422, code="idempotency_key_reused")
    assert TestRun.objects.count() == 1


def test_a_conversation_becomes_a_regression_test_of_what_the_caller_said(
    api, editor, text_agent_in_testing
):
    conversation = Conversation.objects.create(
        agent=text_agent_in_testing,
        target="testing",
        version=1,
        config_revision="r",
        status="completed",
    )
    ConversationTurn.objects.bulk_create(
        [
            ConversationTurn(conversation=conversation, role="agent", text="Hi!", offset_ms=0),
            ConversationTurn(conversation=conversation, role="user", text="Book 2", offset_ms=1),
            ConversationTurn(
                conversation=conversation,
                role="agent",
                text="Booked.",
                offset_ms=2,
                tool_calls=[{"tool_name": "book", "parameters": {"seats": "2"}}],
            ),
        ]
    )

    response = api(editor).post(
        f"/api/conversations/{conversation.pk}/test", {"name": "booking"}, format="json"
    )

    assert response.status_code == 201, response.content
    (turn,) = response.json()["definition"]["turns"]
    assert turn["user"] == "Book 2"
    assert {"tool_called": {"name": "book", "arguments": {"seats": "2"}}} in turn["expect"]
    assert response.json()["from_conversation"] == conversation.pk


@pytest.mark.parametrize("count", [1, 30])
def test_the_lists_of_tests_and_runs_run_a_fixed_number_of_queries(
    api, owner, viewer, agent, django_assert_max_num_queries, count
):
    for number in range(count):
        agent_test_create(
            agent=agent, actor=owner, name=f"t{number}", kind="scripted", definition=SCRIPT
        )
    pinned = Pinned(target="testing", version=1, config_revision=agent.config_revision)
    for _ in range(count):
        run_create(agent=agent, actor=owner, pinned=pinned)
    client = api(viewer)
    client.get("/api/agents/")  # the token's first use is recorded once; not part of the list

    # token, the caller's workspace ids, agent, the page (authors joined), the count when full
    for path in ("tests", "test-runs"):
        with django_assert_max_num_queries(5):
            body = client.get(f"/api/agents/{agent.pk}/{path}?page_size=20").json()
        assert len(body["results"]) == min(count, 20)


def test_a_run_of_a_published_version_refuses_elevenlabs_tests_saying_why(
    api, owner, agent_in, api_error
):
    live = agent_in(Status.PRODUCTION)
    add_test(
        api(owner),
        live,
        kind="llm",
        definition={"chat_history": [], "success_condition": "ok"},
    )
    AgentVersion.objects.filter(agent=live).update(elevenlabs_version_id="agtvrsn_1")
    put_on_elevenlabs(live)

    response = api(owner).post(
        f"/api/agents/{live.pk}/test-runs", {"target": "version", "version": 1}, format="json"
    )

    body = api_error(response, 400)
    assert "version" in body["errors"]
    assert not TestRun.objects.exists()


def test_a_viewer_is_refused_for_their_role_before_anything_of_the_agents_state(
    api, owner, viewer, agent, api_error
):
    add_test(api(owner), agent)  # a draft, not on ElevenLabs: a tester would get a 409

    response = api(viewer).post(f"/api/agents/{agent.pk}/test-runs", {}, format="json")

    api_error(response, 403, code="role_required")


def test_an_archived_agents_tests_are_kept(api, owner, agent, api_error):

    test_id = add_test(api(owner), agent).json()["id"]
    agent_archive(agent=agent, actor=owner)

    api_error(api(owner).delete(f"/api/tests/{test_id}"), 409, code="agent_archived")
    assert AgentTest.objects.filter(pk=test_id).exists()


def test_a_refused_change_leaves_the_test_as_it_was_read(owner, agent):
    agent_test_create(agent=agent, actor=owner, name="taken", kind="scripted", definition=SCRIPT)
    test = agent_test_create(
        agent=agent, actor=owner, name="mine", kind="scripted", definition=SCRIPT
    )

    with pytest.raises(InvalidInput):
        agent_test_update(test=test, actor=owner, name="renamed", definition={"turns": []})
    with pytest.raises(Conflict):
        agent_test_update(test=test, actor=owner, name="taken", suite="other")

    assert (test.name, test.suite, test.definition["turns"][0]["user"]) == (
        "mine",
        "default",
        "Hello there",
    )
    test.refresh_from_db()
    assert (test.name, test.suite) == ("mine", "default")
