"""Running tests on agents (`run_tests`) and their invocations (`/v1/convai/test-invocations`)
through the official SDK: runs pending then judged by the sandbox's documented rules
(docs/elevenlabs.md, "Agent tests"), cancelled, resubmitted, and faults on all of it."""

import json
import time

import pytest
from elevenlabs.core.api_error import ApiError
from elevenlabs.errors import UnprocessableEntityError

from sandbox.records import AgentTest, AgentTestInvocation, AgentTestRun
from sandbox.settings import Settings
from sandbox.store import SandboxStore
from tests.sandbox.sdk import create_agent, strictly

NO_RETRIES = {"max_retries": 0}
REFUND = "I want a refund"
REFUND_REPLY = 'You said: "I want a refund". My instructions begin: "Be brief.".'
TOOLS = [
    {"type": "client", "name": "book_appointment", "description": "Books a visit"},
    {"type": "webhook", "name": "lookup_order", "description": "Finds an order"},
]
BOOKING = 'Please book appointment date=2025-01-02 name=Ann note="by the window seat" party=4'


@pytest.fixture(autouse=True)
def quick_runs(sandbox):
    """Runs finish by the first read of their invocation, unless a test says otherwise."""
    sandbox.test_run_delay(0)


@pytest.fixture
def agent_id(sandbox_sdk) -> str:
    config = {
        "agent": {
            "first_message": "Hello {{customer}}!",
            "prompt": {"prompt": "Be brief.", "tools": TOOLS},
        }
    }
    return create_agent(sandbox_sdk, conversation_config=config)


def chat(*messages: str) -> list[dict]:
    return [
        {"role": "user", "message": message, "time_in_call_secs": 3 * index}
        for index, message in enumerate(messages)
    ]


def new_test(sdk, test_type: str, name: str = "A test", **fields) -> str:
    return sdk.conversational_ai.tests.create(
        request={"type": test_type, "name": name, **fields}
    ).id


def run(sdk, agent_id: str, *test_ids: str, **kwargs):
    tests = [{"test_id": test_id} for test_id in test_ids]
    return strictly(sdk.conversational_ai.agents.run_tests(agent_id, tests=tests, **kwargs))


def finished(sdk, invocation_id: str, timeout: float = 10.0):
    """The invocation once none of its runs is pending, polled as a client would."""
    deadline = time.monotonic() + timeout
    while True:
        invocation = strictly(sdk.conversational_ai.tests.invocations.get(invocation_id))
        if all(run.status != "pending" for run in invocation.test_runs):
            return invocation
        assert time.monotonic() < deadline, "runs still pending"
        time.sleep(0.05)


def verdict(run) -> tuple[str, str, str]:
    return run.status, run.condition_result.result, run.condition_result.rationale.summary


# --- running


def test_runs_are_pending_then_judged_on_the_branch_asked_for(sandbox_sdk, agent_id):
    agents = sandbox_sdk.conversational_ai.agents
    main = agents.get(agent_id)
    branch = agents.branches.create(
        agent_id,
        parent_version_id=main.version_id,
        name="testing",
        description="QA",
        conversation_config={"agent": {"prompt": {"prompt": "Speak like a pirate."}}},
    )
    test_id = new_test(
        sandbox_sdk, "llm", "Pirate", chat_history=chat("Hi"), success_condition='says "pirate"'
    )

    submitted = run(
        sandbox_sdk, agent_id, test_id, branch_id=branch.created_branch_id, repeat_count=2
    )
    invocation = finished(sandbox_sdk, submitted.id)

    assert [run.status for run in submitted.test_runs] == ["pending", "pending"]
    assert all(run.condition_result is None for run in submitted.test_runs)
    assert submitted.bucketing_status == "pending"
    assert (invocation.branch_id, invocation.version_id, invocation.repeat_count) == (
        branch.created_branch_id,
        branch.created_version_id,
        2,
    )
    assert [run.test_run_id for run in invocation.test_runs] == [
        run.test_run_id for run in submitted.test_runs
    ]
    for test_run in invocation.test_runs:
        assert verdict(test_run)[:2] == ("passed", "success")
        assert test_run.version_id == branch.created_version_id
        assert test_run.agent_responses[0].message == (
            'You said: "Hi". My instructions begin: "Speak like a pirate.".'
        )
        assert (test_run.test_id, test_run.test_name, test_run.test_info.type) == (
            test_id,
            "Pirate",
            "llm",
        )
        assert test_run.metadata.test_type == "llm"
    assert invocation.bucketing_status == "completed"
    (group,) = invocation.result_groups
    (bucket,) = group.buckets
    assert (group.test_id, bucket.status, len(bucket.test_run_ids)) == (test_id, "passed", 2)


