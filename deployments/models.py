from django.conf import settings
from django.db import models

from agents.models import Status, VoiceAgent

CHANGES_MAX_LENGTH = 5_000
KEPT_NAME_HELP = "The username, kept here when the user is deleted."


class SyncState(models.TextChoices):
    """Whether ElevenLabs has caught up with a change: of a deployment here, of an agent in
    the ElevenLabs app (elevenlabs_sync), which keeps both up to date."""

    PENDING = "pending", "Pending"
    SYNCED = "synced", "Synced"
    FAILED = "failed", "Failed"


# History is permanent: an agent is archived, never deleted, and its versions, history and
# test results refer to it with PROTECT, so no deletion anywhere can take them along. A
# deleted user's rows keep the username (`*_by_name`, filled by common.models.keep_usernames).


class AgentVersion(models.Model):
    """An immutable snapshot of an agent's config, taken at creation and each production deploy."""

    agent = models.ForeignKey(VoiceAgent, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    config = models.JSONField()
    config_revision = models.CharField(max_length=16)
    changes = models.TextField(blank=True, max_length=CHANGES_MAX_LENGTH)
    elevenlabs_version_id = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_name = models.CharField(max_length=150, blank=True, help_text=KEPT_NAME_HELP)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agent", "-number"]
        constraints = [
            # The last line of defence for version numbering: two deploys can never both
            # write the same number, whatever happens to the row lock above it.
            models.UniqueConstraint(fields=["agent", "number"], name="one_snapshot_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.agent} v{self.number}"


class DeploymentKind(models.TextChoices):
    CREATE = "create", "Created"
    DEPLOY = "deploy", "Deployed"
    ROLLBACK = "rollback", "Rolled back"
    EDIT = "edit", "Edited (back to draft)"
    ARCHIVE = "archive", "Archived"
    RESTORE = "restore", "Restored"


class Deployment(models.Model):
    """One row per status change: the deployment history. Rows with a note form the changelog."""

    agent = models.ForeignKey(VoiceAgent, on_delete=models.PROTECT, related_name="deployments")
    kind = models.CharField(max_length=10, choices=DeploymentKind.choices)
    from_status = models.CharField(max_length=10, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=Status.choices)
    version = models.PositiveIntegerField()
    changes = models.TextField(blank=True, max_length=CHANGES_MAX_LENGTH)
    forced = models.BooleanField(
        default=False, help_text="An admin deployed without the passing test the gate asks for."
    )
    force_reason = models.TextField(
        blank=True,
        max_length=CHANGES_MAX_LENGTH,
        help_text="Why an admin skipped the passing-test gate.",
    )
    deployed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deployed_by_name = models.CharField(max_length=150, blank=True, help_text=KEPT_NAME_HELP)
    deployed_at = models.DateTimeField(auto_now_add=True)
    sync_state = models.CharField(
        max_length=10,
        choices=SyncState.choices,
        default=SyncState.PENDING,
        help_text="Whether ElevenLabs has caught up with this change.",
    )

    class Meta:
        ordering = ["-deployed_at", "-id"]
        indexes = [models.Index(fields=["agent", "-deployed_at"])]

    def __str__(self) -> str:
        return f"{self.agent} → {self.to_status} (v{self.version})"
