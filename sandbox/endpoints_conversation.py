"""Conversations: signed URLs to open one, their history, and outbound phone calls."""

import re
import secrets
from urllib.parse import urlencode

from sandbox.api import (
    Request,
    Response,
    body_field,
    cursor_page,
    invalid,
    not_found,
    route,
)
from sandbox.dialogue import scripted_call
from sandbox.endpoints_agent import agent_or_404, branch_or_404, version_or_404
from sandbox.endpoints_phone_number import PHONE_NUMBER_ID
from sandbox.records import Conversation, Version
from sandbox.signing import conversation_signature
from sandbox.store import store
from sandbox.webhooks import send_post_call_soon

E164 = re.compile(r"\+[1-9]\d{1,14}")


async def signed_url(request: Request) -> Response:
    """A WebSocket URL on this host that opens a conversation with the agent (on the branch or
    version asked for) without an API key, signed by sandbox.signing."""
    agent_id = request.required_param("agent_id")
    branch_id = request.param("branch_id") or None
    version_id = request.param("version_id") or None
    agent = agent_or_404(agent_id)
    branch_or_404(agent, branch_id)
    if version_id:
        check_version_is_on_branch(version_or_404(agent, version_id), branch_id)
    scheme = "wss" if request.scheme == "https" else "ws"
    query = urlencode(
        {
            "agent_id": agent_id,
            "conversation_signature": conversation_signature(agent_id, branch_id, version_id),
        }
    )
    url = f"{scheme}://{request.host}{request.mount}v1/convai/conversation?{query}"
    return Response(200, {"signed_url": url})


def check_version_is_on_branch(version: Version, branch_id: str | None) -> None:
    """A version asked for together with a branch must be one of that branch's: the two would
    otherwise name different configs, and neither wins."""
    if branch_id and version.branch_id != branch_id:
        raise invalid(
            ["query", "version_id"],
            f"Value error, version {version.id} is not on branch {branch_id}",
            "value_error",
        )


def conversation_counts(conversation: Conversation) -> dict:
    roles = [turn.get("role") for turn in conversation.transcript]
    return {
        "user_message_count": roles.count("user"),
        "agent_message_count": roles.count("agent"),
    }


def conversation_summary(conversation: Conversation) -> dict:
    """ConversationSummaryResponseModel, as conversations are listed."""
    agent = store.agents.get(conversation.agent_id)
    return {
        "agent_id": conversation.agent_id,
        "agent_name": agent.name if agent else None,
        "branch_id": conversation.branch_id,
        "version_id": conversation.version_id,
        "conversation_id": conversation.conversation_id,
        "start_time_unix_secs": conversation.start_time_unix_secs,
        "call_duration_secs": conversation.call_duration_secs,
        "message_count": len(conversation.transcript),
        **conversation_counts(conversation),
        "status": conversation.status,
        # The sandbox judges no call: a finished one succeeded, the rest are not known yet.
        "call_successful": "success" if conversation.status == "done" else "unknown",
        "direction": "outbound" if conversation.source == "outbound_call" else None,
    }


def conversation_json(conversation: Conversation) -> dict:
    """GetConversationResponseModel. The sandbox keeps no audio."""
    agent = store.agents.get(conversation.agent_id)
    return {
        "agent_id": conversation.agent_id,
        "agent_name": agent.name if agent else None,
        "conversation_id": conversation.conversation_id,
        "branch_id": conversation.branch_id,
        "version_id": conversation.version_id,
        "status": conversation.status,
        "metadata": {
            "start_time_unix_secs": conversation.start_time_unix_secs,
            "call_duration_secs": conversation.call_duration_secs,
        },
        "transcript": conversation.transcript,
        **conversation_counts(conversation),
        "has_audio": False,
        "has_user_audio": False,
        "has_response_audio": False,
        "has_auxiliary_audio": False,
        "conversation_initiation_client_data": {
            "dynamic_variables": conversation.dynamic_variables,
        },
    }


async def conversation_list(request: Request) -> Response:
    """Newest first, optionally of one agent and branch."""
    agent_id = request.param("agent_id")
    branch_id = request.param("branch_id")
    conversations = [
        conversation
        for conversation in sorted(
            store.conversations.values(), key=lambda conversation: conversation.seq, reverse=True
        )
        if (not agent_id or conversation.agent_id == agent_id)
        and (not branch_id or conversation.branch_id == branch_id)
    ]
    page, next_cursor = cursor_page(conversations, request)
    return Response(
        200,
        {
            "conversations": [conversation_summary(conversation) for conversation in page],
            "next_cursor": next_cursor,
            "has_more": next_cursor is not None,
        },
    )


async def conversation_get(request: Request, conversation_id: str) -> Response:
    conversation = store.conversations.get(conversation_id)
    if conversation is None:
        raise not_found("conversation", conversation_id)
    return Response(200, conversation_json(conversation))


async def outbound_call(request: Request) -> Response:
    """Place a call through Twilio: the sandbox plays a short script at once, ends the call
    and sends the post-call webhook."""
    body = request.json()
    agent_id = body_field(body, "agent_id", str, required=True)
    phone_number_id = body_field(body, "agent_phone_number_id", str, required=True)
    to_number = body_field(body, "to_number", str, required=True)
    if not E164.fullmatch(to_number):
        raise invalid(
            ["body", "to_number"],
            "Value error, to_number must be an E.164 phone number, such as +14155550123",
            "value_error",
        )
    client_data = body_field(body, "conversation_initiation_client_data", dict) or {}
    where = ("body", "conversation_initiation_client_data")
    body_field(client_data, "dynamic_variables", dict, loc=where)
    body_field(client_data, "conversation_config_override", dict, loc=where)
    branch_id = body_field(client_data, "branch_id", str, loc=where)
    agent = agent_or_404(agent_id)
    branch_or_404(agent, branch_id)
    if phone_number_id != PHONE_NUMBER_ID:  # calls go out from one of the account's numbers
        raise not_found("phone_number", phone_number_id)
    conversation = scripted_call(agent, to_number=to_number, client_data=client_data)
    send_post_call_soon(conversation)
    return Response(
        200,
        {
            "success": True,
            "message": "Call placed (sandbox).",
            "conversation_id": conversation.conversation_id,
            "callSid": "CA" + secrets.token_hex(16),
        },
    )


ROUTES = [
    route("GET", r"v1/convai/conversation/get-signed-url", signed_url),
    route("GET", r"v1/convai/conversations", conversation_list),
    route("GET", r"v1/convai/conversations/(?P<conversation_id>[^/]+)", conversation_get),
    route("POST", r"v1/convai/twilio/outbound-call", outbound_call),
]
