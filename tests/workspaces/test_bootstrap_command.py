"""`manage.py bootstrap`: provisioning a CI account in one command, safely repeatable."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from workspaces.models import ApiToken, Membership, Workspace, hash_token
from workspaces.roles import Role


def bootstrap(*args: str) -> list[str]:
    out = StringIO()
    call_command("bootstrap", *args, stdout=out)
    return out.getvalue().splitlines()


def key_from(lines: list[str]) -> str:
    prefix, key = lines[-1].split(" ", 1)
    assert prefix == "token:"
    return key


def active_token(key: str) -> ApiToken:
    return ApiToken.objects.get(key_hash=hash_token(key), revoked_at__isnull=True)


ARGS = ("--workspace", "Acme Corp", "--username", "ci-bot", "--role", "editor")


def test_bootstrap_prints_a_working_token_as_its_last_line(db):
    lines = bootstrap(*ARGS)

    key = key_from(lines)
    token = active_token(key)
    assert token.user.username == "ci-bot"
    assert lines[0] == "ci-bot is editor in workspace 'acme-corp'."
    membership = Membership.objects.get(user=token.user)
    assert (membership.workspace.slug, membership.role) == ("acme-corp", Role.EDITOR)


def test_running_bootstrap_twice_reuses_the_account_and_adds_a_token(db):
    first = key_from(bootstrap(*ARGS))

    second = key_from(
        bootstrap("--workspace", "Acme Corp", "--username", "ci-bot", "--role", "admin")
    )

    assert first != second
    assert active_token(first).user == active_token(second).user
    assert Workspace.objects.count() == 1
    assert get_user_model().objects.filter(username="ci-bot").count() == 1
    assert Membership.objects.get().role == Role.ADMIN
    assert ApiToken.objects.count() == 2


def test_bootstrap_sets_a_password_when_asked(db):
    bootstrap(*ARGS, "--password", "pass-Word-42")

    assert get_user_model().objects.get(username="ci-bot").check_password("pass-Word-42")


def test_bootstrap_without_a_password_makes_a_token_only_user(db):
    bootstrap(*ARGS)

    assert not get_user_model().objects.get(username="ci-bot").has_usable_password()


@pytest.mark.parametrize("role", ["owner", "superuser", "Admin", ""])
def test_bootstrap_refuses_a_role_that_does_not_exist(db, role):
    with pytest.raises(CommandError, match="role"):
        bootstrap("--workspace", "Acme", "--username", "ci-bot", "--role", role)

    assert not get_user_model().objects.exists()
    assert not Workspace.objects.exists()


@pytest.mark.parametrize("missing", ["--workspace", "--username", "--role"])
def test_bootstrap_needs_workspace_username_and_role(db, missing):
    args = dict(zip(ARGS[::2], ARGS[1::2], strict=True))
    del args[missing]

    with pytest.raises(CommandError, match=missing.lstrip("-")):
        bootstrap(*[part for pair in args.items() for part in pair])


def test_bootstrap_reports_a_refused_workspace_name_as_a_command_error(db):
    with pytest.raises(CommandError, match="letter or digit"):
        bootstrap("--workspace", "!!!", "--username", "ci-bot", "--role", "viewer")

    assert not get_user_model().objects.exists()
