"""Invite links: someone without an account talks to one version of an agent's testing branch,
pinned when an editor made the link, and says what they made of it (docs/conversations.md,
"Invite links").

The key is shown once, at creation; only its hash is stored. The rules are here: who may make
and revoke a link, when a link is still good, how its uses are counted, and the caller's
verdict. Which version the testing branch holds is the ElevenLabs app's to say: it makes a
link through `invite_create` with the version it found (elevenlabs_sync/live.py).
"""

import secrets
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import Case, F, QuerySet, TextChoices, Value, When
from django.utils import timezone

from agents.models import VoiceAgent
from agents.services import refuse_if_archived
from common.errors import Conflict, InvalidInput, NotFound
from common.ids import is_id
from testruns.models import (
    INVITE_MAX_USES,
    INVITE_NOTE_MAX_LENGTH,
    Channel,
    Conversation,
    ConversationTarget,
    InviteLink,
    TestResult,
    TestStatus,
)
from testruns.services import conversation_judge
from workspaces.models import hash_token
from workspaces.permissions import User, require_role
from workspaces.roles import Action
from workspaces.selectors import workspace_list_for

PREFIX_LENGTH = 8
LONGEST = timedelta(days=30)
NAME_MAX_LENGTH = 150
NO_SUCH_INVITE = "This invite link is not valid: check that it was copied whole."
REVOKED_MESSAGE = "The invite link was revoked; the conversation has ended."


def invite_group(invite_id: int) -> str:
    """The channel-layer group of the relays holding the invite's conversations."""
    return f"invite-{invite_id}"


def invite_create(
    *,
    agent: VoiceAgent,
    actor: User,
    expires_in: timedelta,
    max_uses: int,
    note: str = "",
    version: int,
    config_revision: str,
    branch_id: str,
) -> tuple[InviteLink, str]:
    """A new link to the testing branch as it is now (`version`, `config_revision` on ElevenLabs'
    `branch_id`), and its key. The key is not stored: this is the only time it exists."""
    actor = require_role(actor, agent.workspace, Action.MANAGE_INVITES)
    refuse_if_archived(agent)
    if not timedelta(minutes=1) <= expires_in <= LONGEST:
        raise InvalidInput.for_field(
            "expires_in", "A link lasts from a minute to 30 days; choose a time in between."
        )
    if not 1 <= max_uses <= INVITE_MAX_USES:
        raise InvalidInput.for_field(
            "max_uses", f"Allow from 1 to {INVITE_MAX_USES:,} conversations with a link."
        )
    note = (note or "").strip()
    if len(note) > INVITE_NOTE_MAX_LENGTH:
        raise InvalidInput.for_field(
            "note", f"Keep the note under {INVITE_NOTE_MAX_LENGTH:,} characters."
        )
    key = secrets.token_urlsafe(32)
    invite = InviteLink.objects.create(
        agent=agent,
        created_by=actor,
        created_by_name=actor.get_username(),
        expires_at=timezone.now() + expires_in,
        max_uses=max_uses,
        note=note,
        version=version,
        config_revision=config_revision,
        branch_id=branch_id,
        prefix=key[:PREFIX_LENGTH],
        key_hash=hash_token(key),
    )
    return invite, key


def invite_revoke(*, invite: InviteLink, actor: User) -> bool:
    """Revoke the link, and end the conversations held through it (their relays are told once
    the revocation is committed). False if it was revoked already."""
    actor = require_role(actor, invite.agent.workspace, Action.MANAGE_INVITES)
    revoked = bool(
        InviteLink.objects.filter(pk=invite.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=actor
        )
    )
    if revoked:
        group = invite_group(invite.pk)
        transaction.on_commit(lambda: _tell_relays(group))
    invite.refresh_from_db()
    return revoked


def _tell_relays(group: str) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, {"type": "invite.revoked"})


def invite_for_key(key: str | None) -> InviteLink | None:
    """The link the key opens, good or not; None for no link."""
    if not key:
        return None
    return (
        InviteLink.objects.filter(key_hash=hash_token(key))
        .select_related("agent__workspace")
        .first()
    )


class InviteState(TextChoices):
    """Whether a link may still be used, and if not, why not: the first of these that holds."""

    ACTIVE = "active", "active"
    REVOKED = "revoked", "revoked"
    EXPIRED = "expired", "expired"
    USED_UP = "used_up", "used up"
    AGENT_ARCHIVED = "agent_archived", "agent archived"


def invite_state(invite: InviteLink) -> InviteState:
    """The link's state. `invite_states()` says the same for a query, rule for rule."""
    if invite.revoked_at is not None:
        return InviteState.REVOKED
    if invite.expires_at <= timezone.now():
        return InviteState.EXPIRED
    if invite.uses >= invite.max_uses:
        return InviteState.USED_UP
    if invite.agent.archived_at is not None:
        return InviteState.AGENT_ARCHIVED
    return InviteState.ACTIVE


def invite_states() -> Case:
    """Each link's state as a database expression (to filter or take a use by), in the order
    and by the rules of `invite_state`."""
    return Case(
        When(revoked_at__isnull=False, then=Value(InviteState.REVOKED)),
        When(expires_at__lte=timezone.now(), then=Value(InviteState.EXPIRED)),
        When(uses__gte=F("max_uses"), then=Value(InviteState.USED_UP)),
        When(agent__archived_at__isnull=False, then=Value(InviteState.AGENT_ARCHIVED)),
        default=Value(InviteState.ACTIVE),
    )


