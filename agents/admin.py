"""Voice agents in the admin. Every write goes through the services the API uses: the form
only shapes input, and edit, archive (what delete does) and restore keep their rules and role
checks. The list shows active agents unless its "Archived" filter says otherwise; an archived
agent's page is read-only.

The agent's page is put together from parts: this module gives the form, the tags and the
record; the apps above add theirs (history, tests, deploy and rollback, ElevenLabs) from their
own admin modules with `VoiceAgentAdmin.add_part`, so agents never imports them.
"""

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import InlineModelAdmin
from django.contrib.admin.views.main import ChangeList
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join

from agents.forms import ArchiveNoteForm
from agents.models import AgentTag, Status, VoiceAgent
from agents.services import (
    TAGS_MAX_COUNT,
    agent_archive,
    agent_create,
    agent_restore,
    agent_update,
)
from common.admin import ServiceErrorsAsMessages, action_form_page, submitted_form
from common.errors import DomainError, InvalidInput
from elevenlabs_adapter import CONFIG_TOO_DEEP, empty_config, validate_config
from workspaces.admin_scoping import MemberInline, RecentHistoryInline, WorkspaceScopedAdmin

if TYPE_CHECKING:
    from django.contrib.admin.filters import _ListFilterChoices
    from django.contrib.admin.models import LogEntry

LIFECYCLE_FIELDS = (
    "status",
    "version",
    "live_version",
    "config_revision",
    "last_deployed_at",
    "deployed_by",
)
RECORD_FIELDS = (
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
    "archived_at",
    "archived_by",
    "history_links",
)


class PrettyJSONField(forms.JSONField):
    # Python's parser gives up near a thousand levels, before the config's own check of depth
    # can run: say what that check would have said, and show back what was typed.
    def to_python(self, value: Any) -> Any:
        try:
            return super().to_python(value)
        except RecursionError as error:
            raise forms.ValidationError(CONFIG_TOO_DEEP, code="invalid") from error

    def bound_data(self, data: Any, initial: Any) -> Any:
        try:
            return super().bound_data(data, initial)
        except RecursionError:
            return forms.fields.InvalidJSONInput(data)

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
        accepted = self.instance.config if self.instance.pk else None
        try:
            return validate_config(self.cleaned_data["config"], accepted=accepted)
        except InvalidInput as error:
            raise forms.ValidationError(error.sentences()) from error


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


class ArchivedFilter(admin.SimpleListFilter):
    """Active agents unless asked otherwise, as in the API and the dashboard."""

    title = "archived"
    parameter_name = "archived"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("true", "Archived"), ("all", "All")]

    def choices(self, changelist: ChangeList) -> Iterator["_ListFilterChoices"]:
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Active",
        }
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "all":
            return queryset
        return queryset.filter(archived_at__isnull=self.value() != "true")


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
        ArchivedFilter,
        "status",
        ("workspace", admin.RelatedOnlyFieldListFilter),
        "last_deployed_at",
    )
    search_fields: ClassVar[tuple[str, ...]] = ("name", "description", "tags__name")
    list_select_related: ClassVar[tuple[str, ...]] = ("workspace", "deployed_by")
    readonly_fields = (*LIFECYCLE_FIELDS, *RECORD_FIELDS)
    actions: list = ["restore_selected", "delete_selected"]
    delete_confirmation_template = "admin/agents/voiceagent/archive_confirmation.html"
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
        archive), its list columns, filters, search fields and the relations they read, and its
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

    def has_change_permission(self, request: HttpRequest, obj: VoiceAgent | None = None) -> bool:
        # An archived agent is read-only until restored (the list's restore action).
        return super().has_change_permission(request, obj) and not (obj and obj.is_archived)

    def has_delete_permission(self, request: HttpRequest, obj: VoiceAgent | None = None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj and obj.is_archived)

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
        return format_html('<span class="badge {}">{}</span>', status.badge_css, status.label)

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

    # --- Delete archives: the agent and its history stay, hidden from the list.

    def get_deleted_objects(
        self, objs: Sequence[VoiceAgent] | QuerySet[VoiceAgent], request: HttpRequest
    ) -> tuple[list[str], dict[str, int], set[str], list[str]]:
        # Nothing is deleted, so nothing is listed as deleted or protected; `agent_archive`
        # decides who may archive the agent.
        return [], {}, set(), []

    def log_deletions(
        self, request: HttpRequest, queryset: Sequence[VoiceAgent] | QuerySet[VoiceAgent]
    ) -> list["LogEntry"]:
        return [self.log_change(request, agent, "Archived.") for agent in queryset]

    def delete_model(self, request: HttpRequest, obj: VoiceAgent) -> None:
        agent_archive(agent=obj, actor=request.user, note=request.POST.get("note", ""))

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: Any) -> HttpResponse:
        self.message_user(
            request,
            f"Archived {obj_display}: its history stays, under the list's Archived filter.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:agents_voiceagent_changelist"))

    @admin.action(description="Archive selected voice agents…", permissions=["delete"])
    def delete_selected(
        self, request: HttpRequest, queryset: QuerySet[VoiceAgent]
    ) -> TemplateResponse | None:
        return self._each_with_note(
            request,
            queryset,
            action="delete_selected",
            title="Archive agents",
            intro="Archived agents leave the lists and can no longer be changed; their "
            "ElevenLabs agents are deleted. Their versions, history and test results stay, and "
            "an admin can restore them. An agent in production must leave production first.",
            service=agent_archive,
            done="Archived",
        )

    @admin.action(description="Restore selected archived agents…", permissions=["delete"])
    def restore_selected(
        self, request: HttpRequest, queryset: QuerySet[VoiceAgent]
    ) -> TemplateResponse | None:
        return self._each_with_note(
            request,
            queryset,
            action="restore_selected",
            title="Restore agents",
            intro="Each comes back as a draft of its last working config, and its sync creates "
            "a new ElevenLabs agent.",
            service=agent_restore,
            done="Restored",
        )

    def _each_with_note(
        self,
        request: HttpRequest,
        queryset: QuerySet[VoiceAgent],
        *,
        action: str,
        title: str,
        intro: str,
        service: Callable[..., VoiceAgent],
        done: str,
    ) -> TemplateResponse | None:
        """Ask for a note, then call `service` on each agent; report each refusal."""
        form = submitted_form(ArchiveNoteForm, request)
        if not form.is_valid():
            return action_form_page(
                self, request, queryset, form=form, action=action, title=title, intro=intro
            )
        succeeded = []
        for agent in queryset:
            try:
                with transaction.atomic():
                    service(agent=agent, actor=request.user, note=form.cleaned_data["note"])
                    self.log_change(request, agent, f"{done}.")
            except DomainError as error:
                self.message_user(request, f"{agent}: {error.message}", messages.ERROR)
            else:
                succeeded.append(agent.name)
        if succeeded:
            self.message_user(request, f"{done} {', '.join(succeeded)}.", messages.SUCCESS)
        return None
