"""Versions and deployment history in the admin (read-only), and the lifecycle's part of the
agent's page: its newest versions and history, and the deploy and rollback actions, which call
the same services as the API, gates and all."""

import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.text import Truncator

from agents.admin import VoiceAgentAdmin
from agents.models import VoiceAgent
from common.admin import action_form_page, submitted_form
from common.errors import DomainError
from deployments.forms import DeployForm, RollbackForm
from deployments.models import AgentVersion, Deployment
from deployments.services import agent_rollback, deployment_create
from workspaces.admin_scoping import HistoryAdmin, RecentHistoryInline
from workspaces.roles import PERMISSIONS, Action

WORKSPACE_FILTER = ("agent__workspace", admin.RelatedOnlyFieldListFilter)


@admin.display(description="changes")
def changes_summary(row: AgentVersion | Deployment) -> str:
    return Truncator(row.changes).chars(80)


@admin.register(AgentVersion)
class AgentVersionAdmin(HistoryAdmin):
    list_display = ("agent", "number", changes_summary, "created_by", "created_at")
    list_filter = (WORKSPACE_FILTER, "created_at")
    search_fields = ("agent__name", "changes", "elevenlabs_version_id")
    list_select_related = ("agent", "created_by")
    fields = (
        "agent",
        "number",
        "changes",
        "config_pretty",
        "config_revision",
        "elevenlabs_version_id",
        "created_by",
        "created_at",
    )

    @admin.display(description="config")
    def config_pretty(self, version: AgentVersion) -> str:
        return format_html("<pre>{}</pre>", json.dumps(version.config, indent=2))


@admin.register(Deployment)
class DeploymentAdmin(HistoryAdmin):
    list_display = (
        "deployed_at",
        "agent",
        "kind",
        "from_status",
        "to_status",
        "version",
        "forced",
        "deployed_by",
        "sync_state",
        changes_summary,
    )
    list_filter = ("kind", "to_status", "forced", "sync_state", WORKSPACE_FILTER, "deployed_at")
    search_fields = ("agent__name", "changes", "deployed_by__username")
    list_select_related = ("agent", "deployed_by")
    fields = (
        "agent",
        "kind",
        "from_status",
        "to_status",
        "version",
        "changes",
        "forced",
        "force_reason",
        "deployed_by",
        "deployed_at",
        "sync_state",
    )


class VersionInline(RecentHistoryInline):
    model = AgentVersion
    fields = ("number", "changes", "created_by", "created_at", "elevenlabs_version_id")
    list_select_related = ("created_by",)
    verbose_name_plural = "versions"


class DeploymentInline(RecentHistoryInline):
    model = Deployment
    fields = (
        "deployed_at",
        "kind",
        "from_status",
        "to_status",
        "version",
        "changes",
        "forced",
        "force_reason",
        "deployed_by",
        "sync_state",
    )
    list_select_related = ("deployed_by",)
    verbose_name_plural = "deployment history"


@admin.action(description="Deploy selected agents…", permissions=["change"])
def deploy(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[VoiceAgent]
) -> TemplateResponse | None:
    form = submitted_form(DeployForm, request)
    if not form.is_valid():
        return action_form_page(
            model_admin,
            request,
            queryset,
            form=form,
            action="deploy",
            title="Deploy agents",
            intro=f"{PERMISSIONS[Action.DEPLOY_PRODUCTION].needs()} Production deploys also need "
            "a changelog note, an agent that exists on ElevenLabs and a passing test of its "
            "current config.",
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
            model_admin.message_user(request, f"{agent}: {form.refusal(error)}", messages.ERROR)
        else:
            model_admin.message_user(
                request,
                f"{agent}: deployed to {deployment.get_to_status_display().lower()}, "
                f"version {deployment.version}.",
                messages.SUCCESS,
            )
    return None


@admin.action(description="Roll back to an earlier version…", permissions=["change"])
def rollback(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[VoiceAgent]
) -> TemplateResponse | None:
    agents = list(queryset[:2])
    if len(agents) != 1:
        model_admin.message_user(request, "Select exactly one agent to roll back.", messages.ERROR)
        return None
    agent = agents[0]
    form = submitted_form(RollbackForm, request, agent=agent)
    if not form.is_valid():
        return action_form_page(
            model_admin,
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
        model_admin.message_user(request, f"{agent}: {error.message}", messages.ERROR)
    else:
        model_admin.message_user(
            request,
            f"{agent}: {deployment.changes}; version {deployment.version} is live.",
            messages.SUCCESS,
        )
    return None


VoiceAgentAdmin.add_part(inlines=[VersionInline, DeploymentInline], actions=[deploy, rollback])
