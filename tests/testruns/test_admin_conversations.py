"""Test conversations in the admin: read-only, with their turns, scoped to the caller's
workspaces."""

import pytest

from testruns.models import Conversation, TestResult
from testruns.services import result_record_from_conversation
from tests.admin_helpers import (
    add_url,
    change_url,
    changelist_url,
    delete_url,
    read_only_inline,
    staff_client,
)
from tests.factories import (
    AgentFactory,
    ConversationFactory,
    ConversationTurnFactory,
    MembershipFactory,
)
from workspaces.roles import Role


@pytest.fixture
def conversations(workspace, editor):
    """Ten conversations held by five testers, across five agents, three turns each."""
    for _ in range(5):
        agent = AgentFactory(workspace=workspace, actor=editor)
        tester = MembershipFactory(workspace=workspace, role=Role.TESTER).user
        for _ in range(2):
            conversation = ConversationFactory(agent=agent, started_by=tester)
            ConversationTurnFactory.create_batch(3, conversation=conversation)
    return Conversation.objects.all()


def test_changelist_shows_the_conversations_in_a_fixed_number_of_queries(
    conversations, owner, django_assert_max_num_queries
):
    client = staff_client(owner)

    with django_assert_max_num_queries(12):
        response = client.get(changelist_url(Conversation))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 10
    shown = [name for name in response.context["cl"].list_display if name != "action_checkbox"]
    assert shown == [
        "started_at",
        "agent",
        "status",
        "target",
        "version",
        "started_by",
        "ended_at",
    ]


@pytest.mark.parametrize("turns", [2, 40])
def test_change_page_is_a_read_only_view_with_the_turns_in_order(
    agent, owner, django_assert_max_num_queries, turns
):
    conversation = ConversationFactory(agent=agent)
    said = ConversationTurnFactory.create_batch(turns, conversation=conversation)
    client = staff_client(owner)

    with django_assert_max_num_queries(12):
        response = client.get(change_url(conversation))

    inline = read_only_inline(response)
    assert [form.instance.pk for form in inline.formset.forms] == [turn.pk for turn in said]
    assert said[-1].text in response.content.decode()


def test_conversations_cannot_be_added_changed_or_deleted(conversations, owner):
    conversation = conversations.first()
    client = staff_client(owner, superuser=True)

    assert client.get(add_url(Conversation)).status_code == 403
    assert client.post(change_url(conversation), {"status": "failed"}).status_code == 403
    assert client.post(delete_url(conversation), {"post": "yes"}).status_code == 403
    conversation.refresh_from_db()
    assert conversation.status == "completed"
    assert conversation.turns.count() == 3


def test_staff_of_another_workspace_sees_none_of_its_conversations(conversations, outsider):
    client = staff_client(outsider)

    assert list(client.get(changelist_url(Conversation)).context["cl"].result_list) == []
    assert client.get(change_url(conversations.first())).status_code == 404


def test_a_test_result_links_the_conversation_it_judges(agent, tester, owner):
    conversation = ConversationFactory(agent=agent, started_by=tester)
    result = result_record_from_conversation(
        conversation=conversation, actor=tester, status="passed"
    )
    client = staff_client(owner)

    response = client.get(change_url(result))

    assert response.status_code == 200
    assert change_url(conversation) in response.content.decode()
    assert TestResult.objects.get().conversation == conversation
