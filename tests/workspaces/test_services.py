"""Roles, choosing a workspace, API tokens and account bootstrap."""

import hashlib
import itertools

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.exceptions import AuthenticationFailed

from common.errors import InvalidInput, RoleRequired
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory
from workspaces.authentication import ApiTokenAuthentication
from workspaces.models import ApiToken, Membership, Workspace
from workspaces.permissions import abilities_of, may, require_role, role_of
from workspaces.roles import PERMISSIONS, Action, Role
from workspaces.selectors import workspace_choose_for, workspace_list_for
from workspaces.services import (
    account_bootstrap,
    api_token_create,
    api_token_revoke,
    membership_delete,
    membership_set,
    workspace_get_or_create,
    workspace_update,
)

# --- roles ---------------------------------------------------------------------------------


def test_roles_are_ordered_from_viewer_to_admin():
    assert Role.VIEWER < Role.TESTER < Role.EDITOR < Role.ADMIN


@pytest.mark.parametrize(
    ("caller", "role"),
    [
        ("owner", Role.ADMIN),
        ("editor", Role.EDITOR),
        ("tester", Role.TESTER),
        ("viewer", Role.VIEWER),
        ("outsider", None),
        ("stranger", None),
    ],
)
def test_role_of_reads_the_membership_in_that_workspace(workspace, request, caller, role):
    assert role_of(request.getfixturevalue(caller), workspace) == role


def test_a_superuser_acts_as_an_admin_without_a_membership(workspace):
    superuser = UserFactory(is_superuser=True, is_staff=True)

    assert role_of(superuser, workspace) == Role.ADMIN
    assert may(superuser, workspace, Action.DELETE_AGENT)


@pytest.mark.parametrize("is_superuser", [False, True])
def test_an_inactive_user_has_no_role(workspace, is_superuser):
    user = MembershipFactory(
        workspace=workspace,
        role=Role.ADMIN,
        user=UserFactory(is_active=False, is_superuser=is_superuser),
    ).user

    assert role_of(user, workspace) is None
    assert not may(user, workspace, Action.RECORD_TEST)


def test_an_anonymous_user_has_no_role(workspace):
    assert role_of(AnonymousUser(), workspace) is None


# Who may do what: the product's rules (docs/architecture.md), pinned here so a change to the
# table is a decision, not an accident.
LEAST_ROLE = {
    Action.TALK_TO_AGENT: Role.TESTER,
    Action.PLACE_TEST_CALL: Role.TESTER,
    Action.RECORD_TEST: Role.TESTER,
    Action.MANAGE_INVITES: Role.EDITOR,
    Action.RUN_TESTS: Role.TESTER,
    Action.MANAGE_TESTS: Role.EDITOR,
    Action.CREATE_AGENT: Role.EDITOR,
    Action.IMPORT_AGENT: Role.EDITOR,
    Action.EDIT_AGENT: Role.EDITOR,
    Action.SYNC_AGENT: Role.EDITOR,
    Action.PULL_DRIFT: Role.EDITOR,
    Action.DEPLOY_DRAFT: Role.EDITOR,
    Action.DEPLOY_TESTING: Role.EDITOR,
    Action.DEPLOY_PRODUCTION: Role.ADMIN,
    Action.ROLLBACK: Role.ADMIN,
    Action.OVERWRITE_DRIFT: Role.ADMIN,
    Action.DELETE_AGENT: Role.ADMIN,
    Action.RESTORE_AGENT: Role.ADMIN,
    Action.CHANGE_SETTINGS: Role.ADMIN,
    Action.MANAGE_MEMBERS: Role.ADMIN,
}


def test_every_action_has_its_least_role():
    assert {action: PERMISSIONS[action].role for action in Action} == LEAST_ROLE


@pytest.mark.parametrize(("held", "action"), list(itertools.product(Role, Action)))
def test_a_role_may_do_what_its_own_and_every_lower_role_may(workspace, held, action):
    user = MembershipFactory(workspace=workspace, role=held).user

    assert may(user, workspace, action) is (held >= LEAST_ROLE[action])


