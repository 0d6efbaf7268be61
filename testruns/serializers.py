from rest_framework import serializers

from common.serializers import UserRefField, choice_field
from testruns.models import (
    DURATION_MAX_SECONDS,
    DURATION_TOO_LONG,
    NOTES_MAX_LENGTH,
    NOTES_TOO_LONG,
    TestResult,
    TestStatus,
)


class TestResultRequestSerializer(serializers.ModelSerializer):
    """The seed's request: {"duration", "transcript", "rating", "notes", "status"}.

    A ModelSerializer so the model's validators (rating 1 to 5, duration 0 to 86,400 seconds,
    notes <= 5,000 characters, transcript <= 1 MB) are the ones the API applies.
    """

    status = choice_field(TestStatus.choices, noun="test status")
    rating = serializers.IntegerField(
        min_value=1,
        max_value=5,
        required=False,
        allow_null=True,
        error_messages={
            "invalid": "Rate the test with a whole number from 1 to 5.",
            "min_value": "Rate the test with a whole number from 1 to 5.",
            "max_value": "Rate the test with a whole number from 1 to 5.",
        },
    )

    class Meta:
        model = TestResult
        fields = ["duration", "transcript", "rating", "notes", "status"]
        extra_kwargs = {
            "duration": {
                "min_value": 0,
                "max_value": DURATION_MAX_SECONDS,
                # The seed's scripts know the message for a negative duration: kept.
                "error_messages": {"max_value": DURATION_TOO_LONG},
                "help_text": "Seconds, from 0 to 86,400 (24 hours).",
            },
            "notes": {
                "max_length": NOTES_MAX_LENGTH,
                "error_messages": {"max_length": NOTES_TOO_LONG},
            },
            "transcript": {"trim_whitespace": False},
        }


class TestResultSerializer(serializers.Serializer):
    """The seed's test result, in its camelCase shape, described for the API's schema (the API
    builds results from plain rows, for speed)."""

    id = serializers.IntegerField()
    testedAt = serializers.DateTimeField(source="tested_at")
    testedBy = UserRefField(source="tested_by")
    duration = serializers.FloatField()
    rating = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()
    notes = serializers.CharField()
    transcript = serializers.CharField()
    version = serializers.IntegerField()
    configRevision = serializers.CharField(source="config_revision")
    # The field named `source`: DRF's serializer metaclass takes declared fields off the class,
    # so it never stands for Field.source; the stubs cannot know that.
    source = serializers.CharField()  # type: ignore[assignment]
