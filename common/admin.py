"""What every admin page shares, whatever its model: a 404 for objects out of reach,
read-only history, service errors as messages, and the intermediate page of actions that need
a few inputs. (Scoping to the caller's workspaces: workspaces/admin_scoping.py.)"""

from typing import TYPE_CHECKING, Any, TypeVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Model, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from common.errors import DomainError

HISTORY_INLINE_ROWS = 10

_Form = TypeVar("_Form", bound=forms.Form)


class NotFoundAdmin(admin.ModelAdmin):
    """An object outside the caller's queryset is a 404, as in the API. (Django would redirect
    with "doesn't exist", which says the same less plainly.)"""

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Model:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(
                f"No {self.opts.verbose_name} with id {object_id} among those you can see."
            )
        return obj


class ReadOnlyMixin:
    """History is written by the lifecycle services only; the admin shows it."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RecentRowsFormSet(BaseInlineFormSet):
    """Only the newest rows (per the model's ordering), so a long history keeps the page fast."""

    def get_queryset(self) -> QuerySet:
        if not hasattr(self, "_recent"):
            self._recent = super().get_queryset()[:HISTORY_INLINE_ROWS]
        return self._recent


if TYPE_CHECKING:
    # What the mixin below is mixed into, so that its super() calls are checked.
    _ModelAdmin = admin.ModelAdmin
else:
    _ModelAdmin = object


class ServiceErrorsAsMessages(_ModelAdmin):
    """A DomainError from a service during a save or delete rolls the write back and comes
    back to the page as an error message, instead of a server error."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
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
    request: HttpRequest,
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


def submitted_form(form_class: type[_Form], request: HttpRequest, **kwargs: Any) -> _Form:
    """The action's form, bound when the intermediate page was submitted."""
    return form_class(request.POST if "apply" in request.POST else None, **kwargs)