def test_a_role_in_one_workspace_grants_nothing_in_another(workspace, outsider):
    assert role_of(outsider, outsider.memberships.get().workspace) == Role.ADMIN
    assert not may(outsider, workspace, Action.RECORD_TEST)


def test_require_role_says_what_was_refused_and_what_would_allow_it(workspace, tester):
    with pytest.raises(RoleRequired) as refused:
        require_role(tester, workspace, Action.EDIT_AGENT)

    assert refused.value.status_code == 403
    assert refused.value.code == "role_required"
    assert refused.value.message == "You need the editor role in workspace 'acme' to edit agents."


@pytest.mark.parametrize("caller", ["editor", "owner"])
def test_require_role_lets_a_sufficient_role_through(workspace, request, caller):
    user = request.getfixturevalue(caller)
    # The user comes back, as a service records them as the one who acted.
    assert require_role(user, workspace, Action.EDIT_AGENT) is user


def test_abilities_say_what_a_role_may_do_and_why_not_the_rest(workspace, tester):
    can = abilities_of(tester, workspace)

    assert can["record_test"]
    assert can.why_not["record_test"] == ""
    assert not can["edit_agent"]
    assert can.why_not["edit_agent"] == "Editing agents needs the editor role."
    assert can.why_not["rollback"] == "Rolling back needs the admin role."
    assert dict(can) == {action.value: role <= Role.TESTER for action, role in LEAST_ROLE.items()}


def test_an_outsider_may_do_nothing_and_is_told_the_least_role_of_each(workspace, outsider):
    can = abilities_of(outsider, workspace)

    assert not any(can.values())
    assert all(can.why_not.values())


# --- choosing a workspace ------------------------------------------------------------------


def test_a_members_only_workspace_is_the_default(workspace, editor):
    assert workspace_choose_for(editor, None) == workspace
    assert workspace_choose_for(editor, "") == workspace


def test_a_named_workspace_is_chosen_among_several(workspace, editor):
    other = WorkspaceFactory(name="Beta", slug="beta")
    MembershipFactory(user=editor, workspace=other, role=Role.VIEWER)

    assert workspace_choose_for(editor, "beta") == other
    assert workspace_choose_for(editor, "acme") == workspace


def test_several_workspaces_and_none_named_is_refused_listing_them(workspace, editor):
    MembershipFactory(user=editor, workspace=WorkspaceFactory(slug="beta"))

    with pytest.raises(InvalidInput) as refused:
        workspace_choose_for(editor, None)

    assert list(refused.value.errors) == ["workspace"]
    assert "acme" in refused.value.message
    assert "beta" in refused.value.message


@pytest.mark.parametrize(("caller", "slug"), [("editor", "nowhere"), ("outsider", "acme")])
def test_a_workspace_the_caller_is_not_in_is_refused(workspace, request, caller, slug):
    with pytest.raises(InvalidInput) as refused:
        workspace_choose_for(request.getfixturevalue(caller), slug)

    assert list(refused.value.errors) == ["workspace"]
    assert slug in refused.value.message


def test_a_user_with_no_workspace_is_told_to_ask_an_admin(stranger):
    with pytest.raises(InvalidInput) as refused:
        workspace_choose_for(stranger, None)

    assert list(refused.value.errors) == ["workspace"]


# --- API tokens ----------------------------------------------------------------------------


def authenticate(key: str):
    return ApiTokenAuthentication().authenticate_credentials(key)


