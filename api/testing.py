"""Automated tests and their runs (docs/testing.md, docs/ci.md): an agent's tests and runs
(`TestingActions`, mixed into the agents viewset), /api/tests/{id}, /api/test-runs/{id} with
its JUnit report and cancellation, and a test made from a recorded conversation
(`ConversationTestActions`, mixed into the conversations viewset)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from agents.selectors import agent_get_for
from api.actions import ViewSetActions
from api.idempotency import IdempotentPosts
from api.rendering import RefusesInJson, XmlRenderer
from api.schema import CONFLICT, UPSTREAM
from common.ids import ID_PATTERN
from common.serializers import UserRefField, choice_field, validated
from elevenlabs_sync.test_runs import run_start
from testruns.models import (
    REPEAT_MAX,
    SUITE_MAX_LENGTH,
    TEST_NAME_MAX_LENGTH,
    ConversationTarget,
    TestKind,
    TestRun,
)
from testruns.reports import run_junit, run_tests_shown
from testruns.runs import run_cancel
from testruns.selectors import (
    agent_test_get_for,
    agent_test_list,
    conversation_get_for,
    run_get_for,
    run_list,
)
from testruns.suites import (
    agent_test_create,
    agent_test_delete,
    agent_test_from_conversation,
    agent_test_update,
)

SUITE_PARAMETER = OpenApiParameter(
    "suite", str, description="Only the tests of this suite (every test when left out)."
)


class AgentTestWriteSerializer(serializers.Serializer):
    """A test as it is written."""

    name = serializers.CharField(max_length=TEST_NAME_MAX_LENGTH)
    suite = serializers.CharField(
        max_length=SUITE_MAX_LENGTH, required=False, help_text="`default` when left out."
    )
    kind = choice_field(
        TestKind.choices,
        noun="kind of test",
        help_text="ElevenLabs' `llm`, `tool` or `simulation` (run on ElevenLabs), or "
        "`scripted` (a conversation Switchboard holds itself).",
    )
    definition = serializers.JSONField(
        help_text="For ElevenLabs' kinds, the body of ElevenLabs' test without its name; for "
        "`scripted`, the script (docs/testing.md)."
    )


class AgentTestPatchSerializer(AgentTestWriteSerializer):
    name = serializers.CharField(max_length=TEST_NAME_MAX_LENGTH, required=False)
    kind = choice_field(TestKind.choices, noun="kind of test", required=False)
    definition = serializers.JSONField(required=False)


class AgentTestSerializer(AgentTestWriteSerializer):
    """A test of an agent."""

    id = serializers.IntegerField()
    agent = serializers.IntegerField(source="agent_id")
    from_conversation = serializers.IntegerField(
        source="from_conversation_id",
        allow_null=True,
        help_text="The recorded conversation it was made from, if it was.",
    )
    elevenlabs_test_id = serializers.CharField(
        help_text="ElevenLabs' copy, once a run has pushed it; empty before."
    )
    created_by = UserRefField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class FromConversationSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=TEST_NAME_MAX_LENGTH)
    suite = serializers.CharField(max_length=SUITE_MAX_LENGTH, required=False)


class TestRunRequestSerializer(serializers.Serializer):
    suite = serializers.CharField(
        max_length=SUITE_MAX_LENGTH, required=False, help_text="Every test when left out."
    )
    repeat = serializers.IntegerField(
        min_value=1, max_value=REPEAT_MAX, required=False, help_text="Tries of each test; 1."
    )
    pass_threshold = serializers.IntegerField(
        min_value=1,
        max_value=REPEAT_MAX,
        required=False,
        help_text="Passing tries each test needs; all of them when left out.",
    )
    target = choice_field(
        ConversationTarget.choices,
        noun="target",
        required=False,
        help_text="The testing branch (the default), the live version, or `version`.",
    )
    version = serializers.IntegerField(
        min_value=1, required=False, help_text="A published version to test."
    )
    promote_on_pass = serializers.BooleanField(
        required=False,
        help_text="Deploy to production if every test passes (admins; needs `changes`).",
    )
    changes = serializers.CharField(
        required=False, allow_blank=True, help_text="The production deploy's changelog note."
    )


class AttemptSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    status = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())
    seconds = serializers.FloatField(allow_null=True)
    latencies_ms = serializers.ListField(child=serializers.FloatField())
    transcript = serializers.ListField(child=serializers.DictField())
    conversation = serializers.IntegerField(source="conversation_id", allow_null=True)


class RunTestSerializer(serializers.Serializer):
    """One test in a run, judged over its attempts."""

    name = serializers.CharField()
    suite = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField(help_text="passed, failed, error, cancelled or pending.")
    passed_attempts = serializers.IntegerField()
    attempts = AttemptSerializer(many=True)


class TestRunSerializer(serializers.Serializer):
    """A run of an agent's tests, without its attempts."""

    id = serializers.IntegerField()
    agent = serializers.IntegerField(source="agent_id")
    status = serializers.CharField(
        help_text="queued, running, passed, failed, error (could not be judged) or cancelled."
    )
    suite = serializers.CharField(help_text="Empty: every test of the agent.")
    target = serializers.CharField()
    version = serializers.IntegerField(help_text="The version tested.")
    config_revision = serializers.CharField(help_text="The config tested.")
    repeat = serializers.IntegerField()
    pass_threshold = serializers.IntegerField()
    done = serializers.IntegerField(help_text="Attempts finished.")
    total = serializers.IntegerField(help_text="Attempts in the run.")
    reason = serializers.CharField(help_text="Why it failed, errored, was cancelled or refused.")
    promotion = serializers.CharField(
        help_text="Empty (not asked), pending, promoted, refused or skipped."
    )
    promoted_version = serializers.IntegerField(allow_null=True)
    test_result = serializers.IntegerField(source="result_id", allow_null=True)
    started_by = UserRefField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class TestRunDetailSerializer(TestRunSerializer):
    tests = serializers.SerializerMethodField()

    @extend_schema_field(RunTestSerializer(many=True))
    def get_tests(self, run: TestRun) -> list[dict]:
        return list(RunTestSerializer(run_tests_shown(run), many=True).data)


