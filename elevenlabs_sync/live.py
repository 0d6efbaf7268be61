"""Tests that reach the agent on ElevenLabs: a signed URL for a browser conversation with the
testing branch, and an outbound test call to a phone.

The API key stays on the server: a browser only ever holds a signed URL, valid for one
conversation and a few minutes.
"""

import re

from django.conf import settings

from agents.models import VoiceAgent
from agents.services import refuse_if_archived
from common.errors import Conflict, InvalidInput, Upstream
from elevenlabs_adapter import ElevenLabsError, remote
from elevenlabs_sync.models import AgentSync
from elevenlabs_sync.sync import DELETED_OUTSIDE
from workspaces.permissions import User, require_role
from workspaces.roles import Action

PHONE_NUMBER = re.compile(r"^\+[1-9]\d{6,14}$")  # E.164


def conversation_url_create(*, agent: VoiceAgent, actor: User) -> str:
    """A signed WebSocket URL for a conversation with the agent's testing branch (its main
    branch while it has none yet)."""
    require_role(actor, agent.workspace, Action.TALK_TO_AGENT)
    refuse_if_archived(agent)
    sync = _on_elevenlabs(agent)
    try:
        return remote.signed_url(sync.elevenlabs_agent_id, branch_id=sync.testing_branch_id or None)
    except ElevenLabsError as error:
        raise Upstream(error.message) from error


def phone_call_place(*, agent: VoiceAgent, actor: User, to_number: str) -> str:
    """Ring `to_number` with the agent; returns ElevenLabs' conversation id."""
    require_role(actor, agent.workspace, Action.PLACE_TEST_CALL)
    refuse_if_archived(agent)
    to_number = (to_number or "").replace(" ", "")
    if not PHONE_NUMBER.match(to_number):
        raise InvalidInput.for_field(
            "to_number", "Give the number in international format, such as +14155550123."
        )
    sync = _on_elevenlabs(agent)
    try:
        return remote.outbound_call(
            sync.elevenlabs_agent_id, phone_number_id=_calling_number(), to_number=to_number
        )
    except ElevenLabsError as error:
        raise Upstream(error.message) from error


def _calling_number() -> str:
    """ELEVENLABS_PHONE_NUMBER_ID, or else the account's phone number if it has exactly one
    that places calls: the usual case needs no setting."""
    if settings.ELEVENLABS_PHONE_NUMBER_ID:
        return settings.ELEVENLABS_PHONE_NUMBER_ID
    numbers = remote.outbound_phone_number_ids()
    if len(numbers) == 1:
        return numbers[0]
    if numbers:
        fix = (
            f"it has {len(numbers)} ({', '.join(numbers)}): set ELEVENLABS_PHONE_NUMBER_ID to "
            "the one test calls ring from."
        )
    else:
        fix = "it has none that places calls. Add one on ElevenLabs."
    raise Conflict(
        f"No phone number to call from on the ElevenLabs account: {fix}", code="no_phone_number"
    )


def _on_elevenlabs(agent: VoiceAgent) -> AgentSync:
    sync = AgentSync.objects.get(pk=agent.pk)
    if sync.has_elevenlabs_id and not sync.exists_on_elevenlabs:
        raise Conflict(
            f"ElevenLabs no longer has this agent: it {DELETED_OUTSIDE}", code="not_on_elevenlabs"
        )
    if not sync.exists_on_elevenlabs:
        raise Conflict(
            "The agent is not on ElevenLabs yet; wait for its sync, or retry it.",
            code="not_on_elevenlabs",
        )
    return sync
