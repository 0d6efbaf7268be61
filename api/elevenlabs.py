"""ElevenLabs actions on /api/agents/: adopt an agent, sync now, settle changes made outside
Switchboard, and reach the agent for a test (a signed conversation URL, a test call)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from agents.selectors import agent_get_for
from api.actions import ViewSetActions
from api.representation import agent_shown
from api.schema import CONFLICT, UPSTREAM
from api.serializers import AgentImportSerializer, AgentSerializer
from common.serializers import validated
from elevenlabs_sync.drift import drift_overwrite, drift_pull
from elevenlabs_sync.importing import agent_import
from elevenlabs_sync.live import conversation_url_create, phone_call_place
from elevenlabs_sync.sync import agent_sync_retry
from testruns.models import ConversationTarget
from workspaces.selectors import workspace_choose_for


class PhoneCallRequestSerializer(serializers.Serializer):
    to_number = serializers.CharField(max_length=20, help_text="E.164, such as +14155550123.")
    target = serializers.ChoiceField(
        choices=[ConversationTarget.TESTING, ConversationTarget.LIVE],
        required=False,
        help_text="The testing branch (the default while the agent has one) or the live version."
        " A published version cannot be rung: ElevenLabs' calls ring a branch.",
    )


class ElevenLabsActions(ViewSetActions):
    """Mixed into the agents viewset (api/agents.py)."""

    @extend_schema(
        request=AgentImportSerializer,
        responses={201: AgentSerializer, 409: CONFLICT, 502: UPSTREAM},
    )
    @action(detail=False, methods=["post"], url_path="import")
    def import_agent(self, request: Request) -> Response:
        """Adopt an agent that exists on ElevenLabs; its config becomes version 1, a draft."""
        data = validated(AgentImportSerializer, request.data)
        workspace = workspace_choose_for(request.user, data.pop("workspace", None))
        agent = agent_import(workspace=workspace, actor=request.user, **data)
        return Response(agent_shown(request.user, agent.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={202: AgentSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def sync(self, request: Request, pk: str | None = None) -> Response:
        """Sync with ElevenLabs now, with a fresh allowance of attempts."""
        agent_sync_retry(agent=agent_get_for(request.user, pk), actor=request.user)
        return Response(agent_shown(request.user, pk), status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: AgentSerializer, 409: CONFLICT, 502: UPSTREAM})
    @action(detail=True, methods=["post"], url_path="drift/pull")
    def drift_pull(self, request: Request, pk: str | None = None) -> Response:
        """Take the config changed on ElevenLabs as a new draft."""
        drift_pull(agent=agent_get_for(request.user, pk), actor=request.user)
        return Response(agent_shown(request.user, pk))

    @extend_schema(request=None, responses={202: AgentSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"], url_path="drift/overwrite")
    def drift_overwrite(self, request: Request, pk: str | None = None) -> Response:
        """Put the live version back over the config changed on ElevenLabs."""
        drift_overwrite(agent=agent_get_for(request.user, pk), actor=request.user)
        return Response(agent_shown(request.user, pk), status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer("TestConversationUrl", {"signed_url": serializers.CharField()}),
            409: CONFLICT,
            502: UPSTREAM,
        },
    )
    @action(detail=True, methods=["post"], url_path="test-conversation-url")
    def conversation_url(self, request: Request, pk: str | None = None) -> Response:
        """A signed URL to talk to the agent's testing branch over ElevenLabs' conversation
        WebSocket. Valid for one conversation, for a few minutes; testers and above."""
        agent = agent_get_for(request.user, pk)
        return Response({"signed_url": conversation_url_create(agent=agent, actor=request.user)})

    @extend_schema(
        request=PhoneCallRequestSerializer,
        responses={
            202: inline_serializer(
                "TestCallPlaced",
                {
                    "conversation_id": serializers.CharField(help_text="ElevenLabs' id."),
                    "conversation": serializers.IntegerField(
                        help_text="The call's record: `GET /api/conversations/{id}/` shows its "
                        "transcript once ElevenLabs reports it."
                    ),
                },
            ),
            409: CONFLICT,
            502: UPSTREAM,
        },
    )
    @action(detail=True, methods=["post"], url_path="test-call")
    def phone_call(self, request: Request, pk: str | None = None) -> Response:
        """Ring a phone with the agent's testing branch (or its live version), for a test by
        voice (the seed's "Test Call"); the call is recorded as a conversation."""
        agent = agent_get_for(request.user, pk)
        data = validated(PhoneCallRequestSerializer, request.data)
        record = phone_call_place(agent=agent, actor=request.user, **data)
        return Response(
            {"conversation_id": record.elevenlabs_conversation_id, "conversation": record.pk},
            status=status.HTTP_202_ACCEPTED,
        )