class TestingActions(ViewSetActions):
    """Mixed into the agents viewset (api/agents.py)."""

    @extend_schema(
        methods=["get"],
        summary="The agent's tests",
        parameters=[SUITE_PARAMETER],
        responses=AgentTestSerializer(many=True),
        filters=False,
    )
    @extend_schema(
        methods=["post"],
        summary="Add a test to the agent",
        request=AgentTestWriteSerializer,
        responses={201: AgentTestSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["get", "post"], url_path="tests", url_name="tests")
    def agent_tests(self, request: Request, pk: str | None = None) -> Response:
        """The agent's tests, by suite and name; a POST adds one (editors)."""
        agent = agent_get_for(request.user, pk)
        if request.method == "POST":
            data = validated(AgentTestWriteSerializer, request.data)
            test = agent_test_create(agent=agent, actor=request.user, **data)
            return Response(AgentTestSerializer(test).data, status=status.HTTP_201_CREATED)
        suite = request.query_params.get("suite", "")
        page = self.paginate_queryset(agent_test_list(agent=agent, suite=suite))
        return self.get_paginated_response(AgentTestSerializer(page, many=True).data)

    @extend_schema(
        methods=["get"],
        summary="The agent's test runs",
        responses=TestRunSerializer(many=True),
        filters=False,
    )
    @extend_schema(
        methods=["post"],
        summary="Run the agent's tests",
        request=TestRunRequestSerializer,
        responses={202: TestRunDetailSerializer, 409: CONFLICT, 502: UPSTREAM},
    )
    @action(detail=True, methods=["get", "post"], url_path="test-runs", url_name="test-runs")
    def agent_runs(self, request: Request, pk: str | None = None) -> Response:
        """The agent's test runs, newest first; a POST queues one (testers; admins to promote
        on a pass), answered 202 with the run: follow it at `GET /api/test-runs/{id}`."""
        agent = agent_get_for(request.user, pk)
        if request.method == "POST":
            data = validated(TestRunRequestSerializer, request.data)
            run = run_start(agent=agent, actor=request.user, **data)
            shown = TestRunDetailSerializer(run_get_for(request.user, run.pk)).data
            return Response(shown, status=status.HTTP_202_ACCEPTED)
        page = self.paginate_queryset(run_list(agent=agent))
        return self.get_paginated_response(TestRunSerializer(page, many=True).data)


class ConversationTestActions(ViewSetActions):
    """Mixed into the conversations viewset (api/conversations.py)."""

    @extend_schema(
        summary="Make a regression test from the conversation",
        request=FromConversationSerializer,
        responses={201: AgentTestSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="test")
    def make_test(self, request: Request, pk: str | None = None) -> Response:
        """A scripted test that says the caller's turns again and expects the tools the
        agent called, with their arguments (editors)."""
        conversation = conversation_get_for(request.user, pk)
        data = validated(FromConversationSerializer, request.data)
        test = agent_test_from_conversation(conversation=conversation, actor=request.user, **data)
        return Response(AgentTestSerializer(test).data, status=status.HTTP_201_CREATED)


class TestViewSet(IdempotentPosts, RefusesInJson, viewsets.GenericViewSet):
    """Tests of the agents of your workspaces."""

    serializer_class = AgentTestSerializer
    lookup_value_regex = ID_PATTERN
    pagination_class = None

    @extend_schema(summary="One test")
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(AgentTestSerializer(agent_test_get_for(request.user, pk)).data)

    @extend_schema(
        summary="Replace a test",
        request=AgentTestWriteSerializer,
        responses={200: AgentTestSerializer, 409: CONFLICT},
    )
    def update(self, request: Request, pk: str | None = None) -> Response:
        return self._update(request, pk, shape=AgentTestWriteSerializer)

    @extend_schema(
        summary="Change some of a test",
        request=AgentTestPatchSerializer,
        responses={200: AgentTestSerializer, 409: CONFLICT},
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self._update(request, pk, shape=AgentTestPatchSerializer)

    @extend_schema(summary="Delete a test", responses={204: None})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        """Delete the test (editors); runs that tried it keep what they ran."""
        agent_test_delete(test=agent_test_get_for(request.user, pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(
        self, request: Request, pk: str | None, *, shape: type[serializers.Serializer]
    ) -> Response:
        test = agent_test_get_for(request.user, pk)
        data = validated(shape, request.data)
        test = agent_test_update(test=test, actor=request.user, **data)
        return Response(AgentTestSerializer(test).data)


class TestRunViewSet(IdempotentPosts, RefusesInJson, viewsets.GenericViewSet):
    """Runs of the tests of the agents of your workspaces."""

    serializer_class = TestRunDetailSerializer
    lookup_value_regex = ID_PATTERN
    pagination_class = None

    @extend_schema(summary="One test run, with each test's attempts")
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        """The run, its progress, and each test's verdict with every attempt's reasons,
        transcript and latencies."""
        return Response(TestRunDetailSerializer(run_get_for(request.user, pk)).data)

    @extend_schema(
        summary="The run as a JUnit XML report",
        operation_id="test_runs_junit_retrieve",
        description="One `<testsuite>` per suite, one `<testcase>` per test: a failure's "
        "message says how many attempts passed and why the others did not.",
        responses={(200, XmlRenderer.media_type): OpenApiTypes.STR},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="junit.xml",
        url_name="junit",
        renderer_classes=[XmlRenderer],
    )
    def junit(self, request: Request, pk: str | None = None) -> Response:
        run = run_get_for(request.user, pk)
        return Response(
            run_junit(run),
            headers={"Content-Disposition": f'inline; filename="test-run-{run.pk}.xml"'},
        )

    @extend_schema(
        summary="Cancel a test run",
        request=None,
        responses={200: TestRunDetailSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Stop the run: unfinished attempts are cancelled, and so are the tests ElevenLabs
        is running for it (testers)."""
        run = run_cancel(run=run_get_for(request.user, pk), actor=request.user)
        return Response(TestRunDetailSerializer(run_get_for(request.user, run.pk)).data)
