from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from agents.models import VoiceAgent


class ConversationTarget(models.TextChoices):
    TESTING = "testing", "Testing branch"
    LIVE = "live", "Live version"
    VERSION = "version", "A published version"


class Channel(models.TextChoices):
    """How a conversation was held."""

    BROWSER = "browser", "In the browser"
    INVITE = "invite", "Through an invite link"
    PHONE = "phone", "By phone"
    SCRIPTED = "scripted", "Scripted, by a test run"


INVITE_NOTE_MAX_LENGTH = 1_000
INVITE_MAX_USES = 1_000


class InviteLink(models.Model):
    """A link that lets someone without an account talk to one version of an agent's testing
    branch, pinned when the link was made, and judge it (testruns/invites.py). Only the key's
    hash is stored; the link is shown once, at creation."""

    agent = models.ForeignKey(VoiceAgent, on_delete=models.PROTECT, related_name="invites")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_name = models.CharField(
        max_length=150, blank=True, help_text="The username, kept here when the user is deleted."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    max_uses = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(INVITE_MAX_USES)]
    )
    uses = models.PositiveIntegerField(default=0, help_text="Conversations started with it.")
    note = models.TextField(
        blank=True,
        max_length=INVITE_NOTE_MAX_LENGTH,
        validators=[MaxLengthValidator(INVITE_NOTE_MAX_LENGTH)],
        help_text="Shown to the caller.",
    )
    # What the caller talks to, pinned when the link was made: the testing branch as it was.
    version = models.PositiveIntegerField()
    config_revision = models.CharField(max_length=16)
    branch_id = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="The key's first characters.")
    key_hash = models.CharField(max_length=64, unique=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(uses__lte=models.F("max_uses")), name="invite_uses_within_limit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent} invite {self.prefix}…"


class ConversationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    INTERRUPTED = "interrupted", "Interrupted"
    FAILED = "failed", "Failed"


class Conversation(models.Model):
    """A test conversation with one version of an agent, held through the relay
    (elevenlabs_sync/relay.py) or by a phone call: who talked to which config, when, and how
    it ended."""

    agent = models.ForeignKey(VoiceAgent, on_delete=models.PROTECT, related_name="conversations")
    target = models.CharField(max_length=10, choices=ConversationTarget.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.BROWSER)
    version = models.PositiveIntegerField(help_text="The agent's version talked to.")
    config_revision = models.CharField(max_length=16, help_text="The config talked to.")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_by_name = models.CharField(
        max_length=150, blank=True, help_text="The username, kept here when the user is deleted."
    )
    invite = models.ForeignKey(
        InviteLink,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conversations",
        help_text="The invite link a caller without an account came through.",
    )
    elevenlabs_conversation_id = models.CharField(max_length=100, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=ConversationStatus.choices, default=ConversationStatus.ACTIVE
    )
    end_reason = models.CharField(max_length=200, blank=True)
    # ElevenLabs' own record, read back after the end (elevenlabs_sync/conversations.py).
    duration = models.FloatField(null=True, blank=True, help_text="Seconds, as ElevenLabs counted.")
    analysis = models.JSONField(null=True, blank=True, help_text="ElevenLabs' analysis of it.")
    reconciled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["agent", "-started_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ConversationStatus.values),
                name="conversation_status_is_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent} conversation {self.started_at:%Y-%m-%d %H:%M} ({self.status})"


class TurnRole(models.TextChoices):
    USER = "user", "User"
    AGENT = "agent", "Agent"


class ConversationTurn(models.Model):
    """One thing said in a conversation, as ElevenLabs transcribed or wrote it. An agent's
    turn that was corrected holds the corrected text; one cut short is marked interrupted."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="turns")
    role = models.CharField(max_length=5, choices=TurnRole.choices)
    text = models.TextField(blank=True)
    offset_ms = models.PositiveIntegerField(help_text="Since the conversation started.")
    # ElevenLabs numbers the events of an agent's reply; corrections and interruptions name it.
    event_id = models.PositiveIntegerField(null=True, blank=True)
    corrected = models.BooleanField(default=False)
    interrupted = models.BooleanField(default=False)
    tool_calls = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["offset_ms", "id"]

    def __str__(self) -> str:
        return f"{self.role} at {self.offset_ms} ms"

    @property
    def line(self) -> str:
        """The turn as a transcript's line: "Agent: …" or "User: …"."""
        return f"{self.get_role_display()}: {self.text}"
