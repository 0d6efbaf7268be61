from django.db.models import QuerySet

from common.errors import InvalidInput
from workspaces.models import Workspace
from workspaces.permissions import User
from workspaces.roles import Action, Role, role_for


def workspace_list_for(user: User, *, able_to: Action | None = None) -> QuerySet[Workspace]:
    """The workspaces in which `user` may do `able_to`; by default every one they belong to,
    which is every workspace whose objects they may see."""
    if not user.is_authenticated or not user.is_active:
        return Workspace.objects.none()
    if user.is_superuser:
        return Workspace.objects.all()
    role = role_for(able_to) if able_to else Role.VIEWER
    return Workspace.objects.filter(memberships__user=user, memberships__role__gte=role)


def workspace_choose_for(user: User, slug: str | None) -> Workspace:
    """The workspace a new object goes into: the one named, or the caller's only one."""
    workspaces = workspace_list_for(user)
    if slug:
        workspace = workspaces.filter(slug=slug).first()
        if workspace is None:
            raise InvalidInput.for_field("workspace", f"You have no workspace '{slug}'.")
        return workspace
    candidates = list(workspaces[:11])
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise InvalidInput.for_field(
            "workspace", "You are not a member of any workspace; ask an admin to add you."
        )
    names = ", ".join(workspace.slug for workspace in candidates[:10])
    raise InvalidInput.for_field(
        "workspace", f"You belong to several workspaces; name one of: {names}."
    )


def workspace_current_for(user: User, slug: str | None) -> Workspace | None:
    """The workspace the web UI shows: the one last chosen, else the user's first by name."""
    workspaces = workspace_list_for(user).order_by("name")
    return (slug and workspaces.filter(slug=slug).first()) or workspaces.first()
