from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from agents.admin import VoiceAgentAdmin
from common.admin import ReadOnlyMixin
from common.errors import DomainError
from testruns import admin_suites  # noqa: F401  (registers tests and runs)
from testruns.invites import InviteState, invite_revoke, invite_state, invite_states
from testruns.models import Conversation, ConversationTurn, InviteLink, TestResult
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
        "channel",
        ("agent__workspace", admin.RelatedOnlyFieldListFilter),
        "started_at",
    )
    search_fields = ("agent__name", "elevenlabs_conversation_id", "config_revision")
    list_select_related = ("agent", "started_by")
    fields = (
        "agent",
        "target",
        "channel",
        "version",
        "config_revision",
        "started_by",
        "started_by_name",
        "invite",
        "elevenlabs_conversation_id",
        "started_at",
        "ended_at",
        "status",
        "end_reason",
    )
    inlines = [ConversationTurnInline]


# --- Invite links


class InviteStateFilter(admin.SimpleListFilter):
    """The links in one state of `invite_state`, by its query twin `invite_states`."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return list(InviteState.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() not in InviteState.values:
            return queryset
        return queryset.alias(state=invite_states()).filter(state=self.value())


class InviteConversationInline(RecentHistoryInline):
    """The conversations held through the link."""

    model = Conversation
    fields = ("started_at", "status", "version", "ended_at", "end_reason")
    verbose_name_plural = "conversations through this link"


@admin.register(InviteLink)
class InviteLinkAdmin(HistoryAdmin):
    """Invite links. They are made where their link can be shown, once: the agent's page in
    the web UI, or the API (`invite_create`); the key itself is stored nowhere, and its hash is
    not shown. Revoking goes through `invite_revoke`, which checks the role and ends the
    conversations going on."""

    list_display = (
        "created_at",
        "agent",
        "workspace",
        "prefix_shown",
        "note_shown",
        "state",
        "uses_shown",
        "expires_at",
        "created_by_shown",
        "revoked_at",
    )
    list_filter = (
        InviteStateFilter,
        ("agent__workspace", admin.RelatedOnlyFieldListFilter),
        "created_at",
    )
    search_fields = ("agent__name", "note", "=prefix")
    list_select_related = ("agent__workspace",)
    fields = (
        "agent",
        "workspace",
        "state",
        "note",
        "prefix_shown",
        "version",
        "config_revision",
        "branch_id",
        "uses",
        "max_uses",
        "expires_at",
        "created_by_shown",
        "created_at",
        "revoked_at",
        "revoked_by",
        "all_conversations",
    )
    inlines = [InviteConversationInline]
    actions = ["revoke_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[InviteLink]:
        # The state reads the agent; revoking checks the role in its workspace.
        return super().get_queryset(request).select_related("agent__workspace")

    @admin.display(description="workspace", ordering="agent__workspace__name")
    def workspace(self, invite: InviteLink) -> str:
        return str(invite.agent.workspace)

    @admin.display(description="key", ordering="prefix")
    def prefix_shown(self, invite: InviteLink) -> str:
        # The first characters tell links apart; the rest of the key exists only in the link.
        return f"{invite.prefix}…"

    @admin.display(description="note", ordering="note")
    def note_shown(self, invite: InviteLink) -> str:
        return Truncator(invite.note).chars(60)

    @admin.display(description="created by", ordering="created_by_name")
    def created_by_shown(self, invite: InviteLink) -> str:
        return invite.created_by_name

    @admin.display(description="state")
    def state(self, invite: InviteLink) -> str:
        return invite_state(invite).label

    @admin.display(description="uses", ordering="uses")
    def uses_shown(self, invite: InviteLink) -> str:
        return f"{invite.uses} / {invite.max_uses}"

    @admin.display(description="all conversations")
    def all_conversations(self, invite: InviteLink) -> str:
        url = reverse("admin:testruns_conversation_changelist")
        return format_html(
            '<a href="{}?invite__id__exact={}">All conversations through this link</a> ({})',
            url,
            invite.pk,
            invite.uses,
        )

    @admin.action(description="Revoke selected invite links")
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[InviteLink]) -> None:
        """Revoke each through `invite_revoke`, which ends its conversations going on; a link
        the caller may not revoke is reported with the service's reason."""
        revoked = already = 0
        for invite in queryset:
            try:
                if invite_revoke(invite=invite, actor=request.user):
                    revoked += 1
                    self.log_change(request, invite, "Revoked.")
                else:
                    already += 1
            except DomainError as error:
                self.message_user(request, f"{invite}: {error.message}", messages.ERROR)
        if revoked:
            links = "invite link" if revoked == 1 else "invite links"
            self.message_user(
                request,
                f"Revoked {revoked} {links}; their conversations going on are being ended.",
                messages.SUCCESS,
            )
        if already:
            were = "was" if already == 1 else "were"
            self.message_user(
                request, f"{already} of the selected {were} revoked already.", messages.INFO
            )
