"""Running tests on an agent (`POST /v1/convai/agents/{id}/run-tests`) and the invocations that
holds (`/v1/convai/test-invocations`): read, list, rename, cancel, resubmit.

A run is judged when it is submitted, on the agent version it runs on (the tip of the branch
asked for, else of main, with any `agent_config_override` merged in), by
sandbox.agent_test_rules. It shows `pending` for the sandbox's test-run delay, then its
verdict: a client polling the invocation sees it pending, then finished. Test-run faults make a
run fail with an error or stay pending until cancelled (sandbox.records.Fault).
"""

from collections import defaultdict

from sandbox.agent_test_rules import error_outcome, judge
from sandbox.agent_tests import ACCESS_INFO, info_json
from sandbox.api import (
    Location,
    Request,
    Response,
    body_field,
    cursor_page,
    invalid,
    not_found,
    route,
    string_list,
)
from sandbox.endpoints_agent import AGENT_ID, agent_or_404, branch_or_404
from sandbox.endpoints_agent_testing import agent_test_or_404
from sandbox.records import (
    Agent,
    AgentTest,
    AgentTestInvocation,
    AgentTestRun,
    Version,
    deep_merge,
    new_id,
)
from sandbox.store import store

MAX_REPEAT_COUNT = 50  # the sandbox's bound; ElevenLabs states none in its contract
WORKSPACE_ID = "sandbox"
# A run's test type in its metadata: ElevenLabs names tool tests "tool_call" there.
METADATA_TEST_TYPES = {"llm": "llm", "tool": "tool_call", "simulation": "simulation"}
STATUSES = ("passed", "failed", "pending", "cancelled")


# --- what a run is made of


def _config_override(body: dict) -> dict | None:
    """The `agent_config_override` of a run request: {conversation_config, platform_settings}."""
    override = body_field(body, "agent_config_override", dict)
    if override is None:
        return None
    where: Location = ("body", "agent_config_override")
    body_field(override, "conversation_config", dict, required=True, loc=where)
    body_field(override, "platform_settings", dict, required=True, loc=where)
    body_field(override, "workflow", dict, loc=where)
    return override


def _new_run(
    test: AgentTest,
    invocation_id: str,
    agent: Agent,
    version: Version,
    override: dict | None,
    *,
    test_run_id: str | None = None,
    placement: dict | None = None,
) -> AgentTestRun:
    """A run of `test` on `version`, judged now, pending until its time comes."""
    config = deep_merge(
        version.conversation_config, (override or {}).get("conversation_config") or {}
    )
    finishes_at, fault = store.test_run_schedule()
    outcome = judge(test.type, test.fields, config, agent_id=agent.agent_id).outcome()
    if fault is not None and fault.test_run == "error":
        outcome = error_outcome(fault.message)
    return AgentTestRun(
        test_run_id=test_run_id or new_id("trun_"),
        test_invocation_id=invocation_id,
        test_id=test.id,
        test_name=test.name,
        test_info=info_json(test),
        agent_id=agent.agent_id,
        branch_id=version.branch_id,
        version_id=version.id,
        outcome=outcome,
        finishes_at=finishes_at,
        ran_against_draft=override is not None,
        **(placement or {}),
    )


def _requested_tests(body: dict) -> list[tuple[AgentTest, dict]]:
    """The tests a run request names, each with where it runs (workflow node, root folder)."""
    items = body_field(body, "tests", list, required=True)
    if not items:
        raise invalid(
            ["body", "tests"], "List should have at least 1 item after validation", "too_short"
        )
    requested = []
    for index, item in enumerate(items):
        where: Location = ("body", "tests", index)
        if not isinstance(item, dict):
            raise invalid(list(where), "Input should be a valid dictionary", "dict_type")
        test_id = body_field(item, "test_id", str, required=True, loc=where)
        placement = {
            name: body_field(item, name, str, loc=where)
            for name in ("workflow_node_id", "root_folder_id", "root_folder_name")
        }
        requested.append((agent_test_or_404(test_id), placement))
    return requested


# --- answers


def run_json(run: AgentTestRun) -> dict:
    """UnitTestRunResponseModel. A run shows its verdict once finished; a pending or cancelled
    one has none."""
    finished = run.status in ("passed", "failed")
    return {
        "test_run_id": run.test_run_id,
        "test_info": run.test_info,
        "test_invocation_id": run.test_invocation_id,
        "agent_id": run.agent_id,
        "branch_id": run.branch_id,
        "version_id": run.version_id,
        "ran_against_draft": run.ran_against_draft,
        "workflow_node_id": run.workflow_node_id,
        "status": run.status,
        "agent_responses": run.outcome["agent_responses"] if finished else None,
        "test_id": run.test_id,
        "test_name": run.test_name,
        "condition_result": run.outcome["condition_result"] if finished else None,
        "last_updated_at_unix": run.last_updated_at,
        "metadata": {
            "workspace_id": WORKSPACE_ID,
            "test_name": run.test_name,
            "ran_by_user_email": ACCESS_INFO["creator_email"],
            "test_type": METADATA_TEST_TYPES.get(run.test_info["type"]),
        },
        "root_folder_id": run.root_folder_id,
        "root_folder_name": run.root_folder_name,
        "environment": run.test_info.get("environment") or "production",
    }


