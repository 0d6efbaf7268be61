"""/api/agents/: the agents resource. Its endpoints are actions of one viewset, by topic in
the mixins: the seed's contract (api/seed.py), versions and rollback (api/lifecycle.py),
ElevenLabs (api/elevenlabs.py), and test conversations (api/conversations.py)."""

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from agents.models import VoiceAgent
from agents.selectors import agent_get_for, agent_scope_for
from agents.services import agent_archive, agent_create, agent_update
from api.conversations import ConversationActions
from api.elevenlabs import ElevenLabsActions
from api.idempotency import IdempotentPosts
from api.invites import InviteActions
from api.lifecycle import LifecycleActions
from api.representation import (
    EXPANSIONS,
    agent_rows,
    agent_shown,
    agents_shown,
    expansions_asked,
)
from api.schema import CONFLICT
from api.seed import SeedActions
from api.serializers import (
    AgentCreateSerializer,
    AgentListItemSerializer,
    AgentPatchSerializer,
    AgentSerializer,
    AgentWriteSerializer,
    NoteSerializer,
)
from api.testing import TestingActions
from common.ids import ID_PATTERN
from common.serializers import validated
from elevenlabs_sync.filters import AgentSyncFilter
from workspaces.selectors import workspace_choose_for


@extend_schema_view(
    list=extend_schema(summary="List the agents of your workspaces"),
    retrieve=extend_schema(summary="One agent"),
)
class AgentViewSet(
    IdempotentPosts,
    SeedActions,
    LifecycleActions,
    ElevenLabsActions,
    ConversationActions,
    InviteActions,
    TestingActions,
    viewsets.GenericViewSet,
):
    """Voice agents in your workspaces. Writes go through `agents.services`."""

    serializer_class = AgentSerializer
    filterset_class = AgentSyncFilter
    ordering_fields = ["name", "created_at", "updated_at", "version", "last_deployed_at"]
    ordering = ["-updated_at", "-id"]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self) -> QuerySet[VoiceAgent]:
        return agent_scope_for(self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "expand",
                OpenApiTypes.STR,
                many=True,
                enum=list(EXPANSIONS),
                style="form",
                explode=False,
                description="Also show each agent's `config`, its `deployment.changelog`, or "
                "both (comma-separated). A list leaves them out otherwise; an agent's own "
                "endpoint always shows them.",
            )
        ],
        responses=AgentListItemSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        expand = expansions_asked(request.query_params)
        agents = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(agent_rows(agents, expand=expand))
        assert page is not None  # the viewset's pagination class has a page size
        return self.get_paginated_response(agents_shown(page, expand=expand))

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(agent_shown(request.user, pk))

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

    @extend_schema(request=AgentPatchSerializer, responses=AgentSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Change some of an agent's name, description, tags and config."""
        return self._update(request, pk, partial=True)

    def _update(self, request: Request, pk: str | None, *, partial: bool) -> Response:
        agent = agent_get_for(request.user, pk)
        shape = AgentPatchSerializer if partial else AgentWriteSerializer
        data = validated(shape, request.data, partial=partial)
        agent_update(agent=agent, actor=request.user, **data)
        return Response(agent_shown(request.user, pk))

    @extend_schema(request=NoteSerializer, responses={204: None, 409: CONFLICT})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        """Archive the agent: its history stays readable (`?archived=true` lists it), its
        ElevenLabs agent is deleted, and an admin can restore it (`POST …/restore`)."""
        agent = agent_get_for(request.user, pk)
        data = validated(NoteSerializer, request.data)
        agent_archive(agent=agent, actor=request.user, note=data["changes"])
        return Response(status=status.HTTP_204_NO_CONTENT)
