"""Invite links in the admin: read-only, scoped to the caller's workspaces, never showing the
key or its hash, with the conversations held through each, and an action that revokes them
through `invite_revoke` (docs/conversations.md, "Invite links")."""

import asyncio
from datetime import timedelta

import pytest
from django.utils import timezone

from agents.services import agent_archive
from testruns.invites import invite_create, invite_refusal, invite_revoke
from testruns.models import Conversation, ConversationStatus, InviteLink
from tests.admin_helpers import (
    add_url,
    change_url,
    changelist_url,
    delete_url,
    messages_of,
    read_only_inline,
    run_action,
    staff_client,
)
from tests.factories import AgentFactory, ConversationFactory

NEEDS_EDITOR = "You need the editor role in workspace 'acme' to manage invite links."


def make_link(agent, actor, **kwargs) -> tuple[InviteLink, str]:
    """A link to `agent`'s testing branch, made by the service (the way the UI and API do)."""
    kwargs.setdefault("expires_in", timedelta(days=2))
    kwargs.setdefault("max_uses", 3)
    return invite_create(
        agent=agent,
        actor=actor,
        version=agent.version,
        config_revision=agent.config_revision,
        branch_id="agtbrch_1",
        **kwargs,
    )


def through(invite: InviteLink, **kwargs) -> Conversation:
    """A conversation held through `invite`, as the relay records one."""
    return ConversationFactory(
        agent=invite.agent, invite=invite, channel="invite", started_by=None, **kwargs
    )


@pytest.fixture
def links(workspace, editor):
    """`links(count)`: `count` links across agents of `workspace`, each with a conversation."""

    def make(count: int) -> list[InviteLink]:
        agents = [AgentFactory(workspace=workspace, actor=editor) for _ in range(3)]
        made = []
        for index in range(count):
            invite, _ = make_link(agents[index % 3], editor, note=f"Call number {index}")
            through(invite)
            made.append(invite)
        return made

    return make


@pytest.fixture
def in_each_state(agent, owner, editor):
    """One link in each state, by the state's value."""
    active, _ = make_link(agent, editor, note="Still good")
    revoked, _ = make_link(agent, editor)
    invite_revoke(invite=revoked, actor=editor)
    expired, _ = make_link(agent, editor)
    InviteLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    used_up, _ = make_link(agent, editor, max_uses=1)
    InviteLink.objects.filter(pk=used_up.pk).update(uses=1)
    archived_agent = AgentFactory(workspace=agent.workspace, actor=editor)
    archived, _ = make_link(archived_agent, editor)
    agent_archive(agent=archived_agent, actor=owner)
    return {
        "active": active,
        "revoked": revoked,
        "expired": expired,
        "used_up": used_up,
        "agent_archived": archived,
    }


# --- The list


@pytest.mark.parametrize("count", [3, 30])
def test_changelist_runs_a_fixed_number_of_queries_whatever_the_links(
    links, owner, django_assert_max_num_queries, count
):
    links(count)
    client = staff_client(owner)

    with django_assert_max_num_queries(12):
        response = client.get(changelist_url(InviteLink))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == count


@pytest.mark.parametrize(
    ("state", "label"),
    [
        ("active", "active"),
        ("revoked", "revoked"),
        ("expired", "expired"),
        ("used_up", "used up"),
        ("agent_archived", "agent archived"),
    ],
)
def test_the_state_column_and_filter_agree_with_invite_refusal(in_each_state, owner, state, label):
    client = staff_client(owner)

    response = client.get(changelist_url(InviteLink), {"state": state})

    assert list(response.context["cl"].result_list) == [in_each_state[state]]
    assert f'<td class="field-state">{label}</td>' in response.content.decode()
    invite = InviteLink.objects.select_related("agent").get(pk=in_each_state[state].pk)
    assert (invite_refusal(invite) is None) is (state == "active")


def test_every_link_is_listed_without_a_state_filter(in_each_state, owner):
    response = staff_client(owner).get(changelist_url(InviteLink))

    assert set(response.context["cl"].result_list) == set(in_each_state.values())


def test_links_are_found_by_agent_name_and_by_note(workspace, editor, owner):
    desk = AgentFactory(workspace=workspace, actor=editor, name="Front Desk")
    bookings = AgentFactory(workspace=workspace, actor=editor, name="Bookings")
    at_desk, _ = make_link(desk, editor, note="Ask about parking")
    booking, _ = make_link(bookings, editor, note="Try to book a table for six")
    client = staff_client(owner)

    def found(query: str) -> list[InviteLink]:
        return list(client.get(changelist_url(InviteLink), {"q": query}).context["cl"].result_list)

    assert found("Front Desk") == [at_desk]
    assert found("table for six") == [booking]


# --- One link


@pytest.mark.parametrize("conversations", [2, 15])
def test_change_page_is_read_only_and_shows_the_conversations_through_the_link(
    agent, editor, owner, django_assert_max_num_queries, conversations
):
    invite, _ = make_link(agent, editor, max_uses=20)
    held = [through(invite) for _ in range(conversations)]
    InviteLink.objects.filter(pk=invite.pk).update(uses=conversations)
    other, _ = make_link(agent, editor)
    through(other)
    client = staff_client(owner)

    with django_assert_max_num_queries(12):
        response = client.get(change_url(invite))

    inline = read_only_inline(response)
    newest = sorted(held, key=lambda c: (c.started_at, c.pk), reverse=True)[:10]
    assert [form.instance.pk for form in inline.formset.forms] == [c.pk for c in newest]
    html = response.content.decode()
    assert change_url(newest[0]) in html
    all_of_them = f"{changelist_url(Conversation)}?invite__id__exact={invite.pk}"
    assert all_of_them in html

    listed = client.get(all_of_them)

    assert listed.status_code == 200
    assert {c.pk for c in listed.context["cl"].result_list} == {c.pk for c in held}


