from django.conf import settings
from django.db import models
from django.db.models import F, Q

from workspaces.models import Workspace

NAME_MAX_LENGTH = 200
TAG_MAX_LENGTH = 50
DESCRIPTION_MAX_LENGTH = 5_000
DESCRIPTION_TOO_LONG = f"Keep the description under {DESCRIPTION_MAX_LENGTH:,} characters."


class Status(models.TextChoices):
    """The stage of the agent's working config."""

    DRAFT = "draft", "Draft"
    TESTING = "testing", "Testing"
    PRODUCTION = "production", "Production"

    @property
    def badge_css(self) -> str:
        """The class of the stage's badge, which says the stage's label (Draft, Testing,
        Production: one word per stage, as in the API); its colours (gray, yellow, green) are
        in static/app/badges.css."""
        return f"badge-{self.value}"


# What an agent list may be sorted by (the API's `ordering`, the dashboard's sort).
LIST_ORDERS = ("updated_at", "name", "created_at", "version", "last_deployed_at")


class VoiceAgent(models.Model):
    # PROTECT: a workspace holding agents, archived ones included, is where their history
    # lives; it cannot be deleted (docs/lifecycle.md, "Archiving").
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="agents")
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    description = models.TextField(blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    config = models.JSONField(
        help_text='ElevenLabs-native: {"conversation_config": {...}, "platform_settings": {...}}.'
    )
    config_revision = models.CharField(
        max_length=16, help_text="Fingerprint of the working config; test results record it."
    )

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1, help_text="The newest version snapshot.")
    live_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="The version production callers get."
    )
    last_deployed_at = models.DateTimeField(null=True, blank=True)
    deployed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    archived_at = models.DateTimeField(
        null=True, blank=True, help_text="Set while the agent is archived: read-only, unlisted."
    )
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        # Lists show active agents, sorted by one of these fields, then by id in the same
        # direction (common.filters.with_tie_breaker): an index per order, read forwards or
        # backwards, finds a page and counts a list without sorting or reading every row
        # (docs/benchmarks.md). Each carries the status, so that a list of one stage is
        # filtered in the index too, not row by row in the table (a deep page of production
        # agents: 9 -> 3 ms of database CPU); SQLite ignores it (models.W040, silenced). The
        # name search's trigram index is PostgreSQL's alone, so it is made by migration 0007
        # rather than declared here.
        indexes = [
            *(
                models.Index(
                    fields=["workspace", field, "id"],
                    include=["status"],
                    condition=Q(archived_at__isnull=True),
                    name=f"agents_by_{field}",
                )
                for field in LIST_ORDERS
            ),
            models.Index(
                fields=["workspace", "status", "id"],
                condition=Q(archived_at__isnull=True),
                name="agents_by_status",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="agent_status_is_known"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="agent_version_from_one"),
            models.CheckConstraint(
                condition=Q(live_version__isnull=True) | Q(live_version__lte=F("version")),
                name="agent_live_version_exists",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class AgentTag(models.Model):
    agent = models.ForeignKey(VoiceAgent, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=TAG_MAX_LENGTH)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "name"], name="tag_once_per_agent"),
        ]
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name
