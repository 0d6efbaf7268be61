"""Invite links' rules (testruns/invites.py): who makes and revokes them, the key kept hashed,
expiry, the limit of uses, and the caller's verdict."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from common.errors import Conflict, InvalidInput, NotFound, RoleRequired
from testruns import invites
from testruns.models import (
    Channel,
    Conversation,
    ConversationStatus,
    InviteLink,
    TestSource,
    TestStatus,
)
from testruns.services import conversation_end
from tests.markers import requires_postgres
from workspaces.models import hash_token


def make(agent, actor, **kwargs):
    kwargs.setdefault("expires_in", timedelta(days=2))
    kwargs.setdefault("max_uses", 3)
    return invites.invite_create(
        agent=agent,
        actor=actor,
        version=agent.version,
        config_revision=agent.config_revision,
        branch_id="branch_1",
        **kwargs,
    )


def test_an_editor_makes_a_link_whose_key_is_kept_only_hashed(agent, editor):
    invite, key = make(agent, editor, note="Try booking a table.")

    stored = InviteLink.objects.get(pk=invite.pk)
    assert stored.key_hash == hash_token(key) != key
    assert key not in stored.prefix + stored.key_hash + stored.note
    assert stored.prefix == key[:8]
    assert (stored.created_by, stored.created_by_name) == (editor, editor.username)
    assert stored.note == "Try booking a table."
    assert invites.invite_valid_for_key(key) == stored


@pytest.mark.parametrize("caller", ["tester", "viewer"])
def test_below_the_editor_role_no_link_is_made(agent, request, caller):
    with pytest.raises(RoleRequired):
        make(agent, request.getfixturevalue(caller))
    assert not InviteLink.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"expires_in": timedelta(days=31)}, "expires_in"),
        ({"expires_in": timedelta(0)}, "expires_in"),
        ({"max_uses": 0}, "max_uses"),
        ({"note": "x" * 1_001}, "note"),
    ],
)
def test_a_link_out_of_bounds_is_refused(agent, editor, kwargs, field):
    with pytest.raises(InvalidInput) as refused:
        make(agent, editor, **kwargs)
    assert field in refused.value.errors


def test_an_unknown_key_opens_nothing(agent, editor):
    make(agent, editor)
    assert invites.invite_for_key("not-a-key") is None
    with pytest.raises(NotFound):
        invites.invite_valid_for_key("not-a-key")


def test_an_expired_link_is_refused(agent, editor):
    invite, key = make(agent, editor)
    InviteLink.objects.filter(pk=invite.pk).update(expires_at=timezone.now())

    with pytest.raises(Conflict, match="has expired"):
        invites.invite_valid_for_key(key)
    with pytest.raises(Conflict, match="has expired"):
        invites.invite_conversation_start(invite=InviteLink.objects.get(pk=invite.pk))


def test_each_conversation_takes_a_use_up_to_the_limit(agent, editor):
    invite, key = make(agent, editor, max_uses=2)

    first = invites.invite_conversation_start(invite=invite)
    invites.invite_conversation_start(invite=invite)

    assert (first.channel, first.invite, first.started_by) == (Channel.INVITE, invite, None)
    assert (first.version, first.config_revision) == (invite.version, invite.config_revision)
    with pytest.raises(Conflict, match="used 2 times, its limit"):
        invites.invite_conversation_start(invite=invite)
    assert InviteLink.objects.get(pk=invite.pk).uses == 2
    assert Conversation.objects.count() == 2
    with pytest.raises(Conflict, match="its limit"):
        invites.invite_valid_for_key(key)


def test_a_use_is_taken_in_the_database_not_from_a_stale_copy(agent, editor):
    invite, _ = make(agent, editor, max_uses=1)
    stale = InviteLink.objects.get(pk=invite.pk)  # read before the other caller's use
    invites.invite_conversation_start(invite=invite)

    with pytest.raises(Conflict, match="used once, its limit"):
        invites.invite_conversation_start(invite=stale)
    assert InviteLink.objects.get(pk=invite.pk).uses == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_callers_at_once_cannot_pass_the_limit(workspace, editor):
    from tests.factories import AgentFactory

    agent = AgentFactory(workspace=workspace, actor=editor)
    invite, _ = make(agent, editor, max_uses=2)
    outcomes = []
    barrier = threading.Barrier(6)

    def start():
        barrier.wait()
        try:
            invites.invite_conversation_start(invite=InviteLink.objects.get(pk=invite.pk))
            outcomes.append("started")
        except Conflict:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["refused"] * 4 + ["started"] * 2
    assert InviteLink.objects.get(pk=invite.pk).uses == 2


def test_an_editor_revokes_a_link_and_it_is_refused_then(agent, editor, tester):
    invite, key = make(agent, editor)

    with pytest.raises(RoleRequired):
        invites.invite_revoke(invite=invite, actor=tester)
    assert invites.invite_revoke(invite=invite, actor=editor) is True
    assert invites.invite_revoke(invite=invite, actor=editor) is False

    assert (invite.revoked_by, invite.revoked_at is not None) == (editor, True)
    with pytest.raises(Conflict, match="was revoked"):
        invites.invite_valid_for_key(key)
    assert not invites.invite_list_active(agent=agent).exists()


def test_the_callers_verdict_is_an_external_test_linked_to_the_conversation(agent, editor):
    invite, _ = make(agent, editor)
    conversation = invites.invite_conversation_start(invite=invite)
    with pytest.raises(Conflict, match="still going on"):
        invites.invite_result_record(invite=invite, conversation=conversation, rating=5)
    conversation_end(
        conversation_id=conversation.pk, status=ConversationStatus.COMPLETED, reason="Done"
    )

    result = invites.invite_result_record(
        invite=invite, conversation=conversation, rating=4, notes="Friendly.", name="Ann"
    )

    assert (result.source, result.conversation, result.tested_by) == (
        TestSource.INVITE,
        conversation,
        None,
    )
    assert (result.tested_by_name, result.rating, result.notes) == ("Ann", 4, "Friendly.")
    assert result.status == TestStatus.PASSED
    assert (result.version, result.config_revision) == (invite.version, invite.config_revision)
    with pytest.raises(Conflict, match="saved already"):
        invites.invite_result_record(invite=invite, conversation=conversation, rating=2)


def test_a_link_judges_only_its_own_conversations(agent, editor):
    invite, _ = make(agent, editor)
    other, _ = make(agent, editor)
    conversation = invites.invite_conversation_start(invite=other)

    with pytest.raises(NotFound):
        invites.invite_result_record(invite=invite, conversation=conversation, rating=5)


@pytest.mark.parametrize(
    ("rating", "status"),
    [(5, TestStatus.PASSED), (3, TestStatus.NEEDS_IMPROVEMENT), (1, TestStatus.FAILED)],
)
def test_a_rating_says_the_status(rating, status):
    assert invites.rating_status(rating) == status


def test_a_link_to_an_archived_agent_is_no_longer_active_nor_usable(agent, editor, owner):
    from agents.services import agent_archive

    invite, _ = make(agent, editor)
    agent_archive(agent=agent, actor=owner)

    assert not invites.invite_list_active(agent=agent).exists()
    assert invites.invite_state(InviteLink.objects.get(pk=invite.pk)) == "agent_archived"
    with pytest.raises(Conflict, match="no longer being tested"):
        invites.invite_conversation_start(invite=InviteLink.objects.get(pk=invite.pk))
    assert InviteLink.objects.get(pk=invite.pk).uses == 0
