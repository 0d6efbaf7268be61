"""The agent as every endpoint shows it, and the shapes of its writes. Rules live in the
services; these only check shapes."""

from rest_framework import serializers

from agents.models import (
    DESCRIPTION_MAX_LENGTH,
    DESCRIPTION_TOO_LONG,
    NAME_MAX_LENGTH,
    TAG_MAX_LENGTH,
    Status,
)
from agents.services import TAGS_MAX_COUNT
from common.serializers import UserRefSerializer
from deployments.models import CHANGES_MAX_LENGTH, SyncState
from deployments.serializers import ChangelogEntrySerializer
from elevenlabs_sync.selectors import SYNC_DISABLED

# The agent's shapes below describe, for the OpenAPI schema, what api/representation.py
# builds; they serialize nothing at run time (tests/api/test_representation.py checks that
# both agree). Every field is read-only, so the schema marks it required, except the two a
# list shows only when asked.

CONFIG_HELP = 'ElevenLabs-native: {"conversation_config": {...}, "platform_settings": {...}}'
CHANGELOG_HELP = "Entries with a note, newest first."
LISTED_ONLY_IF_EXPANDED = " In a list, only with `?expand={}`."


class AgentDeploymentSerializer(serializers.Serializer):
    """The seed's `deployment` object: the agent's stage and versions, and its changelog."""

    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    version = serializers.IntegerField(read_only=True, help_text="The newest version.")
    liveVersion = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The version production callers get."
    )
    lastDeployedAt = serializers.DateTimeField(read_only=True, allow_null=True)
    deployedBy = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The id of the user who deployed it last."
    )
    changelog = ChangelogEntrySerializer(many=True, read_only=True, help_text=CHANGELOG_HELP)


class AgentSerializer(serializers.Serializer):
    """An agent, whole: what its detail and every write that returns it show."""

    id = serializers.IntegerField(read_only=True)
    workspace = serializers.SlugField(read_only=True, help_text="The workspace's slug.")
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)
    config = serializers.JSONField(read_only=True, help_text=CONFIG_HELP)
    config_revision = serializers.CharField(
        read_only=True, help_text="Fingerprint of the working config; test results record it."
    )
    elevenlabs_agent_id = serializers.CharField(read_only=True)
    # "disabled" is never stored: it is shown while sync is off (api/representation.py).
    sync_state = serializers.ChoiceField(
        choices=[*SyncState.choices, (SYNC_DISABLED, "Disabled")], read_only=True
    )
    last_sync_error = serializers.CharField(read_only=True)
    last_synced_at = serializers.DateTimeField(read_only=True, allow_null=True)
    drift_detected_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    archived_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When it was archived; null while active."
    )
    archived_by = UserRefSerializer(read_only=True, allow_null=True)
    deployment = AgentDeploymentSerializer(read_only=True)


class AgentListItemDeploymentSerializer(AgentDeploymentSerializer):
    changelog = ChangelogEntrySerializer(
        many=True,
        required=False,
        help_text=CHANGELOG_HELP + LISTED_ONLY_IF_EXPANDED.format("changelog"),
    )


class AgentListItemSerializer(AgentSerializer):
    """An agent in a list: without its config and changelog unless `?expand=` asks."""

    config = serializers.JSONField(
        required=False, help_text=CONFIG_HELP + "." + LISTED_ONLY_IF_EXPANDED.format("config")
    )
    deployment = AgentListItemDeploymentSerializer(read_only=True)


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
        help_text='ElevenLabs-native: {"conversation_config": {...}, "platform_settings": {...}}; '
        "replaces the whole config.",
    )


class AgentPatchSerializer(AgentWriteSerializer):
    """A PATCH: the fields it names change; its `config` is merged into the agent's."""

    config = serializers.JSONField(
        required=False,
        source="config_patch",
        help_text="A JSON merge patch (RFC 7396) of the config: objects merge key by key, "
        "null removes a key, anything else (arrays too) replaces what was there. "
        '{"conversation_config": {"agent": {"prompt": {"temperature": 0.2}}}} changes the '
        "temperature alone.",
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


class NoteSerializer(serializers.Serializer):
    """Why an agent is archived or restored: recorded in its history and changelog."""

    changes = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=CHANGES_MAX_LENGTH,
        help_text="Why (optional); the changelog reads 'Archived: <why>' or 'Restored: <why>'.",
    )
