"""The ElevenLabs side of the agents admin: sync now, settle drift, import an agent.

Each action calls the service the API calls; the services check roles and rules.
"""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from agents.drift import drift_overwrite, drift_pull
from agents.services import agent_import
from agents.sync import agent_sync_retry
from common.errors import DomainError
from workspaces.roles import Role
from workspaces.selectors import workspace_list_for


class ImportForm(forms.Form):
    workspace = forms.ModelChoiceField(queryset=None, empty_label=None)
    elevenlabs_agent_id = forms.CharField(
        label="ElevenLabs agent id",
        max_length=100,
        help_text="agent_…, as shown in the ElevenLabs dashboard. Its config becomes "
        "version 1, a draft.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workspace"].queryset = workspace_list_for(user, role=Role.EDITOR)


class ElevenLabsActions:
    """Mixed into VoiceAgentAdmin."""

    elevenlabs_actions = ("sync_now", "pull_their_changes", "overwrite_their_changes")

    def _each(self, request, queryset, service, done: str) -> None:
        for agent in queryset:
            try:
                service(agent=agent, actor=request.user)
            except DomainError as error:
                self.message_user(request, f"{agent}: {error.message}", messages.ERROR)
            else:
                self.message_user(request, f"{agent}: {done}", messages.SUCCESS)

    @admin.action(description="Sync with ElevenLabs now", permissions=["change"])
    def sync_now(self, request, queryset):
        self._each(request, queryset, agent_sync_retry, "sync queued.")

    @admin.action(
        description="Pull changes made on ElevenLabs into a draft", permissions=["change"]
    )
    def pull_their_changes(self, request, queryset):
        self._each(request, queryset, drift_pull, "their config is now the working draft.")

    @admin.action(
        description="Overwrite changes made on ElevenLabs with the live version",
        permissions=["change"],
    )
    def overwrite_their_changes(self, request, queryset):
        self._each(request, queryset, drift_overwrite, "the live version is being put back.")

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="agents_voiceagent_import"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        can_import = workspace_list_for(request.user, role=Role.EDITOR).exists()
        return super().changelist_view(request, {"can_import": can_import, **(extra_context or {})})

    def import_view(self, request):
        form = ImportForm(request.POST or None, user=request.user)
        if not form.fields["workspace"].queryset.exists():
            self.message_user(
                request, "Importing agents needs the editor role in a workspace.", messages.ERROR
            )
            return HttpResponseRedirect(reverse("admin:agents_voiceagent_changelist"))
        if request.method == "POST" and form.is_valid():
            try:
                agent = agent_import(actor=request.user, **form.cleaned_data)
            except DomainError as error:
                field = next(iter(error.errors), None)
                form.add_error(field if field in form.fields else None, error.message)
            else:
                self.message_user(request, f"Imported {agent}.", messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:agents_voiceagent_change", args=[agent.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": "Import an agent from ElevenLabs",
            "opts": self.opts,
            "form": form,
        }
        return TemplateResponse(request, "admin/agents/voiceagent/import.html", context)
