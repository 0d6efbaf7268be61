"""Factories for the domain. Agents are made through `agent_create`, as users make them,
so every factory agent has its version 1 snapshot and changelog entry."""

import secrets

import factory
from django.contrib.auth import get_user_model

from agents.models import Status, VoiceAgent
from agents.services import agent_create
from deployments.models import SyncState
from elevenlabs_sync.models import AgentSync
from testruns.models import TestStatus
from testruns.services import result_record
from workspaces.models import Membership, Workspace
from workspaces.roles import Role

PASSWORD = "correct-horse-battery-staple"


def sample_config(first_message: str = "Hello! How can I help?") -> dict:
    return {
        "conversation_config": {
            "agent": {
                "first_message": first_message,
                "language": "en",
                "prompt": {"prompt": "You are a helpful assistant.", "temperature": 0.4},
            },
            "tts": {"voice_id": "21m00Tcm4TlvDq8ikWAM"},
        },
        "platform_settings": {},
    }


def allowing_text_only(config: dict) -> dict:
    """`config`, whose conversations may ask for text only (an override its
    platform_settings must allow)."""
    overrides = {"conversation_config_override": {"conversation": {"text_only": True}}}
    return {**config, "platform_settings": {**config["platform_settings"], "overrides": overrides}}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password(PASSWORD)


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Workspace {n}")
    slug = factory.Sequence(lambda n: f"workspace-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    workspace = factory.SubFactory(WorkspaceFactory)
    role = Role.VIEWER


class AgentFactory(factory.Factory):
    """An agent created by an editor of its workspace, through the service."""

    class Meta:
        model = VoiceAgent

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Agent {n}")
    description = "A test agent"
    tags: list[str] = []
    config = factory.LazyFunction(sample_config)
    actor = None

    @classmethod
    def _create(cls, model_class, *, workspace, actor, **kwargs):
        if actor is None:
            actor = MembershipFactory(workspace=workspace, role=Role.EDITOR).user
        return agent_create(workspace=workspace, actor=actor, **kwargs)


def put_on_elevenlabs(agent: VoiceAgent) -> VoiceAgent:
    """Give an agent a real-looking ElevenLabs id, as its first sync does."""
    AgentSync.objects.filter(pk=agent.pk).update(
        elevenlabs_agent_id=f"agent_{secrets.token_hex(12)}", state=SyncState.SYNCED
    )
    agent.refresh_from_db()
    return agent


def record_passing_test(agent: VoiceAgent, actor) -> None:
    agent.refresh_from_db()
    result_record(agent=agent, actor=actor, duration=30, status=TestStatus.PASSED, rating=5)


def taken_to(agent: VoiceAgent, status: str, actor) -> VoiceAgent:
    """`agent` moved to `status` the real way: testing; for production, a passing test and
    then production (version 2 live)."""
    from deployments.services import deployment_create  # the lifecycle's, as the UI's

    if status in (Status.TESTING, Status.PRODUCTION):
        deployment_create(agent=agent, to_status=Status.TESTING, changes="", actor=actor)
    if status == Status.PRODUCTION:
        record_passing_test(agent, actor)
        deployment_create(agent=agent, to_status=Status.PRODUCTION, changes="Go live", actor=actor)
    agent.refresh_from_db()
    return agent


class ConversationFactory(factory.django.DjangoModelFactory):
    """A test conversation with an agent, as the relay records one: by a tester of the agent's
    workspace, with the agent's current version and config, ended `ended_after` seconds after
    it started (left open, with no end, when `status` is "active")."""

    class Meta:
        model = "testruns.Conversation"

    agent = factory.SubFactory(AgentFactory)
    target = "testing"
    version = factory.LazyAttribute(lambda conversation: conversation.agent.version)
    config_revision = factory.LazyAttribute(lambda conversation: conversation.agent.config_revision)
    started_by = factory.LazyAttribute(
        lambda conversation: (
            MembershipFactory(workspace=conversation.agent.workspace, role=Role.TESTER).user
        )
    )
    started_by_name = factory.LazyAttribute(
        lambda conversation: (
            conversation.started_by.get_username() if conversation.started_by else ""
        )
    )
    elevenlabs_conversation_id = factory.Sequence(lambda n: f"conv_{n:024x}")
    status = "completed"
    end_reason = factory.LazyAttribute(
        lambda conversation: (
            "" if conversation.status == "active" else "The tester ended the conversation."
        )
    )
    ended_after = 90.0  # seconds

    @classmethod
    def _create(cls, model_class, *args, ended_after, **kwargs):
        from datetime import timedelta

        conversation = super()._create(model_class, *args, **kwargs)
        if conversation.status != "active":  # `started_at` is set as the row is written
            conversation.ended_at = conversation.started_at + timedelta(seconds=ended_after)
            conversation.save(update_fields=["ended_at"])
        return conversation


class ConversationTurnFactory(factory.django.DjangoModelFactory):
    """One thing said in a conversation: the agent's unless `role` says "user"; a second after
    the turn made before it."""

    class Meta:
        model = "testruns.ConversationTurn"

    conversation = factory.SubFactory(ConversationFactory)
    role = "agent"
    text = factory.Sequence(lambda n: f"Something said, number {n}.")
    offset_ms = factory.Sequence(lambda n: n * 1_000)
    event_id = None
