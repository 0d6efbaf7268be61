"""The adapter's ElevenLabs tests (elevenlabs_adapter/agent_testing.py) against the sandbox,
through the real SDK over real HTTP: definitions checked before they are sent, tests created,
replaced and deleted, runs started on a branch and read back with the verdicts the sandbox's
rules give (docs/elevenlabs.md, "Agent tests"), and every failure an ElevenLabsError."""

import pytest

from common.errors import InvalidInput
from elevenlabs_adapter import agent_testing as adapter
from elevenlabs_adapter import remote
from elevenlabs_adapter.agent_testing import (
    Invocation,
    RemoteTestRun,
    agent_test_create,
    agent_test_delete,
    agent_test_update,
)
from elevenlabs_adapter.errors import ElevenLabsError
from elevenlabs_adapter.test_definitions import agent_test_check

TOOLS = [{"type": "client", "name": "book_appointment", "description": "Books a visit"}]
BOOKING = "Please book appointment date=2025-01-02 name=Ann"


def agent_config(prompt: str) -> dict:
    agent = {"first_message": "Hello!", "prompt": {"prompt": prompt, "tools": TOOLS}}
    return {"conversation_config": {"agent": agent}, "platform_settings": {}}


def chat(*messages: str) -> list[dict]:
    return [
        {"role": "user", "message": message, "time_in_call_secs": 3 * index}
        for index, message in enumerate(messages)
    ]


def booking_call(**evaluation) -> dict:
    return {
        "referenced_tool": {"id": "book_appointment", "type": "client"},
        "parameters": [{"path": evaluation.pop("path"), "eval": evaluation}],
    }


def simulation(**fields) -> dict:
    return {
        "type": "simulation",
        "simulation_scenario": "Hi there. Please book appointment date=2025-01-02.",
        "tool_mock_overrides": {"book_appointment": [{"mock_result": "booked for Thursday"}]},
        "success_conditions": ['The agent confirms "booked for Thursday"'],
        **fields,
    }


# One test of each type that passes on the branch below, and one that fails, with the reason
# the sandbox gives. The passing llm test quotes "pirate", which only the branch's prompt says.
PASSING = {
    "llm": {
        "type": "llm",
        "chat_history": chat("I want a refund"),
        "success_condition": 'The agent mentions "refund" as a "pirate"',
    },
    "tool": {
        "type": "tool",
        "chat_history": chat(BOOKING),
        "tool_call_parameters": booking_call(
            path="date", type="exact", expected_value="2025-01-02"
        ),
    },
    "simulation": simulation(),
}
FAILING = {
    "llm": (
        {"type": "llm", "chat_history": chat("I want a refund"), "success_condition": '"sorry"'},
        "The reply lacks a phrase the success condition quotes.",
    ),
    "tool": (
        {
            "type": "tool",
            "chat_history": chat(BOOKING),
            "tool_call_parameters": booking_call(path="name", type="regex", pattern="[a-z]+"),
        },
        "1 of the 1 parameter evaluations failed.",
    ),
    "simulation": (
        simulation(simulation_max_turns=1),
        "1 of the 1 success conditions not met.",
    ),
}


@pytest.fixture(autouse=True)
def quick_runs(sandbox):
    """Runs finish by the first read of their invocation."""
    sandbox.test_run_delay(0)


@pytest.fixture
def agent_id(sandbox) -> str:
    return remote.agent_create(name="Front Desk", config=agent_config("Be brief."), tags=[])


@pytest.fixture
def branch(agent_id) -> tuple[str, str]:
    """(branch id, its version id): the agent's testing branch, prompted as a pirate."""
    main = remote.agent_get(agent_id)
    branch_id = remote.branch_create(
        agent_id,
        name="testing",
        parent_version_id=main.version_id,
        config=agent_config("Speak like a pirate."),
    )
    return branch_id, remote.agent_get(agent_id, branch_id=branch_id).version_id


