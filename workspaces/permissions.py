"""Who may do what: the one place role checks live.

Services call `require_role` before every write, so the API, the admin, the web UI and tasks
share one rulebook. Reads need no role check beyond scoping: selectors only ever return objects
from the caller's workspaces, and membership in any role grants viewing.
"""

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser

from common.errors import RoleRequired
from workspaces.models import Membership, Workspace
from workspaces.roles import Role

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


def has_role(user: User, workspace: Workspace, role: Role) -> bool:
    current = role_of(user, workspace)
    return current is not None and current >= role


def require_role(user: User, workspace: Workspace, role: Role, *, to: str) -> SignedInUser:
    """Raise RoleRequired unless `user` holds at least `role` in `workspace`; return `user`,
    then known to be signed in (a service records them as the one who acted).

    `to` completes the sentence "You need the <role> role to ...", so the refusal says
    what was refused and what would allow it.
    """
    # No one anonymous holds a role: has_role says so too, but this way the type says it.
    if not user.is_authenticated or not has_role(user, workspace, role):
        raise RoleRequired(
            f"You need the {role.label} role in workspace '{workspace.slug}' to {to}.",
            code="role_required",
        )
    return user


class Abilities:
    """What a user may do in one workspace, for a page to offer or disable its controls.

    Only a convenience for showing controls: every write still goes through `require_role`.
    """

    def __init__(self, role: Role | None):
        self.role = role

    def _holds(self, role: Role) -> bool:
        return self.role is not None and self.role >= role

    @property
    def test(self) -> bool:
        return self._holds(Role.TESTER)

    @property
    def edit(self) -> bool:
        return self._holds(Role.EDITOR)

    @property
    def admin(self) -> bool:
        return self._holds(Role.ADMIN)


def abilities_of(user: User, workspace: Workspace) -> Abilities:
    return Abilities(role_of(user, workspace))
