"""Voice agents in the admin. Every write goes through the services the API uses: the form
only shapes input, and deploy, rollback, edit and delete keep their rules and role checks."""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from agents.adapter import empty_config, validate_config
from agents.admin_elevenlabs import ElevenLabsActions
from agents.models import AgentTag, Status, VoiceAgent
from agents.services import TAGS_MAX_COUNT, agent_create, agent_delete, agent_update
from common.admin import (
    MemberInline,
    ServiceErrorsAsMessages,
    WorkspaceScopedAdmin,
    action_form_page,
    submitted_form,
)
from common.errors import DomainError, InvalidInput
from deployments.admin import DeploymentInline, VersionInline
from deployments.forms import DeployForm, RollbackForm
from deployments.services import agent_rollback, deployment_create
from testruns.admin import TestResultInline

STATUS_COLOURS = {Status.DRAFT: "#6b7280", Status.TESTING: "#b45309", Status.PRODUCTION: "#15803d"}
LIFECYCLE_FIELDS = (
    "status",
    "version",
    "live_version",
    "last_deployed_at",
    "deployed_by",
)
SYNC_FIELDS = (
    "elevenlabs_agent_id",
    "sync_state",
    "last_sync_error",
    "last_synced_at",
    "drift_detected_at",
    "config_revision",
)
RECORD_FIELDS = ("created_by", "created_at", "updated_by", "updated_at", "history_links")


class PrettyJSONField(forms.JSONField):
    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value  # what the user typed, shown back with the error
        return json.dumps(value, indent=2, ensure_ascii=False, cls=self.encoder)


class AgentForm(forms.ModelForm):
    config = PrettyJSONField(
        help_text=VoiceAgent._meta.get_field("config").help_text,
        widget=forms.Textarea(attrs={"rows": 24, "cols": 100, "style": "font-family: monospace"}),
    )

    class Meta:
        model = VoiceAgent
        fields = ("workspace", "name", "description", "config")

    def clean_config(self):
        # The same check the service makes, run here so a bad key is a form error.
        try:
            return validate_config(self.cleaned_data["config"])
        except InvalidInput as error:
            problems = [
                f"{path}: {message}" for path, found in error.errors.items() for message in found
            ]
            raise forms.ValidationError(problems or [error.message]) from error


class TagInline(MemberInline):
    model = AgentTag
    verbose_name_plural = "tags"
    extra = 1
    max_num = TAGS_MAX_COUNT


