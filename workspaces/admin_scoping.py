"""Admin base classes scoped to workspaces.

Access follows the product's own rules, not Django's model permissions: a staff user sees the
objects of the workspaces they belong to (`workspace_list_for`), and whether a write is allowed
is decided by the service it calls, which checks the role and answers with a sentence.
"""

from collections.abc import Callable, Hashable
from typing import Any, ClassVar, TypeVar

from django.contrib import admin
from django.contrib.admin.sites import AdminSite
from django.db.models import ForeignKey, Model, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest

from common.admin import HISTORY_INLINE_ROWS, NotFoundAdmin, ReadOnlyMixin, RecentRowsFormSet
from workspaces.models import Workspace
from workspaces.permissions import may
from workspaces.roles import Action
from workspaces.selectors import workspace_list_for

_Answer = TypeVar("_Answer")


def _once_per_request(
    request: HttpRequest, key: Hashable, answer: Callable[[], _Answer]
) -> _Answer:
    """Permission questions are asked many times per admin page (the sidebar asks about every
    model); each is answered once."""
    answers = request.__dict__.setdefault("_admin_access", {})
    if key not in answers:
        answers[key] = answer()
    return answers[key]


def is_member(request: HttpRequest) -> bool:
    """Whether the caller belongs to any workspace. Superusers operate the whole platform."""
    if request.user.is_superuser:
        return True
    return _once_per_request(request, "member", lambda: workspace_list_for(request.user).exists())


def workspaces_administered(request: HttpRequest) -> QuerySet[Workspace]:
    """The workspaces in which the caller holds the admin role (all, for superusers)."""
    return workspace_list_for(request.user, able_to=Action.MANAGE_MEMBERS)


def administers(request: HttpRequest, workspace: Workspace | None) -> bool:
    """Whether to offer the caller the pages that manage `workspace`'s settings and members
    (given None: some workspace's). Only an offer: the services decide, on every write."""
    if request.user.is_superuser:
        return True
    if workspace is None:
        return _once_per_request(
            request, "administers", lambda: workspaces_administered(request).exists()
        )
    return _once_per_request(
        request,
        ("administers", workspace.pk),
        lambda: may(request.user, workspace, Action.MANAGE_MEMBERS),
    )


class MemberPermissions:
    """Any member may open the admin pages of a workspace-scoped model. Writes are not gated
    here: the services check the role on every write, so a member lacking one gets the
    service's explanation."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_member(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_member(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_member(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_member(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_member(request)


class WorkspaceScopedAdmin(MemberPermissions, NotFoundAdmin):
    """Shows a staff user only their workspaces' objects; another workspace's object is a 404.

    `workspace_lookup` is the path from the model to its Workspace.
    """

    workspace_lookup = "workspace"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.workspace_lookup}__in": workspace_list_for(request.user)})

    def workspace_choices(self, request: HttpRequest) -> QuerySet[Workspace]:
        """The workspaces a new object may be put in."""
        return workspace_list_for(request.user)

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        if db_field.related_model is Workspace:
            kwargs["queryset"] = self.workspace_choices(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class MemberInline(MemberPermissions, admin.TabularInline):
    """An inline on a workspace-scoped page; the page around it is already scoped."""


class HistoryAdmin(ReadOnlyMixin, WorkspaceScopedAdmin):
    """An agent's history rows: versions, deployments, test results."""

    workspace_lookup = "agent__workspace"
    list_per_page = 50
    fields: ClassVar[tuple[str, ...]]  # each subclass sets them, all shown read-only

    def get_readonly_fields(
        self, request: HttpRequest, obj: Model | None = None
    ) -> tuple[str, ...]:
        return self.fields


class RecentHistoryInline(ReadOnlyMixin, MemberInline):
    """A read-only table of an agent's newest history rows. Set `fields`; they are all shown
    read-only, with `list_select_related` fetched alongside."""

    formset = RecentRowsFormSet
    extra = 0
    show_change_link = True
    fields: ClassVar[tuple[str, ...]]  # each subclass sets them
    list_select_related: tuple[str, ...] = ()

    def __init__(self, parent_model: type[Model], admin_site: AdminSite) -> None:
        super().__init__(parent_model, admin_site)
        self.verbose_name_plural = f"{self.verbose_name_plural} (newest {HISTORY_INLINE_ROWS})"

    def get_readonly_fields(
        self, request: HttpRequest, obj: Model | None = None
    ) -> tuple[str, ...]:
        return self.fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Each row's title names its agent: fetch it with the row.
        related = ("agent", *self.list_select_related)
        return super().get_queryset(request).select_related(*related)