def test_a_token_stores_only_the_hash_of_its_key(editor):
    token, key = api_token_create(user=editor, name="CI")

    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert stored["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert stored["prefix"] == key[:8]
    assert key not in {str(value) for value in stored.values()}
    assert len(key) >= 40


def test_the_key_authenticates_its_user(editor):
    token, key = api_token_create(user=editor, name="CI")

    assert authenticate(key) == (editor, token)


def test_every_token_gets_a_different_key(editor):
    keys = {api_token_create(user=editor, name=f"CI {n}")[1] for n in range(5)}

    assert len(keys) == 5


def test_a_revoked_token_no_longer_authenticates(editor):
    token, key = api_token_create(user=editor, name="CI")

    api_token_revoke(token=token)

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.is_active is False
    with pytest.raises(AuthenticationFailed):
        authenticate(key)


def test_revoking_twice_keeps_the_first_revocation_time(editor):
    token, _ = api_token_create(user=editor, name="CI")
    api_token_revoke(token=token)
    token.refresh_from_db()
    first = token.revoked_at

    api_token_revoke(token=token)

    token.refresh_from_db()
    assert token.revoked_at == first


def test_revoking_one_token_leaves_the_others_working(editor):
    revoked, _ = api_token_create(user=editor, name="old")
    kept, key = api_token_create(user=editor, name="new")

    api_token_revoke(token=revoked)

    assert authenticate(key) == (editor, kept)


def test_an_inactive_users_token_does_not_authenticate(editor):
    _, key = api_token_create(user=editor, name="CI")
    editor.is_active = False
    editor.save()

    with pytest.raises(AuthenticationFailed):
        authenticate(key)


def test_an_unknown_key_does_not_authenticate(db):
    with pytest.raises(AuthenticationFailed):
        authenticate("not-a-key")


# --- account bootstrap ---------------------------------------------------------------------


def test_bootstrap_creates_the_workspace_user_membership_and_a_token(db):
    membership, key = account_bootstrap(
        workspace_name="Acme Corp", username="ci-bot", role=Role.EDITOR
    )

    assert membership.workspace.slug == "acme-corp"
    assert membership.workspace.name == "Acme Corp"
    assert membership.user.username == "ci-bot"
    assert membership.role == Role.EDITOR
    assert membership.user.has_usable_password() is False
    assert authenticate(key)[0] == membership.user


def test_bootstrap_sets_the_password_when_given(db):
    membership, _ = account_bootstrap(
        workspace_name="Acme", username="ada", role=Role.ADMIN, password="s3cret-Pass"
    )

    membership.user.refresh_from_db()
    assert membership.user.check_password("s3cret-Pass")


def test_bootstrap_again_reuses_everything_updates_the_role_and_adds_a_token(db):
    first, first_key = account_bootstrap(
        workspace_name="Acme", username="ci-bot", role=Role.VIEWER, password="one-Pass-1"
    )

    second, second_key = account_bootstrap(
        workspace_name="Acme", username="ci-bot", role=Role.ADMIN
    )

    assert second.pk == first.pk
    assert (second.workspace_id, second.user_id) == (first.workspace_id, first.user_id)
    assert Workspace.objects.count() == Membership.objects.count() == 1
    assert Membership.objects.get().role == Role.ADMIN
    assert second_key != first_key
    assert ApiToken.objects.filter(user=first.user, revoked_at__isnull=True).count() == 2
    assert authenticate(first_key)[0] == authenticate(second_key)[0] == first.user
    second.user.refresh_from_db()
    assert second.user.check_password("one-Pass-1"), "no password given: the old one stays"


def test_bootstrap_adds_an_existing_user_to_another_workspace(workspace, editor):
    membership, _ = account_bootstrap(
        workspace_name="Beta", username=editor.username, role=Role.TESTER
    )

    assert membership.user == editor
    assert role_of(editor, workspace) == Role.EDITOR
    assert role_of(editor, membership.workspace) == Role.TESTER
    editor.refresh_from_db()
    assert editor.has_usable_password(), "an existing user keeps their password"


@pytest.mark.parametrize("name", ["", "   ", "!!!"], ids=["empty", "blank", "punctuation"])
def test_a_workspace_name_without_letters_or_digits_is_refused(db, name):
    with pytest.raises(InvalidInput) as refused:
        workspace_get_or_create(name=name)

    assert list(refused.value.errors) == ["name"]
    assert not Workspace.objects.exists()


@pytest.mark.parametrize("username", ["", "   ", "two words"], ids=["empty", "blank", "space"])
def test_bootstrap_refuses_a_username_django_would_refuse(db, username):
    with pytest.raises(InvalidInput) as refused:
        account_bootstrap(workspace_name="Acme", username=username, role=Role.VIEWER)

    assert "username" in refused.value.errors
    assert not Membership.objects.exists()


# --- workspace settings and members: admins only


def test_an_admin_changes_the_workspace_settings(workspace, owner):
    workspace_update(workspace=workspace, actor=owner, require_passing_test=False, name="Acme Inc")

    workspace.refresh_from_db()
    assert (workspace.name, workspace.require_passing_test, workspace.slug) == (
        "Acme Inc",
        False,
        "acme",
    )


@pytest.mark.parametrize("caller", ["editor", "outsider"])
def test_only_an_admin_changes_workspace_settings(workspace, request, caller):
    with pytest.raises(RoleRequired, match="admin role"):
        workspace_update(
            workspace=workspace,
            actor=request.getfixturevalue(caller),
            require_passing_test=False,
        )

    workspace.refresh_from_db()
    assert workspace.require_passing_test is True


def test_an_admin_asks_for_evidence_before_production(workspace, owner):
    workspace_update(workspace=workspace, actor=owner, production_needs_evidence=True)

    workspace.refresh_from_db()
    assert workspace.production_needs_evidence is True


def test_an_admin_bounds_the_workspaces_test_conversations(workspace, owner):
    workspace_update(
        workspace=workspace, actor=owner, conversation_max_seconds=600, concurrent_conversations=2
    )

    workspace.refresh_from_db()
    assert (workspace.conversation_max_seconds, workspace.concurrent_conversations) == (600, 2)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("conversation_max_seconds", 0),
        ("conversation_max_seconds", 14_401),
        ("concurrent_conversations", 0),
        ("concurrent_conversations", 101),
    ],
)
def test_conversation_limits_out_of_bounds_are_refused_naming_the_setting(
    workspace, owner, setting, value
):
    with pytest.raises(InvalidInput) as refusal:
        workspace_update(workspace=workspace, actor=owner, **{setting: value})

    assert list(refusal.value.errors) == [setting]
    workspace.refresh_from_db()
    assert (workspace.conversation_max_seconds, workspace.concurrent_conversations) == (1_800, 5)


