"""The sandbox's account kept in a JSON file across restarts: its agents (branches, versions,
traffic, deployments), conversations, tests and test invocations (with their runs), as
ElevenLabs keeps them whatever happens to its servers. The instruments of tests (faults, the
rate limit, the webhook, the request log) are not kept: a restart sets them up from the
sandbox's settings again.

Written whole after every change, to a temporary file in the same directory and then renamed
over the old one, so a crash leaves the old state or the new one, never half of either. The
store calls `save` under its lock, so writes never interleave within the process; one process
owns a file (the embedded sandbox is single-process by design).
"""

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from sandbox.records import (
    Agent,
    AgentTest,
    AgentTestInvocation,
    AgentTestRun,
    Branch,
    Conversation,
    Deployment,
    Version,
)

FORMAT = 1


@dataclass
class Account:
    """What the sandbox's account holds, each record by its id."""

    agents: dict[str, Agent] = field(default_factory=dict)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    tests: dict[str, AgentTest] = field(default_factory=dict)
    test_invocations: dict[str, AgentTestInvocation] = field(default_factory=dict)


def save(path: str, account: Account) -> None:
    kept = {
        "format": FORMAT,
        "agents": list(account.agents.values()),
        "conversations": list(account.conversations.values()),
        "tests": list(account.tests.values()),
        "test_invocations": list(account.test_invocations.values()),
    }
    # Records are dataclasses of JSON values: their fields are read as they are (`vars`), not
    # deep-copied first as dataclasses.asdict would, which took most of a save's time.
    text = json.dumps(kept, default=vars)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o600)  # it holds every agent's prompt
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


def load(path: str) -> Account:
    """The account kept in `path`; an empty one when there is no file yet.
    ImproperlyConfigured naming the file when it holds something else. A file written before
    the sandbox kept tests has none."""
    try:
        with open(path) as file:
            kept = json.load(file)
    except FileNotFoundError:
        return Account()
    except (OSError, ValueError) as error:
        raise _unreadable(path, str(error)) from None
    if not isinstance(kept, dict) or kept.get("format") != FORMAT:
        raise _unreadable(path, f"not the sandbox's state (format {FORMAT})")
    try:
        agents = [_agent(data) for data in kept["agents"]]
        conversations = [Conversation(**data) for data in kept["conversations"]]
        tests = [AgentTest(**data) for data in kept.get("tests", [])]
        invocations = [_invocation(data) for data in kept.get("test_invocations", [])]
    except (KeyError, TypeError, AttributeError) as error:
        raise _unreadable(path, f"a record is malformed ({error!r})") from None
    return Account(
        agents={agent.agent_id: agent for agent in agents},
        conversations={item.conversation_id: item for item in conversations},
        tests={test.id: test for test in tests},
        test_invocations={invocation.id: invocation for invocation in invocations},
    )


def _invocation(data: dict) -> AgentTestInvocation:
    runs = [AgentTestRun(**run) for run in data["runs"]]
    return AgentTestInvocation(**{**data, "runs": runs})


def _agent(data: dict) -> Agent:
    branches = {
        branch_id: Branch(
            **{**branch, "versions": [Version(**version) for version in branch["versions"]]}
        )
        for branch_id, branch in data["branches"].items()
    }
    deployments = [Deployment(**deployment) for deployment in data["deployments"]]
    return Agent(**{**data, "branches": branches, "deployments": deployments})


def _unreadable(path: str, why: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(
        f"SANDBOX_STATE_FILE {path} cannot be read: {why}. Move it away to start with an "
        "empty sandbox."
    )
