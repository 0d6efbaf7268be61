"""The yardstick for the agent list: what DRF gives over the same table with no project code.

A plain ModelSerializer of every column and a ListAPIView with the project's pagination (50 a
page), default authentication and permissions, and the model's default ordering. No workspace
scoping, no tags, no changelog: the cost of the framework, the table and the JSON alone.
"""

from rest_framework import generics, serializers

from agents.models import VoiceAgent
from common.pagination import PageNumberPagination


class BaselineAgentSerializer(serializers.ModelSerializer):
    class Meta:
        model = VoiceAgent
        fields = "__all__"


class BaselineAgentList(generics.ListAPIView):
    queryset = VoiceAgent.objects.all()
    serializer_class = BaselineAgentSerializer
    pagination_class = PageNumberPagination
    filter_backends = []
