from django.db.models import QuerySet

from agents.models import VoiceAgent
from common.errors import NotFound
from common.ids import is_id
from testruns.models import Conversation, TestResult, TestStatus
from workspaces.permissions import User
from workspaces.selectors import workspace_list_for


def test_result_list(*, agent: VoiceAgent) -> QuerySet[TestResult]:
    return TestResult.objects.filter(agent=agent).select_related("tested_by")


def passing_test_exists(*, agent: VoiceAgent, config_revision: str) -> bool:
    return TestResult.objects.filter(
        agent=agent, config_revision=config_revision, status=TestStatus.PASSED
    ).exists()


def conversation_list(*, agent: VoiceAgent) -> QuerySet[Conversation]:
    """The agent's test conversations, newest first."""
    return Conversation.objects.filter(agent=agent).select_related("started_by")


def conversation_get_for(user: User, conversation_id: int | str | None) -> Conversation:
    """One conversation with an agent of `user`'s workspaces, its turns fetched with it;
    another workspace's is 'not found', as its agents are."""
    key = str(conversation_id)
    if is_id(key):
        conversation = (
            Conversation.objects.filter(agent__workspace__in=workspace_list_for(user), pk=key)
            .select_related("agent__workspace", "started_by")
            .prefetch_related("turns")
            .first()
        )
        if conversation is not None:
            return conversation
    raise NotFound(f"No conversation with id {conversation_id} in your workspaces.")
