"""Workspaces, memberships and API tokens in the admin."""

import re

import pytest
from django.utils import timezone

from tests.admin_helpers import (
    add_url,
    change_url,
    changelist_url,
    delete_url,
    messages_of,
    run_action,
    staff_client,
)
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory
from workspaces.models import ApiToken, Membership, Workspace, hash_token
from workspaces.roles import Role
from workspaces.services import api_token_create


@pytest.fixture
def crowd(workspace, owner):
    """Eight more members of `workspace`, each with two tokens, and five other workspaces
    the owner also belongs to."""
    for _ in range(8):
        user = MembershipFactory(workspace=workspace, role=Role.EDITOR).user
        api_token_create(user=user, name="ci")
        api_token_create(user=user, name="laptop")
    for _ in range(5):
        MembershipFactory(workspace=WorkspaceFactory(), user=owner, role=Role.ADMIN)


@pytest.mark.parametrize("model", [Workspace, Membership, ApiToken])
def test_pages_load_in_a_fixed_number_of_queries(
    model, crowd, owner, django_assert_max_num_queries
):
    client = staff_client(owner, superuser=True)
    rows = model.objects.count()
    assert rows >= 6

    with django_assert_max_num_queries(9):
        response = client.get(changelist_url(model))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == rows

    with django_assert_max_num_queries(9):
        assert client.get(change_url(model.objects.first())).status_code == 200


# --- Workspaces


def test_staff_see_only_their_workspaces(workspace, outsider):
    client = staff_client(outsider)

    listed = client.get(changelist_url(Workspace)).context["cl"].result_list

    assert list(listed) == [outsider.memberships.get().workspace]
    assert client.get(change_url(workspace)).status_code == 404


def test_a_workspace_admin_changes_its_settings(workspace, owner):
    client = staff_client(owner)

    client.post(
        change_url(workspace),
        # the box left unticked
        {"name": "Acme Inc", "conversation_max_seconds": 600, "concurrent_conversations": 2},
    )

    workspace.refresh_from_db()
    assert (workspace.name, workspace.slug, workspace.require_passing_test) == (
        "Acme Inc",
        "acme",
        False,
    )
    assert (workspace.conversation_max_seconds, workspace.concurrent_conversations) == (600, 2)


def test_members_below_admin_only_view_the_workspace(workspace, editor):
    client = staff_client(editor)

    assert client.get(change_url(workspace)).status_code == 200
    response = client.post(change_url(workspace), {"name": "Taken over"})

    assert response.status_code == 403
    workspace.refresh_from_db()
    assert (workspace.name, workspace.require_passing_test) == ("Acme", True)


def test_only_superusers_add_or_delete_workspaces(workspace, owner):
    client = staff_client(owner)

    assert client.get(add_url(Workspace)).status_code == 403
    assert client.post(delete_url(workspace), {"post": "yes"}).status_code == 403
    assert Workspace.objects.filter(pk=workspace.pk).exists()


# --- Memberships


def test_a_workspace_admin_adds_a_member(workspace, owner):
    elsewhere = MembershipFactory(user=owner, role=Role.EDITOR).workspace
    newcomer = UserFactory()
    client = staff_client(owner)
    page = client.get(add_url(Membership))
    assert list(page.context["adminform"].form.fields["workspace"].queryset) == [workspace]

    client.post(
        add_url(Membership),
        {"user": newcomer.pk, "workspace": workspace.pk, "role": Role.TESTER},
    )
    refused = client.post(
        add_url(Membership), {"user": newcomer.pk, "workspace": elsewhere.pk, "role": Role.ADMIN}
    )

    assert Membership.objects.get(user=newcomer, workspace=workspace).role == Role.TESTER
    assert refused.status_code == 200  # the form again, with the workspace refused
    assert "workspace" in refused.context["adminform"].form.errors
    assert not Membership.objects.filter(user=newcomer, workspace=elsewhere).exists()