def test_a_run_stays_pending_for_the_sandboxs_delay(sandbox_sdk, sandbox, agent_id):
    sandbox.test_run_delay(0.3)
    test_id = new_test(sandbox_sdk, "llm", chat_history=chat(REFUND))

    started = time.monotonic()
    submitted = run(sandbox_sdk, agent_id, test_id)
    invocation = finished(sandbox_sdk, submitted.id)

    assert time.monotonic() - started >= 0.3
    assert invocation.test_runs[0].status == "passed"


def test_a_run_uses_the_config_override_as_a_draft(sandbox_sdk, agent_id):
    test_id = new_test(sandbox_sdk, "llm", chat_history=chat("Hi"), success_condition='"draft"')
    override = {
        "conversation_config": {"agent": {"prompt": {"prompt": "A draft prompt."}}},
        "platform_settings": {},
    }

    invocation = finished(
        sandbox_sdk, run(sandbox_sdk, agent_id, test_id, agent_config_override=override).id
    )

    assert invocation.ran_against_draft is True
    assert invocation.test_runs[0].ran_against_draft is True
    assert verdict(invocation.test_runs[0])[0] == "passed"


@pytest.mark.parametrize(
    ("body", "error_type"),
    [
        pytest.param({"tests": []}, "too_short", id="no tests"),
        pytest.param({"tests": [{}]}, "missing", id="a test with no id"),
        pytest.param({"tests": [{"test_id": "TEST"}], "repeat_count": 0}, "range", id="no repeat"),
        pytest.param(
            {"tests": [{"test_id": "TEST"}], "agent_config_override": {"platform_settings": {}}},
            "missing",
            id="an override with no conversation config",
        ),
    ],
)
def test_a_malformed_run_request_is_refused(sandbox_sdk, agent_id, body, error_type):
    body = json.loads(json.dumps(body).replace("TEST", new_test(sandbox_sdk, "llm")))

    with pytest.raises(UnprocessableEntityError) as error:
        sandbox_sdk.conversational_ai.agents.run_tests(agent_id, **body, request_options=NO_RETRIES)

    assert error.value.body["detail"][0]["type"] == error_type
    assert sandbox_sdk.conversational_ai.tests.invocations.list().results == []


def test_running_what_does_not_exist_is_404(sandbox_sdk, agent_id):
    test_id = new_test(sandbox_sdk, "llm")
    agents = sandbox_sdk.conversational_ai.agents
    attempts = [
        (
            lambda: agents.run_tests(
                "agent_gone", tests=[{"test_id": test_id}], request_options=NO_RETRIES
            ),
            "agent_not_found",
        ),
        (
            lambda: agents.run_tests(
                agent_id, tests=[{"test_id": "test_gone"}], request_options=NO_RETRIES
            ),
            "test_not_found",
        ),
        (
            lambda: agents.run_tests(
                agent_id,
                tests=[{"test_id": test_id}],
                branch_id="agtbrch_gone",
                request_options=NO_RETRIES,
            ),
            "branch_not_found",
        ),
    ]

    for attempt, status in attempts:
        with pytest.raises(ApiError) as error:
            attempt()
        assert (error.value.status_code, error.value.body["detail"]["status"]) == (404, status)


# --- the rules: llm


