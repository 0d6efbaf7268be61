import secrets
import uuid

from django.db import models

from agents.models import VoiceAgent
from deployments.models import Deployment, SyncState

PLACEHOLDER_PREFIX = "local_"


def placeholder_agent_id() -> str:
    """The id an agent carries until it exists on ElevenLabs."""
    return f"{PLACEHOLDER_PREFIX}{secrets.token_hex(8)}"


class AgentSync(models.Model):
    """Where one agent stands with ElevenLabs: its id there, whether ElevenLabs has caught up
    with it, and the bookkeeping of the sync (sync.py) and drift checks (drift.py).

    Written only by this app, so the agent's own row belongs to the people editing it. Every
    agent has one, made when the agent is (receivers.py).
    """

    agent = models.OneToOneField(
        VoiceAgent, on_delete=models.CASCADE, primary_key=True, related_name="sync"
    )
    elevenlabs_agent_id = models.CharField(
        max_length=100, unique=True, default=placeholder_agent_id
    )
    state = models.CharField(max_length=10, choices=SyncState.choices, default=SyncState.PENDING)
    last_error = models.TextField(blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    drift_detected_at = models.DateTimeField(
        null=True, blank=True, help_text="When we saw the agent changed outside Switchboard."
    )
    drift_checked_at = models.DateTimeField(null=True, blank=True)
    missing_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When ElevenLabs answered that it has no agent of this id any more "
        "(deleted outside Switchboard); cleared once it has one again.",
    )

    owner_key = models.UUIDField(
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text="Tagged on the ElevenLabs agent, so a retried create finds it.",
    )
    requested_at = models.DateTimeField(
        null=True, blank=True, help_text="When the newest change to follow was made."
    )
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="A worker is syncing the agent until then."
    )
    retry_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A retry is scheduled for then; the periodic sweep leaves the agent alone.",
    )
    attempts = models.PositiveIntegerField(
        default=0, help_text="Failed attempts since the last success."
    )
    create_uncertain = models.BooleanField(
        default=False,
        help_text="A create may have reached ElevenLabs unanswered: look it up before another.",
    )
    synced_metadata = models.CharField(
        max_length=16, blank=True, help_text="Fingerprint of the name and tags ElevenLabs has."
    )
    testing_synced_revision = models.CharField(
        max_length=16, blank=True, help_text="The config revision on the testing branch."
    )
    testing_branch_id = models.CharField(max_length=100, blank=True)
    main_version_id = models.CharField(
        max_length=100,
        blank=True,
        help_text="The main-branch version we last wrote or accepted; another one is drift.",
    )

    class Meta:
        verbose_name = "ElevenLabs sync"
        verbose_name_plural = "ElevenLabs sync"
        indexes = [models.Index(fields=["state", "requested_at"], name="sync_queue")]

    def __str__(self) -> str:
        return self.elevenlabs_agent_id

    @property
    def has_elevenlabs_id(self) -> bool:
        """ElevenLabs gave the agent an id: its create went through, once."""
        return not self.elevenlabs_agent_id.startswith(PLACEHOLDER_PREFIX)

    @property
    def exists_on_elevenlabs(self) -> bool:
        """ElevenLabs has the agent, as far as its last answer about it said."""
        return self.has_elevenlabs_id and self.missing_since is None


class RemoteDeletion(models.Model):
    """An agent archived here, still to be deleted on ElevenLabs: written in the same
    transaction as the archiving, so a broker outage or a crash cannot forget it.

    `owner_tag` identifies an agent whose create may have reached ElevenLabs unanswered: it
    has no id of ours, and is found by its tag.
    """

    elevenlabs_agent_id = models.CharField(max_length=100, blank=True)
    owner_tag = models.CharField(max_length=100, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    archiving = models.ForeignKey(
        Deployment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The history row of the archiving; its sync state says how the deletion went.",
    )

    class Meta:
        ordering = ["requested_at"]

    def __str__(self) -> str:
        return self.elevenlabs_agent_id or self.owner_tag
