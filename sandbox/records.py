"""What the sandbox remembers: agents with their branches and versions, deployments,
conversations, tests of agents and their runs, and the faults and limits it plays back. Plain
records; `sandbox.store` keeps them and changes them under its lock."""

import itertools
import secrets
import string
import time
from dataclasses import dataclass, field

MAIN_BRANCH = "Main"
# The scale of `traffic_percentage` in deployments: percent. ElevenLabs' public contract does not
# say whether shares run 0-100 or 0-1; this is the sandbox's one choice (docs/elevenlabs.md), and
# a deployment's shares must add up to it.
TRAFFIC_PERCENTAGE_SCALE = 100.0
_ID_ALPHABET = string.ascii_lowercase + string.digits
# Creation order of agents, conversations, tests and test invocations, which list endpoints page
# through by cursor:
# timestamps in whole seconds tie.
_creation_order = itertools.count(1)


def new_id(prefix: str) -> str:
    """Ids shaped like ElevenLabs' own: a prefix and 28 lowercase letters and digits."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(28))


def now() -> int:
    return int(time.time())


def _next_in_creation_order() -> int:
    return next(_creation_order)


def creation_order_continues_after(seq: int) -> None:
    """Records loaded from a kept state keep their places: new ones come after them."""
    global _creation_order
    _creation_order = itertools.count(max(seq + 1, _next_in_creation_order()))


class BranchNameTaken(ValueError):
    """An agent's branch names are unique."""


@dataclass
class Version:
    id: str
    agent_id: str
    branch_id: str
    seq_no_in_branch: int
    description: str
    conversation_config: dict
    platform_settings: dict
    in_branch_parent_id: str | None = None
    out_of_branch_parent_id: str | None = None
    time_committed_secs: int = field(default_factory=now)


@dataclass
class Branch:
    id: str
    agent_id: str
    name: str
    description: str
    parent_branch_id: str | None = None
    is_archived: bool = False
    created_at: int = field(default_factory=now)
    versions: list[Version] = field(default_factory=list)

    @property
    def tip(self) -> Version:
        return self.versions[-1]

    @property
    def last_committed_at(self) -> int:
        return self.tip.time_committed_secs


@dataclass
class Deployment:
    """One traffic split an agent was given; the newest is the live one."""

    id: str
    traffic: dict[str, float]
    deployed_at: int = field(default_factory=now)


@dataclass
class Agent:
    agent_id: str
    name: str
    tags: list[str]
    main_branch_id: str
    branches: dict[str, Branch] = field(default_factory=dict)
    # branch id -> share of traffic, on TRAFFIC_PERCENTAGE_SCALE
    traffic: dict[str, float] = field(default_factory=dict)
    deployments: list[Deployment] = field(default_factory=list)
    created_at: int = field(default_factory=now)
    updated_at: int = field(default_factory=now)
    seq: int = field(default_factory=_next_in_creation_order)

    @property
    def main(self) -> Branch:
        return self.branches[self.main_branch_id]

    def branch(self, branch_id: str | None) -> Branch | None:
        return self.main if branch_id is None else self.branches.get(branch_id)

    def version(self, version_id: str) -> Version | None:
        for branch in self.branches.values():
            for version in branch.versions:
                if version.id == version_id:
                    return version
        return None


@dataclass
class Conversation:
    conversation_id: str
    agent_id: str
    branch_id: str
    version_id: str
    source: str  # "websocket" or "outbound_call"
    status: str = "in-progress"  # then "done" or "failed"
    start_time_unix_secs: int = field(default_factory=now)
    ended_at: float | None = None
    to_number: str = ""
    # {"role": "agent"|"user", "message": str, "time_in_call_secs": int, "tool_calls": [...]}
    transcript: list[dict] = field(default_factory=list)
    dynamic_variables: dict = field(default_factory=dict)
    seq: int = field(default_factory=_next_in_creation_order)

    @property
    def call_duration_secs(self) -> int:
        end = self.ended_at if self.ended_at is not None else time.time()
        return max(0, int(end - self.start_time_unix_secs))


