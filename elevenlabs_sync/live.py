"""Tests that reach the agent on ElevenLabs: a signed URL for a browser conversation with the
testing branch, and an outbound test call to a phone.

The API key stays on the server: a browser only ever holds a signed URL, valid for one
conversation and a few minutes.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction

from agents.models import VoiceAgent
from agents.services import refuse_if_archived
from common.errors import Conflict, InvalidInput, Upstream
from deployments.models import AgentVersion
from elevenlabs_adapter import ElevenLabsError, remote
from elevenlabs_sync.conversations import conversation_close, reconcile_queue
from elevenlabs_sync.models import AgentSync
from elevenlabs_sync.sync import DELETED_OUTSIDE
from testruns import invites
from testruns.models import (
    Channel,
    Conversation,
    ConversationStatus,
    ConversationTarget,
    InviteLink,
)
from testruns.selectors import conversations_going_on
from testruns.services import conversation_start, conversation_transcript_add
from testruns.transcript import Identified
from workspaces.models import Workspace
from workspaces.permissions import User, require_role
from workspaces.roles import Action

PHONE_NUMBER = re.compile(r"^\+[1-9]\d{6,14}$")  # E.164


def conversation_url_create(*, agent: VoiceAgent, actor: User) -> str:
    """A signed WebSocket URL for a conversation with the agent's testing branch (its main
    branch while it has none yet)."""
    require_role(actor, agent.workspace, Action.TALK_TO_AGENT)
    refuse_if_archived(agent)
    sync = agent_on_elevenlabs(agent)
    try:
        return remote.signed_url(sync.elevenlabs_agent_id, branch_id=sync.testing_branch_id or None)
    except ElevenLabsError as error:
        raise Upstream(error.message) from error


@dataclass(frozen=True)
class OpenedConversation:
    record: Conversation
    url: str  # ElevenLabs' signed WebSocket URL: the relay's upstream, never shown to a browser
    max_seconds: int  # the workspace's limit on a conversation's length


@dataclass(frozen=True)
class Talk:
    """What a test talks to: the target asked for, the version and config revision that is,
    and where ElevenLabs finds it (a branch's tip, a published version, or neither: live)."""

    target: str
    version: int
    config_revision: str
    branch_id: str | None = None
    version_id: str | None = None


def conversation_open(
    *, agent: VoiceAgent, actor: User, target: str | None = None, version: int | None = None
) -> OpenedConversation:
    """A conversation with the version under test: the testing branch (the default while the
    agent has one), the live version, or a published version; its record opened."""
    require_role(actor, agent.workspace, Action.TALK_TO_AGENT)
    refuse_if_archived(agent)
    sync = agent_on_elevenlabs(agent)
    talk = talk_to(agent, sync, target=target, version=version)
    try:
        url = remote.signed_url(
            sync.elevenlabs_agent_id, branch_id=talk.branch_id, version_id=talk.version_id
        )
    except ElevenLabsError as error:
        raise Upstream(error.message) from error
    record, workspace = conversation_record_start(agent=agent, actor=actor, talk=talk)
    return OpenedConversation(record, url, workspace.conversation_max_seconds)


def invite_create(
    *, agent: VoiceAgent, actor: User, expires_in: timedelta, max_uses: int, note: str = ""
) -> tuple[InviteLink, str]:
    """An invite link to the agent's testing branch as it is now, and its key (shown once)."""
    require_role(actor, agent.workspace, Action.MANAGE_INVITES)
    refuse_if_archived(agent)
    talk = talk_to(
        agent, agent_on_elevenlabs(agent), target=ConversationTarget.TESTING, version=None
    )
    assert talk.branch_id is not None  # a testing target always has its branch
    return invites.invite_create(
        agent=agent,
        actor=actor,
        expires_in=expires_in,
        max_uses=max_uses,
        note=note,
        version=talk.version,
        config_revision=talk.config_revision,
        branch_id=talk.branch_id,
    )


def conversation_open_by_invite(*, invite: InviteLink) -> OpenedConversation:
    """A conversation through an invite link, with exactly the version it was made for: if the
    testing branch has moved on since, it is refused rather than talk to another config. One
    of the link's uses is taken as its record opens."""
    refusal = invites.invite_refusal(invite)
    if refusal is not None:
        raise Conflict(refusal, code="invite_not_valid")
    agent = invite.agent
    sync = agent_on_elevenlabs(agent)
    now = talk_to(agent, sync, target=ConversationTarget.TESTING, version=None)
    pinned = Talk(
        ConversationTarget.TESTING,
        invite.version,
        invite.config_revision,
        branch_id=invite.branch_id,
    )
    if (now.branch_id, now.config_revision) != (pinned.branch_id, pinned.config_revision):
        raise Conflict(
            f"The version this link was made for (version {invite.version}) is no longer the "
            "one in testing; ask whoever sent it for a new link.",
            code="invite_version_gone",
        )
    try:
        url = remote.signed_url(sync.elevenlabs_agent_id, branch_id=pinned.branch_id)
    except ElevenLabsError as error:
        raise Upstream(error.message) from error
    record, workspace = conversation_record_start(
        agent=agent, actor=None, talk=pinned, invite=invite
    )
    return OpenedConversation(record, url, workspace.conversation_max_seconds)


def phone_call_place(
    *,
    agent: VoiceAgent,
    actor: User,
    to_number: str,
    target: str | None = None,
    version: int | None = None,
) -> Conversation:
    """Ring `to_number` with the version under test (as `conversation_open` chooses it); the
    call's record, whose transcript arrives from ElevenLabs once the call is over."""
    require_role(actor, agent.workspace, Action.PLACE_TEST_CALL)
    refuse_if_archived(agent)
    to_number = (to_number or "").replace(" ", "")
    if not PHONE_NUMBER.match(to_number):
        raise InvalidInput.for_field(
            "to_number", "Give the number in international format, such as +14155550123."
        )
    sync = agent_on_elevenlabs(agent)
    talk = talk_to(agent, sync, target=target, version=version)
    if talk.version_id:
        raise Conflict(
            f"ElevenLabs' outbound calls ring a branch, not a published version, so a call "
            f"cannot test version {talk.version}: ring the testing branch or the live version, "
            "or talk to that version in the browser.",
            code="call_cannot_target_version",
        )
    calling_number = _calling_number()
    # Recorded before it rings, so the workspace's limit holds and no call goes unrecorded.
    record, _ = conversation_record_start(
        agent=agent, actor=actor, talk=talk, channel=Channel.PHONE
    )
    try:
        conversation_id = remote.outbound_call(
            sync.elevenlabs_agent_id,
            phone_number_id=calling_number,
            to_number=to_number,
            branch_id=talk.branch_id,
        )
    except ElevenLabsError as error:
        conversation_close(
            conversation_id=record.pk,
            status=ConversationStatus.FAILED,
            reason=f"ElevenLabs did not place the call: {error.message}",
        )
        raise Upstream(error.message) from error
    conversation_transcript_add(conversation_id=record.pk, events=[Identified(conversation_id)])
    record.elevenlabs_conversation_id = conversation_id
    transaction.on_commit(lambda: reconcile_queue(record.pk))
    return record


def talk_to(agent: VoiceAgent, sync: AgentSync, *, target: str | None, version: int | None) -> Talk:
    if target is None:
        target = ConversationTarget.VERSION if version is not None else _default_target(sync)
    if target == ConversationTarget.TESTING:
        if not sync.testing_branch_id:
            raise Conflict(
                "The agent has no testing branch on ElevenLabs yet: deploy it to testing, or "
                "talk to the live version (target=live).",
                code="no_testing_branch",
            )
        revision = sync.testing_synced_revision or agent.config_revision
        return Talk(target, agent.version, revision, branch_id=sync.testing_branch_id)
    if target == ConversationTarget.LIVE:
        if agent.live_version is None:
            raise Conflict(
                "The agent has no live version yet: talk to its testing branch (target=testing).",
                code="not_live",
            )
        snapshot = _published(agent, agent.live_version)
        return Talk(target, snapshot.number, snapshot.config_revision)
    if version is None:
        raise InvalidInput.for_field("version", "Say which version: version=N.")
    snapshot = _published(agent, version)
    return Talk(
        target, snapshot.number, snapshot.config_revision, version_id=snapshot.elevenlabs_version_id
    )


def conversation_record_start(
    *,
    agent: VoiceAgent,
    actor: User | None,
    talk: Talk,
    channel: str = Channel.BROWSER,
    invite: InviteLink | None = None,
) -> tuple[Conversation, Workspace]:
    with transaction.atomic():
        # The workspace's row, locked, lines up conversations starting at once: each counts
        # those already going on with the last one's record in.
        workspace = Workspace.objects.select_for_update().get(pk=agent.workspace_id)
        going_on = conversations_going_on(workspace=workspace)
        if going_on >= workspace.concurrent_conversations:
            raise Conflict(
                f"Workspace '{workspace.slug}' has {going_on} test conversations going on, as "
                "many as it allows at once; end one, or ask an admin to raise the limit.",
                code="too_many_conversations",
            )
        if invite is not None:
            record = invites.invite_conversation_start(invite=invite)
        else:
            assert actor is not None  # only an invite's caller has no account
            record = conversation_start(
                agent=agent,
                actor=actor,
                target=talk.target,
                version=talk.version,
                config_revision=talk.config_revision,
                channel=channel,
            )
    return record, workspace


def _default_target(sync: AgentSync) -> str:
    return ConversationTarget.TESTING if sync.testing_branch_id else ConversationTarget.LIVE


def _published(agent: VoiceAgent, number: int) -> AgentVersion:
    snapshot = AgentVersion.objects.filter(agent=agent, number=number).first()
    if snapshot is None:
        raise InvalidInput.for_field(
            "version",
            f"'{agent.name}' has no version {number}; its versions are 1 to {agent.version}.",
        )
    if not snapshot.elevenlabs_version_id:
        raise Conflict(
            f"Version {number} was never published to ElevenLabs, so there is nothing to talk to; "
            "choose a version that went to production.",
            code="version_not_published",
        )
    return snapshot


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


def agent_on_elevenlabs(agent: VoiceAgent) -> AgentSync:
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
