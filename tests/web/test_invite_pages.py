"""Invite links in the web UI (web/views/invites.py): an editor makes and revokes them; whoever
holds one gets a console with nothing else of the product, and saves a rating of the
conversation as a test result from an invite link."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from agents.models import Status
from elevenlabs_sync.models import AgentSync
from testruns import invites
from testruns.models import ConversationStatus, InviteLink, TestResult
from testruns.models import TestSource as ResultSource
from testruns.services import conversation_end, conversation_transcript_add
from testruns.transcript import Identified
from workspaces.models import hash_token

NEW = {"expires_in": "7d", "max_uses": "3", "note": "Try to book a table for two."}


@pytest.fixture
def testing_agent(agent_in):
    agent = agent_in(Status.TESTING)
    AgentSync.objects.filter(pk=agent.pk).update(testing_branch_id="agtbrch_1")
    agent.refresh_from_db()
    return agent


@pytest.fixture
def invite(testing_agent, editor):
    return invites.invite_create(
        agent=testing_agent,
        actor=editor,
        expires_in=timedelta(days=1),
        max_uses=2,
        note="Ask about opening hours.",
        version=testing_agent.version,
        config_revision=testing_agent.config_revision,
        branch_id="agtbrch_1",
    )


def test_an_editor_makes_a_link_shown_once(client, editor, testing_agent):
    client.force_login(editor)

    response = client.post(reverse("app:agent-invites", args=[testing_agent.pk]), NEW)

    assert response.status_code == 200
    link = re.search(r'value="(http://testserver/invite/[^"]+)"', response.content.decode())[1]
    key = link.rsplit("/", 1)[1]
    stored = InviteLink.objects.get()
    assert stored.key_hash == hash_token(key)
    assert (stored.max_uses, stored.note) == (3, NEW["note"])
    assert stored.branch_id == "agtbrch_1"
    again = client.get(reverse("app:agent-invites", args=[testing_agent.pk])).content.decode()
    assert key not in again
    assert stored.prefix in again


@pytest.mark.parametrize("role", ["tester", "viewer"])
def test_below_the_editor_role_no_link_is_made(client, request, testing_agent, role):
    client.force_login(request.getfixturevalue(role))

    page = client.get(reverse("app:agent-invites", args=[testing_agent.pk])).content.decode()
    response = client.post(reverse("app:agent-invites", args=[testing_agent.pk]), NEW)

    assert "Managing invite links needs the editor role." in page
    assert response.status_code == 403
    assert not InviteLink.objects.exists()


def test_an_outsider_does_not_see_the_agents_links(client, outsider, testing_agent):
    client.force_login(outsider)
    assert client.get(reverse("app:agent-invites", args=[testing_agent.pk])).status_code == 404


def test_an_editor_revokes_a_link_and_a_tester_cannot(client, editor, tester, invite):
    link, _ = invite
    client.force_login(tester)
    client.post(reverse("app:invite-revoke", args=[link.pk]))
    link.refresh_from_db()
    assert link.revoked_at is None

    client.force_login(editor)
    response = client.post(reverse("app:invite-revoke", args=[link.pk]))

    assert response.status_code == 302
    link.refresh_from_db()
    assert (link.revoked_by, link.revoked_at is not None) == (editor, True)


def test_the_invite_page_needs_no_account_and_shows_nothing_else_of_the_product(client, invite):
    link, key = invite

    response = client.get(reverse("invite:page", args=[key]))

    page = response.content.decode()
    assert response.status_code == 200
    assert link.agent.name in page
    assert "Ask about opening hours." in page
    assert f'value="invite={key}"' in page
    assert f'data-socket-path="/ws/agents/{link.agent_id}/conversation"' in page
    assert "topnav" not in page
    assert 'href="/app/' not in page
    assert 'href="/api/' not in page


@pytest.mark.parametrize("why", ["unknown", "expired", "revoked"])
def test_a_bad_key_gets_a_clear_page_without_the_agent(client, editor, invite, why):
    link, key = invite
    if why == "unknown":
        key = "not-a-key"
    elif why == "expired":
        InviteLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    else:
        invites.invite_revoke(invite=link, actor=editor)

    response = client.get(reverse("invite:page", args=[key]))

    assert response.status_code == (404 if why == "unknown" else 410)
    page = response.content.decode()
    assert link.agent.name not in page
    assert {"unknown": "not valid", "expired": "has expired", "revoked": "was revoked"}[why] in page


def held_through(link):
    conversation = invites.invite_conversation_start(invite=link)
    conversation_transcript_add(conversation_id=conversation.pk, events=[Identified("conv_9")])
    conversation_end(
        conversation_id=conversation.pk, status=ConversationStatus.COMPLETED, reason="Done"
    )
    return conversation


def test_the_callers_rating_is_saved_as_a_test_from_the_invite(client, invite):
    link, key = invite
    conversation = held_through(link)
    client.get(reverse("invite:page", args=[key]))  # the page sets the CSRF cookie

    finished = client.get(reverse("invite:finished", args=[key]), {"conversation": "conv_9"})
    response = client.post(
        reverse("invite:result", args=[key, conversation.pk]),
        {"rating": "5", "notes": "Very helpful", "name": "Ann"},
    )

    assert finished.status_code == 200
    assert "How did it go?" in finished.content.decode()
    assert response.status_code == 200
    assert "Thank you!" in response.content.decode()
    result = TestResult.objects.get()
    assert (result.source, result.conversation, result.tested_by) == (
        ResultSource.INVITE,
        conversation,
        None,
    )
    assert (result.rating, result.notes, result.tested_by_name) == (5, "Very helpful", "Ann")


def test_a_key_judges_only_its_own_conversations(client, editor, testing_agent, invite):
    _, key = invite
    other, _ = invites.invite_create(
        agent=testing_agent,
        actor=editor,
        expires_in=timedelta(days=1),
        max_uses=1,
        version=testing_agent.version,
        config_revision=testing_agent.config_revision,
        branch_id="agtbrch_1",
    )
    conversation = held_through(other)

    response = client.post(reverse("invite:result", args=[key, conversation.pk]), {"rating": "1"})

    assert response.status_code == 404
    assert not TestResult.objects.exists()


def test_the_result_form_is_csrf_protected(invite):
    from django.test import Client

    link, key = invite
    conversation = held_through(link)

    response = Client(enforce_csrf_checks=True).post(
        reverse("invite:result", args=[key, conversation.pk]), {"rating": "5"}
    )

    assert response.status_code == 403
    assert not TestResult.objects.exists()


def test_another_workspace_cannot_revoke_a_link_nor_an_anonymous_visitor(client, outsider, invite):
    link, _ = invite
    path = reverse("app:invite-revoke", args=[link.pk])

    anonymous = client.post(path)
    client.force_login(outsider)
    outside = client.post(path)

    assert anonymous.status_code == 302
    assert outside.status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None