def test_members_below_admin_cannot_manage_members(workspace, editor, viewer):
    viewer_membership = viewer.memberships.get()
    client = staff_client(editor)

    assert client.get(add_url(Membership)).status_code == 403
    assert client.post(change_url(viewer_membership), {"role": Role.ADMIN}).status_code == 403
    assert client.post(delete_url(viewer_membership), {"post": "yes"}).status_code == 403
    viewer_membership.refresh_from_db()
    assert viewer_membership.role == Role.VIEWER


def test_a_workspace_admin_changes_a_role(workspace, owner, viewer):
    membership = viewer.memberships.get()
    client = staff_client(owner)

    client.post(change_url(membership), {"role": Role.EDITOR})

    membership.refresh_from_db()
    assert (membership.role, membership.user, membership.workspace) == (
        Role.EDITOR,
        viewer,
        workspace,
    )


def test_staff_see_only_their_workspaces_members(workspace, owner, outsider):
    client = staff_client(outsider)

    listed = client.get(changelist_url(Membership)).context["cl"].result_list

    assert [membership.user for membership in listed] == [outsider]
    assert client.get(change_url(owner.memberships.get())).status_code == 404


# --- API tokens


def test_adding_a_token_shows_its_key_once_and_stores_only_the_hash(owner):
    client = staff_client(owner)

    response = client.post(add_url(ApiToken), {"name": "deploy script"}, follow=True)

    token = ApiToken.objects.get(name="deploy script")
    assert token.user == owner
    (key,) = [
        match.group(1)
        for _, text in messages_of(response)
        if (match := re.search(r"The key of token “deploy script” is (\S+) ", text))
    ]
    assert token.key_hash == hash_token(key)
    assert token.prefix == key[: len(token.prefix)]
    assert key not in [getattr(token, field.attname) for field in ApiToken._meta.fields]
    later = client.get(change_url(token)).content.decode()
    assert key not in later
    assert token.key_hash not in later
    assert "key_hash" not in later


def test_a_superuser_adds_a_token_for_someone_else(owner, editor):
    client = staff_client(owner, superuser=True)

    client.post(add_url(ApiToken), {"user": editor.pk, "name": "for ci"})

    assert ApiToken.objects.get(name="for ci").user == editor


def test_revoke_selected_tokens(owner):
    first, _ = api_token_create(user=owner, name="one")
    second, _ = api_token_create(user=owner, name="two")
    kept, _ = api_token_create(user=owner, name="kept")
    client = staff_client(owner)

    response = run_action(client, ApiToken, "revoke", [first, second])

    assert ("success", "Revoked 2 token(s).") in messages_of(response)
    assert set(ApiToken.objects.filter(revoked_at__isnull=False)) == {first, second}
    assert ApiToken.objects.get(pk=kept.pk).revoked_at is None


def test_staff_see_and_revoke_only_their_own_tokens(owner, editor):
    mine, _ = api_token_create(user=editor, name="mine")
    theirs, _ = api_token_create(user=owner, name="theirs")
    client = staff_client(editor)

    assert list(client.get(changelist_url(ApiToken)).context["cl"].result_list) == [mine]
    assert client.get(change_url(theirs)).status_code == 404
    run_action(client, ApiToken, "revoke", [theirs])
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_tokens_are_revoked_not_deleted(owner):
    token, _ = api_token_create(user=owner, name="kept on record")
    client = staff_client(owner, superuser=True)

    assert client.post(delete_url(token), {"post": "yes"}).status_code == 403
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_a_token_name_can_change_but_not_its_key(owner):
    token, _ = api_token_create(user=owner, name="old")
    before = (token.key_hash, token.prefix, token.user_id)
    client = staff_client(owner)

    client.post(
        change_url(token),
        {"name": "new", "key_hash": "0" * 64, "prefix": "forged", "revoked_at": timezone.now()},
    )

    token.refresh_from_db()
    assert token.name == "new"
    assert (token.key_hash, token.prefix, token.user_id) == before
    assert token.revoked_at is None