@pytest.mark.parametrize(
    ("fields", "status", "summary"),
    [
        pytest.param(
            {"success_condition": 'The agent mentions "refund"'},
            "passed",
            "The reply contains every phrase the success condition quotes.",
            id="the condition's phrase is in the reply",
        ),
        pytest.param(
            {"success_condition": 'The agent says "sorry" and "refund"'},
            "failed",
            "The reply lacks a phrase the success condition quotes.",
            id="a phrase of the condition is not",
        ),
        pytest.param(
            {
                "success_condition": 'The agent mentions "refund"',
                "failure_examples": [{"response": "Be brief"}],
            },
            "failed",
            'The reply contains the failure example "Be brief".',
            id="a failure example is in the reply",
        ),
        pytest.param(
            {"success_condition": "Polite", "success_examples": [{"response": "you said"}]},
            "passed",
            'The reply contains the success example "you said".',
            id="a success example is in the reply",
        ),
        pytest.param(
            {"success_examples": [{"response": "Happy to help"}]},
            "failed",
            "The reply contains none of the 1 success examples.",
            id="no success example is",
        ),
        pytest.param(
            {"success_condition": "The agent is polite"},
            "passed",
            "The agent replied; the test names nothing to look for in the reply.",
            id="nothing to look for",
        ),
    ],
)
def test_an_llm_test_judges_the_agents_reply(sandbox_sdk, agent_id, fields, status, summary):
    test_id = new_test(sandbox_sdk, "llm", chat_history=chat("Hello", REFUND), **fields)

    (test_run,) = finished(sandbox_sdk, run(sandbox_sdk, agent_id, test_id).id).test_runs

    assert verdict(test_run) == (status, "success" if status == "passed" else "failure", summary)
    assert (
        test_run.condition_result.rationale.messages[0] == f'The agent replied: "{REFUND_REPLY}".'
    )
    (response,) = test_run.agent_responses
    assert (response.role, response.message, response.time_in_call_secs) == (
        "agent",
        REFUND_REPLY,
        6,
    )


def test_an_llm_test_with_no_user_turn_judges_the_first_message(sandbox_sdk, agent_id):
    test_id = new_test(
        sandbox_sdk,
        "llm",
        dynamic_variables={"customer": "Ann"},
        success_condition='The agent greets "Ann" by name',
    )

    (test_run,) = finished(sandbox_sdk, run(sandbox_sdk, agent_id, test_id).id).test_runs

    assert test_run.status == "passed"
    assert test_run.agent_responses[0].message == "Hello Ann!"


# --- the rules: tool


def tool_call(tool: str = "book_appointment", *parameters: tuple[str, dict], **more) -> dict:
    return {
        "referenced_tool": {"id": tool, "type": "client"},
        "parameters": [{"path": path, "eval": evaluation} for path, evaluation in parameters],
        **more,
    }


BOOKING_CHECKS = [
    ("date", {"type": "exact", "expected_value": "2025-01-02"}),
    ("name", {"type": "regex", "pattern": "[A-Z][a-z]+"}),
    ("note", {"type": "llm", "description": 'mentions the "window seat"'}),
    ("party", {"type": "anything"}),
]


@pytest.mark.parametrize(
    ("said", "evaluation", "status", "summary"),
    [
        pytest.param(
            BOOKING,
            tool_call("book_appointment", *BOOKING_CHECKS),
            "passed",
            "The agent called book_appointment as expected.",
            id="the tool called as expected",
        ),
        pytest.param(
            BOOKING,
            tool_call(
                "book_appointment",
                ("date", {"type": "exact", "expected_value": "2025-01-03"}),
                ("time", {"type": "anything"}),
            ),
            "failed",
            "2 of the 2 parameter evaluations failed.",
            id="a wrong and a missing argument",
        ),
        pytest.param(
            BOOKING,
            tool_call("book_appointment", ("name", {"type": "regex", "pattern": "[a-z]+"})),
            "failed",
            "1 of the 1 parameter evaluations failed.",
            id="a pattern must match the whole value",
        ),
        pytest.param(
            BOOKING,
            tool_call("lookup_order"),
            "failed",
            "The agent called book_appointment, not lookup_order.",
            id="another tool called",
        ),
        pytest.param(
            BOOKING,
            tool_call("cancel_booking"),
            "failed",
            "The agent has no tool 'cancel_booking' (by id or name) in agent.prompt.tools.",
            id="a tool the agent does not have",
        ),
        pytest.param(
            "Hello there",
            tool_call("book_appointment"),
            "failed",
            "The agent did not call book_appointment.",
            id="no tool called",
        ),
        pytest.param(
            BOOKING,
            tool_call("book_appointment", verify_absence=True),
            "failed",
            "The agent called book_appointment, which it should not.",
            id="a tool called that should not be",
        ),
        pytest.param(
            BOOKING,
            tool_call("lookup_order", verify_absence=True),
            "passed",
            "The agent did not call lookup_order, as it should not.",
            id="a tool not called that should not be",
        ),
        pytest.param(
            "Please lookup order id=7",
            tool_call("lookup_order", ("id", {"type": "exact", "expected_value": "7"})),
            "passed",
            "The agent called lookup_order as expected.",
            id="a webhook tool",
        ),
    ],
)
def test_a_tool_test_judges_the_agents_tool_call(
    sandbox_sdk, agent_id, said, evaluation, status, summary
):
    test_id = new_test(
        sandbox_sdk, "tool", chat_history=chat(said), tool_call_parameters=evaluation
    )

    (test_run,) = finished(sandbox_sdk, run(sandbox_sdk, agent_id, test_id).id).test_runs

    assert verdict(test_run) == (status, "success" if status == "passed" else "failure", summary)
    assert test_run.metadata.test_type == "tool_call"
    (response,) = test_run.agent_responses
    if response.tool_calls:
        (call,) = response.tool_calls
        assert call.tool_name in ("book_appointment", "lookup_order")
        assert json.loads(call.params_as_json) == (
            {"date": "2025-01-02", "name": "Ann", "note": "by the window seat", "party": "4"}
            if call.tool_name == "book_appointment"
            else {"id": "7"}
        )


