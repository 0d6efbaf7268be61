"""/api/agents/: the agents resource. Its endpoints are actions of one viewset, by topic in
the mixins: the seed's contract (api/seed.py), versions and rollback (api/lifecycle.py), and
ElevenLabs (api/elevenlabs.py)."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from agents.models import VoiceAgent
from agents.selectors import agent_get_for
from agents.services import agent_create, agent_delete, agent_update
from api.elevenlabs import ElevenLabsActions
from api.lifecycle import LifecycleActions
from api.representation import agent_shown, agents_shown
from api.schema import CONFLICT
from api.seed import SeedActions
from api.serializers import AgentCreateSerializer, AgentSerializer, AgentWriteSerializer
from common.ids import ID_PATTERN
from common.serializers import validated
from elevenlabs_sync.filters import AgentSyncFilter
from workspaces.selectors import workspace_choose_for


@extend_schema_view(
    list=extend_schema(summary="List the agents of your workspaces"),
    retrieve=extend_schema(summary="One agent"),
)
class AgentViewSet(
    SeedActions,
    LifecycleActions,
    ElevenLabsActions,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Voice agents in your workspaces. Writes go through `agents.services`."""

    serializer_class = AgentSerializer
    filterset_class = AgentSyncFilter
    ordering_fields = ["name", "created_at", "updated_at", "version", "last_deployed_at"]
    ordering = ["-updated_at", "-id"]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self) -> QuerySet[VoiceAgent]:
        return agents_shown(self.request.user)

    def get_object(self) -> VoiceAgent:
        return agent_get_for(self.request.user, self.kwargs["pk"], among=self.get_queryset())

    @extend_schema(request=AgentCreateSerializer, responses={201: AgentSerializer})
    def create(self, request: Request) -> Response:
        """Create an agent: a draft at version 1."""
        data = validated(AgentCreateSerializer, request.data)
        workspace = workspace_choose_for(request.user, data.pop("workspace", None))
        agent = agent_create(workspace=workspace, actor=request.user, **data)
        return Response(agent_shown(request.user, agent.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=AgentWriteSerializer, responses=AgentSerializer)
    def update(self, request: Request, pk: str | None = None) -> Response:
        """Replace an agent's name, description, tags and config."""
        return self._update(request, pk, partial=False)

    @extend_schema(request=AgentWriteSerializer, responses=AgentSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Change some of an agent's name, description, tags and config."""
        return self._update(request, pk, partial=True)

    def _update(self, request: Request, pk: str | None, *, partial: bool) -> Response:
        agent = agent_get_for(request.user, pk)
        data = validated(AgentWriteSerializer, request.data, partial=partial)
        agent_update(agent=agent, actor=request.user, **data)
        return Response(agent_shown(request.user, pk))

    @extend_schema(responses={204: None, 409: CONFLICT})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        """Delete an agent that is not live in production."""
        agent_delete(agent=agent_get_for(request.user, pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
