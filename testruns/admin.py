from django.contrib import admin

from agents.admin import VoiceAgentAdmin
from common.admin import ReadOnlyMixin
from testruns.models import Conversation, ConversationTurn, TestResult
from workspaces.admin_scoping import HistoryAdmin, MemberInline, RecentHistoryInline


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
        "conversation",
        "transcript",
    )


class TestResultInline(RecentHistoryInline):
    model = TestResult
    fields = ("tested_at", "status", "rating", "version", "source", "tested_by", "notes")
    list_select_related = ("tested_by",)
    verbose_name_plural = "test results"


VoiceAgentAdmin.add_part(inlines=[TestResultInline])


class ConversationTurnInline(ReadOnlyMixin, MemberInline):
    """Everything said in the conversation, in order."""

    model = ConversationTurn
    fields = ("offset_ms", "role", "text", "corrected", "interrupted", "tool_calls")
    readonly_fields = fields
    extra = 0
    verbose_name_plural = "turns"


@admin.register(Conversation)
class ConversationAdmin(HistoryAdmin):
    """Test conversations held through the relay: written by it alone, shown here."""

    list_display = (
        "started_at",
        "agent",
        "status",
        "target",
        "version",
        "started_by",
        "ended_at",
    )
    list_filter = (
        "status",
        "target",
        ("agent__workspace", admin.RelatedOnlyFieldListFilter),
        "started_at",
    )
    search_fields = ("agent__name", "elevenlabs_conversation_id", "config_revision")
    list_select_related = ("agent", "started_by")
    fields = (
        "agent",
        "target",
        "version",
        "config_revision",
        "started_by",
        "started_by_name",
        "elevenlabs_conversation_id",
        "started_at",
        "ended_at",
        "status",
        "end_reason",
    )
    inlines = [ConversationTurnInline]
