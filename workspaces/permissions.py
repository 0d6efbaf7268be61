"""Who may do what: the one place role checks live, reading the table in roles.py.

Services call `require_role` before every write, so the API, the admin, the web UI and tasks
share one rulebook. Reads need no role check beyond scoping: selectors only ever return objects
from the caller's workspaces, and membership in any role grants viewing.
"""

from collections.abc import Iterator, Mapping

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser

from common.errors import RoleRequired
from workspaces.models import Membership, Workspace
from workspaces.roles import PERMISSIONS, Action, Role, role_for

# A user who signed in: the user model (settings.AUTH_USER_MODEL, Django's own).
SignedInUser = AuthUser
# Whoever asks, as `request.user` has them: a user who signed in, or AnonymousUser.
User = SignedInUser | AnonymousUser


def role_of(user: User, workspace: Workspace) -> Role | None:
    """The user's role in the workspace; superusers operate the platform and act as admins."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.ADMIN
    role = (
        Membership.objects.filter(user=user, workspace=workspace)
        .values_list("role", flat=True)
        .first()
    )
    return Role(role) if role is not None else None


def may(user: User, workspace: Workspace, action: Action) -> bool:
    current = role_of(user, workspace)
    return current is not None and current >= role_for(action)


def require_role(user: User, workspace: Workspace, action: Action) -> SignedInUser:
    """Raise RoleRequired unless `user` holds the role `action` needs in `workspace`; the
    refusal says what was refused and which role would allow it. Returns `user`, then known
    to be signed in (a service records them as the one who acted)."""
    # No one anonymous holds a role: `may` says so too, but this way the type says it.
    if not user.is_authenticated or not may(user, workspace, action):
        permission = PERMISSIONS[action]
        raise RoleRequired(
            f"You need the {permission.role.label} role in workspace '{workspace.slug}' "
            f"to {permission.to}.",
            code="role_required",
        )
    return user


class Abilities(Mapping[str, bool]):
    """What a user may do in one workspace, for a page to offer or disable its controls:
    `can.edit_agent` in a template says whether, `can.why_not.edit_agent` why not ("" when
    allowed). Only a convenience for showing controls: every write goes through `require_role`.
    """

    def __init__(self, role: Role | None):
        self.role = role
        self.why_not = {
            action.value: "" if self[action] else permission.needs()
            for action, permission in PERMISSIONS.items()
        }

    def __getitem__(self, action: str) -> bool:
        return self.role is not None and self.role >= role_for(Action(action))

    def __iter__(self) -> Iterator[str]:
        return iter(action.value for action in Action)

    def __len__(self) -> int:
        return len(Action)


def abilities_of(user: User, workspace: Workspace) -> Abilities:
    return Abilities(role_of(user, workspace))