@dataclass
class AgentTest:
    """A test of agents (ElevenLabs' "agent response test"): its name, its type ("llm", "tool"
    or "simulation") and the other fields of that type as they were sent, once checked
    (sandbox/agent_tests.py)."""

    id: str
    name: str
    type: str
    fields: dict
    created_at: int = field(default_factory=now)
    updated_at: int = field(default_factory=now)
    seq: int = field(default_factory=_next_in_creation_order)


@dataclass
class AgentTestRun:
    """One run of a test on one agent version. It is `pending` until `finishes_at` (wall-clock
    seconds; None: pending until cancelled), then takes its `outcome`, judged when it was
    submitted: {"status", "condition_result", "agent_responses"} (sandbox/agent_test_rules.py).
    """

    test_run_id: str
    test_invocation_id: str
    test_id: str
    test_name: str
    test_info: dict  # the test as it was run: its type and fields
    agent_id: str
    branch_id: str
    version_id: str
    outcome: dict
    finishes_at: float | None
    status: str = "pending"  # then "passed", "failed" or "cancelled"
    ran_against_draft: bool = False
    workflow_node_id: str | None = None
    root_folder_id: str | None = None
    root_folder_name: str | None = None
    last_updated_at: int = field(default_factory=now)


@dataclass
class AgentTestInvocation:
    """Tests run together on an agent (`run-tests`): one run per test per repeat."""

    id: str
    agent_id: str
    branch_id: str
    version_id: str  # of the latest submission: resubmitted runs may run on a newer one
    repeat_count: int
    runs: list[AgentTestRun]
    name: str | None = None
    ran_against_draft: bool = False
    cancelled: bool = False
    created_at: int = field(default_factory=now)
    seq: int = field(default_factory=_next_in_creation_order)


@dataclass
class Fault:
    """One injected failure, applied to the next `count` requests that match.

    `path` is a regular expression searched in the request path (after the sandbox prefix);
    `method` an HTTP method or "" for any; `status` the status to answer with (0: answer
    normally). `latency_ms` delays the answer; with `after_effect` the request is carried out
    first and only its answer is slow or lost, as when a response times out upstream.

    A fault with `drop_socket_after` or `socket_latency_ms` is a socket fault instead: it
    applies to the next `count` conversation WebSockets, whatever their path, and never to an
    HTTP request. `drop_socket_after` closes the socket after that many server messages;
    `socket_latency_ms` delays each server message by that much, as a slow network would: in
    order, without holding up what the client sends, and the sandbox's own close comes after
    what it sent before it. Both may be given: the drop counts messages as they arrive.

    A fault with `test_run` is a test-run fault: it applies to the next `count` test runs
    submitted (by `run-tests` or a resubmission), whatever their path: "error" makes the run
    end `failed` with an error instead of its verdict, "pending" keeps it pending until it is
    cancelled.
    """

    path: str = ""
    method: str = ""
    status: int = 0
    retry_after: int | None = None
    latency_ms: int = 0
    after_effect: bool = False
    drop_socket_after: int | None = None
    socket_latency_ms: int = 0
    test_run: str = ""  # "error" or "pending": a test-run fault
    count: int = 1
    message: str = "Injected by the sandbox."

    @property
    def on_socket(self) -> bool:
        """A fault for conversation WebSockets rather than HTTP requests."""
        return self.drop_socket_after is not None or self.socket_latency_ms > 0

    @property
    def on_test_run(self) -> bool:
        """A fault for test runs rather than HTTP requests."""
        return bool(self.test_run)


@dataclass
class RateLimit:
    """A token bucket: `per_second` requests a second, bursts up to `burst`."""

    per_second: float
    burst: int = 1
    tokens: float = 0.0
    updated: float = field(default_factory=time.monotonic)

    def take(self) -> float:
        """Take a token; return 0 when allowed, else the seconds until one is free."""
        clock = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (clock - self.updated) * self.per_second)
        self.updated = clock
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.per_second


@dataclass
class RequestRecord:
    method: str
    path: str
    status: int
    at: float


def dig(config: object, *keys: str) -> object:
    """`config[k1][k2]...`, or None where a level is missing or not an object: configs come
    from clients and may be any shape."""
    for key in keys:
        if not isinstance(config, dict):
            return None
        config = config.get(key)
    return config


def deep_merge(base: dict, patch: dict) -> dict:
    merged = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
