"""The ElevenLabs part of the agent's admin page: where the agent stands with ElevenLabs, the
actions that sync it now and settle changes made there, and a page to import an agent.

Each action calls the service the API calls; the services check roles and rules.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from agents.admin import ExtraPage, VoiceAgentAdmin
from agents.models import VoiceAgent
from common.admin import ReadOnlyMixin
from common.errors import DomainError
from elevenlabs_sync.drift import drift_overwrite, drift_pull
from elevenlabs_sync.importing import agent_import
from elevenlabs_sync.models import AgentSync
from elevenlabs_sync.sync import agent_sync_retry
from workspaces.admin_scoping import MemberInline
from workspaces.models import Workspace
from workspaces.permissions import User
from workspaces.roles import PERMISSIONS, Action
from workspaces.selectors import workspace_list_for


class AgentSyncInline(ReadOnlyMixin, MemberInline):
    model = AgentSync
    fields = (
        "elevenlabs_agent_id",
        "state",
        "last_error",
        "last_synced_at",
        "drift_detected_at",
        "testing_branch_id",
        "main_version_id",
    )
    readonly_fields = fields
    can_delete = False


def _each(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[VoiceAgent],
    service: Callable[..., object],
    done: str,
) -> None:
    for agent in queryset:
        try:
            service(agent=agent, actor=request.user)
        except DomainError as error:
            model_admin.message_user(request, f"{agent}: {error.message}", messages.ERROR)
        else:
            model_admin.message_user(request, f"{agent}: {done}", messages.SUCCESS)


@admin.action(description="Sync with ElevenLabs now", permissions=["change"])
def sync_now(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[VoiceAgent]
) -> None:
    _each(model_admin, request, queryset, agent_sync_retry, "sync queued.")


@admin.action(description="Pull changes made on ElevenLabs into a draft", permissions=["change"])
def pull_their_changes(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[VoiceAgent]
) -> None:
    _each(model_admin, request, queryset, drift_pull, "their config is now the working draft.")


@admin.action(
    description="Overwrite changes made on ElevenLabs with the live version",
    permissions=["change"],
)
def overwrite_their_changes(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[VoiceAgent]
) -> None:
    _each(model_admin, request, queryset, drift_overwrite, "the live version is being put back.")


@admin.display(description="sync state", ordering="sync__state")
def sync_state(agent: VoiceAgent) -> str:
    return agent.sync.get_state_display()


class ImportForm(forms.Form):
    workspace: "forms.ModelChoiceField[Workspace]" = forms.ModelChoiceField(
        queryset=None, empty_label=None
    )
    elevenlabs_agent_id = forms.CharField(
        label="ElevenLabs agent id",
        max_length=100,
        help_text="agent_…, as shown in the ElevenLabs dashboard. Its config becomes "
        "version 1, a draft.",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspaces = workspace_list_for(user, able_to=Action.IMPORT_AGENT)
        workspace = self.fields["workspace"]
        assert isinstance(workspace, forms.ModelChoiceField)  # as declared above
        workspace.queryset = self.workspaces


def may_import(request: HttpRequest) -> bool:
    return workspace_list_for(request.user, able_to=Action.IMPORT_AGENT).exists()


def import_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, user=request.user)
    if not form.workspaces.exists():
        model_admin.message_user(
            request,
            PERMISSIONS[Action.IMPORT_AGENT].needs(where=" in a workspace"),
            messages.ERROR,
        )
        return HttpResponseRedirect(reverse("admin:agents_voiceagent_changelist"))
    if request.method == "POST" and form.is_valid():
        try:
            agent = agent_import(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            field = next(iter(error.errors), None)
            form.add_error(field if field in form.fields else None, error.message)
        else:
            model_admin.message_user(request, f"Imported {agent}.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:agents_voiceagent_change", args=[agent.pk]))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Import an agent from ElevenLabs",
        "opts": model_admin.opts,
        "form": form,
    }
    return TemplateResponse(request, "admin/elevenlabs_sync/import.html", context)


VoiceAgentAdmin.add_part(
    inlines=[AgentSyncInline],
    actions=[sync_now, pull_their_changes, overwrite_their_changes],
    columns=[sync_state],
    filters=["sync__state"],
    search=["sync__elevenlabs_agent_id"],
    related=["sync"],
    pages=[
        ExtraPage(
            route="import/",
            name="import",
            label="Import from ElevenLabs",
            view=import_view,
            offered=may_import,
        )
    ],
)
