"""The gates before production as the deploy dialog and the agent page show them
(deployments.gates): the checklist, the stages refused, and the refusal's two wordings."""

import pytest

from agents.models import Status
from deployments.gates import GateClosed, move_refusals, production_checklist
from deployments.services import deployment_create
from elevenlabs_sync.receivers import NOT_ON_ELEVENLABS
from testruns.services import (
    conversation_end,
    conversation_start,
    result_record,
    result_record_from_conversation,
)
from tests.factories import record_passing_test


def test_a_live_agent_has_no_checklist(agent_in, owner):
    assert production_checklist(agent=agent_in(Status.PRODUCTION), user=owner) == []


@pytest.mark.parametrize("status", [Status.DRAFT, Status.TESTING])
def test_the_role_gate_is_about_the_reader(agent_in, owner, editor, status):
    agent = agent_in(status)

    [admin_gate, *_] = production_checklist(agent=agent, user=owner)
    [editor_gate, *_] = production_checklist(agent=agent, user=editor)

    assert (admin_gate.label, admin_gate.passed) == ("You have the admin role", True)
    assert (editor_gate.label, editor_gate.passed) == ("You have the admin role", False)


def test_production_is_refused_while_a_gate_nobody_may_override_is_closed(agent, owner):
    deployment_create(agent=agent, to_status=Status.TESTING, changes="", actor=owner)
    record_passing_test(agent, owner)
    agent.refresh_from_db()  # in testing, tested, but only a placeholder on ElevenLabs

    assert move_refusals(agent=agent, user=owner)[Status.PRODUCTION] == NOT_ON_ELEVENLABS


def test_a_closed_gate_an_admin_may_override_leaves_production_to_choose(agent_in, owner):
    assert move_refusals(agent=agent_in(Status.TESTING), user=owner)[Status.PRODUCTION] == ""


def test_the_api_hears_how_to_force_the_gate_and_pages_do_not(agent_in, owner):
    agent = agent_in(Status.TESTING)

    with pytest.raises(GateClosed) as refused:
        deployment_create(agent=agent, to_status=Status.PRODUCTION, changes="Go", actor=owner)

    gate = refused.value.gate
    assert refused.value.message.endswith('("force": true and "force_reason" in the API).')
    assert gate.problem.endswith("or, as an admin, override the gate and give the reason.")
    assert '"force"' not in gate.problem
    assert (refused.value.code, refused.value.status_code) == ("passing_test_required", 409)


@pytest.fixture
def needs_evidence(workspace):
    workspace.production_needs_evidence = True
    workspace.save()


def judged_conversation(agent, tester, *, status="passed"):
    """A conversation with the agent's working config, ended and judged `status`."""
    conversation = conversation_start(
        agent=agent,
        actor=tester,
        target="testing",
        version=agent.version,
        config_revision=agent.config_revision,
    )
    conversation_end(conversation_id=conversation.pk, status="completed", reason="done")
    conversation.refresh_from_db()
    return result_record_from_conversation(conversation=conversation, actor=tester, status=status)


@pytest.mark.parametrize("source", ["manual", "api"])
def test_where_evidence_is_needed_a_result_typed_in_does_not_open_the_gate(
    agent_in, owner, needs_evidence, source
):
    agent = agent_in(Status.TESTING)
    result_record(agent=agent, actor=owner, duration=30, status="passed", source=source)

    gate = production_checklist(agent=agent, user=owner)[-1]

    assert gate.label == (
        f"A passing test of a conversation with this config (revision {agent.config_revision})"
    )
    assert not gate.passed
    assert "results recorded by hand or through the API do not count" in gate.problem
    with pytest.raises(GateClosed):
        deployment_create(agent=agent, to_status=Status.PRODUCTION, changes="Go", actor=owner)


def test_where_evidence_is_needed_a_passing_conversation_opens_the_gate(
    agent_in, owner, tester, needs_evidence
):
    agent = agent_in(Status.TESTING)
    judged_conversation(agent, tester, status="failed")
    assert not production_checklist(agent=agent, user=owner)[-1].passed

    judged_conversation(agent, tester)

    assert production_checklist(agent=agent, user=owner)[-1].passed
    deployment_create(agent=agent, to_status=Status.PRODUCTION, changes="Go", actor=owner)


def test_without_the_setting_a_result_typed_in_opens_the_gate(agent_in, owner):
    agent = agent_in(Status.TESTING)
    result_record(agent=agent, actor=owner, duration=30, status="passed", source="api")

    assert production_checklist(agent=agent, user=owner)[-1].passed


@pytest.mark.parametrize("evidence", [False, True])
def test_a_callers_rating_through_an_invite_link_never_opens_the_gate(
    agent_in, owner, workspace, evidence
):
    workspace.production_needs_evidence = evidence
    workspace.save()
    agent = agent_in(Status.TESTING)
    result_record(agent=agent, actor=owner, duration=30, status="passed", source="invite")

    assert not production_checklist(agent=agent, user=owner)[-1].passed
