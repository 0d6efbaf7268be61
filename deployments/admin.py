import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.text import Truncator

from common.admin import HistoryAdmin, RecentHistoryInline
from deployments.models import AgentVersion, Deployment

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
