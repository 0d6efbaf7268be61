"""`switchboard deploy` and `switchboard rollback`, and their exit codes: 0 done, 1 the
lifecycle refused, 2 anything else."""

import json

import pytest

from agents.models import Status
from deployments.models import Deployment
from tests.factories import record_passing_test

pytestmark = pytest.mark.django_db(transaction=True)


def test_deploy_to_testing_exits_0(cli, editor, make_agent):
    agent = make_agent(name="Front Desk")

    run = cli(editor, "deploy", "Front Desk", "--to", "testing", "--changes", "Ready for QA")

    assert run.code == 0, run.err
    assert run.out.splitlines()[0] == f"Agent deployed to testing: Front Desk (agent {agent.pk})."
    agent.refresh_from_db()
    assert agent.status == Status.TESTING
    assert Deployment.objects.filter(agent=agent, to_status=Status.TESTING).count() == 1


def test_production_without_a_passing_test_exits_1_with_the_gates_message(cli, owner, make_agent):
    agent = make_agent(Status.TESTING, name="Front Desk")

    run = cli(owner, "deploy", str(agent.pk), "--to", "production", "--changes", "Ship it")

    assert run.code == 1
    assert run.out == ""
    assert "passing test" in run.err
    agent.refresh_from_db()
    assert agent.status == Status.TESTING


def test_a_refusal_with_json_prints_the_apis_error(cli, owner, make_agent):
    agent = make_agent(Status.TESTING)

    run = cli(owner, "deploy", str(agent.pk), "--to", "production", "--changes", "x", "--json")

    assert run.code == 1
    body = json.loads(run.out)
    assert body["success"] is False
    assert body["code"] == "passing_test_required"
    assert run.err.strip() == body["message"]


def test_production_after_a_passing_test_exits_0(cli, owner, make_agent):
    agent = make_agent(Status.TESTING, name="Front Desk")
    record_passing_test(agent, owner)

    run = cli(owner, "deploy", "Front Desk", "--to", "production", "--changes", "Ship it")

    assert run.code == 0, run.err
    assert "Stage production, version 2, v2 live" in run.out
    agent.refresh_from_db()
    assert (agent.status, agent.live_version) == (Status.PRODUCTION, 2)


def test_an_admin_may_force_the_test_gate_with_a_reason(cli, owner, make_agent):
    agent = make_agent(Status.TESTING)

    run = cli(
        owner,
        "deploy",
        str(agent.pk),
        "--to",
        "production",
        "--changes",
        "Hotfix",
        "--force",
        "Outage: tested by phone",
        "--json",
    )

    assert run.code == 0, run.err
    answer = json.loads(run.out)
    assert answer["success"] is True
    assert answer["agent"]["deployment"]["status"] == "production"
    deployment = Deployment.objects.get(agent=agent, to_status=Status.PRODUCTION)
    assert (deployment.forced, deployment.force_reason) == (True, "Outage: tested by phone")


def test_production_without_a_note_exits_2(cli, owner, make_agent):
    agent = make_agent(Status.TESTING)
    record_passing_test(agent, owner)

    run = cli(owner, "deploy", str(agent.pk), "--to", "production")

    assert run.code == 2  # bad input, not the lifecycle: say what changed and run it again
    assert run.err.strip() == "Describe what changed: production deploys need a changelog note."


def test_an_editor_deploying_to_production_exits_2(cli, editor, owner, make_agent):
    agent = make_agent(Status.TESTING)
    record_passing_test(agent, owner)

    run = cli(editor, "deploy", str(agent.pk), "--to", "production", "--changes", "Ship it")

    assert run.code == 2  # the token's role: the pipeline's set-up, not the agent
    assert "admin" in run.err


def test_an_agent_already_live_exits_1(cli, owner, make_agent):
    agent = make_agent(Status.PRODUCTION)

    run = cli(owner, "deploy", str(agent.pk), "--to", "production", "--changes", "Again")

    assert run.code == 1
    assert run.err.strip()


def test_rollback_puts_an_earlier_version_live_as_a_new_one(cli, owner, make_agent, ship):
    agent = make_agent(Status.PRODUCTION, name="Front Desk")  # v2
    ship(
        agent,
        {**agent.config, "platform_settings": {"call_limits": {"agent_concurrency_limit": 3}}},
    )
    agent.refresh_from_db()
    assert agent.live_version == 3

    run = cli(owner, "rollback", "Front Desk", "--to-version", "2", "--changes", "v3 misroutes")

    assert run.code == 0, run.err
    assert run.out.splitlines()[0] == (
        f"Agent rolled back to v2, live as v4: Front Desk (agent {agent.pk})."
    )
    agent.refresh_from_db()
    assert (agent.version, agent.live_version) == (4, 4)


def test_rollback_to_a_version_that_does_not_exist_exits_2(cli, owner, make_agent):
    agent = make_agent(Status.PRODUCTION)

    run = cli(owner, "rollback", str(agent.pk), "--to-version", "9")

    assert run.code == 2
    assert "9" in run.err
