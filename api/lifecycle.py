"""Versions, rollback and the deployment history. `LifecycleActions` is mixed into the agents
viewset (api/agents.py); `DeploymentViewSet` is /api/deployments/."""

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from agents.selectors import agent_get_for
from agents.services import agent_restore
from api.actions import ViewSetActions
from api.schema import CONFLICT
from api.seed import DeployResponse, agent_response
from api.serializers import NoteSerializer
from common.errors import NotFound
from common.ids import ID_PATTERN
from common.serializers import validated
from deployments.filters import DeploymentFilter
from deployments.models import Deployment
from deployments.selectors import WORKING, deployment_list_for, version_diff, version_list
from deployments.serializers import (
    DeploymentSerializer,
    DiffEntrySerializer,
    RollbackRequestSerializer,
    VersionDetailSerializer,
    VersionSerializer,
)
from deployments.services import agent_rollback


class LifecycleActions(ViewSetActions):
    """Mixed into the agents viewset (api/agents.py)."""

    @extend_schema(
        request=RollbackRequestSerializer, responses={200: DeployResponse, 409: CONFLICT}
    )
    @action(detail=True, methods=["post"])
    def rollback(self, request: Request, pk: str | None = None) -> Response:
        """Put an earlier version live again as a new version."""
        agent = agent_get_for(request.user, pk)
        data = validated(RollbackRequestSerializer, request.data)
        deployment = agent_rollback(
            agent=agent, version=data["version"], changes=data["changes"], actor=request.user
        )
        return agent_response(
            request, pk, f"Agent rolled back to v{data['version']}, live as v{deployment.version}"
        )

    @extend_schema(request=NoteSerializer, responses={200: DeployResponse, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pk: str | None = None) -> Response:
        """Bring an archived agent back as a draft of its last working config; its sync
        creates a new ElevenLabs agent. Admins."""
        agent = agent_get_for(request.user, pk)
        data = validated(NoteSerializer, request.data)
        agent_restore(agent=agent, actor=request.user, note=data["changes"])
        return agent_response(request, pk, "Agent restored as a draft")

    @extend_schema(responses=VersionSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"])
    def versions(self, request: Request, pk: str | None = None) -> Response:
        """Immutable config snapshots of the agent, newest first."""
        versions = version_list(agent=agent_get_for(request.user, pk))
        page = self.paginate_queryset(versions)
        return self.get_paginated_response(VersionSerializer(page, many=True).data)

    @extend_schema(responses=VersionDetailSerializer)
    @action(detail=True, methods=["get"], url_path=f"versions/(?P<number>{ID_PATTERN})")
    def version(self, request: Request, pk: str, number: str) -> Response:  # the route has both
        """One snapshot, with its config."""
        version = version_list(agent=agent_get_for(request.user, pk)).filter(number=number).first()
        if version is None:
            raise NotFound(f"This agent has no version {number}.")
        return Response(VersionDetailSerializer(version).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.STR, description="Version number or 'working'."),
            OpenApiParameter("to", OpenApiTypes.STR, description=f"Default '{WORKING}'."),
        ],
        responses=inline_serializer(
            "VersionDiff",
            {
                "from": serializers.CharField(),
                "to": serializers.CharField(),
                "changes": DiffEntrySerializer(many=True),
            },
        ),
    )
    @action(detail=True, methods=["get"], url_path="versions/diff", url_name="diff")
    def versions_diff(self, request: Request, pk: str | None = None) -> Response:
        """What changed between two versions (or a version and the working config)."""
        agent = agent_get_for(request.user, pk)
        old = request.query_params.get("from", "")
        new = request.query_params.get("to", WORKING)
        changes = version_diff(agent=agent, old=old, new=new)
        return Response({"from": old, "to": new, "changes": changes})


@extend_schema_view(list=extend_schema(summary="The deployment history of your workspaces"))
class DeploymentViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Deployment history across your workspaces, newest first."""

    serializer_class = DeploymentSerializer
    filterset_class = DeploymentFilter
    ordering_fields = ["deployed_at", "version"]
    ordering = ["-deployed_at", "-id"]

    def get_queryset(self) -> QuerySet[Deployment]:
        return deployment_list_for(self.request.user)
