"""Factories for the domain. Agents are made through `agent_create`, as users make them,
so every factory agent has its version 1 snapshot and changelog entry."""

import secrets

import factory
from django.contrib.auth import get_user_model

from agents.models import VoiceAgent
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
