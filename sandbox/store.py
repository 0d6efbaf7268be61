"""The sandbox's memory: the records of sandbox/records.py, kept and changed under one lock.

One store per process, guarded by a lock: the HTTP and WebSocket handlers run on the event
loop, while tests and the standalone runner may look in from other threads. A restart sets the
sandbox up as its settings say (read from its environment when the store is created:
sandbox/settings.py). With a state file the account (agents, conversations, tests and their
runs) survives it, saved after every change (sandbox/persistence.py); without one, a restart
is a clean account.
"""

import random
import re
import threading
import time
from collections.abc import Callable

from sandbox import persistence
from sandbox.records import (
    MAIN_BRANCH,
    TRAFFIC_PERCENTAGE_SCALE,
    Agent,
    AgentTest,
    AgentTestInvocation,
    AgentTestRun,
    Branch,
    BranchNameTaken,
    Conversation,
    Deployment,
    Fault,
    RateLimit,
    RequestRecord,
    Version,
    creation_order_continues_after,
    deep_merge,
    new_id,
    now,
)
from sandbox.settings import Settings, settings_from_env


class SandboxStore:
    agents: dict[str, Agent]
    conversations: dict[str, Conversation]
    tests: dict[str, AgentTest]
    test_invocations: dict[str, AgentTestInvocation]
    faults: list[Fault]
    requests: list[RequestRecord]
    rate_limit: RateLimit | None
    webhook_url: str
    webhook_secret: str
    # Seconds a test run stays pending, when set at run time; None: the settings' delay.
    test_run_delay_override: float | None

    def __init__(self, settings: Settings) -> None:
        self.lock = threading.RLock()
        self.settings = settings
        self._start_fresh()
        if settings.state_file:  # the account as it was before the restart
            account = persistence.load(settings.state_file)
            self.agents, self.conversations = account.agents, account.conversations
            self.tests, self.test_invocations = account.tests, account.test_invocations
            kept = [agent.seq for agent in self.agents.values()]
            kept += [conversation.seq for conversation in self.conversations.values()]
            kept += [test.seq for test in self.tests.values()]
            kept += [invocation.seq for invocation in self.test_invocations.values()]
            creation_order_continues_after(max(kept, default=0))

    def reset(self) -> None:
        """Back to a fresh start: no agents, conversations, tests or requests, and the faults,
        rate limit, webhook and test-run delay that `settings` give."""
        with self.lock:
            self._start_fresh()
            self._changed()

    def _changed(self) -> None:
        """Keep the account as it now is, when the sandbox keeps it (callers hold the lock)."""
        if self.settings.state_file:
            account = persistence.Account(
                self.agents, self.conversations, self.tests, self.test_invocations
            )
            persistence.save(self.settings.state_file, account)

    def _start_fresh(self) -> None:
        with self.lock:
            self.agents = {}
            self.conversations = {}
            self.tests = {}
            self.test_invocations = {}
            self.faults = self.settings.fresh_faults()
            self.requests = []
            self.rate_limit = None
            self.set_rate_limit(self.settings.rate_limit, burst=1)  # in bursts of one
            self.webhook_url = self.settings.webhook_url
            self.webhook_secret = self.settings.webhook_secret
            self.test_run_delay_override = None

    # --- agents, branches, versions

    def agent_create(
        self, *, name: str, conversation_config: dict, platform_settings: dict, tags: list[str]
    ) -> Agent:
        with self.lock:
            agent = Agent(agent_id=new_id("agent_"), name=name, tags=list(tags), main_branch_id="")
            main = Branch(
                id=new_id("agtbrch_"),
                agent_id=agent.agent_id,
                name=MAIN_BRANCH,
                description="The main branch.",
            )
            agent.main_branch_id = main.id
            agent.branches[main.id] = main
            agent.traffic[main.id] = TRAFFIC_PERCENTAGE_SCALE
            self._commit(main, "Initial version", conversation_config, platform_settings)
            self.agents[agent.agent_id] = agent
            self._changed()
            return agent

    def agent_delete(self, agent: Agent) -> None:
        with self.lock:
            self.agents.pop(agent.agent_id, None)
            self._changed()

    def agent_update(
        self,
        agent: Agent,
        *,
        branch_id: str | None = None,
        conversation_config: dict | None = None,
        platform_settings: dict | None = None,
        name: str | None = None,
        tags: list[str] | None = None,
        version_description: str | None = None,
    ) -> Version:
        """Patch an agent; a config change commits a new version on the branch (main if None).

        Configs are merged key by key, as ElevenLabs' PATCH does: what is not sent is kept.
        """
        with self.lock:
            branch = agent.branch(branch_id)
            if branch is None:
                raise KeyError(branch_id)
            if name is not None:
                agent.name = name
            if tags is not None:
                agent.tags = list(tags)
            if conversation_config is not None or platform_settings is not None:
                tip = branch.tip
                self._commit(
                    branch,
                    version_description or "",
                    deep_merge(tip.conversation_config, conversation_config or {}),
                    deep_merge(tip.platform_settings, platform_settings or {}),
                )
            agent.updated_at = now()
            self._changed()
            return branch.tip

    def branch_create(
        self,
        agent: Agent,
        *,
        parent_version_id: str,
        name: str,
        description: str,
        conversation_config: dict | None = None,
        platform_settings: dict | None = None,
    ) -> Branch:
        with self.lock:
            parent = agent.version(parent_version_id)
            if parent is None:
                raise KeyError(parent_version_id)
            self._check_branch_name_free(agent, name)
            branch = Branch(
                id=new_id("agtbrch_"),
                agent_id=agent.agent_id,
                name=name,
                description=description,
                parent_branch_id=parent.branch_id,
            )
            agent.branches[branch.id] = branch
            self._commit(
                branch,
                description,
                deep_merge(parent.conversation_config, conversation_config or {}),
                deep_merge(parent.platform_settings, platform_settings or {}),
                out_of_branch_parent_id=parent.id,
            )
            agent.traffic.setdefault(branch.id, 0.0)
            self._changed()
            return branch

    def branch_update(
        self,
        branch: Branch,
        *,
        name: str | None = None,
        description: str | None = None,
        is_archived: bool | None = None,
    ) -> Branch:
        with self.lock:
            if name is not None and name != branch.name:
                self._check_branch_name_free(self.agents[branch.agent_id], name)
                branch.name = name
            if description is not None:
                branch.description = description
            if is_archived is not None:
                branch.is_archived = is_archived
            self._changed()
            return branch

    def _check_branch_name_free(self, agent: Agent, name: str) -> None:
        if any(branch.name == name for branch in agent.branches.values()):
            raise BranchNameTaken(name)

    def deploy(self, agent: Agent, traffic: dict[str, float]) -> Deployment:
        """Give the agent's traffic to these branches; branches left out get none."""
        with self.lock:
            deployment = Deployment(id=new_id("agtdpl_"), traffic=dict(traffic))
            agent.traffic = {branch_id: traffic.get(branch_id, 0.0) for branch_id in agent.branches}
            agent.deployments.append(deployment)
            self._changed()
            return deployment

    def _commit(
        self,
        branch: Branch,
        description: str,
        conversation_config: dict,
        platform_settings: dict,
        *,
        out_of_branch_parent_id: str | None = None,
    ) -> Version:
        version = Version(
            id=new_id("agtvrsn_"),
            agent_id=branch.agent_id,
            branch_id=branch.id,
            seq_no_in_branch=len(branch.versions),
            description=description,
            conversation_config=conversation_config,
            platform_settings=platform_settings,
            in_branch_parent_id=branch.versions[-1].id if branch.versions else None,
            out_of_branch_parent_id=out_of_branch_parent_id,
        )
        branch.versions.append(version)
        return version

    # --- conversations

    def conversation_start(
        self,
        agent: Agent,
        *,
        branch_id: str | None,
        source: str,
        version_id: str | None = None,
        to_number: str = "",
    ) -> Conversation:
        """Start a conversation on the version asked for, else on the tip of the branch asked
        for or, as ElevenLabs does when neither is, of a branch drawn by the traffic split."""
        with self.lock:
            version = self._version_to_open(agent, branch_id, version_id)
            conversation = Conversation(
                conversation_id=new_id("conv_"),
                agent_id=agent.agent_id,
                branch_id=version.branch_id,
                version_id=version.id,
                source=source,
                to_number=to_number,
            )
            self.conversations[conversation.conversation_id] = conversation
            self._changed()
            return conversation

    def _version_to_open(
        self, agent: Agent, branch_id: str | None, version_id: str | None
    ) -> Version:
        if version_id:
            version = agent.version(version_id)
            if version is None:  # callers refuse an unknown version, each in its own way
                raise KeyError(version_id)
            return version
        branch = agent.branch(branch_id) if branch_id else self._branch_by_traffic(agent)
        return (branch or agent.main).tip

    def conversation_end(
        self, conversation: Conversation, *, status: str = "done", ended_at: float | None = None
    ) -> None:
        with self.lock:
            conversation.status = status
            conversation.ended_at = time.time() if ended_at is None else ended_at
            self._changed()  # with the transcript, written as the call went

    @staticmethod
    def _branch_by_traffic(agent: Agent) -> Branch:
        live = {branch_id: share for branch_id, share in agent.traffic.items() if share > 0}
        if not live:
            return agent.main
        (branch_id,) = random.choices(list(live), weights=list(live.values()))
        return agent.branches[branch_id]

    # --- tests of agents and their runs

    def agent_test_save(self, test: AgentTest) -> None:
        """Keep a new test, or a test's new fields."""
        with self.lock:
            test.updated_at = now()
            self.tests[test.id] = test
            self._changed()

    def agent_test_delete(self, test: AgentTest) -> None:
        with self.lock:
            self.tests.pop(test.id, None)
            self._changed()

    @property
    def test_run_delay(self) -> float:
        """Seconds a test run stays pending: as set at run time, else as the settings say."""
        override = self.test_run_delay_override
        return self.settings.test_run_delay if override is None else override

    def test_run_schedule(self) -> tuple[float | None, Fault | None]:
        """When a test run submitted now finishes (None: never, a "pending" fault), and the
        test-run fault it takes, if any."""
        with self.lock:
            fault = self._take_fault(lambda fault: fault.on_test_run)
            if fault is not None and fault.test_run == "pending":
                return None, fault
            return time.time() + self.test_run_delay, fault

    def invocation_add(self, invocation: AgentTestInvocation) -> None:
        with self.lock:
            self.test_invocations[invocation.id] = invocation
            self._changed()

    def invocation_settle(self, invocation: AgentTestInvocation) -> None:
        """Finish the pending runs whose time has come: they show their outcome."""
        with self.lock:
            clock = time.time()
            due = [
                run
                for run in invocation.runs
                if run.status == "pending"
                and run.finishes_at is not None
                and run.finishes_at <= clock
            ]
            for run in due:
                run.status = run.outcome["status"]
                run.last_updated_at = now()
            if due:
                self._changed()

    def invocation_cancel(self, invocation: AgentTestInvocation) -> None:
        """Cancel the invocation's pending runs; finished ones keep their results."""
        with self.lock:
            self.invocation_settle(invocation)
            for run in invocation.runs:
                if run.status == "pending":
                    run.status = "cancelled"
                    run.last_updated_at = now()
            invocation.cancelled = True
            self._changed()

    def invocation_rename(self, invocation: AgentTestInvocation, name: str | None) -> None:
        with self.lock:
            invocation.name = name
            self._changed()

    def runs_resubmit(
        self,
        invocation: AgentTestInvocation,
        reruns: list[AgentTestRun],
        *,
        branch_id: str,
        version_id: str,
        ran_against_draft: bool,
    ) -> None:
        """Put runs submitted again in the place of the runs of the same ids; the invocation
        now names the version of this latest submission."""
        with self.lock:
            by_id = {run.test_run_id: run for run in reruns}
            invocation.runs = [by_id.get(run.test_run_id, run) for run in invocation.runs]
            invocation.branch_id, invocation.version_id = branch_id, version_id
            invocation.ran_against_draft = ran_against_draft
            invocation.cancelled = False  # some of its runs are running again
            self._changed()

    # --- faults and the rate limit

    def set_rate_limit(self, per_second: float | None, burst: int = 1) -> None:
        """Limit requests to `per_second` (None or 0: no limit), starting with a full bucket."""
        with self.lock:
            self.rate_limit = (
                RateLimit(per_second, burst, tokens=float(burst)) if per_second else None
            )

    def rate_limit_wait(self) -> float:
        """Take a request's token: 0 when it may go ahead, else the seconds until one is free."""
        with self.lock:
            return self.rate_limit.take() if self.rate_limit else 0.0

    def fault_for(self, method: str, path: str) -> Fault | None:
        """Take the first fault matching this request, counting it down."""
        return self._take_fault(
            lambda fault: (
                not (fault.on_socket or fault.on_test_run)
                and (not fault.method or fault.method.upper() == method.upper())
                and (not fault.path or re.search(fault.path, path) is not None)
            )
        )

    def socket_fault(self) -> Fault | None:
        """Take the first socket fault (a drop, slowness), counting it down."""
        return self._take_fault(lambda fault: fault.on_socket)

    def _take_fault(self, applies: Callable[[Fault], bool]) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if applies(fault):
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    return fault
            return None

    def record(self, method: str, path: str, status: int) -> None:
        with self.lock:
            self.requests.append(RequestRecord(method, path, status, time.time()))


store = SandboxStore(settings_from_env())