def _result_groups(invocation: AgentTestInvocation) -> list[dict]:
    """TestRunResultSummary per test: its finished runs grouped by status and reason."""
    buckets: dict[str, dict[tuple[str, str], list[str]]] = defaultdict(lambda: defaultdict(list))
    names = {}
    for run in invocation.runs:
        names[run.test_id] = run.test_name
        if run.status != "pending":
            reason = (run.outcome["condition_result"]["rationale"] or {}).get("summary", "")
            if run.status == "cancelled":
                reason = "Cancelled before it finished."
            buckets[run.test_id][(run.status, reason)].append(run.test_run_id)
    return [
        {
            "test_id": test_id,
            "test_name": names[test_id],
            "buckets": [
                {
                    "test_run_ids": run_ids,
                    "title": status.capitalize(),
                    "reason": reason,
                    "status": status,
                }
                for (status, reason), run_ids in buckets[test_id].items()
            ],
        }
        for test_id in names
    ]


def invocation_json(invocation: AgentTestInvocation) -> dict:
    """GetTestSuiteInvocationResponseModel. Runs of a test repeated are grouped by result
    (`result_groups`) once none is pending."""
    pending = any(run.status == "pending" for run in invocation.runs)
    repeated = invocation.repeat_count > 1
    return {
        **_identity(invocation),
        "created_at": invocation.created_at,
        "folder_id": None,
        "repeat_count": invocation.repeat_count,
        "cancelled": invocation.cancelled,
        "bucketing_status": ("pending" if pending else "completed") if repeated else None,
        "result_groups": _result_groups(invocation) if repeated and not pending else None,
        "test_runs": [run_json(run) for run in invocation.runs],
    }


def _identity(invocation: AgentTestInvocation) -> dict:
    """What an invocation and its summary both say of it."""
    return {
        "id": invocation.id,
        "name": invocation.name,
        "agent_id": invocation.agent_id,
        "branch_id": invocation.branch_id,
        "version_id": invocation.version_id,
        "ran_against_draft": invocation.ran_against_draft,
    }


def _title(invocation: AgentTestInvocation) -> str:
    if invocation.name:
        return invocation.name
    names = {run.test_name for run in invocation.runs}
    return names.pop() if len(names) == 1 else f"{len(names)} tests"


def invocation_summary(invocation: AgentTestInvocation) -> dict:
    """TestInvocationSummaryResponseModel, as invocations are listed."""
    counts = dict.fromkeys(STATUSES, 0)
    for run in invocation.runs:
        counts[run.status] += 1
    return {
        **_identity(invocation),
        "runs_diverged_from_version": len({run.version_id for run in invocation.runs}) > 1,
        "created_at_unix_secs": invocation.created_at,
        "test_run_count": len(invocation.runs),
        **{f"{status}_count": count for status, count in counts.items()},
        "title": _title(invocation),
        "access_info": ACCESS_INFO,
        "repeat_count": invocation.repeat_count,
        "cancelled": invocation.cancelled,
    }


def invocation_or_404(invocation_id: str) -> AgentTestInvocation:
    """The invocation, its runs that are due finished."""
    invocation = store.test_invocations.get(invocation_id)
    if invocation is None:
        raise not_found("test_invocation", invocation_id)
    store.invocation_settle(invocation)
    return invocation


# --- endpoints


async def run_tests(request: Request, agent_id: str) -> Response:
    """Run each test `repeat_count` times (1) on the tip of `branch_id` (main when none): an
    invocation whose runs are all pending at first."""
    agent = agent_or_404(agent_id)
    body = request.json()
    requested = _requested_tests(body)
    name = body_field(body, "name", str)
    override = _config_override(body)
    version = branch_or_404(agent, body_field(body, "branch_id", str)).tip
    repeat_count = body_field(body, "repeat_count", int)
    repeat_count = 1 if repeat_count is None else repeat_count
    if not 1 <= repeat_count <= MAX_REPEAT_COUNT:
        raise invalid(
            ["body", "repeat_count"],
            f"Input should be between 1 and {MAX_REPEAT_COUNT}",
            "range",
        )
    invocation_id = new_id("tinv_")
    runs = [
        _new_run(test, invocation_id, agent, version, override, placement=placement)
        for test, placement in requested
        for _ in range(repeat_count)
    ]
    invocation = AgentTestInvocation(
        id=invocation_id,
        agent_id=agent.agent_id,
        branch_id=version.branch_id,
        version_id=version.id,
        repeat_count=repeat_count,
        runs=runs,
        name=name,
        ran_against_draft=override is not None,
    )
    store.invocation_add(invocation)
    return Response(200, invocation_json(invocation))


