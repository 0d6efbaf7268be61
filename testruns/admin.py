from django.contrib import admin

from agents.admin import VoiceAgentAdmin
from testruns.models import TestResult
from workspaces.admin_scoping import HistoryAdmin, RecentHistoryInline


@admin.register(TestResult)
class TestResultAdmin(HistoryAdmin):
    list_display = (
        "tested_at",
        "agent",
        "status",
        "rating",
        "version",
        "config_revision",
        "source",
        "tested_by",
        "duration",
    )
    list_filter = (
        "status",
        "source",
        "rating",
        ("agent__workspace", admin.RelatedOnlyFieldListFilter),
        "tested_at",
    )
    search_fields = ("agent__name", "notes", "source_ref", "config_revision")
    list_select_related = ("agent", "tested_by")
    fields = (
        "agent",
        "status",
        "rating",
        "notes",
        "version",
        "config_revision",
        "source",
        "source_ref",
        "duration",
        "tested_by",
        "tested_at",
        "transcript",
    )


class TestResultInline(RecentHistoryInline):
    model = TestResult
    fields = ("tested_at", "status", "rating", "version", "source", "tested_by", "notes")
    list_select_related = ("tested_by",)
    verbose_name_plural = "test results"


VoiceAgentAdmin.add_part(inlines=[TestResultInline])
