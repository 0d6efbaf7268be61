"""Automated tests of an agent and their runs (docs/testing.md).

A test is one of ElevenLabs' own (`llm`, `tool`, `simulation`), kept here and run on
ElevenLabs, or a scripted conversation that Switchboard holds with the agent itself. A run
is pinned, when it is queued, to the version and config revision it tests; each test is
tried `repeat` times and passes when at least `pass_threshold` of its attempts pass.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from agents.models import VoiceAgent
from testruns.models.conversations import Conversation, ConversationTarget
from testruns.models.results import TestResult

TEST_NAME_MAX_LENGTH = 200
SUITE_MAX_LENGTH = 100
DEFAULT_SUITE = "default"
REPEAT_MAX = 10


class TestKind(models.TextChoices):
    __test__ = False  # not a pytest test class, whatever its name says

    LLM = "llm", "ElevenLabs LLM test"
    TOOL = "tool", "ElevenLabs tool test"
    SIMULATION = "simulation", "ElevenLabs simulation"
    SCRIPTED = "scripted", "Scripted conversation"


# The kinds ElevenLabs runs (its agent-testing API); the others Switchboard runs itself.
ELEVENLABS_KINDS = (TestKind.LLM, TestKind.TOOL, TestKind.SIMULATION)


class AgentTest(models.Model):
    """One test of an agent. `definition` is ElevenLabs' own request body for its kinds
    (without the name, kept in its column) or a script (testruns/scripts.py)."""

    __test__ = False  # not a pytest test class, whatever its name says

    agent = models.ForeignKey(VoiceAgent, on_delete=models.PROTECT, related_name="tests")
    name = models.CharField(max_length=TEST_NAME_MAX_LENGTH)
    suite = models.CharField(
        max_length=SUITE_MAX_LENGTH,
        default=DEFAULT_SUITE,
        help_text="Tests of one suite run together: `switchboard test AGENT --suite NAME`.",
    )
    kind = models.CharField(max_length=12, choices=TestKind.choices)
    definition = models.JSONField()
    from_conversation = models.ForeignKey(
        Conversation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tests_made",
        help_text="The recorded conversation this test was made from.",
    )
    # ElevenLabs' copy of one of its kinds, and what it was last given (name and definition),
    # so a run pushes a test again only when it has changed.
    elevenlabs_test_id = models.CharField(max_length=100, blank=True)
    elevenlabs_fingerprint = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["suite", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "name"], name="test_name_unique_per_agent"),
            models.CheckConstraint(
                condition=Q(kind__in=TestKind.values), name="test_kind_is_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent} test {self.name!r}"

    @property
    def runs_on_elevenlabs(self) -> bool:
        return self.kind in ELEVENLABS_KINDS


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    ERROR = "error", "Error"
    CANCELLED = "cancelled", "Cancelled"


RUN_FINISHED = (RunStatus.PASSED, RunStatus.FAILED, RunStatus.ERROR, RunStatus.CANCELLED)


class Promotion(models.TextChoices):
    """What became of a run's `promote_on_pass`."""

    NOT_ASKED = "", "Not asked"
    PENDING = "pending", "If every test passes"
    PROMOTED = "promoted", "Deployed to production"
    REFUSED = "refused", "Refused"
    SKIPPED = "skipped", "Not deployed: the run did not pass"


class TestRun(models.Model):
    """One run of an agent's tests (or of one suite) on a pinned version."""

    __test__ = False  # not a pytest test class, whatever its name says

    agent = models.ForeignKey(VoiceAgent, on_delete=models.PROTECT, related_name="test_runs")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    suite = models.CharField(
        max_length=SUITE_MAX_LENGTH, blank=True, help_text="Empty: every test of the agent."
    )
    # What is tested, pinned when the run was queued (elevenlabs_sync/live.py, `Talk`).
    target = models.CharField(max_length=10, choices=ConversationTarget.choices)
    version = models.PositiveIntegerField()
    config_revision = models.CharField(max_length=16)
    branch_id = models.CharField(max_length=100, blank=True)
    elevenlabs_version_id = models.CharField(max_length=100, blank=True)
    repeat = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(REPEAT_MAX)]
    )
    pass_threshold = models.PositiveSmallIntegerField(
        default=1, help_text="Passing attempts each test needs, out of `repeat`."
    )
    promotion = models.CharField(
        max_length=10, choices=Promotion.choices, default=Promotion.NOT_ASKED, blank=True
    )
    promote_changes = models.TextField(blank=True, help_text="The production deploy's note.")
    promoted_version = models.PositiveIntegerField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_by_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    done = models.PositiveIntegerField(default=0, help_text="Attempts finished.")
    total = models.PositiveIntegerField(help_text="Attempts in the run: tests times repeat.")
    reason = models.TextField(blank=True, help_text="Why it errored, was cancelled or refused.")
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    elevenlabs_invocation_id = models.CharField(max_length=100, blank=True)
    result = models.OneToOneField(
        TestResult,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="test_run",
        help_text="The result recorded when it passed or failed: the gate's evidence.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["agent", "-created_at"]),
            models.Index(fields=["agent", "config_revision", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RunStatus.values), name="run_status_is_known"
            ),
            models.CheckConstraint(
                condition=Q(pass_threshold__gte=1, pass_threshold__lte=F("repeat")),
                name="run_threshold_within_repeat",
            ),
            models.CheckConstraint(condition=Q(done__lte=F("total")), name="run_done_within_total"),
        ]

    def __str__(self) -> str:
        return f"{self.agent} test run {self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in RUN_FINISHED


class AttemptStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    ERROR = "error", "Error"
    CANCELLED = "cancelled", "Cancelled"


ATTEMPT_FINISHED = (
    AttemptStatus.PASSED,
    AttemptStatus.FAILED,
    AttemptStatus.ERROR,
    AttemptStatus.CANCELLED,
)


class TestAttempt(models.Model):
    """One try of one test in a run. The test's name and kind are copied: a test edited or
    deleted later leaves the run as it was."""

    __test__ = False  # not a pytest test class, whatever its name says

    run = models.ForeignKey(TestRun, on_delete=models.CASCADE, related_name="attempts")
    test = models.ForeignKey(
        AgentTest, null=True, blank=True, on_delete=models.SET_NULL, related_name="attempts"
    )
    test_name = models.CharField(max_length=TEST_NAME_MAX_LENGTH)
    suite = models.CharField(max_length=SUITE_MAX_LENGTH)
    kind = models.CharField(max_length=12, choices=TestKind.choices)
    definition = models.JSONField(help_text="The test as it was run.")
    number = models.PositiveSmallIntegerField(help_text="1 to the run's `repeat`.")
    status = models.CharField(
        max_length=10, choices=AttemptStatus.choices, default=AttemptStatus.PENDING
    )
    reasons = models.JSONField(default=list, blank=True, help_text="Why it did not pass.")
    # What was said, as [{"role": "user"|"agent", "text", "tool_calls"?, "latency_ms"?}].
    transcript = models.JSONField(default=list, blank=True)
    latencies_ms = models.JSONField(default=list, blank=True, help_text="Each reply's.")
    seconds = models.FloatField(null=True, blank=True)
    conversation = models.ForeignKey(
        Conversation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attempts",
        help_text="The scripted conversation held.",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "suite", "test_name", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "test_name", "number"], name="attempt_unique_in_run"
            ),
            models.CheckConstraint(
                condition=Q(status__in=AttemptStatus.values), name="attempt_status_is_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.test_name} #{self.number} ({self.status})"

    @property
    def runs_on_elevenlabs(self) -> bool:
        return self.kind in ELEVENLABS_KINDS