async def invocation_get(request: Request, invocation_id: str) -> Response:
    return Response(200, invocation_json(invocation_or_404(invocation_id)))


async def invocation_list(request: Request) -> Response:
    """Newest first, filtered by agent, branch, version, a test run in it, creation time
    (`start_time`, `end_time`: inclusive unix seconds) and title (`search`)."""
    filters = {name: request.param(name) for name in ("agent_id", "branch_id", "version_id")}
    test_id = request.param("test_id")
    start = request.int_param("start_time", default=0, minimum=0, maximum=2**63)
    end = request.int_param("end_time", default=2**63, minimum=0, maximum=2**63)
    search = (request.param("search") or "").lower()
    invocations = []
    for invocation in sorted(
        store.test_invocations.values(), key=lambda invocation: invocation.seq, reverse=True
    ):
        if any(value and getattr(invocation, name) != value for name, value in filters.items()):
            continue
        if test_id and all(run.test_id != test_id for run in invocation.runs):
            continue
        if not start <= invocation.created_at <= end or search not in _title(invocation).lower():
            continue
        store.invocation_settle(invocation)
        invocations.append(invocation)
    page, next_cursor = cursor_page(invocations, request)
    return Response(
        200,
        {
            "meta": {"total": len(invocations), "page_size": _page_size(request)},
            "results": [invocation_summary(invocation) for invocation in page],
            "next_cursor": next_cursor,
            "has_more": next_cursor is not None,
        },
    )


def _page_size(request: Request) -> int:
    return request.int_param("page_size", default=30, minimum=1, maximum=100)


async def invocation_update(request: Request, invocation_id: str) -> Response:
    """Rename the invocation; a null name gives it back its generated title."""
    invocation = invocation_or_404(invocation_id)
    store.invocation_rename(invocation, body_field(request.json(), "name", str))
    return Response(200, invocation_json(invocation))


async def invocation_cancel(request: Request, invocation_id: str) -> Response:
    """Pending runs become `cancelled`; finished ones keep their verdicts."""
    invocation = invocation_or_404(invocation_id)
    store.invocation_cancel(invocation)
    return Response(200, invocation_json(invocation))


async def invocation_resubmit(request: Request, invocation_id: str) -> Response:
    """Run the runs named again, in their places, on the tip of `branch_id` (main when none)
    of the invocation's agent, with the tests as they are now: pending, then their new
    verdicts. The invocation then names the version of this submission."""
    invocation = invocation_or_404(invocation_id)
    body = request.json()
    body_field(body, "test_run_ids", list, required=True)
    run_ids = string_list(body, "test_run_ids") or []
    if not run_ids:
        raise invalid(
            ["body", "test_run_ids"],
            "List should have at least 1 item after validation",
            "too_short",
        )
    agent_id = body_field(body, "agent_id", str, required=True)
    if agent_id != invocation.agent_id:
        raise invalid(
            ["body", "agent_id"],
            f"Value error, test invocation {invocation.id} ran agent {invocation.agent_id}",
            "value_error",
        )
    agent = agent_or_404(agent_id)
    override = _config_override(body)
    version = branch_or_404(agent, body_field(body, "branch_id", str)).tip
    runs = {run.test_run_id: run for run in invocation.runs}
    tests = {}
    for run_id in run_ids:
        if run_id not in runs:
            raise not_found("test_run", run_id)
        tests[run_id] = agent_test_or_404(runs[run_id].test_id)  # as it is now
    reruns = [
        _new_run(
            test,
            invocation.id,
            agent,
            version,
            override,
            test_run_id=run_id,
            placement={
                "workflow_node_id": runs[run_id].workflow_node_id,
                "root_folder_id": runs[run_id].root_folder_id,
                "root_folder_name": runs[run_id].root_folder_name,
            },
        )
        for run_id, test in tests.items()
    ]
    store.runs_resubmit(
        invocation,
        reruns,
        branch_id=version.branch_id,
        version_id=version.id,
        ran_against_draft=override is not None,
    )
    return Response(200, invocation_json(invocation))


INVOCATION = r"v1/convai/test-invocations/(?P<invocation_id>[^/]+)"

ROUTES = [
    route("POST", rf"v1/convai/agents/{AGENT_ID}/run-tests", run_tests),
    route("GET", r"v1/convai/test-invocations", invocation_list),
    route("GET", INVOCATION, invocation_get),
    route("PATCH", INVOCATION, invocation_update),
    route("POST", rf"{INVOCATION}/cancel", invocation_cancel),
    route("POST", rf"{INVOCATION}/resubmit", invocation_resubmit),
]
