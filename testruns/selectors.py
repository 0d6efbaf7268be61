from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from agents.models import VoiceAgent
from common.errors import NotFound
from common.ids import is_id
from testruns.models import (
    AgentTest,
    Conversation,
    ConversationStatus,
    ConversationTurn,
    RunStatus,
    TestAttempt,
    TestResult,
    TestRun,
    TestSource,
    TestStatus,
)
from testruns.reports import RunTest, run_tests_shown
from workspaces.models import Workspace
from workspaces.permissions import User
from workspaces.selectors import workspace_list_for


def test_result_list(*, agent: VoiceAgent) -> QuerySet[TestResult]:
    return TestResult.objects.filter(agent=agent).select_related("tested_by")


EVIDENCE = (TestSource.BROWSER, TestSource.PHONE, TestSource.SCENARIO)


def passing_test_exists(*, agent: VoiceAgent, config_revision: str, evidence: bool = False) -> bool:
    """Whether a passing result of this config revision is recorded; with `evidence`, only one
    that judges a conversation or an automated run counts (one typed in does not).

    A caller's rating through an invite link never counts: someone without an account in the
    workspace must not open its way to production. It is feedback, kept in the history."""
    results = TestResult.objects.filter(
        agent=agent, config_revision=config_revision, status=TestStatus.PASSED
    ).exclude(source=TestSource.INVITE)
    if evidence:
        results = results.filter(source__in=EVIDENCE)
    return results.exists()


def conversation_list(*, agent: VoiceAgent) -> QuerySet[Conversation]:
    """The agent's test conversations, newest first."""
    return Conversation.objects.filter(agent=agent).select_related("started_by")


def conversation_get_for(user: User, conversation_id: int | str | None) -> Conversation:
    """One conversation with an agent of `user`'s workspaces, its turns fetched with it;
    another workspace's is 'not found', as its agents are."""
    conversations = Conversation.objects.select_related(
        "agent__workspace", "started_by"
    ).prefetch_related("turns")
    return _one_for(user, conversations, conversation_id, noun="conversation")


def conversation_started_by(
    user: User, *, agent: VoiceAgent, elevenlabs_conversation_id: str
) -> Conversation:
    """The record the relay made of the conversation `user` just held with `agent`: the newest
    one they started whose ElevenLabs id is `elevenlabs_conversation_id` (a browser only learns
    ElevenLabs' id, from the conversation's first frame)."""
    conversation = (
        Conversation.objects.filter(
            agent=agent,
            started_by__isnull=False,
            started_by_id=user.pk,
            elevenlabs_conversation_id=elevenlabs_conversation_id,
        )
        .exclude(elevenlabs_conversation_id="")
        .select_related("agent__workspace", "started_by")
        .prefetch_related("turns")
        .first()
    )
    if conversation is None:
        raise NotFound(
            f"You held no conversation {elevenlabs_conversation_id!r} with '{agent.name}'."
        )
    return conversation