def test_a_tool_tests_rationale_names_each_argument(sandbox_sdk, agent_id):
    test_id = new_test(
        sandbox_sdk,
        "tool",
        chat_history=chat(BOOKING),
        tool_call_parameters=tool_call("book_appointment", *BOOKING_CHECKS),
    )

    (test_run,) = finished(sandbox_sdk, run(sandbox_sdk, agent_id, test_id).id).test_runs

    assert test_run.condition_result.rationale.messages == [
        "The agent called book_appointment with "
        '{"date": "2025-01-02", "name": "Ann", "note": "by the window seat", "party": "4"} '
        "instead of replying.",
        "date: '2025-01-02' equals '2025-01-02'.",
        "name: 'Ann' matches /[A-Z][a-z]+/ whole.",
        "note: 'by the window seat'. The value contains \"window seat\".",
        "party: '4' is there, and any value passes.",
    ]


# --- the rules: simulation

SCENARIO = "Hi there. Please book appointment date=2025-01-02.\nThanks, bye!"
CONDITIONS = ['The agent confirms "booked for Thursday"', 'It repeats "thanks, bye"']


@pytest.mark.parametrize(
    ("fields", "status", "summary"),
    [
        pytest.param(
            {"tool_mock_overrides": {"book_appointment": [{"mock_result": "booked for Thursday"}]}},
            "passed",
            "All 2 success conditions met.",
            id="every condition met",
        ),
        pytest.param(
            {
                "simulation_max_turns": 2,
                "tool_mock_overrides": {
                    "book_appointment": [{"mock_result": "booked for Thursday"}]
                },
            },
            "failed",
            "1 of the 2 success conditions not met.",
            id="the conversation cut short",
        ),
        pytest.param(
            {
                "tool_mock_overrides": {
                    "book_appointment": [
                        {
                            "mock_result": "booked for Thursday",
                            "parameter_conditions": [
                                {
                                    "path": "date",
                                    "eval": {"type": "exact", "expected_value": "2030-01-01"},
                                }
                            ],
                        }
                    ]
                }
            },
            "failed",
            "1 of the 2 success conditions not met.",
            id="no mock matches the call",
        ),
        pytest.param(
            {},
            "failed",
            "1 of the 2 success conditions not met.",
            id="no mock at all",
        ),
    ],
)
def test_a_simulation_judges_everything_the_agent_said(
    sandbox_sdk, agent_id, fields, status, summary
):
    test_id = new_test(
        sandbox_sdk,
        "simulation",
        simulation_scenario=SCENARIO,
        success_conditions=CONDITIONS,
        dynamic_variables={"customer": "Ann"},
        **fields,
    )

    (test_run,) = finished(sandbox_sdk, run(sandbox_sdk, agent_id, test_id).id).test_runs

    assert verdict(test_run) == (status, "success" if status == "passed" else "failure", summary)