@admin.register(VoiceAgent)
class VoiceAgentAdmin(ElevenLabsActions, ServiceErrorsAsMessages, WorkspaceScopedAdmin):
    form = AgentForm
    inlines = (TagInline, VersionInline, DeploymentInline, TestResultInline)
    list_display = (
        "name",
        "workspace",
        "status_badge",
        "version",
        "live_version",
        "tag_names",
        "sync_state",
        "last_deployed_at",
        "deployed_by",
        "updated_at",
    )
    list_filter = (
        "status",
        "sync_state",
        ("workspace", admin.RelatedOnlyFieldListFilter),
        "last_deployed_at",
    )
    search_fields = ("name", "description", "elevenlabs_agent_id", "tags__name")
    list_select_related = ("workspace", "deployed_by")
    readonly_fields = (*LIFECYCLE_FIELDS, *SYNC_FIELDS, *RECORD_FIELDS)
    actions = ("deploy", "rollback", *ElevenLabsActions.elevenlabs_actions, "delete_selected")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tags")

    def get_fieldsets(self, request, obj=None):
        main = (None, {"fields": ("workspace", "name", "description", "config")})
        if obj is None:
            return [main]
        return [
            main,
            ("Lifecycle", {"fields": LIFECYCLE_FIELDS}),
            ("ElevenLabs", {"fields": SYNC_FIELDS}),
            ("Record", {"fields": RECORD_FIELDS}),
        ]

    def get_readonly_fields(self, request, obj=None):
        # An agent stays in its workspace: its history and tests belong there.
        return (*self.readonly_fields, "workspace") if obj else self.readonly_fields

    def get_changeform_initial_data(self, request):
        return {"config": empty_config(), **super().get_changeform_initial_data(request)}

    @admin.display(description="status", ordering="status")
    def status_badge(self, agent: VoiceAgent) -> str:
        return format_html(
            '<span style="background:{};color:#fff;padding:1px 8px;border-radius:8px">{}</span>',
            STATUS_COLOURS[agent.status],
            agent.get_status_display(),
        )

    @admin.display(description="tags")
    def tag_names(self, agent: VoiceAgent) -> str:
        return ", ".join(tag.name for tag in agent.tags.all())

    @admin.display(description="full history")
    def history_links(self, agent: VoiceAgent) -> str:
        pages = [
            ("deployments_agentversion", "versions"),
            ("deployments_deployment", "deployments"),
            ("testruns_testresult", "test results"),
        ]
        return format_html_join(
            " · ",
            '<a href="{}?agent__id__exact={}">All {}</a>',
            ((reverse(f"admin:{page}_changelist"), agent.pk, label) for page, label in pages),
        )

    # --- Writes: through the services, never around them.

    def save_model(self, request, obj, form, change):
        fields = {key: form.cleaned_data[key] for key in ("name", "description", "config")}
        if change:
            saved = agent_update(agent=obj, actor=request.user, **fields)
        else:
            saved = agent_create(
                workspace=form.cleaned_data["workspace"], actor=request.user, **fields
            )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
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

    def get_deleted_objects(self, objs, request):
        deleted, counts, _, protected = super().get_deleted_objects(objs, request)
        # An agent's history goes with it by design, although nobody may delete history rows
        # one by one; `agent_delete` decides who may delete the agent.
        return deleted, counts, set(), protected

    def delete_model(self, request, obj):
        agent_delete(agent=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        deleted = []
        for agent in queryset:
            try:
                with transaction.atomic():
                    self.log_deletions(request, [agent])
                    agent_delete(agent=agent, actor=request.user)
            except DomainError as error:
                self.message_user(request, f"{agent}: {error.message}", messages.ERROR)
            else:
                deleted.append(agent.name)
        if deleted:
            self.message_user(request, f"Deleted {', '.join(deleted)}.", messages.SUCCESS)

    @admin.action(description="Delete selected voice agents", permissions=["delete"])
    def delete_selected(self, request, queryset):
        # Django's action shows the confirmation page; after it, only the agents the service
        # agreed to delete are reported as deleted.
        if not request.POST.get("post"):
            return django_delete_selected(self, request, queryset)
        self.delete_queryset(request, queryset)
        return None

    # --- Lifecycle actions: the deploy and rollback services, with their gates.

    @admin.action(description="Deploy selected agents…", permissions=["change"])
    def deploy(self, request, queryset):
        form = submitted_form(DeployForm, request)
        if not form.is_valid():
            return action_form_page(
                self,
                request,
                queryset,
                form=form,
                action="deploy",
                title="Deploy agents",
                intro="Production deploys need a changelog note, the admin role, an agent that "
                "exists on ElevenLabs and a passing test of its current config.",
            )
        for agent in queryset:
            try:
                deployment = deployment_create(
                    agent=agent,
                    to_status=form.cleaned_data["to_status"],
                    changes=form.cleaned_data["changes"],
                    actor=request.user,
                    force=form.cleaned_data["force"],
                    force_reason=form.cleaned_data["force_reason"],
                )
            except DomainError as error:
                self.message_user(request, f"{agent}: {error.message}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{agent}: deployed to {deployment.get_to_status_display().lower()}, "
                    f"version {deployment.version}.",
                    messages.SUCCESS,
                )
        return None

    @admin.action(description="Roll back to an earlier version…", permissions=["change"])
    def rollback(self, request, queryset):
        agents = list(queryset[:2])
        if len(agents) != 1:
            self.message_user(request, "Select exactly one agent to roll back.", messages.ERROR)
            return None
        agent = agents[0]
        form = submitted_form(RollbackForm, request, agent=agent)
        if not form.is_valid():
            return action_form_page(
                self,
                request,
                queryset,
                form=form,
                action="rollback",
                title=f"Roll back {agent}",
                intro="The chosen version's config becomes a new version, live in production.",
            )
        try:
            deployment = agent_rollback(
                agent=agent,
                version=form.cleaned_data["version"],
                changes=form.cleaned_data["changes"],
                actor=request.user,
            )
        except DomainError as error:
            self.message_user(request, f"{agent}: {error.message}", messages.ERROR)
        else:
            self.message_user(
                request,
                f"{agent}: {deployment.changes}; version {deployment.version} is live.",
                messages.SUCCESS,
            )
        return None