def conversation_list_counted(*, agent: VoiceAgent) -> QuerySet[Conversation]:
    """`conversation_list`, each conversation with `turn_count`, the number of its turns,
    counted in the same query (a subquery per row, on the turns' conversation index): a page
    costs one query whatever its conversations hold, and counting the list or skipping to a
    later page leaves the subquery out."""
    turns = (
        ConversationTurn.objects.filter(conversation=OuterRef("pk"))
        .order_by()
        .values("conversation")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return conversation_list(agent=agent).annotate(turn_count=Coalesce(Subquery(turns), 0))


def conversations_going_on(*, workspace: Workspace) -> int:
    """How many of the workspace's test conversations are going on now."""
    return Conversation.objects.filter(
        agent__workspace=workspace, status=ConversationStatus.ACTIVE
    ).count()


def run_failed_last(*, agent: VoiceAgent, config_revision: str) -> TestRun | None:
    """The newest judged run of this config revision, if it failed: a failed run closes the
    production gate until a newer one passes, whatever else was recorded."""
    newest = (
        TestRun.objects.filter(
            agent=agent,
            config_revision=config_revision,
            status__in=(RunStatus.PASSED, RunStatus.FAILED),
        )
        .order_by("-finished_at", "-id")
        .first()
    )
    return newest if newest is not None and newest.status == RunStatus.FAILED else None


def agent_test_list(*, agent: VoiceAgent, suite: str = "") -> QuerySet[AgentTest]:
    tests = AgentTest.objects.filter(agent=agent).select_related("created_by")
    return tests.filter(suite=suite) if suite else tests


def run_list(*, agent: VoiceAgent) -> QuerySet[TestRun]:
    return TestRun.objects.filter(agent=agent).select_related("started_by")


def run_get_for(user: User, run_id: int | str | None) -> TestRun:
    """One run of an agent of `user`'s workspaces, with its attempts; another workspace's
    is 'not found'."""
    runs = TestRun.objects.select_related("agent__workspace", "started_by").prefetch_related(
        "attempts"
    )
    return _one_for(user, runs, run_id, noun="test run")


def agent_test_get_for(user: User, test_id: int | str | None) -> AgentTest:
    """One test of an agent of `user`'s workspaces; another workspace's is 'not found'."""
    tests = AgentTest.objects.select_related("agent__workspace", "created_by")
    return _one_for(user, tests, test_id, noun="test")


_Row = TypeVar("_Row", Conversation, TestRun, AgentTest)


def _one_for(user: User, rows: QuerySet[_Row], key: int | str | None, *, noun: str) -> _Row:
    """The row of `rows` with id `key` whose agent is in one of `user`'s workspaces; any
    other key, a malformed one included, is the same 'not found'."""
    if is_id(str(key)):
        row = rows.filter(agent__workspace__in=workspace_list_for(user), pk=str(key)).first()
        if row is not None:
            return row
    raise NotFound(f"No {noun} with id {key} in your workspaces.")


# The runs whose verdicts say something of a test: a cancelled run judged nothing.
JUDGED = (RunStatus.PASSED, RunStatus.FAILED, RunStatus.ERROR)


@dataclass(frozen=True)
class TestRow:
    """A test as the tests page lists it: with its verdict in the newest run that judged it
    (None if none did), and that run."""

    __test__ = False  # not a pytest test class, whatever its name says

    test: AgentTest
    verdict: RunTest | None = None
    run: TestRun | None = None

    @property
    def edited_since(self) -> bool:
        """Whether the test was changed after that run was queued."""
        return self.run is not None and self.test.updated_at > self.run.created_at


def tests_with_verdicts(agent: VoiceAgent) -> list[TestRow]:
    """The agent's tests by suite and name, each with its last verdict: three queries
    whatever the number of tests and runs (the tests with their newest judged run's id, those
    runs, and those runs' attempts of these tests)."""
    newest_judged = (
        TestAttempt.objects.filter(test=OuterRef("pk"), run__status__in=JUDGED)
        .order_by("-run__created_at", "-run_id")
        .values("run_id")[:1]
    )
    tests = list(agent_test_list(agent=agent).annotate(last_run_id=Subquery(newest_judged)))
    run_ids = {test.last_run_id for test in tests if test.last_run_id}
    if not run_ids:
        return [TestRow(test) for test in tests]
    attempts = TestAttempt.objects.filter(test__in=[test.pk for test in tests])
    runs = (
        run_list(agent=agent)
        .filter(pk__in=run_ids)
        .prefetch_related(Prefetch("attempts", queryset=attempts))
    )
    verdicts: dict[tuple[int, int | None], tuple[RunTest, TestRun]] = {}
    for run in runs:
        for shown in run_tests_shown(run):
            verdicts[(run.pk, shown.attempts[0].test_id)] = (shown, run)
    rows = []
    for test in tests:
        found = verdicts.get((test.last_run_id, test.pk))
        rows.append(TestRow(test, *found) if found else TestRow(test))
    return rows
