from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.api import agent_representation
from agents.selectors import agent_get_for
from agents.serializers import AgentSerializer
from common.errors import NotFound
from common.serializers import validated
from deployments.filters import DeploymentFilter
from deployments.selectors import (
    WORKING,
    changelog_for,
    deployment_list_for,
    version_diff,
    version_list,
)
from deployments.serializers import (
    ChangelogEntrySerializer,
    DeploymentSerializer,
    DeployRequestSerializer,
    DiffEntrySerializer,
    RollbackRequestSerializer,
    VersionDetailSerializer,
    VersionSerializer,
)
from deployments.services import agent_rollback, deployment_create

DeployResponse = inline_serializer(
    "DeployResponse",
    {
        "success": serializers.BooleanField(),
        "message": serializers.CharField(),
        "agent": AgentSerializer(),
    },
)


class AgentDeployView(APIView):
    """Move an agent to draft, testing or production (the seed's endpoint and shape)."""

    @extend_schema(request=DeployRequestSerializer, responses=DeployResponse)
    def post(self, request, pk):
        agent = agent_get_for(request.user, pk)
        data = validated(DeployRequestSerializer, request.data)
        deployment_create(
            agent=agent,
            to_status=data["status"],
            changes=data["changes"],
            actor=request.user,
            force=data["force"],
            force_reason=data["force_reason"],
        )
        return _agent_response(request, pk, f"Agent deployed to {data['status']}")


class AgentRollbackView(APIView):
    """Put an earlier version live again as a new version."""

    @extend_schema(request=RollbackRequestSerializer, responses=DeployResponse)
    def post(self, request, pk):
        agent = agent_get_for(request.user, pk)
        data = validated(RollbackRequestSerializer, request.data)
        deployment = agent_rollback(
            agent=agent, version=data["version"], changes=data["changes"], actor=request.user
        )
        return _agent_response(
            request,
            pk,
            f"Agent rolled back to v{data['version']}, live as v{deployment.version}",
        )


def _agent_response(request, pk, message: str) -> Response:
    agent = agent_representation(request.user, pk)
    return Response({"success": True, "message": message, "agent": agent})


class AgentChangelogView(APIView):
    """The seed's changelog: entries with a note, newest first, and the current version."""

    @extend_schema(
        responses=inline_serializer(
            "ChangelogResponse",
            {
                "changelog": ChangelogEntrySerializer(many=True),
                "currentVersion": serializers.IntegerField(),
            },
        )
    )
    def get(self, request, pk):
        agent = agent_get_for(request.user, pk)
        entries = ChangelogEntrySerializer(changelog_for(agent=agent), many=True).data
        return Response({"changelog": entries, "currentVersion": agent.version})


class AgentVersionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Immutable config snapshots of one agent, newest first."""

    serializer_class = VersionSerializer
    filter_backends = []

    def get_agent(self):
        return agent_get_for(self.request.user, self.kwargs["agent_pk"])

    def get_queryset(self):
        return version_list(agent=self.get_agent())

    @extend_schema(responses=VersionDetailSerializer)
    def retrieve(self, request, agent_pk, number):
        version = version_list(agent=self.get_agent()).filter(number=number).first()
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
    def diff(self, request, agent_pk):
        """What changed between two versions (or a version and the working config)."""
        agent = self.get_agent()
        old = request.query_params.get("from", "")
        new = request.query_params.get("to", WORKING)
        changes = version_diff(agent=agent, old=old, new=new)
        return Response({"from": old, "to": new, "changes": changes})


class DeploymentViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Deployment history across your workspaces, newest first."""

    serializer_class = DeploymentSerializer
    filterset_class = DeploymentFilter
    ordering_fields = ["deployed_at", "version"]
    ordering = ["-deployed_at", "-id"]

    def get_queryset(self):
        return deployment_list_for(self.request.user)
