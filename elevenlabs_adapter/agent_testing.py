"""ElevenLabs tests of an agent run on ElevenLabs: their definitions pushed (checked first,
elevenlabs_adapter/test_definitions.py), runs started on a branch, followed and cancelled.
Calls follow remote.py: the official SDK, no SDK retries, every failure an ElevenLabsError.
"""

from dataclasses import dataclass

from elevenlabs.conversational_ai.tests.client import TestsClient
from elevenlabs.core.api_error import ApiError
from elevenlabs.types import SingleTestRunRequestModel, UnitTestRunResponseModel

from elevenlabs_adapter.remote import NO_RETRIES, _calling, _client
from elevenlabs_adapter.test_definitions import (
    CREATE_BODIES,
    UPDATE_BODIES,
    agent_test_check,
    named,
    plain,
)

OUTCOMES = ("passed", "failed", "error", "cancelled", "pending")


@dataclass(frozen=True)
class RemoteTestRun:
    test_run_id: str
    test_id: str
    status: str  # pending | passed | failed | cancelled, as ElevenLabs says
    outcome: str  # one of OUTCOMES; "error": the run ended without a verdict
    rationale: str  # why, in words: ElevenLabs' summary, then its messages, one a line
    agent_responses: list[dict]  # the turns the test heard (the whole simulated conversation)
    branch_id: str | None
    version_id: str | None


@dataclass(frozen=True)
class Invocation:
    invocation_id: str
    runs: list[RemoteTestRun]

    @property
    def finished(self) -> bool:
        """No run is pending: every run has a verdict, an error, or was cancelled."""
        return all(run.outcome != "pending" for run in self.runs)


def _tests() -> TestsClient:
    return _client().conversational_ai.tests


@_calling("creating the test")
def agent_test_create(*, name: str, body: dict) -> str:
    """Create the test on ElevenLabs; return its id. `body` is checked first."""
    definition = agent_test_check(body)
    request = CREATE_BODIES[definition["type"]].model_validate(named(definition, name))
    return _tests().create(request=request, request_options=NO_RETRIES).id


@_calling("updating the test")
def agent_test_update(test_id: str, *, name: str, body: dict) -> None:
    """Replace the test whole (ElevenLabs' PUT: fields left out are gone; its type may change)."""
    definition = agent_test_check(body)
    request = UPDATE_BODIES[definition["type"]].model_validate(named(definition, name))
    _tests().update(test_id, request=request, request_options=NO_RETRIES)


@_calling("deleting the test")
def agent_test_delete(test_id: str) -> None:
    """Delete the test; one already gone (404) is what was wanted, so no error."""
    try:
        _tests().delete(test_id, request_options=NO_RETRIES)
    except ApiError as error:
        if error.status_code != 404:
            raise


@_calling("starting the tests")
def tests_run(
    agent_id: str, *, test_ids: list[str], branch_id: str | None, repeat_count: int
) -> str:
    """Run each test `repeat_count` times on the tip of the agent's branch (main when None);
    return the invocation's id, to poll with `test_invocation_get`."""
    # Left out rather than sent as null: "main" is ElevenLabs' default, not a value of ours.
    branch = {"branch_id": branch_id} if branch_id else {}
    answer = _client().conversational_ai.agents.run_tests(
        agent_id,
        tests=[SingleTestRunRequestModel(test_id=test_id) for test_id in test_ids],
        repeat_count=repeat_count,
        request_options=NO_RETRIES,
        **branch,
    )
    return answer.id


@_calling("reading the test runs")
def test_invocation_get(invocation_id: str) -> Invocation:
    """The invocation's runs as they stand: pending ones have no verdict yet."""
    answer = _tests().invocations.get(invocation_id, request_options=NO_RETRIES)
    return Invocation(invocation_id=answer.id, runs=[_run(run) for run in answer.test_runs])


@_calling("cancelling the test runs")
def test_invocation_cancel(invocation_id: str) -> None:
    """Stop the invocation's pending runs; finished ones keep their verdicts."""
    _tests().invocations.cancel(invocation_id, request_options=NO_RETRIES)


def _run(run: UnitTestRunResponseModel) -> RemoteTestRun:
    status = str(run.status)
    condition = run.condition_result
    result = str(condition.result) if condition else None
    rationale = condition.rationale if condition else None
    lines = [rationale.summary or "", *(rationale.messages or [])] if rationale else []
    outcome = _outcome(status, result)
    return RemoteTestRun(
        test_run_id=run.test_run_id,
        test_id=run.test_id,
        status=status,
        outcome=outcome,
        rationale="\n".join(line for line in lines if line) or _UNSAID[outcome].format(status),
        agent_responses=[plain(turn) for turn in run.agent_responses or []],
        branch_id=run.branch_id,
        version_id=run.version_id,
    )


def _outcome(status: str, result: str | None) -> str:
    """What the run means for the agent. A verdict is `passed` or `failed` with the judge's
    result agreeing; anything else that has stopped (a result of `unknown`, a failure with no
    result, a status this code does not know) is an `error`: the test said nothing of the
    agent, so it must not count against it, nor for it."""
    if status in ("pending", "cancelled"):
        return status
    if (status, result) in (("passed", "success"), ("passed", None), ("failed", "failure")):
        return status
    return "error"


_UNSAID = {
    "pending": "Still running on ElevenLabs.",
    "cancelled": "Cancelled before it finished.",
    "passed": "Passed; ElevenLabs gave no reason.",
    "failed": "Failed; ElevenLabs gave no reason.",
    "error": "ElevenLabs ended the run ({}) without a verdict.",
}
