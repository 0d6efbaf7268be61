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
    def badge(self) -> str:
        """What the stage's badge says, wherever one is shown: Draft, Testing, Live."""
        return "Live" if self is Status.PRODUCTION else self.label

    @property
    def badge_css(self) -> str:
        """The badge's class; its colours (gray, yellow, green) are in static/app/badges.css."""
        return f"badge-{self.badge.lower()}"


class VoiceAgent(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="agents")
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

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            # The default list order, tie-breaker included, so a page is read in index order.
            models.Index(fields=["workspace", "-updated_at", "-id"], name="agent_list_order"),
            models.Index(fields=["workspace", "status"]),
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