def test_a_simulation_shows_the_whole_simulated_conversation(sandbox_sdk, agent_id):
    mocks = {"book_appointment": [{"mock_result": "slot taken", "is_error": True}]}
    test_id = new_test(
        sandbox_sdk,
        "simulation",
        simulation_scenario=SCENARIO,
        success_condition='says "slot taken"',
        tool_mock_overrides=mocks,
        dynamic_variables={"customer": "Ann"},
    )

    (test_run,) = finished(sandbox_sdk, run(sandbox_sdk, agent_id, test_id).id).test_runs

    said = [(turn.role, turn.message) for turn in test_run.agent_responses]
    assert said == [
        ("agent", "Hello Ann!"),
        ("user", "Hi there."),
        ("agent", 'You said: "Hi there.". My instructions begin: "Be brief.".'),
        ("user", "Please book appointment date=2025-01-02."),
        ("agent", ""),
        ("agent", "book_appointment failed: slot taken"),
        ("user", "Thanks, bye!"),
        ("agent", 'You said: "Thanks, bye!". My instructions begin: "Be brief.".'),
    ]
    assert test_run.agent_responses[4].tool_calls[0].tool_has_been_called is True
    assert test_run.status == "passed"


# --- invocations: cancel, resubmit, list, rename


def test_cancelling_cancels_the_pending_runs_only(sandbox_sdk, sandbox, agent_id):
    invocations = sandbox_sdk.conversational_ai.tests.invocations
    test_id = new_test(sandbox_sdk, "llm", chat_history=chat(REFUND))
    sandbox.add_fault(test_run="pending")  # the first run stays pending
    invocation_id = run(sandbox_sdk, agent_id, test_id, test_id).id
    before = invocations.get(invocation_id)

    invocations.cancel(invocation_id)
    after = strictly(invocations.get(invocation_id))

    assert [run.status for run in before.test_runs] == ["pending", "passed"]
    assert [run.status for run in after.test_runs] == ["cancelled", "passed"]
    assert after.test_runs[0].condition_result is None
    assert after.test_runs[1].condition_result.result == "success"
    assert after.cancelled is True


def test_a_run_cancelled_before_its_time_never_finishes(sandbox_sdk, sandbox, agent_id):
    sandbox.test_run_delay(60)
    invocations = sandbox_sdk.conversational_ai.tests.invocations
    test_id = new_test(sandbox_sdk, "llm", chat_history=chat(REFUND))
    invocation_id = run(sandbox_sdk, agent_id, test_id, repeat_count=3).id

    assert {run.status for run in invocations.get(invocation_id).test_runs} == {"pending"}
    invocations.cancel(invocation_id)
    summary = invocations.list(agent_id=agent_id).results[0]

    assert {run.status for run in invocations.get(invocation_id).test_runs} == {"cancelled"}
    assert (summary.cancelled_count, summary.pending_count, summary.cancelled) == (3, 0, True)


def test_resubmitted_runs_run_again_in_their_places(sandbox_sdk, agent_id):
    tests = sandbox_sdk.conversational_ai.tests
    test_id = new_test(sandbox_sdk, "llm", chat_history=chat(REFUND), success_condition='"sorry"')
    other_id = new_test(sandbox_sdk, "llm", "Other", chat_history=chat(REFUND))
    first = finished(sandbox_sdk, run(sandbox_sdk, agent_id, test_id, other_id).id)
    failed = [run.test_run_id for run in first.test_runs if run.status == "failed"]
    tests.update(
        test_id,
        request={
            "type": "llm",
            "name": "A test",
            "chat_history": chat(REFUND),
            "success_condition": '"refund"',
        },
    )
    new_version = sandbox_sdk.conversational_ai.agents.update(
        agent_id, conversation_config={"agent": {"first_message": "Hi"}}
    ).version_id

    tests.invocations.resubmit(first.id, test_run_ids=failed, agent_id=agent_id)
    again = finished(sandbox_sdk, first.id)

    assert failed == [first.test_runs[0].test_run_id]
    assert [run.test_run_id for run in again.test_runs] == [
        run.test_run_id for run in first.test_runs
    ]
    assert [run.status for run in again.test_runs] == ["passed", "passed"]
    assert again.test_runs[0].version_id == again.version_id == new_version
    assert again.test_runs[1].version_id == first.version_id != new_version
    assert tests.invocations.list().results[0].runs_diverged_from_version is True


