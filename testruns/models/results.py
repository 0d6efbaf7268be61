import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from agents.models import VoiceAgent

TRANSCRIPT_MAX_BYTES = 1_000_000
# A day: longer than any call, and a duration sent in milliseconds (or a timestamp) by
# mistake is refused rather than recorded as days or years of testing.
DURATION_MAX_SECONDS = 86_400
DURATION_TOO_LONG = "Give the duration in seconds, at most 86,400 (24 hours)."
NOTES_MAX_LENGTH = 5_000
NOTES_TOO_LONG = f"Keep the notes under {NOTES_MAX_LENGTH:,} characters."


def validate_finite(value: float) -> None:
    if not math.isfinite(value):
        raise ValidationError("Give the duration in seconds as a finite number, 0 or more.")


def validate_transcript_size(value: str) -> None:
    # A lone surrogate, which cannot be stored, is refused by the field's own check; counted
    # here as the 3 bytes it would take rather than raising.
    if len(value.encode("utf-8", "surrogatepass")) > TRANSCRIPT_MAX_BYTES:
        raise ValidationError(
            f"Transcript is larger than 1 MB ({TRANSCRIPT_MAX_BYTES:,} bytes); trim it or "
            "attach only the relevant part."
        )


class TestStatus(models.TextChoices):
    __test__ = False  # not a pytest test class, whatever its name says

    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    NEEDS_IMPROVEMENT = "needs_improvement", "Needs improvement"


class TestSource(models.TextChoices):
    """Where a result came from. Those judging a conversation or an automated run are the
    production gate's evidence where a workspace asks for it (deployments/gates.py)."""

    __test__ = False  # not a pytest test class, whatever its name says

    MANUAL = "manual", "Recorded by hand"
    API = "api", "Recorded through the API"
    BROWSER = "browser", "Browser conversation"
    INVITE = "invite", "Invite link"
    PHONE = "phone", "Phone call"
    SCENARIO = "scenario", "Scenario run"


class TestResult(models.Model):
    """The outcome of testing one config revision of an agent."""

    __test__ = False  # not a pytest test class, whatever its name says

    # PROTECT, as every part of an agent's history (deployments/models.py).
    agent = models.ForeignKey(VoiceAgent, on_delete=models.PROTECT, related_name="test_results")
    tested_at = models.DateTimeField(auto_now_add=True)
    tested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tested_by_name = models.CharField(
        max_length=150, blank=True, help_text="The username, kept here when the user is deleted."
    )
    duration = models.FloatField(
        validators=[
            validate_finite,
            MinValueValidator(0),
            MaxValueValidator(DURATION_MAX_SECONDS, DURATION_TOO_LONG),
        ],
        help_text="Seconds.",
    )
    transcript = models.TextField(blank=True, validators=[validate_transcript_size])
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    notes = models.TextField(
        blank=True,
        max_length=NOTES_MAX_LENGTH,
        validators=[MaxLengthValidator(NOTES_MAX_LENGTH, NOTES_TOO_LONG)],
    )
    status = models.CharField(max_length=20, choices=TestStatus.choices)
    version = models.PositiveIntegerField(help_text="The agent's version when tested.")
    config_revision = models.CharField(max_length=16, help_text="The working config tested.")
    source = models.CharField(max_length=10, choices=TestSource.choices, default=TestSource.MANUAL)
    source_ref = models.CharField(
        max_length=200, blank=True, help_text="The conversation, call or run it came from."
    )
    conversation = models.ForeignKey(
        "Conversation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="test_results",
        help_text="The conversation this result judges: the gate's evidence.",
    )

    class Meta:
        ordering = ["-tested_at", "-id"]
        indexes = [
            models.Index(fields=["agent", "-tested_at"]),
            models.Index(fields=["agent", "config_revision", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="rating_one_to_five",
            ),
            models.CheckConstraint(condition=Q(duration__gte=0), name="duration_not_negative"),
            models.CheckConstraint(
                condition=Q(status__in=TestStatus.values), name="test_status_is_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent} test {self.tested_at:%Y-%m-%d %H:%M} ({self.status})"