def test_a_blank_workspace_name_is_refused(workspace, owner):
    with pytest.raises(InvalidInput) as refusal:
        workspace_update(workspace=workspace, actor=owner, name="  ")

    assert "name" in refusal.value.errors


def test_an_admin_adds_a_member_and_changes_their_role(workspace, owner, stranger):
    membership_set(workspace=workspace, actor=owner, user=stranger, role=Role.TESTER)
    membership_set(workspace=workspace, actor=owner, user=stranger, role=Role.EDITOR)

    assert role_of(stranger, workspace) == Role.EDITOR
    assert Membership.objects.filter(user=stranger).count() == 1


@pytest.mark.parametrize("caller", ["editor", "outsider"])
def test_only_an_admin_manages_members(workspace, request, caller, stranger, viewer):
    actor = request.getfixturevalue(caller)
    with pytest.raises(RoleRequired, match="manage members"):
        membership_set(workspace=workspace, actor=actor, user=stranger, role=Role.ADMIN)
    with pytest.raises(RoleRequired, match="manage members"):
        membership_delete(membership=Membership.objects.get(user=viewer), actor=actor)

    assert role_of(stranger, workspace) is None
    assert role_of(viewer, workspace) == Role.VIEWER


def test_an_admin_removes_a_member(workspace, owner, viewer):
    membership_delete(membership=Membership.objects.get(user=viewer), actor=owner)

    assert role_of(viewer, workspace) is None


def test_workspaces_can_be_listed_by_the_role_held_in_them(workspace, editor):
    other = WorkspaceFactory()
    MembershipFactory(workspace=other, user=editor, role=Role.ADMIN)

    assert list(workspace_list_for(editor, able_to=Action.MANAGE_MEMBERS)) == [other]
    assert set(workspace_list_for(editor)) == {workspace, other}