def test_a_resubmission_is_checked(sandbox_sdk, agent_id):
    invocations = sandbox_sdk.conversational_ai.tests.invocations
    test_id = new_test(sandbox_sdk, "llm")
    invocation = run(sandbox_sdk, agent_id, test_id)
    run_id = invocation.test_runs[0].test_run_id
    other_agent = create_agent(sandbox_sdk)

    with pytest.raises(ApiError) as unknown_run:
        invocations.resubmit(
            invocation.id, test_run_ids=["trun_gone"], agent_id=agent_id, request_options=NO_RETRIES
        )
    with pytest.raises(UnprocessableEntityError) as other:
        invocations.resubmit(
            invocation.id, test_run_ids=[run_id], agent_id=other_agent, request_options=NO_RETRIES
        )
    with pytest.raises(UnprocessableEntityError) as none:
        invocations.resubmit(
            invocation.id, test_run_ids=[], agent_id=agent_id, request_options=NO_RETRIES
        )
    with pytest.raises(ApiError) as unknown_invocation:
        invocations.get("tinv_gone", request_options=NO_RETRIES)

    assert unknown_run.value.body["detail"]["status"] == "test_run_not_found"
    assert other.value.body["detail"][0]["loc"] == ["body", "agent_id"]
    assert none.value.body["detail"][0]["type"] == "too_short"
    assert unknown_invocation.value.status_code == 404


def test_invocations_are_listed_newest_first_filtered_and_renamed(sandbox_sdk, agent_id):
    invocations = sandbox_sdk.conversational_ai.tests.invocations
    passing = new_test(sandbox_sdk, "llm", "Passing", chat_history=chat(REFUND))
    failing = new_test(sandbox_sdk, "llm", "Failing", success_examples=[{"response": "never"}])
    other_agent = create_agent(sandbox_sdk)
    both = run(sandbox_sdk, agent_id, passing, failing).id
    alone = run(sandbox_sdk, other_agent, passing).id

    listed = strictly(invocations.list())
    of_agent = invocations.list(agent_id=agent_id)
    with_failing = invocations.list(test_id=failing)
    paged = invocations.list(page_size=1)
    renamed = strictly(invocations.update(both, name="Nightly"))
    searched = invocations.list(search="nightly")

    assert [item.id for item in listed.results] == [alone, both]
    assert [item.id for item in of_agent.results] == [both]
    assert [item.id for item in with_failing.results] == [both]
    summary = of_agent.results[0]
    assert (summary.test_run_count, summary.passed_count, summary.failed_count) == (2, 1, 1)
    assert (summary.title, listed.results[0].title) == ("2 tests", "Passing")
    assert (
        paged.has_more,
        invocations.list(page_size=1, cursor=paged.next_cursor).results[0].id,
    ) == (True, both)
    assert renamed.name == "Nightly"
    assert [(item.id, item.title) for item in searched.results] == [(both, "Nightly")]


# --- faults


def test_http_faults_apply_to_running_tests_and_reading_invocations(sandbox_sdk, sandbox, agent_id):
    invocations = sandbox_sdk.conversational_ai.tests.invocations
    test_id = new_test(sandbox_sdk, "llm", chat_history=chat(REFUND))
    sandbox.add_fault(path=r"/run-tests$", method="POST", status=503)

    with pytest.raises(ApiError) as unavailable:
        sandbox_sdk.conversational_ai.agents.run_tests(
            agent_id, tests=[{"test_id": test_id}], request_options=NO_RETRIES
        )
    assert unavailable.value.status_code == 503
    assert invocations.list().results == []  # refused before anything was run

    invocation_id = run(sandbox_sdk, agent_id, test_id).id
    sandbox.add_fault(path=r"test-invocations/", method="GET", status=429, retry_after=2)
    with pytest.raises(ApiError) as limited:
        invocations.get(invocation_id, request_options=NO_RETRIES)

    assert limited.value.status_code == 429
    assert limited.value.headers["retry-after"] == "2"
    assert finished(sandbox_sdk, invocation_id).test_runs[0].status == "passed"
    statuses = [r["status"] for r in sandbox.requests("GET", r"test-invocations/")]
    assert statuses[:2] == [429, 200]