def invite_refusal(invite: InviteLink) -> str | None:
    """Why the link cannot be used any more, or None while it can."""
    state = invite_state(invite)
    if state == InviteState.USED_UP:
        times = "once" if invite.max_uses == 1 else f"{invite.max_uses} times"
        return f"This invite link has been used {times}, its limit."
    return {
        InviteState.REVOKED: "This invite link was revoked; ask whoever sent it for a new one.",
        InviteState.EXPIRED: "This invite link has expired; ask whoever sent it for a new one.",
        InviteState.AGENT_ARCHIVED: "This invite link's agent is no longer being tested.",
    }.get(state)


def invites_in_state(state: str) -> QuerySet[InviteLink]:
    """Every link in that state (one of InviteState's values)."""
    return InviteLink.objects.alias(state=invite_states()).filter(state=state)


def invite_valid_for_key(key: str | None) -> InviteLink:
    """The link the key opens, if it may still be used; else why not (NotFound, Conflict)."""
    invite = invite_for_key(key)
    if invite is None:
        raise NotFound(NO_SUCH_INVITE)
    refusal = invite_refusal(invite)
    if refusal is not None:
        raise Conflict(refusal, code="invite_not_valid")
    return invite


def invite_conversation_start(*, invite: InviteLink) -> Conversation:
    """Take one of the link's uses and open the record of its conversation with the pinned
    version. The use is taken by a conditional update: two callers at once cannot pass the
    limit, and a link revoked or expired meanwhile is not used."""
    with transaction.atomic():
        refusal = invite_refusal(invite)  # its agent archived, above all: not the row's to say
        if refusal is not None:
            raise Conflict(refusal, code="invite_not_valid")
        # On the row's own columns only, the rules of `invite_state` that the row holds:
        # PostgreSQL checks those again after waiting for another caller's update of the row,
        # where a condition through a join (a subquery) it would not.
        taken = InviteLink.objects.filter(
            pk=invite.pk,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            uses__lt=F("max_uses"),
        ).update(uses=F("uses") + 1)
        if not taken:
            invite.refresh_from_db()
            raise Conflict(
                invite_refusal(invite) or "This invite link cannot be used now.",
                code="invite_not_valid",
            )
        return Conversation.objects.create(
            agent=invite.agent,
            target=ConversationTarget.TESTING,
            version=invite.version,
            config_revision=invite.config_revision,
            channel=Channel.INVITE,
            invite=invite,
        )


def invite_list_active(*, agent: VoiceAgent) -> QuerySet[InviteLink]:
    """The agent's links that may still be used, newest first."""
    return invites_in_state(InviteState.ACTIVE).filter(agent=agent)


def invite_conversation_get(*, invite: InviteLink, conversation_id: object) -> Conversation:
    """A conversation held through this link (and only through it)."""
    conversation = (
        Conversation.objects.filter(invite=invite, pk=str(conversation_id))
        .prefetch_related("turns")
        .first()
        if str(conversation_id).isdigit()
        else None
    )
    if conversation is None:
        raise NotFound("No such conversation through this invite link.")
    return conversation


def invite_conversation_by_elevenlabs_id(
    *, invite: InviteLink, elevenlabs_conversation_id: str
) -> Conversation:
    """The conversation held through this link whose ElevenLabs id is given (a browser learns
    only that id, from the first frame)."""
    conversation = (
        Conversation.objects.filter(
            invite=invite, elevenlabs_conversation_id=elevenlabs_conversation_id
        )
        .exclude(elevenlabs_conversation_id="")
        .first()
    )
    if conversation is None:
        raise NotFound("No such conversation through this invite link.")
    return conversation


def rating_status(rating: int) -> str:
    """A caller judges by a rating alone: 4 or 5 passes, 3 needs improvement, below fails."""
    if rating >= 4:
        return TestStatus.PASSED
    if rating == 3:
        return TestStatus.NEEDS_IMPROVEMENT
    return TestStatus.FAILED


def invite_result_record(
    *, invite: InviteLink, conversation: Conversation, rating: int, notes: str = "", name: str = ""
) -> TestResult:
    """The caller's verdict on a conversation held through the link: an external test of the
    pinned version, linked to the conversation. The key authorizes it (whoever holds it may
    judge the link's conversations), once a conversation, after its end; a revoked or expired
    link still takes the verdict on a conversation held while it was good."""
    if conversation.invite_id != invite.pk:
        raise NotFound("No such conversation through this invite link.")
    if not 1 <= rating <= 5:
        raise InvalidInput.for_field("rating", "Rate the conversation from 1 to 5.")
    name = (name or "").strip()
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidInput.for_field("name", f"Keep the name under {NAME_MAX_LENGTH} characters.")
    return conversation_judge(
        conversation=conversation,
        tested_by=None,
        tested_by_name=name,
        status=rating_status(rating),
        rating=rating,
        notes=notes,
        already_judged="What you made of this conversation was saved already. Thank you!",
    )


def invite_get_for(user: User, invite_id: int | str | None) -> InviteLink:
    """A link to an agent of `user`'s workspaces; another workspace's is 'not found'."""
    key = str(invite_id)
    if is_id(key):
        invite = (
            InviteLink.objects.filter(agent__workspace__in=workspace_list_for(user), pk=key)
            .select_related("agent__workspace")
            .first()
        )
        if invite is not None:
            return invite
    raise NotFound(f"No invite link with id {invite_id} in your workspaces.")
