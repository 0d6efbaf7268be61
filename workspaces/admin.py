from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from common.admin import NotFoundAdmin, ServiceErrorsAsMessages
from workspaces.admin_scoping import WorkspaceScopedAdmin, administers, workspaces_administered
from workspaces.models import ApiToken, Membership, Workspace
from workspaces.roles import Role
from workspaces.services import (
    api_token_create,
    api_token_revoke,
    membership_delete,
    membership_set,
    workspace_update,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _Counts(TypedDict):
        member_count: int
        agent_count: int

    # A workspace as WorkspaceAdmin.get_queryset annotates it.
    CountedWorkspace = WithAnnotations[Workspace, _Counts]


@admin.register(Workspace)
class WorkspaceAdmin(ServiceErrorsAsMessages, WorkspaceScopedAdmin):
    workspace_lookup = "pk"
    list_display = ("name", "slug", "require_passing_test", "members", "agents", "created_at")
    list_filter = ("require_passing_test",)
    search_fields = ("name", "slug")
    fields = (
        "name",
        "slug",
        "require_passing_test",
        "production_needs_evidence",
        "conversation_max_seconds",
        "concurrent_conversations",
        "created_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Workspace]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                member_count=Count("memberships", distinct=True),
                agent_count=Count("agents", distinct=True),
            )
        )

    @admin.display(ordering="member_count")
    def members(self, workspace: "CountedWorkspace") -> int:
        return workspace.member_count

    @admin.display(ordering="agent_count")
    def agents(self, workspace: "CountedWorkspace") -> int:
        return workspace.agent_count

    def get_readonly_fields(
        self, request: HttpRequest, obj: Workspace | None = None
    ) -> tuple[str, ...]:
        # Scripts name workspaces by slug: renaming one would break them.
        return ("slug", "created_at") if obj else ("created_at",)

    def get_prepopulated_fields(
        self, request: HttpRequest, obj: Workspace | None = None
    ) -> dict[str, Sequence[str]]:
        return {} if obj else {"slug": ("name",)}

    # Tenants are created and removed by the platform's operators; their admins change settings.
    # (`obj`, unused: MemberPermissions, shared with inlines, takes one.)
    def has_add_permission(self, request: HttpRequest, obj: Workspace | None = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Workspace | None = None) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Workspace | None = None) -> bool:
        return administers(request, obj)

    def save_model(self, request: HttpRequest, obj: Workspace, form: Any, change: bool) -> None:
        if not change:  # a new tenant: superusers only (has_add_permission)
            obj.save()
            return
        workspace_update(
            workspace=obj,
            actor=request.user,
            name=obj.name,
            require_passing_test=obj.require_passing_test,
            production_needs_evidence=obj.production_needs_evidence,
            conversation_max_seconds=obj.conversation_max_seconds,
            concurrent_conversations=obj.concurrent_conversations,
        )


@admin.register(Membership)
class MembershipAdmin(ServiceErrorsAsMessages, WorkspaceScopedAdmin):
    list_display = ("user", "workspace", "role", "created_at")
    list_filter = ("role", ("workspace", admin.RelatedOnlyFieldListFilter))
    search_fields = ("user__username", "user__email", "workspace__name", "workspace__slug")
    list_select_related = ("user", "workspace")
    raw_id_fields = ("user",)
    fields = ("user", "workspace", "role", "created_at")

    def get_readonly_fields(
        self, request: HttpRequest, obj: Membership | None = None
    ) -> tuple[str, ...]:
        return ("user", "workspace", "created_at") if obj else ("created_at",)

    def workspace_choices(self, request: HttpRequest) -> QuerySet[Workspace]:
        return workspaces_administered(request)

    # `obj`: as in has_add_permission above.
    def has_add_permission(self, request: HttpRequest, obj: Membership | None = None) -> bool:
        return administers(request, None)

    def has_change_permission(self, request: HttpRequest, obj: Membership | None = None) -> bool:
        return administers(request, obj.workspace if obj else None)

    def has_delete_permission(self, request: HttpRequest, obj: Membership | None = None) -> bool:
        return administers(request, obj.workspace if obj else None)

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        saved = membership_set(
            workspace=obj.workspace, actor=request.user, user=obj.user, role=Role(obj.role)
        )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        membership_delete(membership=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        for membership in queryset.select_related("workspace"):
            membership_delete(membership=membership, actor=request.user)


class TokenStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("active", "Active"), ("revoked", "Revoked")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> QuerySet[ApiToken]:
        if self.value() in ("active", "revoked"):
            return queryset.filter(revoked_at__isnull=self.value() == "active")
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(NotFoundAdmin):
    """Tokens are personal: a staff user manages their own, a superuser everyone's. The key is
    shown once, when the token is added; only its hash is stored, and never shown."""

    list_display = ("name", "prefix", "user", "created_at", "last_used_at", "revoked_at")
    list_filter = (TokenStateFilter, "created_at", "last_used_at")
    search_fields = ("name", "prefix", "user__username")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    actions = ("revoke",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(user=request.user)

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> tuple[str, ...]:
        if obj:
            return ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
        return ("user", "name") if request.user.is_superuser else ("name",)

    def get_readonly_fields(
        self, request: HttpRequest, obj: ApiToken | None = None
    ) -> tuple[str, ...]:
        return ("user", "prefix", "created_at", "last_used_at", "revoked_at") if obj else ()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return True

    def has_view_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return True

    def has_add_permission(self, request: HttpRequest) -> bool:
        return True

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return True

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False  # revoke instead: a revoked token stays on record

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            obj.save(update_fields=["name"])
            return
        assert request.user.is_authenticated  # the admin serves signed-in staff only
        user = form.cleaned_data.get("user") or request.user  # superusers choose the user
        token, key = api_token_create(user=user, name=form.cleaned_data["name"])
        obj.pk = token.pk
        obj.refresh_from_db()
        self.message_user(
            request,
            f"The key of token “{token.name}” is {key} — copy it now: it is not stored, "
            "and this is the only time it is shown.",
            messages.WARNING,
        )

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        active = list(queryset.filter(revoked_at__isnull=True))
        for token in active:
            api_token_revoke(token=token)
        self.message_user(request, f"Revoked {len(active)} token(s).", messages.SUCCESS)
