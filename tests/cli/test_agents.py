"""`switchboard agents list` and `agents show`, against the live server."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agents.models import Status
from tests.factories import AgentFactory, MembershipFactory, WorkspaceFactory
from workspaces.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_installed_console_script_lists_agents(asgi_server, viewer, token_of, make_agent):
    make_agent(name="Front Desk")
    script = Path(sys.executable).with_name("switchboard")
    environment = {
        **os.environ,
        "SWITCHBOARD_URL": asgi_server,
        "SWITCHBOARD_TOKEN": token_of(viewer),
    }

    finished = subprocess.run(
        [str(script), "agents", "list", "--json"],
        capture_output=True,
        text=True,
        env=environment,
        cwd="/",  # not the checkout: the installed package, not the working directory
        timeout=60,
    )

    assert finished.returncode == 0, finished.stderr
    assert [agent["name"] for agent in json.loads(finished.stdout)] == ["Front Desk"]
    assert finished.stderr == ""  # no progress line in a pipe


def test_list_shows_a_line_per_agent(cli, viewer, make_agent):
    make_agent(name="Front Desk", tags=["reception"])
    make_agent(Status.TESTING, name="Billing")

    run = cli(viewer, "agents", "list")

    assert run.code == 0
    header, *rows = run.out.splitlines()
    assert header.split() == ["ID", "NAME", "WORKSPACE", "STAGE", "VERSION", "LIVE", "SYNC"]
    assert [row.split()[1:5] for row in rows] == [
        ["Billing", "acme", "testing", "v1"],
        ["Front", "Desk", "acme", "draft"],
    ]
    assert run.err == ""


def test_list_filters_as_the_api_does(cli, viewer, make_agent):
    make_agent(name="Front Desk")
    make_agent(Status.TESTING, name="Billing", tags=["money"])
    other = WorkspaceFactory(slug="beta")
    MembershipFactory(workspace=other, user=viewer, role=Role.VIEWER)
    AgentFactory(workspace=other, name="Beta Bot")

    def names(*filters: str) -> list[str]:
        run = cli(viewer, "agents", "list", "--json", *filters)
        assert run.code == 0, run.err
        return sorted(agent["name"] for agent in json.loads(run.out))

    assert names() == ["Beta Bot", "Billing", "Front Desk"]
    assert names("--status", "testing") == ["Billing"]
    assert names("--workspace", "beta") == ["Beta Bot"]
    assert names("--tag", "money") == ["Billing"]
    assert names("--search", "desk") == ["Front Desk"]


def test_list_json_is_the_apis_agents(cli, viewer, make_agent):
    agent = make_agent(name="Front Desk")

    run = cli(viewer, "--json", "agents", "list")

    [shown] = json.loads(run.out)
    assert shown["id"] == agent.pk
    assert shown["deployment"]["status"] == "draft"
    assert "config" not in shown  # as the API lists agents


def test_show_finds_an_agent_by_id_or_by_name(cli, viewer, make_agent):
    agent = make_agent(Status.PRODUCTION, name="Front Desk", tags=["reception"])

    by_id = cli(viewer, "agents", "show", str(agent.pk))
    by_name = cli(viewer, "agents", "show", "Front Desk")

    assert by_id.code == by_name.code == 0
    assert by_id.out == by_name.out
    assert by_id.out.splitlines()[0] == f"Front Desk (agent {agent.pk}, workspace acme)"
    assert "production, version 2; v2 is live" in by_id.out
    assert "Go live" in by_id.out  # the changelog


def test_show_json_is_the_agent_as_the_api_shows_it(cli, viewer, make_agent):
    agent = make_agent(name="Front Desk")

    run = cli(viewer, "agents", "show", "Front Desk", "--json")

    shown = json.loads(run.out)
    assert shown["id"] == agent.pk
    assert shown["config"] == agent.config
    assert shown["deployment"]["changelog"][0]["changes"] == "Initial version"


def test_an_unknown_name_exits_2_saying_so(cli, viewer, make_agent):
    make_agent(name="Front Desk")

    run = cli(viewer, "agents", "show", "Front")  # a name contains it; none is it

    assert run.code == 2
    assert run.out == ""
    assert run.err.strip() == (
        "No agent named 'Front' in your workspaces; `switchboard agents list` shows them."
    )


def test_a_name_two_agents_have_exits_2_naming_both(cli, viewer, make_agent):
    first = make_agent(name="Front Desk")
    other = WorkspaceFactory(slug="beta")
    MembershipFactory(workspace=other, user=viewer, role=Role.VIEWER)
    second = AgentFactory(workspace=other, name="Front Desk")

    ambiguous = cli(viewer, "agents", "show", "Front Desk")
    chosen = cli(viewer, "agents", "show", "Front Desk", "--workspace", "beta", "--json")

    assert ambiguous.code == 2
    assert f"{first.pk} in acme, {second.pk} in beta" in ambiguous.err
    assert chosen.code == 0
    assert json.loads(chosen.out)["id"] == second.pk


def test_an_unknown_id_exits_2_with_the_apis_message(cli, viewer, make_agent, outsider):
    hidden = AgentFactory(workspace=WorkspaceFactory(), name="Not yours")

    run = cli(viewer, "agents", "show", str(hidden.pk), "--json")

    assert run.code == 2
    body = json.loads(run.out)  # with --json, the API's error on stdout too
    assert body["code"] == "not_found"
    assert run.err.strip() == body["message"]


def test_a_server_error_exits_2(cli, viewer, make_agent, monkeypatch):
    agent = make_agent(name="Front Desk")

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("api.agents.agent_shown", broken)

    run = cli(viewer, "agents", "show", str(agent.pk))

    assert run.code == 2
    assert run.out == ""
    assert run.err.strip()  # the API's sentence, without details
    assert "a bug" not in run.err


def test_a_revoked_or_wrong_token_exits_2(asgi_server, run_cli):
    run = run_cli("agents", "list", url=asgi_server, token="not-a-key")

    assert run.code == 2
    assert "token" in run.err.lower()
