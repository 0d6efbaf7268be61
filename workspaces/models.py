import hashlib

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from workspaces.roles import Role


class Workspace(models.Model):
    """A tenant. Every agent belongs to one; every query is scoped to the caller's."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    require_passing_test = models.BooleanField(
        default=True,
        help_text="Production deploys need a passing test result for the exact config deployed.",
    )
    production_needs_evidence = models.BooleanField(
        default=False,
        db_default=False,
        help_text="The production gate counts only passing results that judge a conversation or "
        "an automated run, not ones recorded by hand or through the API.",
    )
    # Test conversations through the relay (elevenlabs_sync/relay.py): each one is a minute-
    # metered call on the workspace's ElevenLabs account, so both are bounded. Defaults in the
    # database too: rows written by code that predates them (a rolling deploy) still get them.
    conversation_max_seconds = models.PositiveIntegerField(
        default=1_800,
        db_default=1_800,
        validators=[MinValueValidator(1), MaxValueValidator(14_400)],
        help_text="How long a test conversation may last, in seconds (at most 4 hours).",
    )
    concurrent_conversations = models.PositiveSmallIntegerField(
        default=5,
        db_default=5,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="How many test conversations may go on at once in the workspace.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.PositiveSmallIntegerField(choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "workspace"], name="one_membership_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} as {self.get_role_display()}"


def hash_token(key: str) -> str:
    # Keys are 256 random bits, so a plain SHA-256 is enough: there is nothing to brute-force.
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A script's credential. Only the hash is stored; the key is shown once, at creation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(
        max_length=12, help_text="The key's first characters, to tell keys apart."
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyKey(models.Model):
    """A state-changing API request made with an `Idempotency-Key` header, and the answer it
    got: a retry with the same key is given that answer again and changes nothing more
    (workspaces/idempotency.py). Written in the transaction of the change it answers, so there
    is never one without the other."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)  # of the method, path and body
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_a_user")
        ]

    def __str__(self) -> str:
        return self.key