def stored_tests(sandbox) -> dict[str, dict]:
    return {test["id"]: test for test in sandbox.state()["tests"]}


def run_once(agent_id: str, test_id: str) -> str:
    return adapter.tests_run(agent_id, test_ids=[test_id], branch_id=None, repeat_count=1)


def finished(invocation_id: str) -> Invocation:
    invocation = adapter.test_invocation_get(invocation_id)
    assert invocation.finished, [run.status for run in invocation.runs]
    return invocation


# --- tests


@pytest.mark.parametrize("test_type", ["llm", "tool", "simulation"])
def test_a_test_is_created_with_its_name_and_definition(sandbox, test_type):
    definition = PASSING[test_type]

    test_id = agent_test_create(name=f"The {test_type} test", body=definition)

    test = stored_tests(sandbox)[test_id]
    assert test_id.startswith("test_")
    assert (test["name"], test["type"]) == (f"The {test_type} test", test_type)
    assert {"type": test_type, **test["fields"]} == agent_test_check(definition)


def test_update_replaces_the_test_whole_name_type_and_all(sandbox):
    test_id = agent_test_create(name="Refund", body=PASSING["llm"])

    agent_test_update(test_id, name="Booking", body=PASSING["tool"])

    test = stored_tests(sandbox)[test_id]
    assert (test["name"], test["type"]) == ("Booking", "tool")
    assert "success_condition" not in test["fields"], "a PUT drops what is not sent again"
    assert test["fields"]["tool_call_parameters"] == PASSING["tool"]["tool_call_parameters"]


def test_delete_removes_the_test_and_deleting_it_again_is_no_error(sandbox):
    test_id = agent_test_create(name="Refund", body=PASSING["llm"])

    agent_test_delete(test_id)
    agent_test_delete(test_id)

    assert stored_tests(sandbox) == {}
    deletes = sandbox.requests("DELETE", "agent-testing/")
    assert [request["status"] for request in deletes] == [204, 404]


def test_a_bad_definition_is_refused_before_anything_is_sent(sandbox):
    with pytest.raises(InvalidInput):
        agent_test_create(name="Typo", body={"type": "llm", "succes_condition": "x"})
    test_id = agent_test_create(name="Fine", body=PASSING["llm"])
    with pytest.raises(InvalidInput):
        agent_test_update(test_id, name="Typo", body={"type": "quiz"})

    creates = sandbox.requests("POST", "agent-testing/create$")
    assert [request["status"] for request in creates] == [200], "only the good one"
    assert sandbox.requests("PUT", "agent-testing/") == []


# --- runs


def test_runs_on_the_branch_repeated_give_each_test_its_verdict_and_reason(agent_id, branch):
    branch_id, version_id = branch
    passing = {kind: agent_test_create(name=kind, body=body) for kind, body in PASSING.items()}
    failing = {
        kind: agent_test_create(name=f"{kind} fails", body=body)
        for kind, (body, _) in FAILING.items()
    }

    invocation_id = adapter.tests_run(
        agent_id,
        test_ids=[*passing.values(), *failing.values()],
        branch_id=branch_id,
        repeat_count=2,
    )
    invocation = finished(invocation_id)

    assert invocation.invocation_id == invocation_id
    assert len(invocation.runs) == 12, "each of the 6 tests twice"
    runs: dict[str, list[RemoteTestRun]] = {}
    for run in invocation.runs:
        runs.setdefault(run.test_id, []).append(run)
        assert (run.branch_id, run.version_id) == (branch_id, version_id)
    assert all(len(repeats) == 2 for repeats in runs.values())
    for kind, test_id in passing.items():
        for run in runs[test_id]:
            assert (run.status, run.outcome) == ("passed", "passed"), (kind, run.rationale)
            assert run.agent_responses, kind
    for kind, (_, reason) in FAILING.items():
        for run in runs[failing[kind]]:
            assert (run.status, run.outcome) == ("failed", "failed"), kind
            assert run.rationale.splitlines()[0] == reason
    # The rationale goes on with the steps that led there, one a line.
    assert 'The reply lacks "sorry".' in runs[failing["llm"]][0].rationale.splitlines()
    llm_reply = runs[passing["llm"]][0].agent_responses[0]["message"]
    assert "Speak like a pirate." in llm_reply, "run on the branch, not main"
    simulated = runs[passing["simulation"]][0].agent_responses
    said = [turn["message"] for turn in simulated if turn["role"] == "user"]
    assert said == ["Hi there.", "Please book appointment date=2025-01-02."], "the whole talk"


