"""The agent as every endpoint shows it, and the shapes of its writes. Rules live in the
services; these only check shapes."""

from typing import Any

from rest_framework import serializers

from agents.models import (
    DESCRIPTION_MAX_LENGTH,
    DESCRIPTION_TOO_LONG,
    NAME_MAX_LENGTH,
    TAG_MAX_LENGTH,
    AgentTag,
    VoiceAgent,
)
from agents.services import TAGS_MAX_COUNT
from deployments.models import CHANGES_MAX_LENGTH, SyncState
from deployments.serializers import ChangelogEntrySerializer
from elevenlabs_sync.selectors import SYNC_DISABLED, sync_state_shown
from workspaces.models import Workspace


class DeploymentStateSerializer(serializers.Serializer):
    """The seed's `deployment` object, read from the agent itself."""

    status = serializers.CharField()
    version = serializers.IntegerField()
    liveVersion = serializers.IntegerField(source="live_version", allow_null=True)
    lastDeployedAt = serializers.DateTimeField(source="last_deployed_at", allow_null=True)
    deployedBy = serializers.IntegerField(source="deployed_by_id", allow_null=True)
    changelog = ChangelogEntrySerializer(many=True)


class AgentSerializer(serializers.ModelSerializer):
    """An agent as every endpoint returns it. Expects the queryset of `api.agents.agents_shown`."""

    workspace: "serializers.SlugRelatedField[Workspace]" = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    tags: "serializers.SlugRelatedField[AgentTag]" = serializers.SlugRelatedField(
        slug_field="name", many=True, read_only=True
    )
    elevenlabs_agent_id = serializers.CharField(source="sync.elevenlabs_agent_id", read_only=True)
    # Never stored: "disabled" is shown while sync is off (`to_representation`), so the schema
    # lists it too.
    sync_state = serializers.ChoiceField(
        source="sync.state",
        choices=[*SyncState.choices, (SYNC_DISABLED, "Disabled")],
        read_only=True,
    )
    last_sync_error = serializers.CharField(source="sync.last_error", read_only=True)
    last_synced_at = serializers.DateTimeField(
        source="sync.last_synced_at", read_only=True, allow_null=True
    )
    drift_detected_at = serializers.DateTimeField(
        source="sync.drift_detected_at", read_only=True, allow_null=True
    )
    deployment = DeploymentStateSerializer(source="*", read_only=True)

    class Meta:
        model = VoiceAgent
        fields = [
            "id",
            "workspace",
            "name",
            "description",
            "tags",
            "config",
            "config_revision",
            "elevenlabs_agent_id",
            "sync_state",
            "last_sync_error",
            "last_synced_at",
            "drift_detected_at",
            "created_at",
            "updated_at",
            "deployment",
        ]
        read_only_fields = fields

    def to_representation(self, agent: VoiceAgent) -> dict[str, Any]:
        data = super().to_representation(agent)
        data["sync_state"], data["last_sync_error"] = sync_state_shown(agent.sync)
        return data


class AgentImportSerializer(serializers.Serializer):
    elevenlabs_agent_id = serializers.CharField(
        max_length=100, help_text="The id of an agent on ElevenLabs (agent_…)."
    )
    workspace = serializers.SlugField(
        required=False, help_text="Workspace slug; needed only if you belong to several."
    )


class AgentWriteSerializer(serializers.Serializer):
    """Fields a person sets; the shape checks only. Rules live in `agents.services`."""

    name = serializers.CharField(max_length=NAME_MAX_LENGTH)
    description = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=DESCRIPTION_MAX_LENGTH,
        error_messages={"max_length": DESCRIPTION_TOO_LONG},
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=TAG_MAX_LENGTH),
        required=False,
        max_length=TAGS_MAX_COUNT,
    )
    config = serializers.JSONField(
        required=False,
        help_text='ElevenLabs-native: {"conversation_config": {...}, "platform_settings": {...}}',
    )


class AgentCreateSerializer(AgentWriteSerializer):
    workspace = serializers.SlugField(
        required=False, help_text="Workspace slug; needed only if you belong to several."
    )
    changes = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=CHANGES_MAX_LENGTH,
        help_text='Changelog note for version 1 (default "Initial version").',
    )
