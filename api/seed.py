"""The seed's contract: the endpoints and shapes of the baseline system, kept exactly
(camelCase keys, `{"success", "message", ...}` envelopes), so scripts written for it keep
working. Every other endpoint is snake_case REST (docs/api.md).

- POST /api/agents/{id}/deploy
- GET|POST /api/agents/{id}/test-results
- GET /api/agents/{id}/changelog
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from agents.selectors import agent_get_for
from api.actions import ViewSetActions
from api.representation import (
    agent_shown,
    changelog_entry_shown,
    test_result_rows,
    test_results_shown,
)
from api.schema import CONFLICT
from api.serializers import AgentSerializer
from common.pagination import PageNumberPagination
from common.serializers import time_formatter, validated
from deployments.selectors import changelog_rows_of
from deployments.serializers import ChangelogEntrySerializer, DeployRequestSerializer
from deployments.services import deployment_create
from testruns.models import TestSource
from testruns.selectors import test_result_list
from testruns.serializers import TestResultRequestSerializer, TestResultSerializer
from testruns.services import result_record

DeployResponse = inline_serializer(
    "DeployResponse",
    {
        "success": serializers.BooleanField(),
        "message": serializers.CharField(),
        "agent": AgentSerializer(),
    },
)


def agent_response(request: Request, pk: int | str | None, message: str) -> Response:
    """The seed's answer to a lifecycle write: a sentence and the agent as saved."""
    return Response({"success": True, "message": message, "agent": agent_shown(request.user, pk)})


class SeedActions(ViewSetActions):
    """Mixed into the agents viewset (api/agents.py)."""

    @extend_schema(request=DeployRequestSerializer, responses={200: DeployResponse, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def deploy(self, request: Request, pk: str | None = None) -> Response:
        """Move an agent to draft, testing or production."""
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
        return agent_response(request, pk, f"Agent deployed to {data['status']}")

    @extend_schema(
        parameters=[
            OpenApiParameter("page", OpenApiTypes.INT, description="A page number, from 1."),
            OpenApiParameter(
                "page_size", OpenApiTypes.INT, description="Results per page (default 50, ≤ 100)."
            ),
        ],
        responses=inline_serializer(
            "TestResultsResponse",
            {
                "testResults": TestResultSerializer(many=True),
                "deploymentStatus": serializers.CharField(),
                "version": serializers.IntegerField(),
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
            },
        ),
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path="test-results")
    def test_results(self, request: Request, pk: str | None = None) -> Response:
        """The agent's test results, newest first (paginated: `page`, `page_size`)."""
        agent = agent_get_for(request.user, pk)
        paginator = PageNumberPagination()
        rows = test_result_rows(test_result_list(agent=agent))
        page = paginator.paginate_queryset(rows, request, view=self)
        assert page is not None  # the class has a page size
        assert paginator.page is not None
        return Response(
            {
                "testResults": test_results_shown(page),
                "deploymentStatus": agent.status,
                "version": agent.version,
                "count": paginator.page.paginator.count,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
            }
        )

    @extend_schema(
        request=TestResultRequestSerializer,
        responses={
            201: inline_serializer(
                "TestResultSaved",
                {
                    "success": serializers.BooleanField(),
                    "message": serializers.CharField(),
                    "testResults": TestResultSerializer(many=True),
                },
            )
        },
    )
    @test_results.mapping.post
    def record_test_result(self, request: Request, pk: str | None = None) -> Response:
        """Record a test of the agent's current working config."""
        agent = agent_get_for(request.user, pk)
        data = validated(TestResultRequestSerializer, request.data)
        result_record(agent=agent, actor=request.user, source=TestSource.API, **data)
        recent = test_result_rows(test_result_list(agent=agent))[: PageNumberPagination.page_size]
        return Response(
            {
                "success": True,
                "message": "Test result saved",
                "testResults": test_results_shown(recent),
            },
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        responses=inline_serializer(
            "ChangelogResponse",
            {
                "changelog": ChangelogEntrySerializer(many=True),
                "currentVersion": serializers.IntegerField(),
            },
        ),
        filters=False,
    )
    @action(detail=True, methods=["get"])
    def changelog(self, request: Request, pk: str | None = None) -> Response:
        """Entries with a note, newest first, and the current version."""
        agent = agent_get_for(request.user, pk)
        time = time_formatter()
        entries = [
            changelog_entry_shown(entry, time) for entry in changelog_rows_of(agent_ids=[agent.pk])
        ]
        return Response({"changelog": entries, "currentVersion": agent.version})
