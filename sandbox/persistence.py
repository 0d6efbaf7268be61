"""The sandbox's account kept in a JSON file across restarts: its agents (branches, versions,
traffic, deployments) and conversations, as ElevenLabs keeps them whatever happens to its
servers. The instruments of tests (faults, the rate limit, the webhook, the request log) are
not kept: a restart sets them up from the sandbox's settings again.

Written whole after every change, to a temporary file in the same directory and then renamed
over the old one, so a crash leaves the old state or the new one, never half of either. The
store calls `save` under its lock, so writes never interleave within the process; one process
owns a file (the embedded sandbox is single-process by design).
"""

import json
import os
import tempfile
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from sandbox.records import Agent, Branch, Conversation, Deployment, Version

FORMAT = 1


def save(path: str, agents: dict[str, Agent], conversations: dict[str, Conversation]) -> None:
    account = {
        "format": FORMAT,
        "agents": list(agents.values()),
        "conversations": list(conversations.values()),
    }
    # Records are dataclasses of JSON values: their fields are read as they are (`vars`), not
    # deep-copied first as dataclasses.asdict would, which took most of a save's time.
    text = json.dumps(account, default=vars)
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


def load(path: str) -> tuple[dict[str, Agent], dict[str, Conversation]]:
    """The account kept in `path`; an empty one when there is no file yet.
    ImproperlyConfigured naming the file when it holds something else."""
    try:
        with open(path) as file:
            account = json.load(file)
    except FileNotFoundError:
        return {}, {}
    except (OSError, ValueError) as error:
        raise _unreadable(path, str(error)) from None
    if not isinstance(account, dict) or account.get("format") != FORMAT:
        raise _unreadable(path, f"not the sandbox's state (format {FORMAT})")
    try:
        agents = [_agent(data) for data in account["agents"]]
        conversations = [Conversation(**data) for data in account["conversations"]]
    except (KeyError, TypeError, AttributeError) as error:
        raise _unreadable(path, f"a record is malformed ({error!r})") from None
    return (
        {agent.agent_id: agent for agent in agents},
        {item.conversation_id: item for item in conversations},
    )


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
