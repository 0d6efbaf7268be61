"""What every admin page shares: workspace scoping, read-only history, service errors as
messages, and the intermediate page of actions that need a few inputs.

Access follows the product's own rules, not Django's model permissions: a staff user sees the
objects of the workspaces they belong to (`workspace_list_for`), and whether a write is allowed
is decided by the service it calls, which checks the role and answers with a sentence.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from common.errors import DomainError
from workspaces.models import Workspace
from workspaces.permissions import has_role
from workspaces.roles import Role
from workspaces.selectors import workspace_list_for

HISTORY_INLINE_ROWS = 10


def _once_per_request(request, key, answer):
    """Permission questions are asked many times per admin page (the sidebar asks about every
    model); each is answered once."""
    answers = request.__dict__.setdefault("_admin_access", {})
    if key not in answers:
        answers[key] = answer()
    return answers[key]


def is_member(request) -> bool:
    """Whether the caller belongs to any workspace. Superusers operate the whole platform."""
    if request.user.is_superuser:
        return True
    return _once_per_request(request, "member", lambda: workspace_list_for(request.user).exists())


def workspaces_administered(request) -> QuerySet[Workspace]:
    """The workspaces in which the caller holds the admin role (all, for superusers)."""
    return workspace_list_for(request.user, role=Role.ADMIN)


def administers(request, workspace: Workspace | None) -> bool:
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
        lambda: has_role(request.user, workspace, Role.ADMIN),
    )


class MemberPermissions:
    """Any member may open the admin pages of a workspace-scoped model. Writes are not gated
    here: the services check the role on every write, so a member lacking one gets the
    service's explanation."""

    def has_module_permission(self, request):
        return is_member(request)

    def has_view_permission(self, request, obj=None):
        return is_member(request)

    def has_add_permission(self, request, obj=None):
        return is_member(request)

    def has_change_permission(self, request, obj=None):
        return is_member(request)

    def has_delete_permission(self, request, obj=None):
        return is_member(request)


class NotFoundAdmin(admin.ModelAdmin):
    """An object outside the caller's queryset is a 404, as in the API. (Django would redirect
    with "doesn't exist", which says the same less plainly.)"""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(
                f"No {self.opts.verbose_name} with id {object_id} among those you can see."
            )
        return obj


class WorkspaceScopedAdmin(MemberPermissions, NotFoundAdmin):
    """Shows a staff user only their workspaces' objects; another workspace's object is a 404.

    `workspace_lookup` is the path from the model to its Workspace.
    """

    workspace_lookup = "workspace"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.workspace_lookup}__in": workspace_list_for(request.user)})

    def workspace_choices(self, request) -> QuerySet[Workspace]:
        """The workspaces a new object may be put in."""
        return workspace_list_for(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Workspace:
            kwargs["queryset"] = self.workspace_choices(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class MemberInline(MemberPermissions, admin.TabularInline):
    """An inline on a workspace-scoped page; the page around it is already scoped."""


class ReadOnlyMixin:
    """History is written by the lifecycle services only; the admin shows it."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HistoryAdmin(ReadOnlyMixin, WorkspaceScopedAdmin):
    """An agent's history rows: versions, deployments, test results."""

    workspace_lookup = "agent__workspace"
    list_per_page = 50

    def get_readonly_fields(self, request, obj=None):
        return self.fields


class RecentRowsFormSet(BaseInlineFormSet):
    """Only the newest rows (per the model's ordering), so a long history keeps the page fast."""

    def get_queryset(self):
        if not hasattr(self, "_recent"):
            self._recent = super().get_queryset()[:HISTORY_INLINE_ROWS]
        return self._recent


class RecentHistoryInline(ReadOnlyMixin, MemberInline):
    """A read-only table of an agent's newest history rows. Set `fields`; they are all shown
    read-only, with `list_select_related` fetched alongside."""

    formset = RecentRowsFormSet
    extra = 0
    show_change_link = True
    list_select_related: tuple[str, ...] = ()

    def __init__(self, parent_model, admin_site):
        super().__init__(parent_model, admin_site)
        self.verbose_name_plural = f"{self.verbose_name_plural} (newest {HISTORY_INLINE_ROWS})"

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def get_queryset(self, request):
        # Each row's title names its agent: fetch it with the row.
        related = ("agent", *self.list_select_related)
        return super().get_queryset(request).select_related(*related)


class ServiceErrorsAsMessages:
    """A DomainError from a service during a save or delete rolls the write back and comes
    back to the page as an error message, instead of a server error."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            opts = self.opts
            change_url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id]
            )
            return HttpResponseRedirect(change_url)


def action_form_page(
    model_admin: admin.ModelAdmin,
    request,
    queryset: QuerySet,
    *,
    form: forms.Form,
    action: str,
    title: str,
    intro: str = "",
) -> TemplateResponse:
    """The intermediate page of an action: the selected objects, a form, and a submit button
    that posts the action again with `apply` set."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "opts": model_admin.opts,
        "queryset": queryset,
        "form": form,
        "action": action,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "media": model_admin.media + form.media,
    }
    return TemplateResponse(request, "admin/action_form.html", context)


def submitted_form(form_class: type[forms.Form], request, **kwargs) -> forms.Form:
    """The action's form, bound when the intermediate page was submitted."""
    return form_class(request.POST if "apply" in request.POST else None, **kwargs)
