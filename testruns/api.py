from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.selectors import agent_get_for
from common.pagination import PageNumberPagination
from common.serializers import validated
from testruns.live import test_call_place, test_conversation_url
from testruns.selectors import test_result_list
from testruns.serializers import (
    TestCallRequestSerializer,
    TestResultRequestSerializer,
    TestResultSerializer,
)
from testruns.services import test_result_create


class AgentTestResultsView(APIView):
    """The seed's test results of one agent, newest first (paginated: `page`, `page_size`)."""

    @extend_schema(
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
        )
    )
    def get(self, request, pk):
        agent = agent_get_for(request.user, pk)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(test_result_list(agent=agent), request, view=self)
        return Response(
            {
                "testResults": TestResultSerializer(page, many=True).data,
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
    def post(self, request, pk):
        agent = agent_get_for(request.user, pk)
        data = validated(TestResultRequestSerializer, request.data)
        test_result_create(agent=agent, actor=request.user, **data)
        recent = test_result_list(agent=agent)[: PageNumberPagination.page_size]
        return Response(
            {
                "success": True,
                "message": "Test result saved",
                "testResults": TestResultSerializer(recent, many=True).data,
            },
            status=status.HTTP_201_CREATED,
        )


class AgentTestConversationUrlView(APIView):
    """A signed URL to talk to the agent's testing branch over ElevenLabs' conversation
    WebSocket. Valid for one conversation, for a few minutes; testers and above."""

    @extend_schema(
        request=None,
        responses=inline_serializer("TestConversationUrl", {"signed_url": serializers.CharField()}),
    )
    def post(self, request, pk):
        agent = agent_get_for(request.user, pk)
        return Response({"signed_url": test_conversation_url(agent=agent, actor=request.user)})


class AgentTestCallView(APIView):
    """Ring a phone with the agent, for a test by voice (the seed's "Test Call")."""

    @extend_schema(
        request=TestCallRequestSerializer,
        responses={
            202: inline_serializer("TestCallPlaced", {"conversation_id": serializers.CharField()})
        },
    )
    def post(self, request, pk):
        agent = agent_get_for(request.user, pk)
        data = validated(TestCallRequestSerializer, request.data)
        conversation_id = test_call_place(agent=agent, actor=request.user, **data)
        return Response({"conversation_id": conversation_id}, status=status.HTTP_202_ACCEPTED)
