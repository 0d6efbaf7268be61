from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from agents.drift import drift_overwrite, drift_pull
from agents.filters import AgentFilter
from agents.selectors import agent_get_for, agent_list_for
from agents.serializers import (
    AgentCreateSerializer,
    AgentImportSerializer,
    AgentSerializer,
    AgentWriteSerializer,
)
from agents.services import agent_create, agent_delete, agent_import, agent_update
from agents.sync import agent_sync_retry
from common.serializers import validated
from workspaces.selectors import workspace_choose_for


def agent_representation(user, agent_id) -> dict:
    """The agent as every endpoint shows it, re-read after a write so the response shows what
    was saved, the same way every list shows it."""
    return AgentSerializer(agent_get_for(user, agent_id, for_display=True)).data


class AgentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Voice agents in your workspaces. Writes go through `agents.services`."""

    serializer_class = AgentSerializer
    filterset_class = AgentFilter
    ordering_fields = ["name", "created_at", "updated_at", "version", "last_deployed_at"]
    ordering = ["-updated_at", "-id"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return agent_list_for(self.request.user)

    def get_object(self):
        return agent_get_for(self.request.user, self.kwargs["pk"], for_display=True)

    def _respond(self, agent, status_code=status.HTTP_200_OK) -> Response:
        return Response(agent_representation(self.request.user, agent.pk), status=status_code)

    @extend_schema(request=AgentCreateSerializer, responses={201: AgentSerializer})
    def create(self, request):
        data = validated(AgentCreateSerializer, request.data)
        workspace = workspace_choose_for(request.user, data.pop("workspace", None))
        agent = agent_create(workspace=workspace, actor=request.user, **data)
        return self._respond(agent, status.HTTP_201_CREATED)

    @extend_schema(request=AgentWriteSerializer, responses=AgentSerializer)
    def update(self, request, pk=None):
        agent = agent_get_for(request.user, pk)
        data = validated(AgentWriteSerializer, request.data)
        return self._respond(agent_update(agent=agent, actor=request.user, **data))

    @extend_schema(request=AgentWriteSerializer, responses=AgentSerializer)
    def partial_update(self, request, pk=None):
        agent = agent_get_for(request.user, pk)
        data = validated(AgentWriteSerializer, request.data, partial=True)
        return self._respond(agent_update(agent=agent, actor=request.user, **data))

    def destroy(self, request, pk=None):
        agent_delete(agent=agent_get_for(request.user, pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- ElevenLabs: adopt an agent, sync now, settle changes made outside Switchboard.

    @extend_schema(request=AgentImportSerializer, responses={201: AgentSerializer})
    @action(detail=False, methods=["post"], url_path="import")
    def import_agent(self, request):
        """Adopt an agent that exists on ElevenLabs; its config becomes version 1, a draft."""
        data = validated(AgentImportSerializer, request.data)
        workspace = workspace_choose_for(request.user, data.pop("workspace", None))
        agent = agent_import(workspace=workspace, actor=request.user, **data)
        return self._respond(agent, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={202: AgentSerializer})
    @action(detail=True, methods=["post"])
    def sync(self, request, pk=None):
        """Sync with ElevenLabs now, with a fresh allowance of attempts."""
        agent = agent_sync_retry(agent=agent_get_for(request.user, pk), actor=request.user)
        return self._respond(agent, status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=AgentSerializer)
    @action(detail=True, methods=["post"], url_path="drift/pull")
    def drift_pull(self, request, pk=None):
        """Take the config changed on ElevenLabs as a new draft."""
        agent = drift_pull(agent=agent_get_for(request.user, pk), actor=request.user)
        return self._respond(agent)

    @extend_schema(request=None, responses={202: AgentSerializer})
    @action(detail=True, methods=["post"], url_path="drift/overwrite")
    def drift_overwrite(self, request, pk=None):
        """Put the live version back over the config changed on ElevenLabs."""
        agent = drift_overwrite(agent=agent_get_for(request.user, pk), actor=request.user)
        return self._respond(agent, status.HTTP_202_ACCEPTED)
