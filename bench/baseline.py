"""The yardstick for the agent list: what DRF gives over the same tables with no project code.

A plain ModelSerializer of every column of the agent and of its ElevenLabs state (`AgentSync`,
joined), and a ListAPIView with the project's pagination (50 a page), default authentication
and permissions, and the model's default ordering. No workspace scoping, no tags, no changelog:
the cost of the framework, the tables and the JSON alone.
"""

from rest_framework import generics, serializers

from agents.models import VoiceAgent
from common.pagination import PageNumberPagination
from elevenlabs_sync.models import AgentSync


class BaselineSyncSerializer(serializers.ModelSerializer[AgentSync]):
    class Meta:
        model = AgentSync
        fields = "__all__"


class BaselineAgentSerializer(serializers.ModelSerializer[VoiceAgent]):
    sync = BaselineSyncSerializer()

    class Meta:
        model = VoiceAgent
        fields = "__all__"


class BaselineAgentList(generics.ListAPIView[VoiceAgent]):
    queryset = VoiceAgent.objects.select_related("sync")
    serializer_class = BaselineAgentSerializer
    pagination_class = PageNumberPagination
    filter_backends = []