def test_a_run_request_whose_answer_is_lost_still_runs(sandbox_sdk, sandbox, agent_id):
    test_id = new_test(sandbox_sdk, "llm", chat_history=chat(REFUND))
    sandbox.add_fault(path=r"/run-tests$", status=500, after_effect=True)

    with pytest.raises(ApiError):
        sandbox_sdk.conversational_ai.agents.run_tests(
            agent_id, tests=[{"test_id": test_id}], request_options=NO_RETRIES
        )

    (summary,) = sandbox_sdk.conversational_ai.tests.invocations.list(agent_id=agent_id).results
    assert summary.passed_count == 1


def test_a_test_run_fault_fails_the_run_with_an_error(sandbox_sdk, sandbox, agent_id):
    test_id = new_test(sandbox_sdk, "llm", chat_history=chat(REFUND))
    sandbox.add_fault(test_run="error", message="The evaluator is down.")

    invocation = finished(sandbox_sdk, run(sandbox_sdk, agent_id, test_id, test_id).id)

    broken, sound = invocation.test_runs
    assert verdict(broken) == (
        "failed",
        "unknown",
        "The test run failed with an error: The evaluator is down.",
    )
    assert broken.agent_responses == []
    assert verdict(sound)[:2] == ("passed", "success")
    assert sandbox.state()["faults"] == []


def test_a_test_run_fault_takes_no_http_request(sandbox):
    sandbox.add_fault(test_run="pending", path="agents")

    assert sandbox.http.get("v1/convai/agents").status_code == 200
    assert len(sandbox.state()["faults"]) == 1
    refused = sandbox.http.post("_sandbox/faults", json={"test_run": "maybe"})
    assert (refused.status_code, refused.json()["field"]) == (400, "test_run")
    both = sandbox.http.post("_sandbox/faults", json={"test_run": "error", "socket_latency_ms": 5})
    assert (both.status_code, both.json()["field"]) == (400, "test_run")


def test_the_test_run_delay_is_set_at_run_time_until_a_reset(sandbox):
    refused = sandbox.http.put("_sandbox/test-run-delay", json={"seconds": -1})
    sandbox.test_run_delay(2.5)
    delay = sandbox.state()["test_run_delay"]
    sandbox.reset()

    assert (refused.status_code, refused.json()["field"]) == (400, "seconds")
    assert delay == 2.5
    assert sandbox.state()["test_run_delay"] == 1.0  # the settings' default


# --- kept across restarts


def test_tests_and_their_runs_are_kept_across_a_restart(tmp_path):
    settings = Settings(api_key="k", state_file=str(tmp_path / "state.json"))
    before = SandboxStore(settings)
    agent = before.agent_create(name="A", conversation_config={}, platform_settings={}, tags=[])
    test = AgentTest(id="test_1", name="Kept", type="llm", fields={"success_condition": '"x"'})
    before.agent_test_save(test)
    finishes_at, _ = before.test_run_schedule()
    test_run = AgentTestRun(
        test_run_id="trun_1",
        test_invocation_id="tinv_1",
        test_id=test.id,
        test_name=test.name,
        test_info={"type": "llm"},
        agent_id=agent.agent_id,
        branch_id=agent.main.id,
        version_id=agent.main.tip.id,
        outcome={"status": "passed", "condition_result": None, "agent_responses": []},
        finishes_at=finishes_at,
    )
    before.invocation_add(
        AgentTestInvocation(
            id="tinv_1",
            agent_id=agent.agent_id,
            branch_id=agent.main.id,
            version_id=agent.main.tip.id,
            repeat_count=1,
            runs=[test_run],
        )
    )

    after = SandboxStore(settings)

    assert after.tests == before.tests
    assert after.test_invocations == before.test_invocations
    assert after.test_invocations["tinv_1"].runs[0].status == "pending"
    newest = max(test.seq, before.test_invocations["tinv_1"].seq)
    assert AgentTest(id="test_2", name="New", type="llm", fields={}).seq > newest


def test_a_state_file_from_before_tests_were_kept_still_loads(tmp_path):
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps({"format": 1, "agents": [], "conversations": []}))

    kept = SandboxStore(Settings(api_key="k", state_file=str(state_file)))

    assert (kept.tests, kept.test_invocations) == ({}, {})