def test_runs_without_a_branch_run_on_main(sandbox, agent_id, branch):
    test_id = agent_test_create(name="Pirate", body=PASSING["llm"])
    main = remote.agent_get(agent_id)

    invocation = finished(run_once(agent_id, test_id))

    (run,) = invocation.runs
    assert (run.branch_id, run.version_id) == (main.branch_id, main.version_id)
    assert run.outcome == "failed", "main's prompt says nothing of pirates"


def test_a_pending_run_is_cancelled(sandbox, agent_id):
    test_id = agent_test_create(name="Refund", body=PASSING["llm"])
    sandbox.add_fault(test_run="pending")
    invocation_id = run_once(agent_id, test_id)

    pending = adapter.test_invocation_get(invocation_id)
    adapter.test_invocation_cancel(invocation_id)
    cancelled = adapter.test_invocation_get(invocation_id)

    assert [(run.status, run.outcome) for run in pending.runs] == [("pending", "pending")]
    assert not pending.finished
    assert [(run.status, run.outcome) for run in cancelled.runs] == [("cancelled", "cancelled")]
    assert cancelled.finished


def test_a_run_that_fails_with_an_error_is_an_error_not_a_failing_verdict(sandbox, agent_id):
    test_id = agent_test_create(name="Refund", body=PASSING["llm"])
    sandbox.add_fault(test_run="error", message="The evaluator is down.")

    invocation = finished(run_once(agent_id, test_id))

    (run,) = invocation.runs
    assert (run.status, run.outcome) == ("failed", "error")
    assert "The test run failed with an error: The evaluator is down." in run.rationale
    assert run.agent_responses == []


@pytest.mark.parametrize(
    ("status", "retry_after"), [(503, None), (429, 2)], ids=["server-error", "rate-limited"]
)
def test_a_refused_run_request_is_a_retryable_error(sandbox, agent_id, status, retry_after):
    test_id = agent_test_create(name="Refund", body=PASSING["llm"])
    sandbox.add_fault(path=r"/run-tests$", status=status, retry_after=retry_after)

    with pytest.raises(ElevenLabsError) as failure:
        run_once(agent_id, test_id)

    assert failure.value.status == status
    assert failure.value.retryable
    assert "starting the tests" in failure.value.message
    assert failure.value.retry_after == retry_after
    assert sandbox.state()["test_invocations"] == [], "refused: nothing was run"


def test_reading_an_unknown_invocation_is_a_permanent_error(sandbox):
    with pytest.raises(ElevenLabsError) as failure:
        adapter.test_invocation_get("tinv_nope")

    assert failure.value.status == 404
    assert not failure.value.retryable


# --- checking definitions


def test_check_returns_the_body_as_the_sdk_sends_it_without_a_name():
    body = {
        "type": "llm",
        "success_condition": "Says hello",
        "dynamic_variables": None,
        "success_examples": [{"response": "Hello"}],
        "chat_history": [{"role": "user", "message": "Hi", "time_in_call_secs": "0"}],
    }

    assert agent_test_check(body) == {
        "type": "llm",
        "success_condition": "Says hello",
        "success_examples": [{"response": "Hello", "type": "success"}],
        "chat_history": [{"role": "user", "message": "Hi", "time_in_call_secs": 0}],
    }


