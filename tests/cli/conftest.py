"""The `switchboard` command line, end to end: the product served by uvicorn on a real port
(`asgi_server`), syncing to the sandbox, and the CLI run in the test's process (`cli`)."""

from dataclasses import dataclass

import pytest

from agents.models import Status
from switchboard_cli import client
from switchboard_cli.main import main
from tests.factories import AgentFactory, taken_to
from workspaces.services import api_token_create


@dataclass
class Run:
    """What a command did: its exit code and what it printed."""

    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def waits(monkeypatch) -> list[float]:
    """The seconds the CLI waited before its retries (it waits for none of them here)."""
    waited: list[float] = []
    monkeypatch.setattr(client, "sleep", waited.append)
    return waited


@pytest.fixture
def run_cli(capsys, monkeypatch):
    """`run_cli(*argv, url=..., token=..., transport=None)`: `main(argv)` with
    SWITCHBOARD_URL and SWITCHBOARD_TOKEN set (None: unset), and what it printed."""

    def run(*argv: str, url: str | None, token: str | None, transport=None) -> Run:
        for variable, value in (("SWITCHBOARD_URL", url), ("SWITCHBOARD_TOKEN", token)):
            if value is None:
                monkeypatch.delenv(variable, raising=False)
            else:
                monkeypatch.setenv(variable, value)
        capsys.readouterr()
        code = main(list(argv), transport=transport)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def token_of():
    """`token_of(user)`: an API key of the user's (one per user and test)."""
    keys: dict[int, str] = {}

    def key(user) -> str:
        if user.pk not in keys:
            keys[user.pk] = api_token_create(user=user, name="cli")[1]
        return keys[user.pk]

    return key


@pytest.fixture
def cli(asgi_server, run_cli, token_of):
    """`cli(user, *argv, transport=None)`: the command run as `user` against the server."""

    def run(user, *argv: str, transport=None) -> Run:
        return run_cli(*argv, url=asgi_server, token=token_of(user), transport=transport)

    return run


@pytest.fixture
def make_agent(workspace, owner):
    """`make_agent(status="draft", **fields)`: an agent of "acme" created as users create
    them; its sync has created it on the sandbox. At "production" it got there the real way
    (testing, a passing test, production: v2 live)."""

    def make(status: str = Status.DRAFT, **fields):
        agent = AgentFactory(workspace=workspace, actor=owner, **fields)
        agent.refresh_from_db()
        assert not agent.sync.elevenlabs_agent_id.startswith("local_"), "synced to the sandbox"
        return taken_to(agent, status, owner)

    return make
