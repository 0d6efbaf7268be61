from django.db.models import QuerySet

from common.errors import InvalidInput
from workspaces.models import Workspace
from workspaces.permissions import User


def workspace_list_for(user: User) -> QuerySet[Workspace]:
    """The workspaces `user` may see: every workspace they are a member of."""
    if not user.is_authenticated or not user.is_active:
        return Workspace.objects.none()
    if user.is_superuser:
        return Workspace.objects.all()
    return Workspace.objects.filter(memberships__user=user)


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