def test_a_conversation_names_the_link_it_came_through(agent, editor, owner):
    invite, _ = make_link(agent, editor)
    conversation = through(invite)

    response = staff_client(owner).get(change_url(conversation))

    assert change_url(invite) in response.content.decode()


def test_neither_the_key_nor_its_hash_is_ever_shown(agent, editor, owner):
    invite, key = make_link(agent, editor, note="Try it")
    conversation = through(invite)
    client = staff_client(owner, superuser=True)

    pages = [
        client.get(changelist_url(InviteLink)),
        client.get(change_url(invite)),
        client.get(change_url(conversation)),
    ]

    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200
        assert key not in html
        assert invite.key_hash not in html
    assert f"{invite.prefix}…" in pages[0].content.decode()


def test_links_cannot_be_added_changed_or_deleted_in_the_admin(agent, editor, owner):
    invite, _ = make_link(agent, editor, max_uses=3)
    client = staff_client(owner, superuser=True)

    assert client.get(add_url(InviteLink)).status_code == 403
    assert client.post(add_url(InviteLink), {"agent": agent.pk, "max_uses": 5}).status_code == 403
    assert client.post(change_url(invite), {"max_uses": 1000}).status_code == 403
    assert client.post(delete_url(invite), {"post": "yes"}).status_code == 403
    invite.refresh_from_db()
    assert invite.max_uses == 3
    actions = client.get(changelist_url(InviteLink)).context["action_form"].fields["action"]
    assert [name for name, _ in actions.choices if name] == ["revoke_selected"]


# --- Another workspace


def test_staff_of_another_workspace_sees_none_of_its_links(agent, editor, outsider):
    invite, _ = make_link(agent, editor)
    client = staff_client(outsider)

    assert list(client.get(changelist_url(InviteLink)).context["cl"].result_list) == []
    assert client.get(change_url(invite)).status_code == 404


def test_staff_of_another_workspace_cannot_revoke_its_links(agent, editor, outsider):
    invite, _ = make_link(agent, editor)
    client = staff_client(outsider)

    response = run_action(client, InviteLink, "revoke_selected", [invite])

    assert response.status_code == 200
    assert not any(level == "success" for level, _ in messages_of(response))
    invite.refresh_from_db()
    assert invite.revoked_at is None


# --- Revoking


def test_an_editor_revokes_the_selected_links_and_hears_how_many(agent, editor):
    first, _ = make_link(agent, editor)
    second, _ = make_link(agent, editor)
    before, _ = make_link(agent, editor)
    invite_revoke(invite=before, actor=editor)
    kept, _ = make_link(agent, editor)
    client = staff_client(editor)

    response = run_action(client, InviteLink, "revoke_selected", [first, second, before])

    shown = messages_of(response)
    assert (
        "success",
        "Revoked 2 invite links; their conversations going on are being ended.",
    ) in shown
    assert ("info", "1 of the selected was revoked already.") in shown
    for invite in (first, second):
        invite.refresh_from_db()
        assert (invite.revoked_by, invite.revoked_at is not None) == (editor, True)
        assert invite_refusal(invite) is not None
    kept.refresh_from_db()
    assert kept.revoked_at is None


@pytest.mark.parametrize("caller", ["tester", "viewer"])
def test_below_the_editor_role_the_action_revokes_nothing(agent, editor, request, caller):
    invite, _ = make_link(agent, editor)
    client = staff_client(request.getfixturevalue(caller))

    response = run_action(client, InviteLink, "revoke_selected", [invite])

    assert messages_of(response) == [("error", f"{invite}: {NEEDS_EDITOR}")]
    invite.refresh_from_db()
    assert invite.revoked_at is None


# --- Revoking ends the conversation going on, through the relay (elevenlabs_sync/relay.py)


@pytest.mark.django_db(transaction=True)
def test_the_revoke_action_ends_the_conversation_going_on_through_the_link(
    application, editor, agent_in_testing
):
    from channels.db import database_sync_to_async

    from elevenlabs_sync import live
    from tests.elevenlabs_sync.relay_client import (
        ORIGIN,
        TIMEOUT,
        opened,
        receive_until,
        socket,
    )

    invite, key = live.invite_create(
        agent=agent_in_testing, actor=editor, expires_in=timedelta(hours=1), max_uses=2
    )
    client = staff_client(editor)

    async def talk():
        communicator = socket(
            application, agent_in_testing.pk, headers=[ORIGIN], query=f"invite={key}"
        )
        await opened(communicator)
        response = await database_sync_to_async(run_action)(
            client, InviteLink, "revoke_selected", [invite]
        )
        said = await receive_until(communicator, "error")
        closed = await communicator.receive_output(TIMEOUT)
        return response, said[-1], closed

    response, error, closed = asyncio.run(talk())

    assert (
        "success",
        "Revoked 1 invite link; their conversations going on are being ended.",
    ) in messages_of(response)
    assert error["error_event"]["message"] == (
        "The invite link was revoked; the conversation has ended."
    )
    assert closed["code"] == 1008
    conversation = Conversation.objects.get(invite=invite)
    assert conversation.status == ConversationStatus.INTERRUPTED
    assert conversation.end_reason == "The invite link was revoked."
