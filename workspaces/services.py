import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from common.errors import InvalidInput
from workspaces.models import ApiToken, Membership, Workspace, hash_token
from workspaces.permissions import SignedInUser, User, require_role
from workspaces.roles import Action, Role

TOKEN_PREFIX_LENGTH = 8


def workspace_get_or_create(*, name: str) -> Workspace:
    slug = slugify(name)
    if not slug:
        raise InvalidInput.for_field("name", "A workspace name needs at least one letter or digit.")
    workspace, _ = Workspace.objects.get_or_create(slug=slug, defaults={"name": name})
    return workspace


def workspace_update(
    *,
    workspace: Workspace,
    actor: User,
    name: str | None = None,
    require_passing_test: bool | None = None,
    production_needs_evidence: bool | None = None,
    conversation_max_seconds: int | None = None,
    concurrent_conversations: int | None = None,
) -> Workspace:
    """Change a workspace's settings; `None` leaves a setting as it is. The slug never changes:
    scripts name workspaces by it."""
    require_role(actor, workspace, Action.CHANGE_SETTINGS)
    if name is not None:
        if not name.strip():
            raise InvalidInput.for_field("name", "Give the workspace a name.")
        workspace.name = name.strip()
    if require_passing_test is not None:
        workspace.require_passing_test = require_passing_test
    if production_needs_evidence is not None:
        workspace.production_needs_evidence = production_needs_evidence
    if conversation_max_seconds is not None:
        workspace.conversation_max_seconds = conversation_max_seconds
    if concurrent_conversations is not None:
        workspace.concurrent_conversations = concurrent_conversations
    try:
        workspace.full_clean(exclude=["slug"], validate_constraints=False)
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise InvalidInput.for_field(field, messages[0]) from error
    workspace.save(update_fields=[*SETTINGS])
    return workspace


SETTINGS = (
    "name",
    "require_passing_test",
    "production_needs_evidence",
    "conversation_max_seconds",
    "concurrent_conversations",
)


def membership_set(
    *, workspace: Workspace, actor: User, user: SignedInUser, role: Role
) -> Membership:
    """Add `user` to the workspace with `role`, or change their role."""
    require_role(actor, workspace, Action.MANAGE_MEMBERS)
    return _membership_upsert(user=user, workspace=workspace, role=role)


def membership_delete(*, membership: Membership, actor: User) -> None:
    require_role(actor, membership.workspace, Action.MANAGE_MEMBERS)
    membership.delete()


def _membership_upsert(*, user: SignedInUser, workspace: Workspace, role: Role) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        user=user, workspace=workspace, defaults={"role": role}
    )
    return membership


def api_token_create(*, user: SignedInUser, name: str) -> tuple[ApiToken, str]:
    """A new token and its key. The key is not stored: this is the only time it exists."""
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[:TOKEN_PREFIX_LENGTH], key_hash=hash_token(key)
    )
    return token, key


def api_token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def _clean_username(username: str) -> str:
    username = (username or "").strip()
    validator = get_user_model().username_validator
    try:
        if not username:
            raise ValidationError("Give a username.")
        validator(username)
    except ValidationError as error:
        raise InvalidInput.for_field("username", " ".join(error.messages)) from error
    return username


@transaction.atomic
def account_bootstrap(
    *, workspace_name: str, username: str, role: Role, password: str | None = None
) -> tuple[Membership, str]:
    """Create or reuse a workspace, a user and their membership; return a fresh token key.

    Used to provision CI service accounts and the demo: running it again is safe and only
    adds a token (and updates the role or password when given).
    """
    workspace = workspace_get_or_create(name=workspace_name)
    user, created = get_user_model().objects.get_or_create(username=_clean_username(username))
    if password:
        user.set_password(password)
        user.save(update_fields=["password"])
    elif created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    # Provisioning from the command line: whoever runs manage.py already operates the platform.
    membership = _membership_upsert(user=user, workspace=workspace, role=role)
    _, key = api_token_create(user=user, name=f"bootstrap {timezone.now():%Y-%m-%d %H:%M}")
    return membership, key