SIMULATION_KEYS = (
    "chat_history",
    "conversation_initiation_source",
    "dynamic_variables",
    "environment",
    "evaluation_model",
    "from_conversation_metadata",
    "parent_folder_id",
    "simulated_user_model",
    "simulation_environment",
    "simulation_max_turns",
    "simulation_scenario",
    "success_condition",
    "success_conditions",
    "tool_mock_config",
    "tool_mock_overrides",
    "type",
)


def refusal(body) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as refused:
        agent_test_check(body)
    first_path, messages = next(iter(refused.value.errors.items()))
    assert refused.value.message == f"{first_path}: {messages[0]}"
    return refused.value.errors


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"type": "llm", "succes_condition": '"hi"'},
            {
                "definition.succes_condition": [
                    "Unknown key 'succes_condition'. Did you mean 'success_condition'?"
                ]
            },
        ),
        (
            {
                "type": "llm",
                "chat_history": [{"role": "user", "mesage": "Hi", "time_in_call_secs": 0}],
            },
            {"definition.chat_history.0.mesage": ["Unknown key 'mesage'. Did you mean 'message'?"]},
        ),
        (
            {"type": "simulation", "simulation_scenario": "Hi.", "tool_call_parameters": {}},
            {
                "definition.tool_call_parameters": [
                    "Unknown key 'tool_call_parameters'. Valid keys here: "
                    + ", ".join(SIMULATION_KEYS)
                    + "."
                ]
            },
        ),
        (
            {"success_condition": "x"},
            {
                "definition.type": [
                    "Required: say which kind of test this is (llm, tool, simulation)."
                ]
            },
        ),
        (
            {"type": "quiz"},
            {"definition.type": ["Unknown type 'quiz': use one of llm, tool, simulation."]},
        ),
        (
            {"type": "simulation", "simulation_max_turns": 0},
            {"definition.simulation_max_turns": ["Must be between 1 and 50 turns."]},
        ),
        (
            {"type": "simulation", "simulation_max_turns": 51},
            {"definition.simulation_max_turns": ["Must be between 1 and 50 turns."]},
        ),
        (
            {"type": "simulation", "simulation_max_turns": "many"},
            {
                "definition.simulation_max_turns": [
                    "Input should be a valid integer, unable to parse string as an integer"
                ]
            },
        ),
        (
            {"type": "llm", "chat_history": [{"role": "user", "message": "Hi"}]},
            {"definition.chat_history.0.time_in_call_secs": ["Field required"]},
        ),
        (
            {"type": "llm", "chat_history": [{"role": "robot", "time_in_call_secs": 0}]},
            {"definition.chat_history.0.role": ["Must be 'user' or 'agent': who said it."]},
        ),
        (
            {"type": "llm", "name": "Refund"},
            {"definition.name": ["The test's name is kept apart: remove it from here."]},
        ),
        (
            ["not", "an", "object"],
            {"definition": ['Must be an object: {"type": "llm" | "tool" | "simulation", ...}.']},
        ),
    ],
    ids=[
        "unknown-key",
        "nested-unknown-key",
        "key-of-another-type",
        "no-type",
        "unknown-type",
        "too-few-turns",
        "too-many-turns",
        "turns-not-a-number",
        "chat-turn-without-time",
        "chat-turn-role",
        "name-inside",
        "not-an-object",
    ],
)
def test_check_refuses_naming_the_path_and_the_fix(body, errors):
    assert refusal(body) == errors


def test_check_refuses_a_regular_expression_that_does_not_compile():
    body = {
        "type": "tool",
        "tool_call_parameters": booking_call(path="date", type="regex", pattern="[0-9"),
    }

    (path, (message,)), *_ = refusal(body).items()

    assert path == "definition.tool_call_parameters.parameters.0.eval.pattern"
    assert message.startswith("Not a regular expression (")
