"""The deploy and rollback actions of the voice agent admin: the same services, gates and
messages as the API, one result per selected agent."""

import copy

from agents.models import Status, VoiceAgent
from agents.services import agent_update
from deployments.models import AgentVersion, DeploymentKind
from deployments.services import deployment_create
from elevenlabs_sync.receivers import NOT_ON_ELEVENLABS
from tests.admin_helpers import changelist_url, messages_of, run_action, staff_client
from tests.factories import AgentFactory, record_passing_test

APPLY = {"apply": "1"}

# --- Deploy action


def test_deploy_asks_for_the_target_and_note_first(agent, editor):
    client = staff_client(editor)

    response = client.post(
        changelist_url(VoiceAgent),
        {"action": "deploy", "index": "0", "_selected_action": [agent.pk]},
    )

    assert response.status_code == 200
    assert "admin/action_form.html" in [template.name for template in response.templates]
    assert set(response.context["form"].fields) == {"to_status", "changes", "force", "force_reason"}
    agent.refresh_from_db()
    assert agent.status == Status.DRAFT


def test_deploy_to_testing(agent, editor):
    client = staff_client(editor)

    response = run_action(client, VoiceAgent, "deploy", [agent], to_status=Status.TESTING, **APPLY)

    assert ("success", f"{agent}: deployed to testing, version 1.") in messages_of(response)
    agent.refresh_from_db()
    assert agent.status == Status.TESTING
    deployment = agent.deployments.first()
    assert (deployment.kind, deployment.to_status, deployment.deployed_by) == (
        DeploymentKind.DEPLOY,
        Status.TESTING,
        editor,
    )


def test_production_refuses_an_agent_not_on_elevenlabs(agent, owner):
    deployment_create(agent=agent, to_status=Status.TESTING, changes="", actor=owner)
    record_passing_test(agent, owner)
    client = staff_client(owner)

    response = run_action(
        client, VoiceAgent, "deploy", [agent], to_status=Status.PRODUCTION, changes="Go", **APPLY
    )

    assert (
        NOT_ON_ELEVENLABS == "Cannot deploy to production: Agent not properly created in ElevenLabs"
    )
    assert ("error", f"{agent}: {NOT_ON_ELEVENLABS}") in messages_of(response)
    agent.refresh_from_db()
    assert (agent.status, agent.version) == (Status.TESTING, 1)


def test_a_tested_agent_goes_to_production_as_version_two(agent_in, owner):
    agent = agent_in(Status.TESTING)
    record_passing_test(agent, owner)
    client = staff_client(owner)

    response = run_action(
        client,
        VoiceAgent,
        "deploy",
        [agent],
        to_status=Status.PRODUCTION,
        changes="First release",
        **APPLY,
    )

    assert ("success", f"{agent}: deployed to production, version 2.") in messages_of(response)
    agent.refresh_from_db()
    assert (agent.status, agent.version, agent.live_version) == (Status.PRODUCTION, 2, 2)
    assert AgentVersion.objects.get(agent=agent, number=2).changes == "First release"


def test_production_needs_a_changelog_note(agent_in, owner):
    agent = agent_in(Status.TESTING)
    record_passing_test(agent, owner)
    client = staff_client(owner)

    response = run_action(
        client, VoiceAgent, "deploy", [agent], to_status=Status.PRODUCTION, changes=" ", **APPLY
    )

    assert (
        "error",
        f"{agent}: Describe what changed: production deploys need a changelog note.",
    ) in messages_of(response)
    agent.refresh_from_db()
    assert agent.status == Status.TESTING


def test_force_overrides_the_passing_test_gate(agent_in, owner):
    agent = agent_in(Status.TESTING)
    client = staff_client(owner)
    production = {"to_status": Status.PRODUCTION, "changes": "Hotfix", **APPLY}

    refused = run_action(client, VoiceAgent, "deploy", [agent], **production)
    agent.refresh_from_db()
    assert agent.status == Status.TESTING
    [says] = [text for level, text in messages_of(refused) if level == "error"]
    assert "No passing test result" in says
    # The admin's form has its own override control: its words, not the API's fields.
    assert says.endswith('To do so, tick "Override the passing-test gate".')
    assert '"force"' not in says

    reason = "Outage fix; the test runner is down"
    run_action(client, VoiceAgent, "deploy", [agent], force="on", force_reason=reason, **production)
    agent.refresh_from_db()
    assert agent.status == Status.PRODUCTION
    deployment = agent.deployments.first()
    assert (deployment.forced, deployment.force_reason) == (True, reason)


