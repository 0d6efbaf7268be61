"""Voice agents in the admin. Every write goes through the services the API uses: the form
only shapes input, and edit and delete keep their rules and role checks.

The agent's page is put together from parts: this module gives the form, the tags and the
record; the apps above add theirs (history, tests, deploy and rollback, ElevenLabs) from their
own admin modules with `VoiceAgentAdmin.add_part`, so agents never imports them.
"""

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.options import InlineModelAdmin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join

from agents.models import AgentTag, Status, VoiceAgent
from agents.services import TAGS_MAX_COUNT, agent_create, agent_delete, agent_update
from common.admin import ServiceErrorsAsMessages
from common.errors import DomainError, InvalidInput
from elevenlabs_adapter import empty_config, validate_config
from workspaces.admin_scoping import MemberInline, RecentHistoryInline, WorkspaceScopedAdmin

LIFECYCLE_FIELDS = (
    "status",
    "version",
    "live_version",
    "config_revision",
    "last_deployed_at",
    "deployed_by",
)
RECORD_FIELDS = ("created_by", "created_at", "updated_by", "updated_at", "history_links")


class PrettyJSONField(forms.JSONField):
    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value  # what the user typed, shown back with the error
        return json.dumps(value, indent=2, ensure_ascii=False, cls=self.encoder)


class AgentAdminForm(forms.ModelForm):
    config = PrettyJSONField(
        help_text=VoiceAgent._meta.get_field("config").help_text,
        # Monospaced by app/admin.css: the Content-Security-Policy refuses style attributes.
        widget=forms.Textarea(attrs={"rows": 24, "cols": 100, "class": "json-config"}),
    )

    class Meta:
        model = VoiceAgent
        fields = ("workspace", "name", "description", "config")

    def clean_config(self) -> dict:
        # The same check the service makes, run here so a bad key is a form error.
        try:
            return validate_config(self.cleaned_data["config"])
        except InvalidInput as error:
            problems = [
                f"{path}: {message}" for path, found in error.errors.items() for message in found
            ]
            raise forms.ValidationError(problems or [error.message]) from error


@dataclass(frozen=True)
class ExtraPage:
    """A page an app above adds under the agents admin's URLs, linked from the top of the list
    for whoever it is `offered` to."""

    route: str
    name: str  # its URL is named admin:agents_voiceagent_<name>
    label: str
    view: Callable[[admin.ModelAdmin, HttpRequest], HttpResponse]
    offered: Callable[[HttpRequest], bool]

    def url_name(self, model_admin: admin.ModelAdmin) -> str:
        return f"{model_admin.opts.app_label}_{model_admin.opts.model_name}_{self.name}"


class TagInline(MemberInline):
    model = AgentTag
    verbose_name_plural = "tags"
    extra = 1
    max_num = TAGS_MAX_COUNT


