import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from workspaces.models import Workspace

PLACEHOLDER_PREFIX = "local_"


def placeholder_agent_id() -> str:
    """The id an agent carries until it exists on ElevenLabs."""
    return f"{PLACEHOLDER_PREFIX}{secrets.token_hex(8)}"


class Status(models.TextChoices):
    """The stage of the agent's working config."""

    DRAFT = "draft", "Draft"
    TESTING = "testing", "Testing"
    PRODUCTION = "production", "Production"


class SyncState(models.TextChoices):
    PENDING = "pending", "Pending"
    SYNCED = "synced", "Synced"
    FAILED = "failed", "Failed"


class VoiceAgent(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="agents")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    config = models.JSONField(
        help_text='ElevenLabs-native: {"conversation_config": {...}, "platform_settings": {...}}.'
    )
    config_revision = models.CharField(
        max_length=16, help_text="Fingerprint of the working config; test results record it."
    )

    elevenlabs_agent_id = models.CharField(
        max_length=100, unique=True, default=placeholder_agent_id
    )
    sync_state = models.CharField(
        max_length=10, choices=SyncState.choices, default=SyncState.PENDING
    )
    last_sync_error = models.TextField(blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    drift_detected_at = models.DateTimeField(
        null=True, blank=True, help_text="When we saw the agent changed outside Switchboard."
    )

    # Bookkeeping of the sync (agents/sync.py); none of it is edited by people.
    sync_key = models.UUIDField(
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text="Tagged on the ElevenLabs agent, so a retried create finds it.",
    )
    sync_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    sync_claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    sync_retry_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="A retry is scheduled for then; the periodic sweep leaves the agent alone.",
    )
    sync_attempts = models.PositiveIntegerField(
        default=0, editable=False, help_text="Failed attempts since the last success."
    )
    sync_create_uncertain = models.BooleanField(
        default=False,
        editable=False,
        help_text="A create may have reached ElevenLabs unanswered: look it up before another.",
    )
    synced_metadata = models.CharField(max_length=16, blank=True, editable=False)
    testing_synced_revision = models.CharField(max_length=16, blank=True, editable=False)
    elevenlabs_testing_branch_id = models.CharField(max_length=100, blank=True, editable=False)
    elevenlabs_main_version_id = models.CharField(
        max_length=100,
        blank=True,
        editable=False,
        help_text="The main-branch version we last wrote or accepted; another one is drift.",
    )
    drift_checked_at = models.DateTimeField(null=True, blank=True, editable=False)

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
            models.Index(fields=["sync_state", "sync_requested_at"], name="agent_sync_queue"),
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
    def exists_on_elevenlabs(self) -> bool:
        return not self.elevenlabs_agent_id.startswith(PLACEHOLDER_PREFIX)


class RemoteDeletion(models.Model):
    """An agent deleted here, still to be deleted on ElevenLabs: written in the same
    transaction as the deletion, so a broker outage or a crash cannot forget it.

    `owner_tag` identifies an agent whose create may have reached ElevenLabs unanswered: it
    has no id of ours, and is found by its tag.
    """

    elevenlabs_agent_id = models.CharField(max_length=100, blank=True)
    owner_tag = models.CharField(max_length=100, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["requested_at"]

    def __str__(self) -> str:
        return self.elevenlabs_agent_id or self.owner_tag


class AgentTag(models.Model):
    agent = models.ForeignKey(VoiceAgent, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=50)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "name"], name="tag_once_per_agent"),
        ]
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name