def test_force_without_a_reason_is_refused_and_deploys_nothing(agent_in, owner, db_state):
    agent = agent_in(Status.TESTING)
    client = staff_client(owner)
    before = db_state()

    response = run_action(
        client,
        VoiceAgent,
        "deploy",
        [agent],
        to_status=Status.PRODUCTION,
        changes="Hotfix",
        force="on",
        force_reason="  ",
        **APPLY,
    )

    assert (
        "error",
        f"{agent}: Say why the test gate is skipped: a forced deploy needs a reason.",
    ) in messages_of(response)
    assert not any(level == "success" for level, _ in messages_of(response))
    agent.refresh_from_db()
    assert (agent.status, agent.version) == (Status.TESTING, 1)
    assert db_state() == before


def test_an_editor_cannot_deploy_to_production(agent_in, editor, owner):
    agent = agent_in(Status.TESTING)
    record_passing_test(agent, owner)
    client = staff_client(editor)

    response = run_action(
        client, VoiceAgent, "deploy", [agent], to_status=Status.PRODUCTION, changes="Go", **APPLY
    )

    assert (
        "error",
        f"{agent}: You need the admin role in workspace 'acme' to deploy to production.",
    ) in messages_of(response)
    agent.refresh_from_db()
    assert agent.status == Status.TESTING


def test_deploy_reports_each_agent(workspace, agent_in, editor):
    draft = AgentFactory(workspace=workspace, actor=editor)
    testing = agent_in(Status.TESTING)
    client = staff_client(editor)

    response = run_action(
        client, VoiceAgent, "deploy", [draft, testing], to_status=Status.DRAFT, **APPLY
    )

    shown = messages_of(response)
    assert ("error", f"{draft}: The agent is already in draft.") in shown
    assert ("success", f"{testing}: deployed to draft, version 1.") in shown
    testing.refresh_from_db()
    assert testing.status == Status.DRAFT


# --- Rollback action


def test_rollback_puts_an_old_config_live_as_a_new_version(agent_in, owner):
    agent = agent_in(Status.PRODUCTION)  # v2, live
    live_config = agent.config
    changed = copy.deepcopy(live_config)
    changed["conversation_config"]["agent"]["first_message"] = "Changed"
    agent_update(agent=agent, actor=owner, config=changed)  # back to draft
    client = staff_client(owner)

    page = client.post(
        changelist_url(VoiceAgent),
        {"action": "rollback", "index": "0", "_selected_action": [agent.pk]},
    )
    assert [number for number, _ in page.context["form"].fields["version"].choices] == [2, 1]

    response = run_action(
        client, VoiceAgent, "rollback", [agent], version="2", changes="Bad greeting", **APPLY
    )

    assert (
        "success",
        f"{agent}: Rollback to v2: Bad greeting; version 3 is live.",
    ) in messages_of(response)
    agent.refresh_from_db()
    assert (agent.status, agent.version, agent.live_version) == (Status.PRODUCTION, 3, 3)
    assert agent.config == live_config
    assert AgentVersion.objects.get(agent=agent, number=3).config == live_config
    assert agent.deployments.first().kind == DeploymentKind.ROLLBACK


def test_rollback_takes_exactly_one_agent(agent_in, owner):
    first, second = agent_in(Status.PRODUCTION), agent_in(Status.PRODUCTION)
    client = staff_client(owner)

    response = run_action(client, VoiceAgent, "rollback", [first, second], version="1", **APPLY)

    assert ("error", "Select exactly one agent to roll back.") in messages_of(response)
    assert AgentVersion.objects.filter(agent__in=[first, second], number=3).count() == 0


def test_an_editor_cannot_roll_back(agent_in, editor):
    agent = agent_in(Status.PRODUCTION)
    client = staff_client(editor)

    response = run_action(client, VoiceAgent, "rollback", [agent], version="1", **APPLY)

    assert (
        "error",
        f"{agent}: You need the admin role in workspace 'acme' to roll back.",
    ) in messages_of(response)
    agent.refresh_from_db()
    assert agent.version == 2
