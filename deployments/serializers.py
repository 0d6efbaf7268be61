from rest_framework import serializers

from agents.models import Status
from common.serializers import UserRefField, choice_field
from deployments.models import CHANGES_MAX_LENGTH


class ChangelogEntrySerializer(serializers.Serializer):
    """The seed's changelog entry: {"version", "changes", "updatedAt", "updatedBy"}, described
    for the API's schema (the API builds entries from plain rows, for speed)."""

    version = serializers.IntegerField()
    changes = serializers.CharField()
    updatedAt = serializers.DateTimeField(source="deployed_at")
    updatedBy = UserRefField(source="deployed_by")


class DeployRequestSerializer(serializers.Serializer):
    status = choice_field(Status.choices, noun="stage")
    changes = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=CHANGES_MAX_LENGTH,
        trim_whitespace=True,
    )
    force = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Admins only: deploy to production without a passing test (recorded).",
    )
    force_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=CHANGES_MAX_LENGTH,
        help_text='Required with "force": why the passing-test gate is skipped (recorded). '
        'Ignored without "force".',
    )


class RollbackRequestSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    changes = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=CHANGES_MAX_LENGTH
    )


class DeploymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    agent = serializers.IntegerField(source="agent_id")
    agent_name = serializers.CharField(source="agent.name")
    kind = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    version = serializers.IntegerField()
    changes = serializers.CharField()
    forced = serializers.BooleanField()
    force_reason = serializers.CharField(
        help_text="Why an admin skipped the passing-test gate; empty unless forced."
    )
    deployed_by = UserRefField()
    deployed_at = serializers.DateTimeField()
    sync_state = serializers.CharField(help_text="Whether ElevenLabs has caught up with it.")


class VersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    changes = serializers.CharField()
    config_revision = serializers.CharField()
    elevenlabs_version_id = serializers.CharField()
    created_by = UserRefField()
    created_at = serializers.DateTimeField()


class VersionDetailSerializer(VersionSerializer):
    config = serializers.JSONField()


class DiffEntrySerializer(serializers.Serializer):
    path = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)
