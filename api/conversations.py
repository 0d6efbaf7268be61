"""Test conversations, held through the relay (elevenlabs_sync/relay.py) and kept with what
was said in them: an agent's list (`ConversationActions`, mixed into the agents viewset,
api/agents.py), and /api/conversations/{id}: one with its turns (the JSON export), its
transcript as text (the text export), and a test result recorded from it."""

from django.db.models import TextChoices
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from agents.selectors import agent_get_for
from api.actions import ViewSetActions
from api.idempotency import IdempotentPosts
from api.rendering import PlainTextRenderer, RefusesInJson
from api.representation import test_result_shown
from api.schema import error
from api.testing import ConversationTestActions
from common.ids import ID_PATTERN
from common.serializers import UserRefField, validated
from testruns.models import Conversation, ConversationStatus, ConversationTarget, TurnRole
from testruns.selectors import conversation_get_for, conversation_list_counted
from testruns.serializers import TestResultRequestSerializer, TestResultSerializer
from testruns.services import result_record_from_conversation

NOT_JUDGEABLE = error(
    "The conversation is still going on (`conversation_active`), or its agent is archived "
    "(`agent_archived`); the message says which."
)


def choices_listed(choices: type[TextChoices]) -> str:
    """`a`, `b` or `c`: the values of a model's choices, for a field's help text. (A response's
    choices are described in words, not as enums, as the other responses do: an enum named
    `status` would collide with the others of that name.)"""
    *most, last = (f"`{value}`" for value in choices.values)
    return f"{', '.join(most)} or {last}" if most else last


class ConversationTurnSerializer(serializers.Serializer):
    """One thing said, as ElevenLabs transcribed or wrote it."""

    role = serializers.CharField(help_text=f"Who said it: {choices_listed(TurnRole)}.")
    text = serializers.CharField(help_text="An agent's corrected turn holds the corrected text.")
    offset_ms = serializers.IntegerField(help_text="Milliseconds since the conversation started.")
    corrected = serializers.BooleanField(
        help_text="ElevenLabs corrected the agent's text to what it said before it was cut short."
    )
    interrupted = serializers.BooleanField(help_text="The caller cut the agent's turn short.")
    tool_calls = serializers.ListField(
        child=serializers.DictField(),
        help_text="The tools the agent called in this turn, as ElevenLabs sent each call "
        "(`tool_name`, `tool_call_id`, `parameters`, …).",
    )


class ConversationSerializer(serializers.Serializer):
    """A test conversation, without its turns."""

    id = serializers.IntegerField()
    agent = serializers.IntegerField(source="agent_id", help_text="The agent's id.")
    target = serializers.CharField(
        help_text="What was talked to: the testing branch, the live version or another "
        f"published version ({choices_listed(ConversationTarget)})."
    )
    version = serializers.IntegerField(help_text="The agent's version talked to.")
    config_revision = serializers.CharField(help_text="Fingerprint of the config talked to.")
    started_by = UserRefField(help_text="Who held it.")
    elevenlabs_conversation_id = serializers.CharField(
        help_text="ElevenLabs' id of the conversation; empty until ElevenLabs gave it."
    )
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True, help_text="Null while it goes on.")
    duration = serializers.SerializerMethodField()
    status = serializers.CharField(
        help_text=f"{choices_listed(ConversationStatus)}; `active` while it goes on."
    )
    end_reason = serializers.CharField(help_text="How it ended, as a sentence; empty while on.")
    turn_count = serializers.SerializerMethodField()

    @extend_schema_field(
        serializers.FloatField(allow_null=True, help_text="Seconds; null while it goes on.")
    )
    def get_duration(self, conversation: Conversation) -> float | None:
        if conversation.ended_at is None:
            return None
        return (conversation.ended_at - conversation.started_at).total_seconds()

    @extend_schema_field(serializers.IntegerField(help_text="How many turns it holds."))
    def get_turn_count(self, conversation: Conversation) -> int:
        counted = getattr(conversation, "turn_count", None)  # a list's annotation
        return len(conversation.turns.all()) if counted is None else counted


class ConversationDetailSerializer(ConversationSerializer):
    """A test conversation with its turns in the order they were said."""

    turns = ConversationTurnSerializer(many=True)


class ConversationTestResultRequestSerializer(TestResultRequestSerializer):
    """What a tester made of a conversation: the seed's test result less what the
    conversation holds itself (its length and transcript), with the same checks."""

    class Meta(TestResultRequestSerializer.Meta):
        fields = ["status", "rating", "notes"]


class ConversationActions(ViewSetActions):
    """Mixed into the agents viewset (api/agents.py)."""

    @extend_schema(
        summary="The agent's test conversations",
        responses=ConversationSerializer(many=True),
        filters=False,
    )
    @action(detail=True, methods=["get"])
    def conversations(self, request: Request, pk: str | None = None) -> Response:
        """The agent's test conversations, newest first, without their turns."""
        conversations = conversation_list_counted(agent=agent_get_for(request.user, pk))
        page = self.paginate_queryset(conversations)
        return self.get_paginated_response(ConversationSerializer(page, many=True).data)


@extend_schema_view(
    retrieve=extend_schema(
        summary="One test conversation, with its turns",
        description="The conversation and everything said in it, in order: its JSON export.",
    )
)
class ConversationViewSet(
    IdempotentPosts, RefusesInJson, ConversationTestActions, viewsets.GenericViewSet
):
    """Test conversations with the agents of your workspaces. Errors are JSON, whatever the
    endpoint answers with otherwise (the transcript is text)."""

    serializer_class = ConversationDetailSerializer
    lookup_value_regex = ID_PATTERN
    pagination_class = None

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        conversation = conversation_get_for(request.user, pk)
        return Response(ConversationDetailSerializer(conversation).data)

    @extend_schema(
        summary="The conversation's transcript, as text",
        operation_id="conversations_transcript_retrieve",
        description='One line per turn, in order: "Agent: …" or "User: …" (the text a test '
        "result recorded from the conversation keeps as its transcript).",
        responses={(200, PlainTextRenderer.media_type): OpenApiTypes.STR},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="transcript.txt",
        url_name="transcript",
        renderer_classes=[PlainTextRenderer],
    )
    def transcript(self, request: Request, pk: str | None = None) -> Response:
        conversation = conversation_get_for(request.user, pk)
        lines = [turn.line + "\n" for turn in conversation.turns.all()]
        return Response(
            "".join(lines),
            headers={
                "Content-Disposition": f'inline; filename="conversation-{conversation.pk}.txt"'
            },
        )

    @extend_schema(
        summary="Record a test result from the conversation",
        description="What you made of a finished conversation: a test result of the version "
        "and config it talked to, with its length and transcript (the production gate's "
        "evidence). Answers with the result as the agent's test results show it. Testers.",
        request=ConversationTestResultRequestSerializer,
        responses={201: TestResultSerializer, 409: NOT_JUDGEABLE},
    )
    @action(detail=True, methods=["post"], url_path="test-result")
    def test_result(self, request: Request, pk: str | None = None) -> Response:
        conversation = conversation_get_for(request.user, pk)
        data = validated(ConversationTestResultRequestSerializer, request.data)
        result = result_record_from_conversation(
            conversation=conversation, actor=request.user, **data
        )
        return Response(test_result_shown(result), status=status.HTTP_201_CREATED)
