"""Invite links (docs/conversations.md, "Invite links"): an agent's links
(`InviteActions`, mixed into the agents viewset, api/agents.py), and /api/invites/{id}/revoke.
The link is in the answer that makes it, once: only the key's hash is stored."""

from datetime import timedelta

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from agents.selectors import agent_get_for
from api.actions import ViewSetActions
from api.idempotency import IdempotentPosts
from api.rendering import RefusesInJson
from api.schema import CONFLICT
from common.ids import ID_PATTERN
from common.serializers import validated
from elevenlabs_sync.live import invite_create
from testruns.invites import invite_get_for, invite_list_active, invite_revoke
from testruns.models import INVITE_MAX_USES, INVITE_NOTE_MAX_LENGTH, InviteLink


class InviteRequestSerializer(serializers.Serializer):
    expires_in_hours = serializers.IntegerField(
        min_value=1, max_value=720, help_text="How long the link lasts: 1 hour to 30 days."
    )
    max_uses = serializers.IntegerField(
        min_value=1, max_value=INVITE_MAX_USES, help_text="Conversations it allows."
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=INVITE_NOTE_MAX_LENGTH,
        help_text="Shown to the caller.",
    )


class InviteSerializer(serializers.Serializer):
    """An invite link, without its key."""

    id = serializers.IntegerField()
    agent = serializers.IntegerField(source="agent_id")
    prefix = serializers.CharField(help_text="The key's first characters.")
    created_by = serializers.CharField(source="created_by_name")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    max_uses = serializers.IntegerField()
    uses = serializers.IntegerField(help_text="Conversations started with it.")
    note = serializers.CharField()
    version = serializers.IntegerField(help_text="The version in testing it talks to.")
    config_revision = serializers.CharField()
    revoked_at = serializers.DateTimeField(allow_null=True)


class InviteCreatedSerializer(InviteSerializer):
    link = serializers.CharField(help_text="The caller's page; shown this once.")


class InviteActions(ViewSetActions):
    """Mixed into the agents viewset (api/agents.py)."""

    @extend_schema(
        methods=["GET"],
        summary="The agent's invite links still in use",
        responses=InviteSerializer(many=True),
        filters=False,
    )
    @extend_schema(
        methods=["POST"],
        summary="Make an invite link to the version in testing",
        request=InviteRequestSerializer,
        responses={201: InviteCreatedSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["get", "post"])
    def invites(self, request: Request, pk: str | None = None) -> Response:
        """Links for callers without an account (editors make them): the link is in the
        answer that makes it, and nowhere after."""
        agent = agent_get_for(request.user, pk)
        if request.method == "GET":
            page = self.paginate_queryset(invite_list_active(agent=agent))
            return self.get_paginated_response(InviteSerializer(page, many=True).data)
        data = validated(InviteRequestSerializer, request.data)
        invite, key = invite_create(
            agent=agent,
            actor=request.user,
            expires_in=timedelta(hours=data["expires_in_hours"]),
            max_uses=data["max_uses"],
            note=data.get("note", ""),
        )
        shown = dict(InviteSerializer(invite).data)
        shown["link"] = request.build_absolute_uri(f"/invite/{key}")
        return Response(shown, status=status.HTTP_201_CREATED)


class InviteViewSet(IdempotentPosts, RefusesInJson, viewsets.GenericViewSet):
    """Invite links of your workspaces' agents."""

    serializer_class = InviteSerializer
    lookup_value_regex = ID_PATTERN
    pagination_class = None
    queryset = InviteLink.objects.none()

    @extend_schema(
        summary="Revoke an invite link",
        request=None,
        responses={200: InviteSerializer},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        """Refuse the link from now on and end the conversations held through it (editors)."""
        invite = invite_get_for(request.user, pk)
        invite_revoke(invite=invite, actor=request.user)
        return Response(InviteSerializer(invite).data)