@admin.register(VoiceAgent)
class VoiceAgentAdmin(ServiceErrorsAsMessages, WorkspaceScopedAdmin):
    form = AgentAdminForm
    # Lists and tuples that `add_part` extends.
    inlines: ClassVar[list[type[InlineModelAdmin]]] = [TagInline]
    list_display: tuple = (
        "name",
        "workspace",
        "status_badge",
        "version",
        "live_version",
        "tag_names",
        "last_deployed_at",
        "deployed_by",
        "updated_at",
    )
    list_filter: ClassVar[tuple] = (
        "status",
        ("workspace", admin.RelatedOnlyFieldListFilter),
        "last_deployed_at",
    )
    search_fields: ClassVar[tuple[str, ...]] = ("name", "description", "tags__name")
    list_select_related: ClassVar[tuple[str, ...]] = ("workspace", "deployed_by")
    readonly_fields = (*LIFECYCLE_FIELDS, *RECORD_FIELDS)
    actions: list = ["delete_selected"]
    pages: list[ExtraPage] = []

    class Media:
        css = {"all": ("app/badges.css", "app/admin.css")}

    @classmethod
    def add_part(
        cls,
        *,
        inlines: Iterable[type[InlineModelAdmin]] = (),
        actions: Iterable[Callable[..., HttpResponseBase | None]] = (),
        columns: Iterable[str | Callable[[VoiceAgent], str]] = (),
        filters: Iterable[str] = (),
        search: Iterable[str] = (),
        related: Iterable[str] = (),
        pages: Iterable[ExtraPage] = (),
    ) -> None:
        """Put an app's part on the agent's admin pages: its inlines, its actions (shown before
        delete), its list columns, filters, search fields and the relations they read, and its
        own pages. Called once, from that app's admin module."""
        cls.inlines = [*cls.inlines, *inlines]
        cls.actions = [*cls.actions[:-1], *actions, cls.actions[-1]]
        cls.list_display = (*cls.list_display, *columns)
        cls.list_filter = (*cls.list_filter, *filters)
        cls.search_fields = (*cls.search_fields, *search)
        cls.list_select_related = (*cls.list_select_related, *related)
        cls.pages = [*cls.pages, *pages]

    def get_urls(self) -> list[URLPattern]:
        pages = [
            path(
                page.route,
                self.admin_site.admin_view(partial(page.view, self)),
                name=page.url_name(self),
            )
            for page in self.pages
        ]
        return [*pages, *super().get_urls()]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        links = [
            (reverse(f"admin:{page.url_name(self)}"), page.label)
            for page in self.pages
            if page.offered(request)
        ]
        return super().changelist_view(request, {"page_links": links, **(extra_context or {})})

    def get_queryset(self, request: HttpRequest) -> QuerySet[VoiceAgent]:
        return super().get_queryset(request).prefetch_related("tags")

    def get_fieldsets(self, request: HttpRequest, obj: VoiceAgent | None = None) -> list:
        main = (None, {"fields": ("workspace", "name", "description", "config")})
        if obj is None:
            return [main]
        return [
            main,
            ("Lifecycle", {"fields": LIFECYCLE_FIELDS}),
            ("Record", {"fields": RECORD_FIELDS}),
        ]

    def get_readonly_fields(
        self, request: HttpRequest, obj: VoiceAgent | None = None
    ) -> tuple[str, ...]:
        # An agent stays in its workspace: its history and tests belong there.
        return (*self.readonly_fields, "workspace") if obj else self.readonly_fields

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"config": empty_config(), **super().get_changeform_initial_data(request)}

    @admin.display(description="status", ordering="status")
    def status_badge(self, agent: VoiceAgent) -> str:
        status = Status(agent.status)
        return format_html('<span class="badge {}">{}</span>', status.badge_css, status.badge)

    @admin.display(description="tags")
    def tag_names(self, agent: VoiceAgent) -> str:
        return ", ".join(tag.name for tag in agent.tags.all())

    @admin.display(description="full history")
    def history_links(self, agent: VoiceAgent) -> str:
        """A link to the whole list behind each history inline, which shows the newest rows."""
        histories = [
            inline.model._meta for inline in self.inlines if issubclass(inline, RecentHistoryInline)
        ]
        return format_html_join(
            " · ",
            '<a href="{}?agent__id__exact={}">All {}</a>',
            (
                (
                    reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"),
                    agent.pk,
                    meta.verbose_name_plural,
                )
                for meta in histories
            ),
        )

    # --- Writes: through the services, never around them.

    def save_model(self, request: HttpRequest, obj: VoiceAgent, form: Any, change: bool) -> None:
        fields = {key: form.cleaned_data[key] for key in ("name", "description", "config")}
        if change:
            saved = agent_update(agent=obj, actor=request.user, **fields)
        else:
            saved = agent_create(
                workspace=form.cleaned_data["workspace"], actor=request.user, **fields
            )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # Writes nothing: it lists what changed, for the admin's change message. Tags are
        # saved by the service, which owns their limits; history inlines are read-only.
        formset.save(commit=False)
        if formset.model is AgentTag and formset.has_changed():
            kept = [
                row.cleaned_data["name"]
                for row in formset.forms
                if row.cleaned_data.get("name") and not row.cleaned_data.get("DELETE")
            ]
            agent_update(agent=form.instance, actor=request.user, tags=kept)

    def get_deleted_objects(
        self, objs: Sequence[VoiceAgent] | QuerySet[VoiceAgent], request: HttpRequest
    ) -> tuple[list[str], dict[str, int], set[str], list[str]]:
        deleted, counts, _, protected = super().get_deleted_objects(objs, request)
        # An agent's history goes with it by design, although nobody may delete history rows
        # one by one; `agent_delete` decides who may delete the agent.
        return deleted, counts, set(), protected

    def delete_model(self, request: HttpRequest, obj: VoiceAgent) -> None:
        agent_delete(agent=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[VoiceAgent]) -> None:
        deleted = []
        for agent in queryset:
            try:
                with transaction.atomic():
                    # The stubs want a QuerySet; Django passes a list itself ([obj], in
                    # ModelAdmin._delete_view), and any iterable of the model's objects works.
                    self.log_deletions(request, [agent])  # type: ignore[arg-type]
                    agent_delete(agent=agent, actor=request.user)
            except DomainError as error:
                self.message_user(request, f"{agent}: {error.message}", messages.ERROR)
            else:
                deleted.append(agent.name)
        if deleted:
            self.message_user(request, f"Deleted {', '.join(deleted)}.", messages.SUCCESS)

    @admin.action(description="Delete selected voice agents", permissions=["delete"])
    def delete_selected(
        self, request: HttpRequest, queryset: QuerySet[VoiceAgent]
    ) -> TemplateResponse | None:
        # Django's action shows the confirmation page; after it, only the agents the service
        # agreed to delete are reported as deleted.
        if not request.POST.get("post"):
            return django_delete_selected(self, request, queryset)
        self.delete_queryset(request, queryset)
        return None
