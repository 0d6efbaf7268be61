from django.db.models import QuerySet

from agents.models import VoiceAgent
from testruns.models import TestResult, TestStatus


def test_result_list(*, agent: VoiceAgent) -> QuerySet[TestResult]:
    return TestResult.objects.filter(agent=agent).select_related("tested_by")


def passing_test_exists(*, agent: VoiceAgent, config_revision: str) -> bool:
    return TestResult.objects.filter(
        agent=agent, config_revision=config_revision, status=TestStatus.PASSED
    ).exists()
